// Serializes stored folders and messages as t:Folder / t:Message for a requested shape
// (BaseShape IdOnly/Default/AllProperties + AdditionalProperties), elements in schema order.
import type { MailboxStore, StoredAttachment, StoredFolder, StoredItem, Address } from './store';
import { EwsError } from './context';
import { attr, attributes, base64Text, bool, child, children, el, local, text, tx, type Element } from './xml';

export interface ItemShape {
	base: 'IdOnly' | 'Default' | 'AllProperties';
	includeMime: boolean;
	bodyType: 'Best' | 'HTML' | 'Text';
	extra: Set<string>; // element names from AdditionalProperties FieldURIs
}

/** The t:Message children itemXml can return, by the FieldURI that asks for them (item: or message:). */
const ITEM_FIELDS: Record<string, string> = Object.fromEntries([
	...['ItemId', 'ParentFolderId', 'ItemClass', 'Subject', 'Sensitivity', 'Body', 'Attachments', 'DateTimeReceived', 'Size', 'Categories', 'Importance', 'InReplyTo', 'IsSubmitted', 'IsDraft', 'IsFromMe', 'InternetMessageHeaders', 'DateTimeSent', 'DateTimeCreated', 'ResponseObjects', 'DisplayCc', 'DisplayTo', 'HasAttachments', 'LastModifiedTime', 'ConversationId', 'Flag', 'Preview', 'TextBody', 'MimeContent'].map((name) => [`item:${name}`, name]),
	...['Sender', 'ToRecipients', 'CcRecipients', 'BccRecipients', 'ConversationTopic', 'From', 'InternetMessageId', 'IsRead', 'References', 'ReplyTo'].map((name) => [`message:${name}`, name]),
]);
const FOLDER_FIELDS: Record<string, string> = Object.fromEntries(
	['FolderId', 'ParentFolderId', 'FolderClass', 'DisplayName', 'TotalCount', 'ChildFolderCount', 'UnreadCount', 'DistinguishedFolderId'].map((name) => [`folder:${name}`, name]),
);

/**
 * The element names an AdditionalProperties list asks for. A property the stand-in does not model is refused
 * with ErrorInvalidPropertyRequest naming it (as Exchange refuses a property it cannot return), never dropped:
 * a test that asks for it must learn the sandbox can't prove anything about it.
 */
function requestedProperties(shape: Element | undefined, known: Record<string, string>): Set<string> {
	const wanted = new Set<string>();
	for (const path of children(child(shape, 'AdditionalProperties'))) {
		const field = attr(path, 'FieldURI');
		const name = local(path) === 'FieldURI' && field ? known[field] : undefined;
		if (name) {
			wanted.add(name);
			continue;
		}
		const named = attributes(path);
		const described = [local(path), ...Object.entries(named).map(([key, value]) => `${key}=${value}`)].join(' ');
		throw new EwsError('ErrorInvalidPropertyRequest', `The sandbox does not return ${described}.`, el(`t:${local(path)}`, named));
	}
	return wanted;
}

export function parseItemShape(shape: Element | undefined): ItemShape {
	return {
		base: (text(child(shape, 'BaseShape')) as ItemShape['base']) ?? 'IdOnly',
		includeMime: bool(text(child(shape, 'IncludeMimeContent'))),
		bodyType: (text(child(shape, 'BodyType')) as ItemShape['bodyType']) ?? 'Best',
		extra: requestedProperties(shape, ITEM_FIELDS),
	};
}

/** What Default returns: FindItem gets the summary, GetItem adds body, recipients and attachments. */
const DEFAULT_FIND = ['ItemId', 'ParentFolderId', 'ItemClass', 'Subject', 'Sensitivity', 'DateTimeReceived', 'Size', 'Importance', 'IsSubmitted', 'IsDraft', 'DateTimeSent', 'DateTimeCreated', 'DisplayCc', 'DisplayTo', 'HasAttachments', 'ConversationId', 'Sender', 'From', 'IsRead'];
const DEFAULT_GET = [...DEFAULT_FIND, 'Body', 'Attachments', 'ToRecipients', 'CcRecipients', 'ReplyTo', 'InternetMessageId', 'ResponseObjects'];
const ALL = [...DEFAULT_GET, 'Categories', 'InReplyTo', 'DateTimeSent', 'LastModifiedTime', 'Flag', 'TextBody', 'BccRecipients', 'References', 'ConversationTopic', 'IsFromMe', 'Preview'];

const mailboxXml = (address: Address) => el('t:Mailbox', {}, tx('t:Name', address.name ?? address.email), tx('t:EmailAddress', address.email), tx('t:RoutingType', 'SMTP'), tx('t:MailboxType', 'OneOff'));
const recipients = (name: string, list: Address[]) => (list.length ? el(name, {}, ...list.map(mailboxXml)) : '');
const single = (name: string, address?: Address) => (address ? el(name, {}, mailboxXml(address)) : '');
const iso = (date: Date | undefined) => (date ? date.toISOString().replace(/\.\d{3}Z$/, 'Z') : undefined);
const displayList = (list: Address[]) => list.map((address) => address.name ?? address.email).join('; ');

export function textFromHtml(html: string): string {
	return html
		.replace(/<(script|style)[\s\S]*?<\/\1>/gi, '')
		.replace(/<br\s*\/?>|<\/p>|<\/div>/gi, '\n')
		.replace(/<[^>]+>/g, '')
		.replace(/&nbsp;/g, ' ')
		.replace(/&lt;/g, '<')
		.replace(/&gt;/g, '>')
		.replace(/&amp;/g, '&')
		.trim();
}

const htmlFromText = (value: string) =>
	`<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8"></head><body><div>${value
		.replace(/&/g, '&amp;')
		.replace(/</g, '&lt;')
		.replace(/\n/g, '<br>')}</div></body></html>`;

export function bodyOf(item: StoredItem, bodyType: ItemShape['bodyType']): { type: 'HTML' | 'Text'; value: string } {
	if (bodyType === 'Text') return { type: 'Text', value: item.text ?? textFromHtml(item.html ?? '') };
	if (bodyType === 'HTML') return { type: 'HTML', value: item.html ?? htmlFromText(item.text ?? '') };
	return item.html !== undefined ? { type: 'HTML', value: item.html } : { type: 'Text', value: item.text ?? '' };
}

export function itemSize(item: StoredItem): number {
	return 512 + Buffer.byteLength(item.subject) + Buffer.byteLength(item.text ?? '') + Buffer.byteLength(item.html ?? '') + item.attachments.reduce((sum, a) => sum + a.content.length, 0);
}

/** GetAttachment's AttachmentShape: an attached message is returned as ItemClass plus, when asked for, its MIME. */
export function parseAttachmentShape(shape: Element | undefined): { includeMime: boolean } {
	const extra = requestedProperties(shape, { 'item:MimeContent': 'MimeContent' });
	return { includeMime: bool(text(child(shape, 'IncludeMimeContent'))) || extra.has('MimeContent') };
}

/** t:FileAttachment / t:ItemAttachment; with `content` (GetAttachment) the bytes or the attached message too. */
export function attachmentSummaryXml(attachment: StoredAttachment, content?: { includeMime: boolean }): string {
	const common = [
		el('t:AttachmentId', { Id: attachment.id }),
		tx('t:Name', attachment.name),
		tx('t:ContentType', attachment.contentType),
		tx('t:ContentId', attachment.contentId),
		tx('t:Size', attachment.content.length),
		tx('t:LastModifiedTime', iso(attachment.lastModified)),
		tx('t:IsInline', attachment.isInline),
	];
	if (attachment.kind === 'item') {
		// The attached message is kept as MIME (what clients load .eml content from).
		const message = content && el('t:Message', {}, content.includeMime && tx('t:MimeContent', base64Text(attachment.content), { CharacterSet: 'UTF-8' }), tx('t:ItemClass', 'IPM.Note'));
		return el('t:ItemAttachment', {}, ...common, message);
	}
	return el('t:FileAttachment', {}, ...common, tx('t:IsContactPhoto', false), content && tx('t:Content', base64Text(attachment.content)));
}

/** t:Message for a shape; `context` picks what Default means. MIME is loaded only when asked for. */
export async function itemXml(store: MailboxStore, item: StoredItem, shape: ItemShape, context: 'find' | 'get'): Promise<string> {
	const wanted = new Set<string>(['ItemId']);
	if (shape.base !== 'IdOnly') for (const name of shape.base === 'AllProperties' ? ALL : context === 'get' ? DEFAULT_GET : DEFAULT_FIND) wanted.add(name);
	for (const name of shape.extra) wanted.add(name);
	if (shape.includeMime) wanted.add('MimeContent');
	const has = (name: string) => wanted.has(name);
	const folder = store.folder(item.folderId);
	const body = has('Body') || has('TextBody') ? bodyOf(item, shape.bodyType) : undefined;
	const headers = has('InternetMessageHeaders') || has('MimeContent') ? await store.mimeOf(item) : undefined;

	const parts: (string | false | undefined)[] = [
		has('MimeContent') && headers && tx('t:MimeContent', base64Text(headers), { CharacterSet: 'UTF-8' }),
		el('t:ItemId', { Id: item.id, ChangeKey: item.changeKey }),
		has('ParentFolderId') && folder && el('t:ParentFolderId', { Id: folder.id, ChangeKey: folder.changeKey }),
		has('ItemClass') && tx('t:ItemClass', item.itemClass),
		has('Subject') && tx('t:Subject', item.subject),
		has('Sensitivity') && tx('t:Sensitivity', 'Normal'),
		has('Body') && body && tx('t:Body', body.value, { BodyType: body.type, IsTruncated: 'false' }),
		has('Attachments') && item.attachments.length > 0 && el('t:Attachments', {}, ...item.attachments.map((a) => attachmentSummaryXml(a))),
		has('DateTimeReceived') && tx('t:DateTimeReceived', iso(item.dateTimeReceived)),
		has('Size') && tx('t:Size', itemSize(item)),
		has('Categories') && item.categories.length > 0 && el('t:Categories', {}, ...item.categories.map((category) => tx('t:String', category))),
		has('Importance') && tx('t:Importance', item.importance),
		has('InReplyTo') && tx('t:InReplyTo', item.inReplyTo),
		has('IsSubmitted') && tx('t:IsSubmitted', false),
		has('IsDraft') && tx('t:IsDraft', item.isDraft),
		has('IsFromMe') && tx('t:IsFromMe', item.from?.email.toLowerCase() === item.mailbox),
		has('InternetMessageHeaders') && headers && el('t:InternetMessageHeaders', {}, ...parseHeaders(headers).map(([name, value]) => tx('t:InternetMessageHeader', value, { HeaderName: name }))),
		has('DateTimeSent') && tx('t:DateTimeSent', iso(item.dateTimeSent)),
		has('DateTimeCreated') && tx('t:DateTimeCreated', iso(item.dateTimeCreated)),
		has('ResponseObjects') && el('t:ResponseObjects', {}, el('t:ReplyToItem'), el('t:ReplyAllToItem'), el('t:ForwardItem')),
		has('DisplayCc') && tx('t:DisplayCc', displayList(item.cc)),
		has('DisplayTo') && tx('t:DisplayTo', displayList(item.to)),
		has('HasAttachments') && tx('t:HasAttachments', item.attachments.some((a) => !a.isInline)),
		has('LastModifiedTime') && tx('t:LastModifiedTime', iso(item.lastModified)),
		has('ConversationId') && el('t:ConversationId', { Id: item.conversationId }),
		has('Flag') && el('t:Flag', {}, tx('t:FlagStatus', item.flag.status), tx('t:StartDate', iso(item.flag.startDate)), tx('t:DueDate', iso(item.flag.dueDate)), tx('t:CompleteDate', iso(item.flag.completeDate))),
		has('Preview') && tx('t:Preview', (item.text ?? textFromHtml(item.html ?? '')).slice(0, 255)),
		has('TextBody') && tx('t:TextBody', item.text ?? textFromHtml(item.html ?? ''), { BodyType: 'Text', IsTruncated: 'false' }),
		// MessageType
		has('Sender') && single('t:Sender', item.sender ?? item.from),
		has('ToRecipients') && recipients('t:ToRecipients', item.to),
		has('CcRecipients') && recipients('t:CcRecipients', item.cc),
		has('BccRecipients') && recipients('t:BccRecipients', item.bcc),
		has('ConversationTopic') && tx('t:ConversationTopic', item.subject.replace(/^((re|fw|fwd):\s*)+/i, '')),
		has('From') && single('t:From', item.from),
		has('InternetMessageId') && tx('t:InternetMessageId', item.internetMessageId),
		has('IsRead') && tx('t:IsRead', item.isRead),
		has('References') && tx('t:References', item.references),
		has('ReplyTo') && recipients('t:ReplyTo', item.replyTo),
	];
	return el('t:Message', {}, ...parts);
}

/** Unfolded header fields of a MIME message, in order. */
export function parseHeaders(mime: Buffer): [string, string][] {
	const raw = mime.toString('utf8');
	const end = raw.search(/\r?\n\r?\n/);
	const block = (end >= 0 ? raw.slice(0, end) : raw).replace(/\r?\n[ \t]+/g, ' ');
	return block
		.split(/\r?\n/)
		.map((line) => line.indexOf(':') > 0 ? ([line.slice(0, line.indexOf(':')).trim(), line.slice(line.indexOf(':') + 1).trim()] as [string, string]) : undefined)
		.filter((header): header is [string, string] => header !== undefined);
}

// ---- folders ----

export type FolderShape = 'IdOnly' | 'Default' | 'AllProperties';

/** The element a folder is returned as, by FolderClass (and the FolderClass a created element implies). */
export const FOLDER_ELEMENTS: Record<string, string> = { 'IPF.Appointment': 't:CalendarFolder', 'IPF.Contact': 't:ContactsFolder', 'IPF.Task': 't:TasksFolder' };

export function folderXml(store: MailboxStore, folder: StoredFolder, base: FolderShape, extra: Set<string> = new Set()): string {
	const has = (name: string) => base === 'AllProperties' || extra.has(name) || (base === 'Default' && ['DisplayName', 'TotalCount', 'ChildFolderCount', 'UnreadCount'].includes(name));
	const items = store.listItemsIn(folder.id);
	const parent = folder.parentId ? store.folder(folder.parentId) : undefined;
	const element = FOLDER_ELEMENTS[folder.folderClass] ?? 't:Folder';
	return el(
		element,
		{},
		el('t:FolderId', { Id: folder.id, ChangeKey: folder.changeKey }),
		has('ParentFolderId') && parent ? el('t:ParentFolderId', { Id: parent.id, ChangeKey: parent.changeKey }) : '',
		has('FolderClass') ? tx('t:FolderClass', folder.folderClass || undefined) : '',
		has('DisplayName') ? tx('t:DisplayName', folder.displayName) : '',
		has('TotalCount') ? tx('t:TotalCount', items.length) : '',
		has('ChildFolderCount') ? tx('t:ChildFolderCount', store.childFolders(folder.id).length) : '',
		extra.has('DistinguishedFolderId') && folder.distinguishedId ? tx('t:DistinguishedFolderId', folder.distinguishedId) : '',
		// UnreadCount belongs to t:Folder and t:TasksFolder (FolderType) only, not to calendar and contacts folders.
		has('UnreadCount') && element !== 't:CalendarFolder' && element !== 't:ContactsFolder' ? tx('t:UnreadCount', items.filter((item) => !item.isRead).length) : '',
	);
}

export function parseFolderShape(shape: Element | undefined): { base: FolderShape; extra: Set<string> } {
	return { base: (text(child(shape, 'BaseShape')) as FolderShape) ?? 'Default', extra: requestedProperties(shape, FOLDER_FIELDS) };
}
