import type * as Graph from '@microsoft/microsoft-graph-types';

import { type MailboxPolicy } from '../../auth/allowedMailboxes';
import type { AttachmentInfo, BodyChoice, MailAddress, MessageShape } from '../../mail/messageShape';
import { orderMessageFields } from '../../mail/messageShape';
import {
	contentBytes,
	MailError,
	WELL_KNOWN_FOLDERS,
	type AttachmentRef,
	type ChangeOptions,
	type ChangePage,
	type DeleteMode,
	type DownloadedAttachment,
	type FolderChange,
	type FolderInfo,
	type FolderRef,
	type FolderShape,
	type FolderTarget,
	type IdRefusal,
	type IdUse,
	type ItemResult,
	type MailContent,
	STREAMED_CONTENT_FROM,
	type MailStore,
	type MessageFilter,
	type MessageState,
	type MessageUpdate,
	type NewMessage,
	type OutgoingAttachment,
	type ResponseInput,
	type ResponseKind,
	type SentSummary,
} from '../../mail/store';
import { runBatch, type BatchItem } from './batch';
import type { GraphClient } from './client';
import { graphFailure } from './errors';

/** Graph lists at most 1000 messages per page. */
const PAGE_SIZE = 1000;
/**
 * The page a message delta asks for (Prefer: odata.maxpagesize). Graph does not document the
 * maximum for message delta; Microsoft states 200 as the cap of Outlook delta pages (contact delta,
 * like users and contacts in the directory), larger values are cut to it, and full message
 * payloads in bigger pages risk the gateway timeout (504) Graph documents for large pages. The
 * sandbox caps delta pages at the same value (test/sandbox/graph/delta.ts).
 */
export const DELTA_PAGE_SIZE = 200;
/**
 * Attachments below this size come whole inside $batch (base64 in JSON, 20 per call); larger ones
 * as raw bytes through `$value`, so a batch answer stays a few tens of MB at most.
 */
export const BATCHED_CONTENT_LIMIT = STREAMED_CONTENT_FROM;
const TEXT_BODY_PREFERENCE = 'outlook.body-content-type="text"';
/** Below this, an attachment goes inline in JSON (Graph: "under 3 MB"); from it on, through an upload session. */
export const INLINE_ATTACHMENT_LIMIT = 3 * 1024 * 1024;
/** Upload ranges: a multiple of 320 KiB under Graph's 4 MB per range. */
const UPLOAD_RANGE = 10 * 320 * 1024;
/** PR_DELETE_AFTER_SUBMIT: a draft sent with it leaves no copy in Sent Items (Graph's /send always saves otherwise). */
const DELETE_AFTER_SUBMIT = 'Boolean 0x0E01';

/** Well-known folders Folder → Empty / Delete protect (Graph's well-known names). */
const PROTECTED_FOLDERS = ['msgfolderroot', 'inbox', 'sentitems', 'deleteditems', 'drafts', 'junkemail', 'outbox', 'archive', 'clutter', 'conversationhistory', 'recoverableitemsdeletions', 'scheduled', 'searchfolders', 'syncissues', 'conflicts', 'localfailures', 'serverfailures'];

const MESSAGE_FIELDS = ['id', 'changeKey', 'subject', 'from', 'toRecipients', 'ccRecipients', 'bccRecipients', 'replyTo', 'receivedDateTime', 'sentDateTime', 'isRead', 'importance', 'categories', 'flag', 'hasAttachments', 'conversationId', 'internetMessageId'];
const FOLDER_FIELDS = 'id,displayName,parentFolderId,totalItemCount,unreadItemCount,childFolderCount';
const ATTACHMENT_FIELDS = 'id,name,contentType,size,isInline';

type GraphList<T> = { value?: T[]; '@odata.nextLink'?: string; '@odata.deltaLink'?: string };

const enc = encodeURIComponent;

/** "/" inside a display name is written "\/" in a path (and "\" as "\\"), as on EWS. */
function pathSegment(displayName: string): string {
	return displayName.replace(/\\/g, '\\\\').replace(/\//g, '\\/');
}

/** The names of a path, unescaped; undefined when a name is empty. */
function pathNames(path: string): string[] | undefined {
	const names = (path.match(/(?:\\.|[^/])+|(?<=^|\/)(?=\/|$)/g) ?? []).map((name) => name.replace(/\\(.)/g, '$1').trim());
	return names.length > 0 && names.every(Boolean) ? names : undefined;
}

function address(recipient: Graph.Recipient | null | undefined): MailAddress | null {
	const email = recipient?.emailAddress;
	if (!email?.address && !email?.name) return null;
	return { name: email.name ?? '', address: email.address ?? '' };
}

const addresses = (list: Graph.Recipient[] | null | undefined): MailAddress[] => (list ?? []).map(address).filter((entry): entry is MailAddress => entry !== null);
const recipients = (list: MailAddress[]): Graph.Recipient[] => list.map((entry) => ({ emailAddress: { address: entry.address, ...(entry.name ? { name: entry.name } : {}) } }));

function attachmentInfo(attachment: Graph.Attachment & { contentId?: string | null }): AttachmentInfo {
	return {
		id: attachment.id ?? '',
		name: attachment.name ?? '',
		contentType: attachment.contentType ?? 'application/octet-stream',
		size: attachment.size ?? 0,
		isInline: attachment.isInline === true,
		...(attachment.contentId ? { contentId: attachment.contentId } : {}),
	};
}

/** A Graph message in the documented shape (mail/messageShape.ts), as the EWS back end gives it. */
export function toMessageShape(message: Graph.Message, body: BodyChoice, textBody?: string): MessageShape {
	const flagStatus = message.flag?.flagStatus;
	const shape: MessageShape = {
		subject: message.subject ?? '',
		from: address(message.from),
		to: addresses(message.toRecipients),
		cc: addresses(message.ccRecipients),
		bcc: addresses(message.bccRecipients),
		replyTo: addresses(message.replyTo),
		receivedAt: message.receivedDateTime ? isoUtc(message.receivedDateTime) : null,
		sentAt: message.sentDateTime ? isoUtc(message.sentDateTime) : null,
		isRead: message.isRead === true,
		importance: message.importance === 'low' || message.importance === 'high' ? message.importance : 'normal',
		categories: message.categories ?? [],
		flag: {
			status: flagStatus === 'flagged' || flagStatus === 'complete' ? flagStatus : 'notFlagged',
			startDate: message.flag?.startDateTime?.dateTime ? isoUtc(message.flag.startDateTime.dateTime) : null,
			dueDate: message.flag?.dueDateTime?.dateTime ? isoUtc(message.flag.dueDateTime.dateTime) : null,
		},
		hasAttachments: message.hasAttachments === true,
		attachments: (message.attachments ?? []).map(attachmentInfo),
		id: message.id ?? '',
		changeKey: message.changeKey ?? '',
		conversationId: message.conversationId ?? null,
		internetMessageId: message.internetMessageId ?? null,
	};
	if (body !== 'none' && message.body) {
		// A plain-text message asked for as HTML has no HTML body: its text is given, as on EWS.
		if (message.body.contentType === 'html') shape.bodyHtml = message.body.content ?? '';
		else shape.bodyText = message.body.content ?? '';
	}
	if (textBody !== undefined) shape.bodyText = textBody;
	if (message.internetMessageHeaders) {
		const headers: Record<string, string> = {};
		for (const header of message.internetMessageHeaders) {
			const name = (header.name ?? '').trim();
			if (!name) continue;
			headers[name] = Object.hasOwn(headers, name) ? `${headers[name]}\n${header.value ?? ''}` : (header.value ?? '');
		}
		shape.internetHeaders = headers;
	}
	return orderMessageFields(shape);
}

/** Graph's dateTimeTimeZone in UTC ("2026-12-01T10:00:00.0000000") as ISO 8601. */
function isoUtc(value: string): string | null {
	const date = new Date(/[zZ]|[+-]\d\d:\d\d$/.test(value) ? value : `${value}Z`);
	return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

const quote = (value: string) => `'${value.replace(/'/g, "''")}'`;

/**
 * The mailbox over Microsoft Graph v1.0. Every request addresses `/users/{mailbox}`, so Graph acts
 * only in the mailbox the node names (already checked against Allowed Mailboxes): an id of another
 * mailbox is refused by Graph (ErrorInvalidMailboxItemId / ErrorItemNotFound), never acted on
 * elsewhere. Many items go out as `$batch` calls of 20.
 */
export class GraphMailStore implements MailStore {
	readonly api = 'graph' as const;

	constructor(private readonly client: GraphClient) {}

	private base(mailbox: string): string {
		return `/users/${enc(mailbox)}`;
	}

	private async get<T>(mailbox: string, url: string, headers?: Record<string, string>): Promise<T> {
		return (await this.client.request<T>(mailbox, { method: 'GET', url, headers }, { idempotent: true })).body;
	}

	private async call<T>(mailbox: string, method: 'POST' | 'PATCH' | 'DELETE', url: string, json: unknown, idempotent: boolean): Promise<T> {
		return (await this.client.request<T>(mailbox, { method, url, ...(json !== undefined ? { body: { json } } : {}) }, { idempotent })).body;
	}

	/** Every page of a list, following nextLink (checked by the client to stay on the Graph host). */
	private async all<T>(mailbox: string, url: string, limit = Infinity, headers?: Record<string, string>): Promise<T[]> {
		const values: T[] = [];
		for (let next: string | undefined = url; next && values.length < limit; ) {
			const page: GraphList<T> = await this.get<GraphList<T>>(mailbox, next, headers);
			values.push(...(page.value ?? []));
			next = page['@odata.nextLink'];
		}
		return values.slice(0, limit);
	}

	private fail(mailbox: string, code: string, message: string): never {
		throw new MailError(this.client.withContext(graphFailure({ code, message }), mailbox));
	}

	// Folders ---------------------------------------------------------------------------------------

	private folderUrl(mailbox: string, id: string): string {
		return `${this.base(mailbox)}/mailFolders/${enc(id)}`;
	}

	private wellKnownId(mailbox: string, name: string): string {
		if (name === 'archiveinbox') {
			this.fail(mailbox, 'GraphNoArchiveMailbox', `"${WELL_KNOWN_FOLDERS.archiveinbox}" is a folder of the online archive, which Microsoft Graph does not reach`);
		}
		return name;
	}

	private async folderById(mailbox: string, id: string): Promise<Graph.MailFolder> {
		return await this.get<Graph.MailFolder>(mailbox, `${this.folderUrl(mailbox, id)}?$select=${FOLDER_FIELDS}`);
	}

	/** The child of `parentId` with this display name: one filtered listing (Exchange compares names case-insensitively). */
	private async childNamed(mailbox: string, parentId: string, name: string): Promise<Graph.MailFolder | undefined> {
		const filter = enc(`displayName eq ${quote(name)}`);
		const matches = await this.all<Graph.MailFolder>(mailbox, `${this.folderUrl(mailbox, parentId)}/childFolders?$filter=${filter}&$select=${FOLDER_FIELDS}&includeHiddenFolders=true`);
		return matches.find((folder) => (folder.displayName ?? '').toLowerCase() === name.toLowerCase());
	}

	/** The folder a reference points at. A path costs one listing per level (the first may be a well-known name). */
	private async folderOf(mailbox: string, ref: FolderRef): Promise<Graph.MailFolder> {
		if ('wellKnown' in ref) return await this.folderById(mailbox, this.wellKnownId(mailbox, ref.wellKnown));
		if ('id' in ref) return await this.folderById(mailbox, ref.id);
		const names = pathNames(ref.path);
		if (!names) this.fail(mailbox, 'ErrorInvalidRequest', `The folder path "${ref.path}" has an empty folder name`);
		let [first, ...rest] = names;
		let current = await this.childNamed(mailbox, 'msgfolderroot', first);
		if (!current && Object.hasOwn(WELL_KNOWN_FOLDERS, first.toLowerCase())) current = await this.folderById(mailbox, this.wellKnownId(mailbox, first.toLowerCase()));
		for (;;) {
			if (!current?.id) this.fail(mailbox, 'ErrorFolderNotFound', `No folder "${first}" in the path "${ref.path}"`);
			if (rest.length === 0) return current;
			[first, ...rest] = rest;
			current = await this.childNamed(mailbox, current.id, first);
		}
	}

	private info(folder: Graph.MailFolder): Omit<FolderShape, 'path'> {
		return {
			id: folder.id ?? '',
			changeKey: '',
			displayName: folder.displayName ?? '',
			parentId: folder.parentFolderId ?? null,
			totalCount: folder.totalItemCount ?? 0,
			unreadCount: folder.unreadItemCount ?? 0,
			childFolderCount: folder.childFolderCount ?? 0,
		};
	}

	async resolveFolderId(mailbox: string, ref: FolderRef): Promise<string> {
		return (await this.folderOf(mailbox, ref)).id ?? '';
	}

	async listFolders(mailbox: string, root: FolderRef, deep: boolean): Promise<FolderShape[]> {
		const rootId = await this.resolveFolderId(mailbox, root);
		const folders: FolderShape[] = [];
		const queue: Array<{ id: string; path: string }> = [{ id: rootId, path: '' }];
		while (queue.length > 0) {
			const parent = queue.shift() as { id: string; path: string };
			const children = await this.all<Graph.MailFolder>(mailbox, `${this.folderUrl(mailbox, parent.id)}/childFolders?$select=${FOLDER_FIELDS}&$top=250`);
			for (const child of children) {
				const path = parent.path ? `${parent.path}/${pathSegment(child.displayName ?? '')}` : pathSegment(child.displayName ?? '');
				folders.push({ ...this.info(child), path });
				if (deep && (child.childFolderCount ?? 0) > 0 && child.id) queue.push({ id: child.id, path });
			}
		}
		return folders;
	}

	async getFolder(mailbox: string, ref: FolderRef): Promise<FolderInfo> {
		const folder = await this.folderOf(mailbox, ref);
		return { ...this.info(folder), ...('path' in ref ? { path: ref.path } : {}) };
	}

	async inspectFolder(mailbox: string, ref: FolderRef): Promise<FolderTarget> {
		const folder = await this.getFolder(mailbox, ref);
		// Which protected folder it is, however it was reached: one $batch of the well-known names' ids.
		const known = await runBatch<Graph.MailFolder>(this.client, mailbox, PROTECTED_FOLDERS.map((name) => ({ method: 'GET', url: `${this.folderUrl(mailbox, name)}?$select=id` })), { idempotent: true });
		const index = known.findIndex((result) => result.ok && result.value.id === folder.id);
		return { ...folder, ...(index >= 0 ? { wellKnownName: PROTECTED_FOLDERS[index] } : {}), ownerMailbox: mailbox };
	}

	async createFolder(mailbox: string, parent: FolderRef, displayName: string): Promise<FolderChange> {
		const parentId = await this.resolveFolderId(mailbox, parent);
		const created = await this.call<Graph.MailFolder>(mailbox, 'POST', `${this.folderUrl(mailbox, parentId)}/childFolders`, { displayName }, false);
		return { id: created.id ?? '', changeKey: '', displayName: created.displayName ?? displayName };
	}

	async renameFolder(mailbox: string, ref: FolderRef, displayName: string): Promise<FolderChange> {
		const id = await this.resolveFolderId(mailbox, ref);
		const renamed = await this.call<Graph.MailFolder>(mailbox, 'PATCH', this.folderUrl(mailbox, id), { displayName }, true);
		return { id: renamed.id ?? id, changeKey: '', displayName: renamed.displayName ?? displayName };
	}

	/**
	 * DELETE moves a folder to Deleted Items (its id stays: folder ids are constant); soft and hard
	 * delete it for good with permanentDelete (Graph has no recoverable delete of a folder).
	 */
	async deleteFolder(mailbox: string, ref: FolderRef, mode: DeleteMode): Promise<{ id: string | null }> {
		const id = await this.resolveFolderId(mailbox, ref);
		if (mode === 'moveToDeletedItems') {
			await this.call(mailbox, 'DELETE', this.folderUrl(mailbox, id), undefined, true);
			return { id };
		}
		await this.call(mailbox, 'POST', `${this.folderUrl(mailbox, id)}/permanentDelete`, undefined, true);
		return { id: null };
	}

	async emptyFolder(mailbox: string, ref: FolderRef, mode: DeleteMode, deleteSubFolders: boolean): Promise<{ id: string | null }> {
		const id = await this.resolveFolderId(mailbox, ref);
		const ids = await this.findMessageIds(mailbox, { id }, {});
		const results = await this.deleteMessages(mailbox, ids, mode);
		const failed = results.find((result) => !result.ok);
		if (failed && !failed.ok) throw new MailError(failed.failure);
		if (deleteSubFolders) {
			const children = await this.all<Graph.MailFolder>(mailbox, `${this.folderUrl(mailbox, id)}/childFolders?$select=id&$top=250`);
			for (const child of children) if (child.id) await this.deleteFolder(mailbox, { id: child.id }, mode);
		}
		return { id };
	}

	// Messages --------------------------------------------------------------------------------------

	private messageUrl(mailbox: string, id: string): string {
		return `${this.base(mailbox)}/messages/${enc(id)}`;
	}

	async findMessageIds(mailbox: string, folder: FolderRef, filter: MessageFilter, limit?: number): Promise<string[]> {
		const folderId = await this.resolveFolderId(mailbox, folder);
		// Graph's $top is 1..1000.
		if (limit !== undefined && limit < 1) return [];
		const top = Math.min(limit ?? PAGE_SIZE, PAGE_SIZE);
		const params = [`$select=id`, `$top=${top}`];
		if (filter.query) {
			const others = (['unreadOnly', 'from', 'subjectContains', 'receivedAfter', 'receivedBefore', 'hasAttachments'] as const).filter((key) => filter[key] !== undefined && filter[key] !== false && filter[key] !== '');
			if (others.length > 0) this.fail(mailbox, 'ErrorInvalidRequest', `A search cannot be combined with other filters on Microsoft Graph (${others.join(', ')}): use either the search or the filters`);
			// KQL search: Graph sorts the results by date itself and refuses $orderby with it.
			params.push(`$search=${enc(`"${filter.query.replace(/"/g, '\\"')}"`)}`);
		} else {
			// Graph's ordering rule: the $orderby property comes first in $filter (else InefficientFilter).
			const clauses = [`receivedDateTime ge ${filter.receivedAfter ? new Date(filter.receivedAfter).toISOString() : '1900-01-01T00:00:00Z'}`];
			if (filter.receivedBefore) clauses.push(`receivedDateTime lt ${new Date(filter.receivedBefore).toISOString()}`);
			if (filter.unreadOnly) clauses.push('isRead eq false');
			if (filter.hasAttachments !== undefined) clauses.push(`hasAttachments eq ${filter.hasAttachments}`);
			if (filter.from) clauses.push(`from/emailAddress/address eq ${quote(filter.from)}`);
			if (filter.subjectContains) clauses.push(`contains(subject,${quote(filter.subjectContains)})`);
			params.push(`$filter=${enc(clauses.join(' and '))}`, `$orderby=${enc('receivedDateTime desc')}`);
		}
		const messages = await this.all<Graph.Message>(mailbox, `${this.folderUrl(mailbox, folderId)}/messages?${params.join('&')}`, limit ?? Infinity);
		return messages.map((message) => message.id ?? '');
	}

	async getMessages(mailbox: string, ids: string[], options: { body: BodyChoice; headers?: boolean }): Promise<Array<ItemResult<MessageShape>>> {
		const items: BatchItem[] = ids.map((id) => ({ method: 'GET', url: `${this.messageUrl(mailbox, id)}?${shapeQuery(options)}`, ...preferFor(options.body) }));
		const results = await runBatch<Graph.Message>(this.client, mailbox, items, { idempotent: true });
		return await this.shapesOf(mailbox, ids, results, options.body);
	}

	/**
	 * Messages read with shapeQuery as the documented shape: the Content-IDs of inline attachments
	 * added, and with both bodies the text one read in a second request per message (the body comes
	 * in one content type per request), in $batch calls of 20.
	 */
	private async shapesOf(mailbox: string, ids: string[], read: Array<ItemResult<Graph.Message>>, body: BodyChoice): Promise<Array<ItemResult<MessageShape>>> {
		const listed = ids.flatMap((id, index) => {
			const result = read[index];
			return result.ok ? (result.value.attachments ?? []).map((attachment) => ({ messageId: id, attachment })) : [];
		});
		await this.addContentIds(mailbox, listed);
		const texts = body === 'both' ? await runBatch<Graph.Message>(this.client, mailbox, ids.map((id): BatchItem => ({ method: 'GET', url: `${this.messageUrl(mailbox, id)}?$select=body`, ...preferFor('text') })), { idempotent: true }) : [];
		return ids.map((_, index): ItemResult<MessageShape> => {
			const message = read[index];
			if (!message.ok) return message;
			const text = texts[index];
			if (text && !text.ok) return text;
			return { ok: true, value: toMessageShape(message.value, body, text?.ok ? (text.value.body?.content ?? '') : undefined) };
		});
	}

	/** Each .eml as a stream from `$value`, fetched when read (bytes: $batch would hand them back as base64 in JSON). */
	async getMimes(mailbox: string, ids: string[]): Promise<Array<ItemResult<MailContent>>> {
		return ids.map((id) => ({ ok: true, value: this.client.stream(mailbox, `${this.messageUrl(mailbox, id)}/$value`, { idempotent: true }) }));
	}

	private async moveOrCopy(mailbox: string, ids: string[], target: FolderRef, action: 'move' | 'copy'): Promise<Array<ItemResult<{ id: string | null }>>> {
		const destinationId = await this.resolveFolderId(mailbox, target);
		const items: BatchItem[] = ids.map((id) => ({ method: 'POST', url: `${this.messageUrl(mailbox, id)}/${action}`, body: { destinationId }, key: id }));
		// A move by immutable id is safe to repeat (the id stays); a copy is not (a second copy).
		const results = await runBatch<Graph.Message>(this.client, mailbox, items, { idempotent: action === 'move' });
		return results.map((result) => (result.ok ? { ok: true, value: { id: result.value?.id ?? null } } : result));
	}

	async moveMessages(mailbox: string, ids: string[], target: FolderRef) {
		return await this.moveOrCopy(mailbox, ids, target, 'move');
	}

	async copyMessages(mailbox: string, ids: string[], target: FolderRef) {
		return await this.moveOrCopy(mailbox, ids, target, 'copy');
	}

	/** To Deleted Items (DELETE), soft (a move to Recoverable Items, where the user can still recover it) or hard (permanentDelete: purged). */
	async deleteMessages(mailbox: string, ids: string[], mode: DeleteMode): Promise<Array<ItemResult<null>>> {
		const items: BatchItem[] = ids.map((id) =>
			mode === 'moveToDeletedItems'
				? { method: 'DELETE', url: this.messageUrl(mailbox, id), key: id }
				: mode === 'soft'
					? { method: 'POST', url: `${this.messageUrl(mailbox, id)}/move`, body: { destinationId: 'recoverableitemsdeletions' }, key: id }
					: { method: 'POST', url: `${this.messageUrl(mailbox, id)}/permanentDelete`, key: id },
		);
		const results = await runBatch(this.client, mailbox, items, { idempotent: true });
		return results.map((result) => (result.ok ? { ok: true, value: null } : result));
	}

	async messageStates(mailbox: string, ids: string[]): Promise<Array<ItemResult<MessageState>>> {
		const items: BatchItem[] = ids.map((id) => ({ method: 'GET', url: `${this.messageUrl(mailbox, id)}?$select=id,parentFolderId,categories,isRead` }));
		const results = await runBatch<Graph.Message>(this.client, mailbox, items, { idempotent: true });
		return results.map((result) => (result.ok ? { ok: true, value: { parentFolderId: result.value?.parentFolderId ?? '', categories: result.value?.categories ?? [], isRead: result.value?.isRead === true } } : result));
	}

	async updateMessages(mailbox: string, updates: MessageUpdate[]): Promise<Array<ItemResult<{ changeKey: string }>>> {
		const items: BatchItem[] = updates.map((update) => {
			const body: Graph.Message = {};
			if (update.isRead !== undefined) body.isRead = update.isRead;
			if (update.categories !== undefined) body.categories = update.categories;
			if (update.importance !== undefined) body.importance = update.importance;
			if (update.flag !== undefined) body.flag = { flagStatus: update.flag };
			// Two updates of one message in a call run in order (last writer wins).
			return { method: 'PATCH', url: `${this.messageUrl(mailbox, update.id)}?$select=id,changeKey`, body, key: update.id };
		});
		const results = await runBatch<Graph.Message>(this.client, mailbox, items, { idempotent: true });
		return results.map((result) => (result.ok ? { ok: true, value: { changeKey: result.value?.changeKey ?? '' } } : result));
	}

	private graphMessage(input: Pick<NewMessage, 'subject' | 'bodyFormat' | 'body' | 'to' | 'cc' | 'bcc' | 'replyTo' | 'importance'>, from?: string): Graph.Message {
		return {
			subject: input.subject,
			body: { contentType: input.bodyFormat === 'html' ? 'html' : 'text', content: input.body },
			toRecipients: recipients(input.to),
			ccRecipients: recipients(input.cc),
			bccRecipients: recipients(input.bcc),
			...(input.replyTo.length ? { replyTo: recipients(input.replyTo) } : {}),
			...(input.importance ? { importance: input.importance } : {}),
			...(from ? { from: { emailAddress: { address: from } } } : {}),
		};
	}

	/**
	 * sendMail when every attachment fits inline; else a draft, its attachments (large ones through an
	 * upload session, up to 150 MB), then send. Nothing is repeated after an unclear failure.
	 */
	async sendMessage(mailbox: string, input: NewMessage, options: { asDelegate: boolean }): Promise<SentSummary> {
		const message = this.graphMessage(input, options.asDelegate ? mailbox : undefined);
		const large = input.attachments.some((attachment) => attachment.size >= INLINE_ATTACHMENT_LIMIT);
		if (!large) {
			message.attachments = [];
			// Each under 3 MB: read whole, one after the other, before anything is sent.
			for (const attachment of input.attachments) message.attachments.push(await fileAttachment(attachment));
			await this.call(mailbox, 'POST', `${this.base(mailbox)}/sendMail`, { message, saveToSentItems: input.saveToSentItems }, false);
		} else {
			if (!input.saveToSentItems) message.singleValueExtendedProperties = [{ id: DELETE_AFTER_SUBMIT, value: 'true' }];
			const draft = await this.call<Graph.Message>(mailbox, 'POST', `${this.base(mailbox)}/messages`, message, false);
			await this.sendDraft(mailbox, draft.id ?? '', input.attachments);
		}
		return summary(mailbox, input, input.subject);
	}

	/** Attaches to a draft and sends it; a draft left by a failure before the send is deleted (best effort). */
	private async sendDraft(mailbox: string, draftId: string, attachments: OutgoingAttachment[]): Promise<void> {
		try {
			for (const attachment of attachments) await this.attach(mailbox, draftId, attachment);
		} catch (error) {
			await this.call(mailbox, 'DELETE', this.messageUrl(mailbox, draftId), undefined, true).catch(() => undefined);
			throw error;
		}
		await this.call(mailbox, 'POST', `${this.messageUrl(mailbox, draftId)}/send`, undefined, false);
	}

	private async attach(mailbox: string, draftId: string, attachment: OutgoingAttachment): Promise<void> {
		if (attachment.size < INLINE_ATTACHMENT_LIMIT) {
			await this.call(mailbox, 'POST', `${this.messageUrl(mailbox, draftId)}/attachments`, await fileAttachment(attachment), false);
			return;
		}
		const session = await this.call<Graph.UploadSession>(
			mailbox,
			'POST',
			`${this.messageUrl(mailbox, draftId)}/attachments/createUploadSession`,
			{ AttachmentItem: { attachmentType: 'file', name: attachment.name, size: attachment.size, ...(attachment.contentId ? { isInline: true, contentId: attachment.contentId } : {}) } },
			false,
		);
		if (!session.uploadUrl) this.fail(mailbox, 'GraphUnreadableAnswer', 'createUploadSession answered without an uploadUrl');
		// One range in memory at a time, read from the content as it is uploaded.
		const mismatch = (held: string) => new Error(`The attachment "${attachment.name}" does not hold the ${attachment.size} bytes announced to the upload session: it holds ${held}`);
		let start = 0;
		for await (const range of uploadRanges(attachment.content, UPLOAD_RANGE)) {
			if (start + range.length > attachment.size) throw mismatch('more');
			await this.client.uploadRange(mailbox, session.uploadUrl, range, start, attachment.size);
			start += range.length;
		}
		if (start !== attachment.size) throw mismatch(String(start));
	}

	/** createReply / createReplyAll / createForward with the comment, our changes, attachments, then send. */
	async respondToMessage(mailbox: string, messageId: string, input: ResponseInput): Promise<SentSummary & { kind: ResponseKind; respondedTo: string }> {
		const action = { reply: 'createReply', replyAll: 'createReplyAll', forward: 'createForward' }[input.kind];
		const draft = await this.call<Graph.Message>(mailbox, 'POST', `${this.messageUrl(mailbox, messageId)}/${action}`, input.comment ? { comment: input.comment } : {}, false);
		const draftId = draft.id ?? '';
		const changes: Graph.Message = {};
		if (input.subject) changes.subject = input.subject;
		// Added to the recipients Exchange put on the response, as on EWS.
		if (input.to.length) changes.toRecipients = [...(draft.toRecipients ?? []), ...recipients(input.to)];
		if (input.cc.length) changes.ccRecipients = [...(draft.ccRecipients ?? []), ...recipients(input.cc)];
		if (input.bcc.length) changes.bccRecipients = [...(draft.bccRecipients ?? []), ...recipients(input.bcc)];
		if (!input.saveToSentItems) changes.singleValueExtendedProperties = [{ id: DELETE_AFTER_SUBMIT, value: 'true' }];
		if (Object.keys(changes).length > 0) await this.call(mailbox, 'PATCH', this.messageUrl(mailbox, draftId), changes, true);
		await this.sendDraft(mailbox, draftId, input.attachments);
		return { ...summary(mailbox, input, input.subject ?? ''), kind: input.kind, respondedTo: messageId };
	}

	// Attachments -------------------------------------------------------------------------------------

	async listAttachments(mailbox: string, messageId: string): Promise<AttachmentInfo[]> {
		const attachments = await this.all<Graph.Attachment>(mailbox, `${this.messageUrl(mailbox, messageId)}/attachments?$select=${ATTACHMENT_FIELDS}`);
		await this.addContentIds(mailbox, attachments.map((attachment) => ({ messageId, attachment })));
		return attachments.map(attachmentInfo);
	}

	/**
	 * The Content-ID of inline attachments (what cid: references in an HTML body name). It is a
	 * property of fileAttachment, which `$select` on the attachment list cannot name: inline ones are
	 * read whole (usually small images), in $batch calls of 20; a failure leaves the id out.
	 */
	private async addContentIds(mailbox: string, entries: Array<{ messageId: string; attachment: Graph.Attachment & { contentId?: string | null } }>): Promise<void> {
		const inline = entries.filter(({ attachment }) => attachment.isInline === true && attachment.id);
		if (inline.length === 0) return;
		const full = await runBatch<Graph.FileAttachment>(this.client, mailbox, inline.map(({ messageId, attachment }) => ({ method: 'GET', url: `${this.messageUrl(mailbox, messageId)}/attachments/${enc(attachment.id as string)}` })), { idempotent: true });
		inline.forEach(({ attachment }, index) => {
			const result = full[index];
			if (result.ok && result.value.contentId) attachment.contentId = result.value.contentId;
		});
	}

	/**
	 * In $batch calls of 20: a file attachment under BATCHED_CONTENT_LIMIT (its listed size) comes
	 * whole, its bytes as contentBytes; a larger one, or one of unknown size, only as metadata, and its
	 * bytes then through `$value` (raw, not base64 in JSON) as a stream fetched when read, as an
	 * attached message comes as .eml.
	 */
	async downloadAttachments(mailbox: string, attachments: AttachmentRef[]): Promise<Array<ItemResult<DownloadedAttachment>>> {
		const url = (ref: AttachmentRef) => `${this.messageUrl(mailbox, ref.messageId)}/attachments/${enc(ref.attachmentId)}`;
		const whole = (ref: AttachmentRef) => ref.size !== undefined && ref.size < BATCHED_CONTENT_LIMIT;
		const read = await runBatch<Graph.FileAttachment & { '@odata.type'?: string }>(
			this.client,
			mailbox,
			attachments.map((ref) => ({ method: 'GET', url: whole(ref) ? url(ref) : `${url(ref)}?$select=${ATTACHMENT_FIELDS}` })),
			{ idempotent: true },
		);
		return attachments.map((ref, index): ItemResult<DownloadedAttachment> => {
				const meta = read[index];
				if (!meta.ok) return meta;
				const info = attachmentInfo(meta.value);
				const isItem = /itemAttachment$/i.test(meta.value['@odata.type'] ?? '');
				const base = safeFileName(info.name, isItem ? 'message' : 'attachment');
				if (!isItem && typeof meta.value.contentBytes === 'string') return { ok: true, value: { info, fileName: base, mimeType: info.contentType, content: Buffer.from(meta.value.contentBytes, 'base64') } };
				const content = this.client.stream(mailbox, `${url(ref)}/$value`, { idempotent: true });
				return {
					ok: true,
					value: isItem
						? { info, fileName: /\.eml$/i.test(base) ? base : `${base}.eml`, mimeType: 'message/rfc822', content }
						: { info, fileName: base, mimeType: info.contentType, content },
				};
			});
	}

	// Ids and the change feed -------------------------------------------------------------------------

	/**
	 * Nothing to refuse ahead: every Graph request names the mailbox in its URL (/users/{mailbox}),
	 * and that mailbox has passed Allowed Mailboxes. Graph resolves an id only inside that mailbox and
	 * refuses one of another mailbox (ErrorInvalidMailboxItemId), so a foreign id is never acted on.
	 */
	async refusedIds(_mailbox: string, _policy: MailboxPolicy, uses: IdUse[][]): Promise<Array<IdRefusal | undefined>> {
		return uses.map(() => undefined);
	}

	/**
	 * The folder's message delta (changeType=created: arrivals, moved-in ones included), in pages of
	 * up to DELTA_PAGE_SIZE (never more than the caller's budget, so the cursor covers exactly what
	 * was returned). With `shape`, the first request selects what the trigger emits (the fields,
	 * the body, the headers, the attachment list) so the messages come with the feed; Graph keeps
	 * query options in its links, so the cursor records which shape its link carries, and a caller
	 * asking for another one gets ids only (and fetches). Without `shape` the feed selects the least
	 * (fast-forward, start window, resynchronisation).
	 *
	 * The cursor wraps the nextLink (more in this round) or the deltaLink (round complete) with the
	 * mailbox and folder it belongs to: Graph's links name the user in forms of its own (an object
	 * id, an OData key), so a saved cursor is checked against what it was made for, never taken into
	 * another mailbox; the link itself must still be on the Graph host (GraphClient.resolve).
	 */
	async changes(mailbox: string, folderId: string, cursor: string | undefined, options: ChangeOptions): Promise<ChangePage> {
		let saved: DeltaCursor;
		if (cursor) {
			const read = readCursor(cursor);
			// Not a Graph cursor of this folder (an EWS SyncState saved before the credential moved to
			// Graph, or another folder's): never followed; the trigger resynchronises, skipping what it emitted.
			if (!read || read.mailbox.toLowerCase() !== mailbox.toLowerCase() || read.folderId !== folderId) {
				this.fail(mailbox, 'GraphCursorNotForThisFolder', `The saved change-feed cursor is not a Graph cursor of folder ${folderId} in ${mailbox}; it was not followed`);
			}
			saved = read;
		} else {
			const carried = options.shape ? shapeKey(options.shape) : '';
			const query = [`changeType=created`, options.shape ? shapeQuery(options.shape) : `$select=${options.withReceivedTime ? 'id,receivedDateTime' : 'id'}`];
			saved = { mailbox, folderId, link: `${this.folderUrl(mailbox, folderId)}/messages/delta?${query.join('&')}`, carries: carried };
		}
		const carriedShape = parseShapeKey(saved.carries);
		const pageSize = Math.max(1, Math.min(DELTA_PAGE_SIZE, Math.floor(options.maxChanges)));
		const prefer = [`odata.maxpagesize=${pageSize}`, ...(carriedShape?.body === 'text' ? [TEXT_BODY_PREFERENCE] : [])].join(', ');
		const page = await this.get<GraphList<Graph.Message & { '@removed'?: unknown }>>(mailbox, saved.link, { Prefer: prefer });
		const entries = page.value ?? [];
		const arrived = entries.filter((entry): entry is Graph.Message & { id: string } => entry['@removed'] === undefined && Boolean(entry.id));
		const usable = carriedShape && options.shape && shapeKey(options.shape) === saved.carries ? carriedShape : undefined;
		const shapes = usable ? await this.shapesOf(mailbox, arrived.map((entry) => entry.id), arrived.map((value) => ({ ok: true, value })), usable.body) : [];
		const created = arrived.map((entry, index) => {
			const shape = shapes[index];
			return {
				id: entry.id,
				...(entry.receivedDateTime && (options.withReceivedTime || usable) ? { receivedAt: entry.receivedDateTime } : {}),
				...(shape?.ok ? { message: shape.value } : {}),
			};
		});
		const next = page['@odata.nextLink'] ?? page['@odata.deltaLink'];
		if (!next) this.fail(mailbox, 'GraphUnreadableAnswer', 'the delta answer has neither a nextLink nor a deltaLink');
		const more = page['@odata.nextLink'] !== undefined;
		return {
			created,
			changeCount: entries.length,
			cursor: writeCursor({ mailbox, folderId, link: next, carries: saved.carries }),
			moreAvailable: more,
		};
	}
}

/** The $select and $expand of a message read in the trigger's shape: the attachment list comes along, as the EWS shape lists attachments. */
function shapeQuery(shape: { body: BodyChoice; headers?: boolean }): string {
	const fields = [...MESSAGE_FIELDS, ...(shape.body !== 'none' ? ['body'] : []), ...(shape.headers ? ['internetMessageHeaders'] : [])];
	return `$select=${fields.join(',')}&$expand=${enc(`attachments($select=${ATTACHMENT_FIELDS})`)}`;
}

/** The body preference of a read: the text body only on request; both bodies read the HTML one first. */
function preferFor(body: BodyChoice): { headers?: Record<string, string> } {
	return body === 'text' ? { headers: { Prefer: TEXT_BODY_PREFERENCE } } : {};
}

const BODY_CHOICES: BodyChoice[] = ['none', 'text', 'html', 'both'];
const shapeKey = (shape: { body: BodyChoice; headers: boolean }) => `${shape.body}${shape.headers ? '+headers' : ''}`;

function parseShapeKey(key: string): { body: BodyChoice; headers: boolean } | undefined {
	const match = /^(none|text|html|both)(\+headers)?$/.exec(key);
	return match && BODY_CHOICES.includes(match[1] as BodyChoice) ? { body: match[1] as BodyChoice, headers: match[2] !== undefined } : undefined;
}

interface DeltaCursor {
	mailbox: string;
	folderId: string;
	link: string;
	/** The shape the link selects (shapeKey), '' when it selects ids only (or the cursor predates carried shapes). */
	carries: string;
	/** Messages a filtered first round returned so far (until its deltaLink). */
}

const CURSOR_PREFIX = 'graph-delta:';

function writeCursor(cursor: DeltaCursor): string {
	const fields = [cursor.mailbox, cursor.folderId, cursor.link, cursor.carries];
	return `${CURSOR_PREFIX}${Buffer.from(JSON.stringify(fields)).toString('base64url')}`;
}

function readCursor(cursor: string): DeltaCursor | undefined {
	if (!cursor.startsWith(CURSOR_PREFIX)) return undefined;
	try {
		const [mailbox, folderId, link, carries = ''] = JSON.parse(Buffer.from(cursor.slice(CURSOR_PREFIX.length), 'base64url').toString('utf8')) as unknown[];
		if (typeof mailbox !== 'string' || typeof folderId !== 'string' || typeof link !== 'string' || typeof carries !== 'string') return undefined;
		return { mailbox, folderId, link, carries };
	} catch {
		return undefined;
	}
}

/**
 * `content` in pieces of exactly `size` bytes (the last one may be shorter), with one piece in
 * memory at a time; the stream is read only as the pieces are taken.
 */
export async function* uploadRanges(content: MailContent, size: number): AsyncGenerator<Buffer> {
	if (Buffer.isBuffer(content)) {
		for (let start = 0; start < content.length; start += size) yield content.subarray(start, start + size);
		return;
	}
	let pending: Buffer[] = [];
	let pendingBytes = 0;
	for await (const chunk of content as AsyncIterable<Buffer | string>) {
		let bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
		while (pendingBytes + bytes.length >= size) {
			const take = size - pendingBytes;
			pending.push(bytes.subarray(0, take));
			yield Buffer.concat(pending, size);
			pending = [];
			pendingBytes = 0;
			bytes = bytes.subarray(take);
		}
		if (bytes.length > 0) {
			pending.push(bytes);
			pendingBytes += bytes.length;
		}
	}
	if (pendingBytes > 0) yield Buffer.concat(pending, pendingBytes);
}

async function fileAttachment(attachment: OutgoingAttachment): Promise<Graph.FileAttachment & { '@odata.type': string }> {
	return {
		'@odata.type': '#microsoft.graph.fileAttachment',
		name: attachment.name,
		contentType: attachment.contentType,
		contentBytes: (await contentBytes(attachment.content)).toString('base64'),
		...(attachment.contentId ? { contentId: attachment.contentId, isInline: true } : {}),
	};
}

function summary(mailbox: string, input: Pick<NewMessage, 'to' | 'cc' | 'bcc' | 'attachments' | 'saveToSentItems'>, subject: string): SentSummary {
	return { mailbox, subject, to: input.to, cc: input.cc, bcc: input.bcc, attachments: input.attachments.map((attachment) => attachment.name), savedToSentItems: input.saveToSentItems };
}

function safeFileName(name: string, fallback: string): string {
	const cleaned = name.replace(/[\\/:*?"<>|\r\n]+/g, '_').trim();
	return cleaned || fallback;
}
