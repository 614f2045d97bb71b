import type { Readable } from 'node:stream';

import type { MailboxPolicy } from '../auth/allowedMailboxes';
import type { AttachmentInfo, BodyChoice, MailAddress, MessageShape } from './messageShape';

/**
 * The mailbox as the nodes see it, whatever protocol is behind it. The Exchange node, its list
 * search and the trigger call only this interface; `transport/ews/store.ts` implements it over
 * EWS SOAP and `transport/graph/store.ts` over Microsoft Graph. Which one an execution gets is the
 * credential's choice (its Mailbox API field), made in `openMailStore` (nodes/shared/mail/open.ts).
 *
 * Every method takes the mailbox (SMTP address) it acts in, already checked against Allowed
 * Mailboxes. Calls that act on many ids answer one result per id, in order; a failure of the
 * whole call (no token, throttled beyond the retries, an unknown folder) throws a MailError.
 */
export interface MailStore {
	readonly api: MailApi;

	// Folders -----------------------------------------------------------------------------------

	/** The folder's id as this API writes it (a well-known name or path resolved, an id checked). */
	resolveFolderId(mailbox: string, ref: FolderRef): Promise<string>;
	/** Every folder below `root` (all levels when `deep`), each with its path from the top of the mailbox. */
	listFolders(mailbox: string, root: FolderRef, deep: boolean): Promise<FolderShape[]>;
	getFolder(mailbox: string, ref: FolderRef): Promise<FolderInfo>;
	/** The folder with its counts, and which protected well-known folder it is (however it was reached). */
	inspectFolder(mailbox: string, ref: FolderRef): Promise<FolderTarget>;
	/** Not repeated on an unclear failure (a retry would fail as nameTaken). */
	createFolder(mailbox: string, parent: FolderRef, displayName: string): Promise<FolderChange>;
	renameFolder(mailbox: string, ref: FolderRef, displayName: string): Promise<FolderChange>;
	deleteFolder(mailbox: string, ref: FolderRef, mode: DeleteMode): Promise<{ id: string | null }>;
	emptyFolder(mailbox: string, ref: FolderRef, mode: DeleteMode, deleteSubFolders: boolean): Promise<{ id: string | null }>;

	// Messages ----------------------------------------------------------------------------------

	/** Ids of the messages in a folder, newest first, filtered on the server; `limit` undefined = all. */
	findMessageIds(mailbox: string, folder: FolderRef, filter: MessageFilter, limit?: number): Promise<string[]>;
	getMessages(mailbox: string, ids: string[], options: { body: BodyChoice; headers?: boolean }): Promise<Array<ItemResult<MessageShape>>>;
	/** The messages as RFC 822 (.eml) bytes (see MailContent). */
	getMimes(mailbox: string, ids: string[]): Promise<Array<ItemResult<MailContent>>>;
	/**
	 * `id` of each result: the message's id after the move (EWS gives a new one; Graph immutable ids stay).
	 * Safe to repeat: where a move changes ids (EWS), an id that no longer resolves was moved (or deleted)
	 * before, answered as done with `id: null, alreadyMoved: true`; a Graph immutable id moves again where it
	 * is, and one Graph cannot find was deleted (notFound). A missing target folder is never taken for that.
	 */
	moveMessages(mailbox: string, ids: string[], target: FolderRef): Promise<Array<ItemResult<MovedMessage>>>;
	copyMessages(mailbox: string, ids: string[], target: FolderRef): Promise<Array<ItemResult<{ id: string | null }>>>;
	deleteMessages(mailbox: string, ids: string[], mode: DeleteMode): Promise<Array<ItemResult<null>>>;
	/**
	 * Where each message is now, with its read flag and categories (Redeliver Until Processed checks
	 * acknowledgements with it): one call per 100 ids on EWS (GetItem), one `$batch` per 20 on Graph.
	 * A moved EWS message no longer resolves by its old id (notFound); a Graph immutable id follows it.
	 */
	messageStates(mailbox: string, ids: string[]): Promise<Array<ItemResult<MessageState>>>;
	/** Sets the given fields (last writer wins). */
	updateMessages(mailbox: string, updates: MessageUpdate[]): Promise<Array<ItemResult<{ changeKey: string }>>>;
	/** Never repeated after an unclear failure (it could send twice). `asDelegate`: From is set to `mailbox`. */
	sendMessage(mailbox: string, input: NewMessage, options: { asDelegate: boolean }): Promise<SentSummary>;
	respondToMessage(mailbox: string, messageId: string, input: ResponseInput): Promise<SentSummary & { kind: ResponseKind; respondedTo: string }>;

	// Attachments -------------------------------------------------------------------------------

	listAttachments(mailbox: string, messageId: string): Promise<AttachmentInfo[]>;
	/** File attachments as their bytes, attached messages as .eml; `size` (from the listing) helps batching. */
	downloadAttachments(mailbox: string, attachments: AttachmentRef[]): Promise<Array<ItemResult<DownloadedAttachment>>>;

	// Ids and the change feed -------------------------------------------------------------------

	/**
	 * Allowed Mailboxes for ids a node is given: `uses[i]` are the ids of input item i; the answer is
	 * its first refused id, or undefined. Fails closed: an id the API cannot place is refused.
	 */
	refusedIds(mailbox: string, policy: MailboxPolicy, uses: IdUse[][]): Promise<Array<IdRefusal | undefined>>;
	/**
	 * One page of the folder's change feed since `cursor` (undefined = from the beginning): messages
	 * that arrived in the folder (moved-in ones too). The cursor is opaque to callers; store it only
	 * once the page's messages are safely handed over.
	 */
	changes(mailbox: string, folderId: string, cursor: string | undefined, options: ChangeOptions): Promise<ChangePage>;
}

export type MailApi = 'ews' | 'graph';

// Failures --------------------------------------------------------------------------------------

/**
 * What a failure means for the workflow, whatever the API said. The error catalogue
 * (nodes/shared/errors) turns `code` (the API's own) into a message with a fix; `kind` decides
 * retries and which field an error names.
 */
export type FailureKind =
	/** The message, folder or attachment does not exist (any more) in this mailbox. */
	| 'notFound'
	/** The value is not an id of this API (or of this kind). */
	| 'invalidId'
	/** A folder of that name exists already. */
	| 'nameTaken'
	/** The folder is one the server protects (a distinguished folder cannot be deleted). */
	| 'protectedFolder'
	/** A recipient address the server refuses. */
	| 'invalidRecipient'
	/** Permissions, roles, scopes, access policies, the EWS allow list. */
	| 'accessDenied'
	/** The token was refused (expired, wrong audience, revoked) after a refresh. */
	| 'unauthorized'
	| 'throttled'
	/** A message or attachment over the server's size limit. */
	| 'tooLarge'
	/** The mailbox is full. */
	| 'quota'
	/** The mailbox does not exist or cannot use this API. */
	| 'mailboxUnavailable'
	/** A request the server calls malformed (our bug or an unsupported combination of filters). */
	| 'invalidRequest'
	/** The server is down or busy (5xx), or the connection dropped. */
	| 'unavailable'
	/** No answer within the deadline. */
	| 'timeout'
	/** An answer that is not what the API answers (a proxy's HTML page, garbage). */
	| 'badAnswer'
	/** The change feed's cursor is no longer accepted (expired, or the server lost it): start the feed over. */
	| 'invalidCursor'
	| 'other';

export interface MailFailure {
	api: MailApi;
	kind: FailureKind;
	/** The API's own code: an EWS ResponseCode (ErrorItemNotFound), a Graph error code, HTTP404, a socket code, …DeadlineExceeded. */
	code: string;
	httpStatus?: number;
	message: string;
	/** Server-requested wait (EWS BackOffMilliseconds, Retry-After), if any. */
	backOffMs?: number;
	/** EWS x-ms-diagnostics of a 401, Graph's innerError, or similar server detail. */
	diagnostics?: string;
	/** Where a 3xx pointed. */
	location?: string;
	/** Filled in by the transport for the error message: the endpoint URL, its host, the token's app (client) ID, the mailbox. */
	endpoint?: string;
	server?: string;
	clientId?: string;
	/** The tenant of the token (Graph fixes name it), if known. */
	tenantId?: string;
	mailbox?: string;
}

/** A MailFailure as an Error, so it can be thrown and diagnosed (nodes/shared/errors). */
export class MailError extends Error {
	constructor(readonly failure: MailFailure) {
		super(failure.message);
		this.name = 'MailError';
	}

	get code(): string {
		return this.failure.code;
	}

	get kind(): FailureKind {
		return this.failure.kind;
	}
}

/** One result per id of a call that acts on many. */
export type ItemResult<T> = { ok: true; value: T } | { ok: false; failure: MailFailure };

/** The value of a result, or its failure thrown as a MailError. */
export function unwrap<T>(result: ItemResult<T>): T {
	if (result.ok) return result.value;
	throw new MailError(result.failure);
}

// Folders ---------------------------------------------------------------------------------------

/**
 * Well-known folders, by the names saved workflows hold (EWS's DistinguishedFolderIdNameType, lower
 * case; Graph's well-known folder names are the same words). `archiveinbox` is the Inbox of the
 * online archive mailbox: EWS only (Graph's `archive` is a folder of the primary mailbox). The value
 * is the label shown in the editor.
 */
export const WELL_KNOWN_FOLDERS = {
	inbox: 'Inbox',
	sentitems: 'Sent Items',
	deleteditems: 'Deleted Items',
	drafts: 'Drafts',
	junkemail: 'Junk Email',
	outbox: 'Outbox',
	msgfolderroot: 'Top of Mailbox',
	archiveinbox: 'Archive Mailbox Inbox',
} as const;

export type WellKnownFolder = keyof typeof WELL_KNOWN_FOLDERS;

/** How a user points at a folder: a well-known name, a folder id of the credential's API, or a path of display names. */
export type FolderRef = { wellKnown: WellKnownFolder } | { id: string } | { path: string };

export interface FolderShape {
	id: string;
	/** EWS change key; Graph has none (empty). */
	changeKey: string;
	displayName: string;
	/** Display names from the top of the mailbox, e.g. "Inbox/Processed" ("/" in a name written "\/"). */
	path: string;
	parentId: string | null;
	totalCount: number;
	unreadCount: number;
	childFolderCount: number;
}

/** A folder asked for by reference: its path is known when it was asked by path. */
export type FolderInfo = Omit<FolderShape, 'path'> & { path?: string };

/** What Folder → Empty / Delete act on: the folder with its counts, and which protected well-known folder it is, if any. */
export interface FolderTarget extends FolderInfo {
	/** The protected folder it is (a name of PROTECTED_FOLDERS in transport/ews/folders.ts or Graph's well-known names). */
	wellKnownName?: string;
	/** The mailbox the folder belongs to (a folder ID can point into another mailbox than the one asked). */
	ownerMailbox?: string;
}

export interface FolderChange {
	id: string;
	changeKey: string;
	displayName: string;
}

/** Move to Deleted Items, to Recoverable Items (soft), or purge (hard). */
export type DeleteMode = 'moveToDeletedItems' | 'soft' | 'hard';

// Messages --------------------------------------------------------------------------------------

export interface MessageFilter {
	unreadOnly?: boolean;
	from?: string;
	subjectContains?: string;
	receivedAfter?: string;
	receivedBefore?: string;
	hasAttachments?: boolean;
	/** A search text: AQS on EWS, KQL `$search` on Graph; neither API combines it with the other filters. */
	query?: string;
}

/** What moveMessages answers per message. */
export interface MovedMessage {
	id: string | null;
	/** The id no longer resolved (EWS): moved or deleted before; its new id is unknown. */
	alreadyMoved?: boolean;
}

/** What messageStates answers per message. */
export interface MessageState {
	/** The folder it is in, written as getFolder writes folder ids (not a well-known name). */
	parentFolderId: string;
	categories: string[];
	isRead: boolean;
}

export interface MessageUpdate {
	id: string;
	isRead?: boolean;
	categories?: string[];
	flag?: 'notFlagged' | 'flagged' | 'complete';
	importance?: 'low' | 'normal' | 'high';
}

export interface OutgoingAttachment {
	name: string;
	contentType: string;
	/** Bytes; known before the content is read. */
	size: number;
	/** A Buffer, or a stream (read once) of exactly `size` bytes that ends with an error if the file cannot be read. */
	content: MailContent;
	/** The same bytes from the start, for a request sent again (after a token refresh) when `content` is a stream. */
	reread?: () => MailContent;
	/** For inline images referenced as cid: in an HTML body. */
	contentId?: string;
}

export interface Recipients {
	to: MailAddress[];
	cc: MailAddress[];
	bcc: MailAddress[];
}

export type BodyFormat = 'text' | 'html';

export interface NewMessage extends Recipients {
	subject: string;
	bodyFormat: BodyFormat;
	body: string;
	replyTo: MailAddress[];
	importance?: 'low' | 'normal' | 'high';
	attachments: OutgoingAttachment[];
	/** Keep a copy in the mailbox's Sent Items, or send only. */
	saveToSentItems: boolean;
}

export type ResponseKind = 'reply' | 'replyAll' | 'forward';

export interface ResponseInput extends Recipients {
	kind: ResponseKind;
	/** Text put above the quoted original. */
	comment: string;
	commentFormat: BodyFormat;
	/** Replaces the default "RE:" / "FW:" subject when set. */
	subject?: string;
	attachments: OutgoingAttachment[];
	saveToSentItems: boolean;
}

export interface SentSummary {
	mailbox: string;
	subject: string;
	to: MailAddress[];
	cc: MailAddress[];
	bcc: MailAddress[];
	attachments: string[];
	savedToSentItems: boolean;
}

// Attachments -----------------------------------------------------------------------------------

export interface AttachmentRef {
	/** The message the attachment belongs to (Graph addresses attachments through it). */
	messageId: string;
	attachmentId: string;
	/** The size from the listing, if known. */
	size?: number;
}

export interface DownloadedAttachment {
	info: AttachmentInfo;
	fileName: string;
	mimeType: string;
	content: MailContent;
}

/**
 * Downloaded bytes: a Buffer, or (large content) a stream that fetches them only when read, so
 * content of many ids can be handed out at once and still be in memory one piece at a time. Read
 * each stream once, or destroy it; a failure while fetching ends it with a MailError (an outage or
 * a failure of that one id, as for a result). n8n's prepareBinaryData takes either.
 */
export type MailContent = Buffer | Readable;

/** Content of this size and larger is handed out as a stream (MailContent) by both APIs; smaller comes whole, in batched calls. */
export const STREAMED_CONTENT_FROM = 1024 * 1024;

/** All of `content` in one Buffer, for the paths that need it whole (small attachments inline in JSON or SOAP). */
export async function contentBytes(content: MailContent): Promise<Buffer> {
	if (Buffer.isBuffer(content)) return content;
	const chunks: Buffer[] = [];
	for await (const chunk of content as AsyncIterable<Buffer | string>) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
	return Buffer.concat(chunks);
}

// Ids and the change feed -----------------------------------------------------------------------

/** An id an item was given, and the field it came from. */
export interface IdUse {
	field: string;
	id: string;
}

/** Why an id is refused: it belongs to a mailbox outside Allowed Mailboxes, or the API could not place it (fail closed). */
export type IdRefusal = { use: IdUse; owner: string } | { use: IdUse; failure: MailFailure };

export interface ChangeOptions {
	/** At most this many changes in the page (the API may cap it lower). */
	maxChanges: number;
	/** Ask for each message's received time (first synchronisation and resynchronisation). */
	withReceivedTime?: boolean;
	/**
	 * The message shape the caller will emit. A back end whose feed can carry it (Graph's delta
	 * `$select`) hands it over on `ArrivedMessage.message`; EWS ignores it (its feed gives ids only).
	 * Pass the same shape on every call: a feed started for another shape carries none.
	 */
	shape?: { body: BodyChoice; headers: boolean };
}

export interface ArrivedMessage {
	id: string;
	/** Only when asked for. */
	receivedAt?: string;
	/** The message in the asked `shape`, when the feed carried it; else the caller fetches it. */
	message?: MessageShape;
}

export interface ChangePage {
	/** Messages that arrived in the folder since the cursor (moved-in ones count as arrived). */
	created: ArrivedMessage[];
	/** Changes of any kind in this page, created ones included (a page can be all updates). */
	changeCount: number;
	/** Opaque cursor after this page. */
	cursor: string;
	moreAvailable: boolean;
}
