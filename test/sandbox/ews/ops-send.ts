// CreateItem (SaveOnly / SendOnly / SendAndSaveCopy; Message, ReplyToItem, ReplyAllToItem, ForwardItem) and SendItem.
// Sent mail lands in the inbox of every recipient that lives in the sandbox; everything sent is logged in store.sent.
import { EwsError, folderIdElements, itemIdXml, perEntry, resolveFolder, resolveItem, success, type OpContext, type OpHandler } from './context';
import { fieldsFromMime } from './inbound';
import { textFromHtml } from './shapes';
import { composeMime, type Address, type Importance, type StoredAttachment, type StoredFolder, type StoredItem } from './store';
import { attr, base64Bytes, bool, child, children, el, text, type Element, local } from './xml';

export type Draft = Partial<Omit<StoredItem, 'attachments'>> & { attachments: Omit<StoredAttachment, 'id' | 'lastModified'>[] };

const mailboxesIn = (container: Element | undefined): Address[] =>
	children(container, 'Mailbox').map((mailbox) => {
		const email = text(child(mailbox, 'EmailAddress'))?.trim();
		if (!email) throw new EwsError('ErrorInvalidRecipients');
		return { name: text(child(mailbox, 'Name')) || undefined, email };
	});

/** A t:FileAttachment or t:ItemAttachment of a request; an item attachment keeps the attached message as MIME. */
export async function attachmentOf(attachment: Element): Promise<Draft['attachments'][number]> {
	const common = { name: text(child(attachment, 'Name')) ?? 'attachment', isInline: bool(text(child(attachment, 'IsInline'))), contentId: text(child(attachment, 'ContentId')) || undefined };
	if (local(attachment) === 'FileAttachment') {
		return { ...common, kind: 'file', contentType: text(child(attachment, 'ContentType')) ?? 'application/octet-stream', content: Buffer.from(text(child(attachment, 'Content')) ?? '', 'base64') };
	}
	const message = child(attachment, 'Message') ?? child(attachment, 'Item');
	if (!message) throw new EwsError('ErrorInvalidOperation', `The sandbox attaches messages only, not ${children(attachment).map(local).filter((name) => !['Name', 'ContentType', 'ContentId', 'IsInline'].includes(name)).join(', ') || 'an empty item'}.`);
	return { ...common, kind: 'item', contentType: 'message/rfc822', content: await mimeOfDraft(await draftFromMessage(message)) };
}

/** File and item attachments in request order (an item attachment's own attachments nest inside its MIME). */
async function attachmentsIn(container: Element | undefined): Promise<Draft['attachments']> {
	const attachments: Draft['attachments'] = [];
	for (const attachment of children(container)) attachments.push(await attachmentOf(attachment));
	return attachments;
}

const mimeOfDraft = async (draft: Draft) =>
	draft.mime ?? (await composeMime({ to: [], cc: [], bcc: [], replyTo: [], categories: [], importance: 'Normal', subject: '', ...draft, isDraft: false }));

function bodyFields(body: Element | undefined): Pick<Draft, 'text' | 'html'> {
	if (!body) return {};
	const value = text(body) ?? '';
	return attr(body, 'BodyType') === 'HTML' ? { html: value } : { text: value };
}

async function draftFromMessage(message: Element): Promise<Draft> {
	const mime = text(child(message, 'MimeContent'));
	if (mime) {
		const raw = base64Bytes(mime, 'ErrorMimeContentInvalidBase64String'); // xs:string in the schema: checked here
		const { date: _date, ...fields } = await fieldsFromMime(raw);
		return { mime: raw, ...fields };
	}
	const importance = text(child(message, 'Importance'));
	return {
		subject: text(child(message, 'Subject')) ?? '',
		...bodyFields(child(message, 'Body')),
		to: mailboxesIn(child(message, 'ToRecipients')),
		cc: mailboxesIn(child(message, 'CcRecipients')),
		bcc: mailboxesIn(child(message, 'BccRecipients')),
		replyTo: mailboxesIn(child(message, 'ReplyTo')),
		from: mailboxesIn(child(message, 'From'))[0],
		importance: (importance as Importance | undefined) ?? 'Normal',
		categories: children(child(message, 'Categories'), 'String').map((element) => text(element) ?? ''),
		attachments: await attachmentsIn(child(message, 'Attachments')),
	};
}

const withoutSelf = (list: Address[], self: string) => list.filter((address) => address.email.toLowerCase() !== self);
const quoteHeader = (original: StoredItem) =>
	`From: ${original.from?.name ?? original.from?.email ?? ''}\nSent: ${original.dateTimeSent.toUTCString()}\nSubject: ${original.subject}`;

/** ReplyToItem / ReplyAllToItem / ForwardItem → a new message quoting the original. */
function draftFromResponse(ctx: OpContext, element: Element, sender: string): Draft {
	const original = resolveItem(ctx, attr(child(element, 'ReferenceItemId'), 'Id'));
	const kind = local(element);
	const newBody = child(element, 'NewBodyContent');
	const newText = text(newBody) ?? '';
	const newIsHtml = attr(newBody, 'BodyType') === 'HTML';
	const extraTo = mailboxesIn(child(element, 'ToRecipients'));
	const extraCc = mailboxesIn(child(element, 'CcRecipients'));
	const author = original.replyTo.length ? original.replyTo : original.from ? [original.from] : [];
	let to: Address[] = [];
	let cc: Address[] = [];
	if (kind === 'ReplyToItem') to = [...author, ...extraTo];
	else if (kind === 'ReplyAllToItem') {
		to = withoutSelf([...author, ...original.to, ...extraTo], sender);
		cc = withoutSelf([...original.cc, ...extraCc], sender);
	} else to = extraTo;
	if (kind !== 'ReplyAllToItem') cc = extraCc;
	const prefix = kind === 'ForwardItem' ? 'FW: ' : 'RE: ';
	const useHtml = newIsHtml || original.html !== undefined;
	const quoted = useHtml
		? `${newIsHtml ? newText : `<div>${newText}</div>`}<hr><div>${quoteHeader(original).replace(/\n/g, '<br>')}</div>${original.html ?? `<pre>${original.text ?? ''}</pre>`}`
		: `${newText}\n\n________________________________\n${quoteHeader(original)}\n\n${original.text ?? textFromHtml(original.html ?? '')}`;
	return {
		subject: text(child(element, 'Subject')) ?? (original.subject.toUpperCase().startsWith(prefix) ? original.subject : prefix + original.subject),
		...(useHtml ? { html: quoted } : { text: quoted }),
		to,
		cc,
		bcc: mailboxesIn(child(element, 'BccRecipients')),
		replyTo: [],
		inReplyTo: kind === 'ForwardItem' ? undefined : original.internetMessageId,
		references: [original.references, original.internetMessageId].filter(Boolean).join(' '),
		conversationId: original.conversationId,
		attachments:
			kind === 'ForwardItem'
				? original.attachments.map(({ id: _id, lastModified: _lastModified, ...rest }) => ({ ...rest, content: Buffer.from(rest.content) }))
				: [],
	};
}

/** Delivers a message: recipients' inboxes in the sandbox, the outbound log, and (optionally) a copy for the sender (also Graph's sendMail). */
export function send(ctx: Pick<OpContext, 'store'>, draft: Draft, senderMailbox: string, saveCopyIn?: StoredFolder): StoredItem | undefined {
	const recipients = [...(draft.to ?? []), ...(draft.cc ?? []), ...(draft.bcc ?? [])];
	if (recipients.length === 0) throw new EwsError('ErrorInvalidRecipients');
	const box = ctx.store.mailbox(senderMailbox);
	const from = draft.from ?? { name: box?.displayName, email: senderMailbox };
	const now = new Date();
	const message: Draft = { ...draft, from, sender: from, dateTimeSent: now, dateTimeReceived: now, isDraft: false };
	// One Message-ID for every copy, so recipients and the sender's Sent Items agree.
	const internetMessageId = draft.internetMessageId ?? `<${now.getTime().toString(36)}.${Math.random().toString(36).slice(2)}@${senderMailbox.split('@')[1] ?? 'sandbox.test'}>`;
	const deliveredTo: string[] = [];
	for (const email of new Set(recipients.map((address) => address.email.toLowerCase()))) {
		const inbox = ctx.store.distinguishedFolder(email, 'inbox');
		if (!inbox) continue;
		ctx.store.addItem(inbox.id, { ...copyDraft(message), bcc: [], isRead: false, internetMessageId });
		deliveredTo.push(email);
	}
	ctx.store.sent.push({
		mailbox: senderMailbox,
		from,
		to: draft.to ?? [],
		cc: draft.cc ?? [],
		bcc: draft.bcc ?? [],
		subject: draft.subject ?? '',
		internetMessageId,
		deliveredTo,
		at: now,
	});
	return saveCopyIn ? ctx.store.addItem(saveCopyIn.id, { ...copyDraft(message), isRead: true, internetMessageId }) : undefined;
}

const copyDraft = (draft: Draft): Draft => ({ ...draft, attachments: draft.attachments.map((attachment) => ({ ...attachment, content: Buffer.from(attachment.content) })) });

const createItem: OpHandler = async (ctx) => {
	const disposition = attr(ctx.op, 'MessageDisposition') ?? 'SaveOnly';
	const savedFolderElement = folderIdElements(child(ctx.op, 'SavedItemFolderId'))[0];
	const entries = children(child(ctx.op, 'Items'));
	const messages = await perEntry('CreateItem', entries, async (element) => {
		const savedFolder = savedFolderElement ? resolveFolder(ctx, savedFolderElement) : undefined;
		const owner = savedFolder?.mailbox ?? ctx.mailbox;
		let draft: Draft;
		if (local(element) === 'Message') draft = await draftFromMessage(element);
		else if (['ReplyToItem', 'ReplyAllToItem', 'ForwardItem'].includes(local(element))) draft = draftFromResponse(ctx, element, owner);
		else throw new EwsError('ErrorInvalidOperation', `The stand-in cannot create ${local(element)} items.`);

		if (disposition === 'SaveOnly') {
			const folder = savedFolder ?? (ctx.store.distinguishedFolder(owner, 'drafts') as StoredFolder);
			const box = ctx.store.mailbox(owner);
			const saved = ctx.store.addItem(folder.id, { ...draft, from: draft.from ?? { name: box?.displayName, email: owner }, isDraft: true, isRead: true });
			return success('CreateItem', el('m:Items', {}, el('t:Message', {}, itemIdXml(saved))));
		}
		const saveIn = disposition === 'SendAndSaveCopy' ? (savedFolder ?? (ctx.store.distinguishedFolder(owner, 'sentitems') as StoredFolder)) : undefined;
		send(ctx, draft, owner, saveIn);
		return success('CreateItem', el('m:Items'));
	});
	return { messages, itemCount: entries.length };
};

/** SendItem: sends saved drafts (what ews-javascript-api does for messages with attachments). */
const sendItem: OpHandler = async (ctx) => {
	const ids = children(child(ctx.op, 'ItemIds'), 'ItemId');
	const saveCopy = bool(attr(ctx.op, 'SaveItemToFolder'), true);
	const savedFolderElement = folderIdElements(child(ctx.op, 'SavedItemFolderId'))[0];
	const messages = await perEntry('SendItem', ids, (element) => {
		const item = resolveItem(ctx, attr(element, 'Id'));
		const saveIn = saveCopy ? (savedFolderElement ? resolveFolder(ctx, savedFolderElement) : (ctx.store.distinguishedFolder(item.mailbox, 'sentitems') as StoredFolder)) : undefined;
		const { id: _id, changeKey: _changeKey, mailbox: _mailbox, folderId: _folderId, ...fields } = item;
		send(ctx, { ...fields, mime: undefined, internetMessageId: item.internetMessageId }, item.mailbox, saveIn);
		ctx.store.removeItem(item.id);
		return success('SendItem');
	});
	return { messages, itemCount: ids.length };
};

export const sendOperations: Record<string, OpHandler> = { CreateItem: createItem, SendItem: sendItem };
