// Mail from outside as Exchange's transport stores it: the raw MIME is kept (MimeContent, InternetMessageHeaders)
// and its fields are parsed leniently from whatever the sender put in (broken MIME, odd encodings, no From).
import { simpleParser, type AddressObject } from 'mailparser';
import type { Address, MailboxStore, StoredAttachment, StoredItem } from './store';

export type MimeFields = Pick<StoredItem, 'subject' | 'to' | 'cc' | 'bcc' | 'replyTo'> &
	Partial<Pick<StoredItem, 'from' | 'text' | 'html' | 'internetMessageId' | 'inReplyTo' | 'references'>> & {
		attachments: Omit<StoredAttachment, 'id' | 'lastModified'>[];
		date?: Date;
	};

const addressList = (value: AddressObject | AddressObject[] | undefined): Address[] =>
	(Array.isArray(value) ? value : value ? [value] : []).flatMap((group) => group.value.map((entry) => ({ name: entry.name || undefined, email: entry.address ?? '' })));

/** The message fields of RFC 5322 bytes; attached messages (message/rfc822) become item attachments. */
export async function fieldsFromMime(raw: Buffer): Promise<MimeFields> {
	const parsed = await simpleParser(raw);
	return {
		subject: parsed.subject ?? '',
		from: addressList(parsed.from)[0],
		to: addressList(parsed.to),
		cc: addressList(parsed.cc),
		bcc: addressList(parsed.bcc),
		replyTo: addressList(parsed.replyTo),
		text: parsed.text,
		html: parsed.html || undefined,
		internetMessageId: parsed.messageId,
		inReplyTo: parsed.inReplyTo,
		references: Array.isArray(parsed.references) ? parsed.references.join(' ') : parsed.references,
		date: parsed.date && !Number.isNaN(parsed.date.getTime()) ? parsed.date : undefined,
		attachments: parsed.attachments.map((attachment) => ({
			kind: attachment.contentType === 'message/rfc822' ? ('item' as const) : ('file' as const),
			name: attachment.filename ?? 'attachment',
			contentType: attachment.contentType,
			content: attachment.content,
			isInline: attachment.contentDisposition === 'inline',
			contentId: attachment.cid,
		})),
	};
}

/** Test helper: raw MIME arrives in a mailbox folder (default: the Inbox), as if received from the Internet. Returns the ItemId. */
export async function deliverMime(store: MailboxStore, mailbox: string, raw: Buffer, options: { folder?: string; receivedAt?: Date } = {}): Promise<string> {
	const folder = store.resolveFolder(mailbox, options.folder ?? 'inbox');
	if (!folder) throw new Error(`EWS store: no folder ${options.folder ?? 'inbox'} in ${mailbox}`);
	const { date, ...fields } = await fieldsFromMime(raw);
	const at = options.receivedAt ?? new Date();
	return store.addItem(folder.id, { ...fields, sender: fields.from, dateTimeReceived: at, dateTimeSent: date ?? at, mime: raw }).id;
}
