// In-memory mailboxes for the EWS stand-in: folder trees with distinguished folders, messages with attachments,
// opaque ids/change keys, and a per-folder change log that SyncFolderItems reads.
import { createHash, randomBytes } from 'node:crypto';
import MailComposer from 'nodemailer/lib/mail-composer';

/**
 * The folders every Exchange Online mailbox has (distinguished id, display name, FolderClass, parent), in
 * creation order. Recoverable Items sits beside Top of Information Store, so folder trees below msgfolderroot
 * don't show it; SoftDelete and HardDelete move items there (Deletions, and Purges with single item recovery,
 * EXO's default), and EmptyFolder/DeleteFolder take their items there too.
 */
const WELL_KNOWN_FOLDERS: { id: string; name: string; folderClass: string; parent?: string }[] = [
	{ id: 'root', name: '', folderClass: '' },
	{ id: 'msgfolderroot', name: 'Top of Information Store', folderClass: '', parent: 'root' },
	...(
		[
			['inbox', 'Inbox', 'IPF.Note'],
			['sentitems', 'Sent Items', 'IPF.Note'],
			['deleteditems', 'Deleted Items', 'IPF.Note'],
			['drafts', 'Drafts', 'IPF.Note'],
			['junkemail', 'Junk Email', 'IPF.Note'],
			['archive', 'Archive', 'IPF.Note'],
			['outbox', 'Outbox', 'IPF.Note'],
			['calendar', 'Calendar', 'IPF.Appointment'],
			['contacts', 'Contacts', 'IPF.Contact'],
			['tasks', 'Tasks', 'IPF.Task'],
			['notes', 'Notes', 'IPF.StickyNote'],
			['journal', 'Journal', 'IPF.Journal'],
			['conversationhistory', 'Conversation History', 'IPF.Note'],
			['syncissues', 'Sync Issues', 'IPF.Note'],
		] as const
	).map(([id, name, folderClass]) => ({ id, name, folderClass, parent: 'msgfolderroot' })),
	...[['conflicts', 'Conflicts'], ['localfailures', 'Local Failures'], ['serverfailures', 'Server Failures']].map(([id, name]) => ({ id, name, folderClass: 'IPF.Note', parent: 'syncissues' })),
	{ id: 'recoverableitemsroot', name: 'Recoverable Items', folderClass: '', parent: 'root' },
	...[['recoverableitemsdeletions', 'Deletions'], ['recoverableitemsversions', 'Versions'], ['recoverableitemspurges', 'Purges'], ['recoverableitemsdiscoveryholds', 'DiscoveryHolds']].map(([id, name]) => ({ id, name, folderClass: '', parent: 'recoverableitemsroot' })),
];
export const DISTINGUISHED = WELL_KNOWN_FOLDERS.map((folder) => folder.id);
export type DeleteType = 'HardDelete' | 'SoftDelete' | 'MoveToDeletedItems';

export interface Address {
	name?: string;
	email: string;
}

export interface StoredAttachment {
	id: string;
	kind: 'file' | 'item';
	name: string;
	contentType: string;
	/** File bytes, or the attached message's MIME for item attachments. */
	content: Buffer;
	isInline: boolean;
	contentId?: string;
	lastModified: Date;
	/** Damaged in the store: GetAttachment answers ErrorCorruptData (fault injection). */
	corrupt?: boolean;
}

export type FlagStatus = 'NotFlagged' | 'Flagged' | 'Complete';
export type Importance = 'Low' | 'Normal' | 'High';

export interface StoredItem {
	id: string;
	/** Stays with the item through moves inside its mailbox (Graph's immutable id); a copy gets a new one. */
	immutableId: string;
	changeKey: string;
	mailbox: string;
	folderId: string;
	itemClass: string;
	subject: string;
	from?: Address;
	sender?: Address;
	to: Address[];
	cc: Address[];
	bcc: Address[];
	replyTo: Address[];
	dateTimeReceived: Date;
	dateTimeSent: Date;
	dateTimeCreated: Date;
	lastModified: Date;
	internetMessageId: string;
	conversationId: string;
	inReplyTo?: string;
	references?: string;
	text?: string;
	html?: string;
	isRead: boolean;
	isDraft: boolean;
	categories: string[];
	flag: { status: FlagStatus; startDate?: Date; dueDate?: Date; completeDate?: Date };
	importance: Importance;
	attachments: StoredAttachment[];
	/** Raw MIME when the item came from MimeContent; otherwise built on demand. */
	mime?: Buffer;
	/** Damaged in the store: GetItem answers ErrorCorruptData (fault injection). */
	corrupt?: boolean;
}

export interface StoredFolder {
	id: string;
	changeKey: string;
	mailbox: string;
	parentId?: string;
	displayName: string;
	folderClass: string;
	distinguishedId?: string;
	/** Graph's isHidden (set when Graph creates the folder hidden); EWS does not read it. */
	isHidden?: boolean;
	deleted: boolean;
	/** Change log for SyncFolderItems; `seq` only grows. */
	seq: number;
	changes: { seq: number; type: ChangeType; itemId: string; immutableId?: string }[];
}

export type ChangeType = 'create' | 'update' | 'delete' | 'readflag';

export interface Mailbox {
	smtp: string;
	displayName: string;
	rootId: string;
	distinguished: Map<string, string>; // distinguished id -> folder id
}

export interface DeliverInput {
	/** Absent: a message without From (Exchange stores such mail too). */
	from?: string | Address;
	to: string | string[] | Address[];
	cc?: string | string[] | Address[];
	subject: string;
	text?: string;
	html?: string;
	attachments?: { filename: string; content: Buffer | string; contentType?: string; cid?: string; inline?: boolean; corrupt?: boolean }[];
	receivedAt?: Date;
	folder?: string; // distinguished id, folder id or path like 'Inbox/Processed'; default 'inbox'
	isRead?: boolean;
	categories?: string[];
	importance?: Importance;
	messageId?: string;
	inReplyTo?: string;
	corrupt?: boolean;
}

/** A message the stand-in "sent" (for tests asserting outbound mail, including external recipients). */
export interface SentMessage {
	mailbox: string;
	from?: Address;
	to: Address[];
	cc: Address[];
	bcc: Address[];
	subject: string;
	internetMessageId: string;
	deliveredTo: string[]; // sandbox mailboxes that got a copy
	at: Date;
}

const lower = (value: string) => value.trim().toLowerCase();
export type IdKind = 'item' | 'folder' | 'attachment';
const ID_TAGS: Record<IdKind, number> = { item: 0x49, folder: 0x46, attachment: 0x41 };

const mailboxTag = (mailbox: string) => createHash('sha256').update(lower(mailbox)).digest().subarray(0, 8);

/** Opaque ids like Exchange's: base64 of a tag byte, a mailbox hash and random bytes. */
function newId(kind: IdKind, mailbox: string): string {
	return Buffer.concat([Buffer.from([0x00, ID_TAGS[kind], 0x4d, 0x6b]), mailboxTag(mailbox), randomBytes(24)]).toString('base64');
}

/** The mailbox (of `mailboxes`) an id was minted in: Exchange's ids name their mailbox too, and ConvertId reads it from there. */
export function mailboxOfId(id: string, mailboxes: string[]): string | undefined {
	const tag = Buffer.from(id, 'base64').subarray(4, 12);
	return mailboxes.find((mailbox) => mailboxTag(mailbox).equals(tag));
}

/** 'malformed' for anything that isn't one of our ids (EWS: ErrorInvalidIdMalformed); otherwise well-formed. */
export function idShape(id: string, kind: IdKind): 'ok' | 'malformed' {
	if (!/^[A-Za-z0-9+/]+={0,2}$/.test(id)) return 'malformed';
	const raw = Buffer.from(id, 'base64');
	return raw.length === 36 && raw[0] === 0 && raw[1] === ID_TAGS[kind] ? 'ok' : 'malformed';
}

const newChangeKey = () => `CQAAABYAAA${randomBytes(12).toString('base64')}`;

export function toAddress(value: string | Address): Address {
	if (typeof value !== 'string') return { ...value, email: value.email.trim() };
	const match = /^\s*"?([^"<]*?)"?\s*<([^>]+)>\s*$/.exec(value);
	return match ? { name: match[1] || undefined, email: match[2].trim() } : { email: value.trim() };
}

const toAddresses = (value: string | string[] | Address[] | undefined): Address[] =>
	value === undefined ? [] : (Array.isArray(value) ? value : [value]).map((entry) => toAddress(entry));

export class MailboxStore {
	private readonly mailboxes = new Map<string, Mailbox>();
	private readonly folders = new Map<string, StoredFolder>();
	private readonly items = new Map<string, StoredItem>();
	/** immutableId -> the item's current id (Graph resolves immutable ids through it). */
	private readonly byImmutableId = new Map<string, string>();
	/** Per item, every change key it has had and the fields the change that made it touched ('*' = unknown). */
	private readonly keyHistory = new Map<string, { changeKey: string; fields: string[] }[]>();
	readonly sent: SentMessage[] = [];
	private sequence = 0;

	constructor(initial: { smtp: string; displayName?: string }[] = []) {
		for (const mailbox of initial) this.addMailbox(mailbox.smtp, mailbox.displayName);
	}

	// ---- mailboxes and folders ----

	addMailbox(smtp: string, displayName?: string): Mailbox {
		const existing = this.mailbox(smtp);
		if (existing) return existing;
		const box: Mailbox = { smtp: lower(smtp), displayName: displayName ?? smtp.split('@')[0], rootId: '', distinguished: new Map() };
		this.mailboxes.set(box.smtp, box);
		for (const folder of WELL_KNOWN_FOLDERS) {
			this.newFolder(box.smtp, folder.parent && box.distinguished.get(folder.parent), folder.name, folder.id, folder.folderClass);
		}
		box.rootId = box.distinguished.get('root') as string;
		return box;
	}

	mailbox(smtp: string): Mailbox | undefined {
		return this.mailboxes.get(lower(smtp));
	}

	listMailboxes(): Mailbox[] {
		return [...this.mailboxes.values()];
	}

	createFolder(mailbox: string, parent: string, name: string, folderClass = 'IPF.Note'): StoredFolder {
		const parentFolder = this.resolveFolder(mailbox, parent);
		if (!parentFolder) throw new Error(`EWS store: no folder ${parent} in ${mailbox}`);
		if (this.childFolders(parentFolder.id).some((folder) => lower(folder.displayName) === lower(name))) {
			throw Object.assign(new Error(`A folder named ${name} already exists`), { code: 'ErrorFolderExists' });
		}
		return this.newFolder(parentFolder.mailbox, parentFolder.id, name, undefined, folderClass);
	}

	folder(id: string): StoredFolder | undefined {
		const folder = this.folders.get(id);
		return folder && !folder.deleted ? folder : undefined;
	}

	/** Also returns deleted folders (SyncFolderItems tells "gone" from "never existed"). */
	folderIncludingDeleted(id: string): StoredFolder | undefined {
		return this.folders.get(id);
	}

	distinguishedFolder(mailbox: string, distinguishedId: string): StoredFolder | undefined {
		const box = this.mailbox(mailbox);
		const id = box?.distinguished.get(distinguishedId.toLowerCase());
		return id ? this.folder(id) : undefined;
	}

	/** 'inbox', a folder id, or a display-name path below msgfolderroot: 'Inbox/Processed'. */
	resolveFolder(mailbox: string, ref: string): StoredFolder | undefined {
		return this.distinguishedFolder(mailbox, ref) ?? this.folderByPath(mailbox, ref) ?? this.folder(ref);
	}

	folderByPath(mailbox: string, folderPath: string): StoredFolder | undefined {
		let current = this.distinguishedFolder(mailbox, 'msgfolderroot');
		for (const part of folderPath.split('/').filter(Boolean)) {
			current = current && this.childFolders(current.id).find((folder) => lower(folder.displayName) === lower(part));
		}
		return current;
	}

	childFolders(parentId: string): StoredFolder[] {
		return [...this.folders.values()].filter((folder) => folder.parentId === parentId && !folder.deleted);
	}

	descendantFolders(parentId: string): StoredFolder[] {
		return this.childFolders(parentId).flatMap((folder) => [folder, ...this.descendantFolders(folder.id)]);
	}

	renameFolder(id: string, name: string): StoredFolder {
		const folder = this.requireFolder(id);
		folder.displayName = name;
		folder.changeKey = newChangeKey();
		return folder;
	}

	/** Marks the folder and everything below it deleted; their items go to Recoverable Items as `deleteType` says. */
	deleteFolder(id: string, deleteType: Exclude<DeleteType, 'MoveToDeletedItems'> = 'HardDelete'): void {
		const folder = this.requireFolder(id);
		for (const doomed of [folder, ...this.descendantFolders(id)]) {
			for (const item of this.listItemsIn(doomed.id)) this.deleteItem(item.id, deleteType);
			doomed.deleted = true;
		}
	}

	/** Recoverable Items (recoverableitemsroot and below) holds what users deleted. */
	isRecoverable(folderId: string): boolean {
		const start = this.folder(folderId);
		const root = start && this.mailbox(start.mailbox)?.distinguished.get('recoverableitemsroot');
		for (let folder = start; folder; folder = folder.parentId ? this.folder(folder.parentId) : undefined) if (folder.id === root) return true;
		return false;
	}

	/**
	 * DeleteItem as Exchange Online does it: MoveToDeletedItems → Deleted Items; SoftDelete (or deleting from
	 * Deleted Items) → Recoverable Items\Deletions; HardDelete (or deleting inside Recoverable Items) → Purges
	 * (single item recovery is on by default); a hard delete inside Purges removes it for good. Undefined then.
	 */
	deleteItem(id: string, deleteType: DeleteType): StoredItem | undefined {
		const item = this.requireItem(id);
		const special = (name: string) => this.distinguishedFolder(item.mailbox, name) as StoredFolder;
		const inDeletedItems = item.folderId === special('deleteditems').id;
		const recoverable = this.isRecoverable(item.folderId);
		let target: StoredFolder;
		if (deleteType === 'MoveToDeletedItems' && !inDeletedItems && !recoverable) target = special('deleteditems');
		else if (deleteType === 'HardDelete' || recoverable) target = special('recoverableitemspurges');
		else target = special('recoverableitemsdeletions');
		if (target.id === item.folderId) {
			this.removeItem(id);
			return undefined;
		}
		return this.moveItem(id, target.id);
	}

	moveFolder(id: string, parentId: string): StoredFolder {
		const folder = this.requireFolder(id);
		folder.parentId = this.requireFolder(parentId).id;
		folder.changeKey = newChangeKey();
		return folder;
	}

	// ---- items ----

	/** Test helper: a message arrives in a mailbox (default: its Inbox). Returns the ItemId. */
	deliver(mailbox: string, input: DeliverInput): string {
		const folder = this.resolveFolder(mailbox, input.folder ?? 'inbox');
		if (!folder) throw new Error(`EWS store: no folder ${input.folder ?? 'inbox'} in ${mailbox}`);
		const at = input.receivedAt ?? new Date();
		const from = input.from === undefined ? undefined : toAddress(input.from);
		const item = this.addItem(folder.id, {
			subject: input.subject,
			from,
			sender: from,
			to: toAddresses(input.to),
			cc: toAddresses(input.cc),
			text: input.text,
			html: input.html,
			dateTimeReceived: at,
			dateTimeSent: at,
			isRead: input.isRead ?? false,
			categories: input.categories ?? [],
			importance: input.importance ?? 'Normal',
			internetMessageId: input.messageId,
			inReplyTo: input.inReplyTo,
			corrupt: input.corrupt,
			attachments: (input.attachments ?? []).map((attachment) => ({
				kind: attachment.contentType === 'message/rfc822' ? ('item' as const) : ('file' as const),
				name: attachment.filename,
				contentType: attachment.contentType ?? 'application/octet-stream',
				content: Buffer.isBuffer(attachment.content) ? attachment.content : Buffer.from(attachment.content),
				isInline: attachment.inline ?? false,
				contentId: attachment.cid,
				corrupt: attachment.corrupt,
			})),
		});
		return item.id;
	}

	/** Adds a message to a folder; fills ids, dates and message ids that aren't given. */
	addItem(
		folderId: string,
		fields: Partial<Omit<StoredItem, 'attachments'>> & {
			attachments?: (Omit<StoredAttachment, 'id' | 'lastModified'> & Partial<Pick<StoredAttachment, 'id' | 'lastModified'>>)[];
		},
	): StoredItem {
		const folder = this.requireFolder(folderId);
		const now = new Date();
		const item: StoredItem = {
			itemClass: 'IPM.Note',
			subject: '',
			to: [],
			cc: [],
			bcc: [],
			replyTo: [],
			dateTimeReceived: now,
			dateTimeSent: now,
			dateTimeCreated: now,
			isRead: false,
			isDraft: false,
			categories: [],
			flag: { status: 'NotFlagged' },
			importance: 'Normal',
			...fields,
			id: newId('item', folder.mailbox),
			immutableId: randomBytes(16).toString('hex'),
			changeKey: newChangeKey(),
			mailbox: folder.mailbox,
			folderId: folder.id,
			lastModified: now,
			internetMessageId: fields.internetMessageId ?? `<${randomBytes(12).toString('hex')}@${folder.mailbox.split('@')[1] ?? 'sandbox.test'}>`,
			conversationId: fields.conversationId ?? `AAQk${randomBytes(24).toString('base64')}`,
			attachments: (fields.attachments ?? []).map((attachment) => ({
				...attachment,
				id: newId('attachment', folder.mailbox),
				lastModified: attachment.lastModified ?? now,
			})),
		};
		this.items.set(item.id, item);
		this.byImmutableId.set(item.immutableId, item.id);
		this.keyHistory.set(item.id, [{ changeKey: item.changeKey, fields: [] }]);
		this.log(folder, 'create', item.id);
		return item;
	}

	getItem(id: string): StoredItem | undefined {
		return this.items.get(id);
	}

	/** The item that has this immutable id now (wherever it was moved to), if it still exists. */
	itemByImmutableId(immutableId: string): StoredItem | undefined {
		const id = this.byImmutableId.get(immutableId);
		return id === undefined ? undefined : this.items.get(id);
	}

	listItems(mailbox: string, folder: string): StoredItem[] {
		const found = this.resolveFolder(mailbox, folder);
		return found ? this.listItemsIn(found.id) : [];
	}

	listItemsIn(folderId: string): StoredItem[] {
		return [...this.items.values()].filter((item) => item.folderId === folderId);
	}

	/**
	 * Applies a change; an IsRead-only change is logged as a read-flag change, anything else as an update.
	 * `fields` (FieldURIs) are remembered with the new change key, for UpdateItem's conflict detection.
	 */
	updateItem(id: string, change: (item: StoredItem) => void, fields: string[] = ['*']): StoredItem {
		const item = this.requireItem(id);
		const wasRead = item.isRead;
		const before = JSON.stringify({ ...item, isRead: wasRead, changeKey: '', mime: undefined });
		change(item);
		const after = JSON.stringify({ ...item, isRead: wasRead, changeKey: '', mime: undefined });
		item.changeKey = newChangeKey();
		item.lastModified = new Date();
		this.keyHistory.get(item.id)?.push({ changeKey: item.changeKey, fields });
		if (before !== after) {
			item.mime = undefined; // stale; rebuilt on demand
			this.log(this.requireFolder(item.folderId), 'update', item.id);
		} else if (item.isRead !== wasRead) this.log(this.requireFolder(item.folderId), 'readflag', item.id);
		return item;
	}

	/**
	 * Fields changed on the item since it had `changeKey` (empty when it is the current key); undefined when the
	 * item never had that key, so nothing is known about what changed since.
	 */
	fieldsChangedSince(id: string, changeKey: string): Set<string> | undefined {
		const history = this.keyHistory.get(id) ?? [];
		const at = history.findIndex((entry) => entry.changeKey === changeKey);
		return at < 0 ? undefined : new Set(history.slice(at + 1).flatMap((entry) => entry.fields));
	}

	/** Moves keep the content but, like Exchange Online, give the item a new ItemId. */
	moveItem(id: string, folderId: string): StoredItem {
		const item = this.requireItem(id);
		const target = this.requireFolder(folderId);
		this.removeItem(id);
		const moved: StoredItem = { ...item, id: newId('item', target.mailbox), changeKey: newChangeKey(), mailbox: target.mailbox, folderId: target.id };
		this.items.set(moved.id, moved);
		if (moved.mailbox !== item.mailbox) moved.immutableId = randomBytes(16).toString('hex'); // another mailbox: a new immutable id, as Graph documents
		this.byImmutableId.set(moved.immutableId, moved.id);
		this.keyHistory.set(moved.id, [{ changeKey: moved.changeKey, fields: [] }]);
		this.log(target, 'create', moved.id);
		return moved;
	}

	copyItem(id: string, folderId: string): StoredItem {
		const item = this.requireItem(id);
		const { id: _id, immutableId: _immutableId, changeKey: _changeKey, mailbox: _mailbox, folderId: _folderId, ...fields } = item;
		return this.addItem(folderId, {
			...fields,
			to: [...item.to],
			cc: [...item.cc],
			bcc: [...item.bcc],
			replyTo: [...item.replyTo],
			categories: [...item.categories],
			flag: { ...item.flag },
			attachments: item.attachments.map(({ id: _attachmentId, ...rest }) => ({ ...rest, content: Buffer.from(rest.content) })),
		});
	}

	removeItem(id: string): void {
		const item = this.requireItem(id);
		this.items.delete(id);
		if (this.byImmutableId.get(item.immutableId) === id) this.byImmutableId.delete(item.immutableId);
		this.keyHistory.delete(id);
		const folder = this.folders.get(item.folderId);
		if (folder) this.log(folder, 'delete', id, item.immutableId);
	}

	addAttachment(itemId: string, attachment: Omit<StoredAttachment, 'id' | 'lastModified'>): StoredAttachment {
		let created: StoredAttachment | undefined;
		this.updateItem(itemId, (item) => {
			created = { ...attachment, id: newId('attachment', item.mailbox), lastModified: new Date() };
			item.attachments.push(created);
		}, ['item:Attachments']);
		return created as StoredAttachment;
	}

	findAttachment(id: string): { item: StoredItem; attachment: StoredAttachment } | undefined {
		for (const item of this.items.values()) {
			const attachment = item.attachments.find((candidate) => candidate.id === id);
			if (attachment) return { item, attachment };
		}
		return undefined;
	}

	/** The item as RFC 5322 bytes: the stored MIME, or one composed from its fields. */
	async mimeOf(item: StoredItem): Promise<Buffer> {
		item.mime ??= await composeMime(item);
		return item.mime;
	}

	// ---- sync ----

	/**
	 * One SyncFolderItems page, as Exchange's ICS computes it: the client's knowledge is the log up to
	 * `since` plus, per item, the log position up to which it was reported (`reported`). Every item with
	 * unreported entries is collapsed over the whole window (so a sync from scratch yields only
	 * creates), the first `max` of them by first pending change are returned, and the knowledge moves
	 * on: a covered prefix of the log folds into `since`.
	 */
	changesSince(folderId: string, since: number, reported: Map<string, number>, max: number, ignore: Set<string> = new Set()) {
		const folder = this.requireFolderIncludingDeleted(folderId);
		const pending = new Map<string, { type: ChangeType | undefined; last: number }>();
		for (const entry of folder.changes) {
			if (entry.seq <= (reported.get(entry.itemId) ?? since)) continue;
			const current = pending.get(entry.itemId);
			pending.set(entry.itemId, { type: mergeChange(current?.type, entry.type), last: entry.seq });
		}
		const known = new Map(reported);
		const changes: { itemId: string; type: ChangeType }[] = [];
		let left = 0;
		for (const [itemId, change] of pending) {
			// Ignored items and changes that cancel out (created and deleted in the window) are consumed unseen.
			if (change.type && !ignore.has(itemId)) {
				if (changes.length >= max) {
					left++;
					continue;
				}
				changes.push({ itemId, type: change.type });
			}
			known.set(itemId, change.last);
		}
		let reached = since;
		for (const entry of folder.changes) {
			if (entry.seq <= reached) continue;
			if ((known.get(entry.itemId) ?? since) < entry.seq) break;
			reached = entry.seq;
		}
		for (const [itemId, seq] of known) if (seq <= reached) known.delete(itemId);
		return { changes, since: reached, reported: known, includesLast: left === 0 };
	}

	// ---- internals ----

	private newFolder(mailbox: string, parentId: string | undefined, displayName: string, distinguishedId?: string, folderClass = 'IPF.Note') {
		const folder: StoredFolder = {
			id: newId('folder', mailbox),
			changeKey: newChangeKey(),
			mailbox,
			parentId,
			displayName,
			folderClass,
			distinguishedId,
			deleted: false,
			seq: 0,
			changes: [],
		};
		this.folders.set(folder.id, folder);
		if (distinguishedId) this.mailbox(mailbox)?.distinguished.set(distinguishedId, folder.id);
		return folder;
	}

	private log(folder: StoredFolder, type: ChangeType, itemId: string, immutableId = this.items.get(itemId)?.immutableId): void {
		folder.seq = ++this.sequence;
		folder.changes.push({ seq: folder.seq, type, itemId, immutableId });
	}

	private requireFolder(id: string): StoredFolder {
		const folder = this.folder(id);
		if (!folder) throw Object.assign(new Error(`EWS store: no folder ${id}`), { code: 'ErrorFolderNotFound' });
		return folder;
	}

	private requireFolderIncludingDeleted(id: string): StoredFolder {
		const folder = this.folders.get(id);
		if (!folder) throw Object.assign(new Error(`EWS store: no folder ${id}`), { code: 'ErrorFolderNotFound' });
		return folder;
	}

	private requireItem(id: string): StoredItem {
		const item = this.items.get(id);
		if (!item) throw Object.assign(new Error(`EWS store: no item ${id}`), { code: 'ErrorItemNotFound' });
		return item;
	}
}

/** What a message's MIME is composed from: a stored item, or a message given as an item attachment. */
export type MimeFields = Pick<StoredItem, 'subject' | 'to' | 'cc' | 'bcc' | 'replyTo' | 'isDraft' | 'importance' | 'categories'> &
	Partial<Pick<StoredItem, 'from' | 'sender' | 'text' | 'html' | 'dateTimeSent' | 'internetMessageId' | 'inReplyTo' | 'references'>> & {
		attachments: Pick<StoredAttachment, 'name' | 'content' | 'contentType' | 'contentId' | 'isInline'>[];
	};

/** RFC 5322 bytes composed from message fields (attachments of kind item nest as message/rfc822). */
export async function composeMime(item: MimeFields): Promise<Buffer> {
	const composer = new MailComposer({
		from: item.from ? formatAddress(item.from) : undefined,
		sender: item.sender && item.sender.email !== item.from?.email ? formatAddress(item.sender) : undefined,
		to: item.to.map(formatAddress),
		cc: item.cc.map(formatAddress),
		bcc: item.isDraft ? item.bcc.map(formatAddress) : undefined,
		replyTo: item.replyTo.length ? item.replyTo.map(formatAddress) : undefined,
		subject: item.subject,
		text: item.text,
		html: item.html,
		date: item.dateTimeSent,
		messageId: item.internetMessageId,
		inReplyTo: item.inReplyTo,
		references: item.references,
		priority: item.importance === 'Normal' ? undefined : item.importance === 'High' ? 'high' : 'low',
		headers: item.categories.length ? { Keywords: item.categories.join(', ') } : undefined,
		attachments: item.attachments.map((attachment) => ({
			filename: attachment.name,
			content: attachment.content,
			contentType: attachment.contentType,
			cid: attachment.contentId,
			contentDisposition: attachment.isInline ? ('inline' as const) : ('attachment' as const),
		})),
	});
	return await new Promise<Buffer>((resolvePromise, reject) => composer.compile().build((error, message) => (error ? reject(error) : resolvePromise(message))));
}

/** Collapses two changes to one item (undefined = nothing to report, e.g. created and deleted since the state). */
function mergeChange(previous: ChangeType | undefined, next: ChangeType): ChangeType | undefined {
	if (!previous) return next;
	if (next === 'delete') return previous === 'create' ? undefined : 'delete';
	if (previous === 'create') return 'create';
	if (previous === 'delete') return next; // id reuse does not happen; keep the newest
	if (previous === 'update' || next === 'update') return 'update';
	return 'readflag';
}

export const formatAddress = (address: Address): string => (address.name ? `"${address.name.replace(/"/g, '')}" <${address.email}>` : address.email);
