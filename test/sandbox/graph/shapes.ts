// Store records as Graph JSON (property names and types as in microsoft-graph-types and the documented examples),
// and $select (unknown properties are refused as Graph refuses them; id and @odata.etag always come back).
import type { Address, StoredAttachment, StoredFolder, StoredItem } from '../ews/store';
import { textFromHtml } from '../ews/shapes';
import { errors } from './errors';
import { graphIdOf, immutableGraphId } from './ids';
import { findProperty } from './schema';

/** Graph's date format: seconds, UTC, no fraction. */
export const graphDate = (date: Date) => date.toISOString().replace(/\.\d{3}Z$/, 'Z');

export interface ShapeOptions {
	immutableIds: boolean;
	/** Prefer: outlook.body-content-type="text". */
	textBody: boolean;
}

const recipient = (address: Address) => ({ emailAddress: { name: address.name ?? address.email, address: address.email } });
const escapeHtml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export const messageId = (item: StoredItem, options: Pick<ShapeOptions, 'immutableIds'>) =>
	options.immutableIds ? immutableGraphId(item.immutableId) : graphIdOf(item.id, 'item');

function body(item: StoredItem, textBody: boolean) {
	if (textBody) return { contentType: 'text', content: item.text ?? textFromHtml(item.html ?? '') };
	if (item.html !== undefined) return { contentType: 'html', content: item.html };
	const html = escapeHtml(item.text ?? '').replace(/\r?\n/g, '<br>\r\n');
	return {
		contentType: 'html',
		content: `<html><head>\r\n<meta http-equiv="Content-Type" content="text/html; charset=utf-8"></head><body><div>${html}</div></body></html>`,
	};
}

const flagStatus = (status: StoredItem['flag']['status']) => status[0].toLowerCase() + status.slice(1);
const utc = (date: Date | undefined) => (date ? { dateTime: date.toISOString().replace('Z', '0000'), timeZone: 'UTC' } : undefined);

/** Every message property the stand-in serves; the default set is what GET returns without $select. */
const MESSAGE_PROPERTIES: Record<string, (item: StoredItem, options: ShapeOptions, headers: { name: string; value: string }[] | undefined) => unknown> = {
	createdDateTime: (item) => graphDate(item.dateTimeCreated),
	lastModifiedDateTime: (item) => graphDate(item.lastModified),
	changeKey: (item) => item.changeKey,
	categories: (item) => [...item.categories],
	receivedDateTime: (item) => graphDate(item.dateTimeReceived),
	sentDateTime: (item) => graphDate(item.dateTimeSent),
	hasAttachments: (item) => item.attachments.some((attachment) => !attachment.isInline),
	internetMessageId: (item) => item.internetMessageId,
	subject: (item) => item.subject,
	bodyPreview: (item) => (item.text ?? textFromHtml(item.html ?? '')).replace(/\s+/g, ' ').trim().slice(0, 255),
	importance: (item) => item.importance.toLowerCase(),
	parentFolderId: (item) => graphIdOf(item.folderId, 'folder'),
	conversationId: (item) => item.conversationId,
	conversationIndex: (item) => Buffer.from(item.conversationId).subarray(0, 22).toString('base64'),
	isDeliveryReceiptRequested: () => false,
	isReadReceiptRequested: () => false,
	isRead: (item) => item.isRead,
	isDraft: (item) => item.isDraft,
	webLink: (item, options) => `https://outlook.office365.com/owa/?ItemID=${encodeURIComponent(messageId(item, options))}&exvsurl=1&viewmodel=ReadMessageItem`,
	inferenceClassification: () => 'focused',
	body: (item, options) => body(item, options.textBody),
	sender: (item) => (item.sender ?? item.from ? recipient((item.sender ?? item.from) as Address) : null),
	from: (item) => (item.from ? recipient(item.from) : null),
	toRecipients: (item) => item.to.map(recipient),
	ccRecipients: (item) => item.cc.map(recipient),
	bccRecipients: (item) => item.bcc.map(recipient),
	replyTo: (item) => item.replyTo.map(recipient),
	flag: (item) => ({
		flagStatus: flagStatus(item.flag.status),
		...(item.flag.startDate ? { startDateTime: utc(item.flag.startDate) } : {}),
		...(item.flag.dueDate ? { dueDateTime: utc(item.flag.dueDate) } : {}),
		...(item.flag.completeDate ? { completedDateTime: utc(item.flag.completeDate) } : {}),
	}),
	uniqueBody: (item, options) => body(item, options.textBody),
	internetMessageHeaders: (_item, _options, headers) => headers ?? [],
};
/** Only with $select: not in GET's default answer (message-get.md example 1). */
const SELECT_ONLY = new Set(['uniqueBody', 'internetMessageHeaders', 'conversationIndex']);
const DEFAULT_MESSAGE_PROPERTIES = Object.keys(MESSAGE_PROPERTIES).filter((name) => !SELECT_ONLY.has(name));

/** The property names of a $select for `type`, as declared (refuses unknown ones, like Graph). */
export function parseSelect(select: string | null, type: 'Message' | 'MailFolder' | 'Attachment'): string[] | undefined {
	if (select === null) return undefined;
	return select
		.split(',')
		.map((name) => name.trim())
		.filter(Boolean)
		.map((name) => {
			const property = findProperty(type, name);
			if (!property) throw errors.unknownProperty(name, type);
			return property.name;
		});
}

/** RFC 5322 header lines of raw MIME (for internetMessageHeaders). */
export function headersOf(mime: Buffer): { name: string; value: string }[] {
	const end = mime.indexOf('\r\n\r\n');
	const head = mime.subarray(0, end < 0 ? mime.length : end).toString('utf8');
	return head
		.replace(/\r?\n[ \t]+/g, ' ')
		.split(/\r?\n/)
		.map((line) => /^([^:]+):\s*(.*)$/.exec(line))
		.filter((match): match is RegExpExecArray => match !== null)
		.map((match) => ({ name: match[1], value: match[2] }));
}

export function messageJson(item: StoredItem, options: ShapeOptions, select?: string[], headers?: { name: string; value: string }[]): Record<string, unknown> {
	const json: Record<string, unknown> = { '@odata.etag': `W/"${item.changeKey}"`, id: messageId(item, options) };
	for (const name of select ?? DEFAULT_MESSAGE_PROPERTIES) {
		const shape = MESSAGE_PROPERTIES[name];
		if (shape) json[name] = shape(item, options, headers);
	}
	return json;
}

export interface FolderCounts {
	childFolderCount: number;
	unreadItemCount: number;
	totalItemCount: number;
}

export function folderJson(folder: StoredFolder, counts: FolderCounts, select?: string[]): Record<string, unknown> {
	const all: Record<string, unknown> = {
		id: graphIdOf(folder.id, 'folder'),
		displayName: folder.displayName,
		parentFolderId: folder.parentId ? graphIdOf(folder.parentId, 'folder') : null,
		childFolderCount: counts.childFolderCount,
		unreadItemCount: counts.unreadItemCount,
		totalItemCount: counts.totalItemCount,
		isHidden: folder.isHidden ?? false,
	};
	if (!select) return all;
	return Object.fromEntries(Object.entries(all).filter(([name]) => name === 'id' || select.includes(name)));
}

export function attachmentJson(attachment: StoredAttachment, select?: string[], withContent = true): Record<string, unknown> {
	const file = attachment.kind === 'file';
	const all: Record<string, unknown> = {
		'@odata.type': file ? '#microsoft.graph.fileAttachment' : '#microsoft.graph.itemAttachment',
		id: graphIdOf(attachment.id, 'attachment'),
		lastModifiedDateTime: graphDate(attachment.lastModified),
		name: attachment.name,
		contentType: attachment.contentType,
		size: attachment.content.length,
		isInline: attachment.isInline,
		...(file ? { contentId: attachment.contentId ?? null, contentLocation: null, ...(withContent ? { contentBytes: attachment.content.toString('base64') } : {}) } : {}),
	};
	if (!select) return all;
	return Object.fromEntries(Object.entries(all).filter(([name]) => name.startsWith('@') || name === 'id' || select.includes(name)));
}

/** $expand on messages: attachments, optionally with its own $select (attachments($select=name,size)). */
export function parseExpand(expand: string | null): { select?: string[] } | undefined {
	if (expand === null) return undefined;
	const match = /^\s*attachments(?:\(\$select=([^)]*)\))?\s*$/i.exec(expand);
	if (match) return { select: match[1] === undefined ? undefined : parseSelect(match[1], 'Attachment') };
	const name = expand.split('(')[0].trim();
	if (!findProperty('Message', name)) throw errors.unknownProperty(name, 'Message');
	throw errors.badQuery(`Parsing OData Select and Expand failed: the property '${name}' cannot be expanded here.`);
}
