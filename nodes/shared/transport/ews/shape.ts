import type { EmailMessage } from 'ews-javascript-api';

import type { AttachmentInfo, MailAddress, MessageShape } from '../../mail/messageShape';
import { ewsLibrary } from './library';

/**
 * From ews-javascript-api objects to our message shape: the one place where values read from the
 * library become the documented types. Two reasons every read is guarded and coerced:
 * - Properties that were not loaded throw in the library.
 * - The library's XML reader (xml2JsObject.parseXMLNode in soap mode) returns an element's text
 *   trimmed, `null` for an empty element, and, for an element whose only text is whitespace, the
 *   element itself as an object (`{ __prefix, __type }`). So a whitespace-only subject, display
 *   name, attachment name or content type, category or header value arrives as an object (or, next
 *   to an attribute, as nothing). Anyone who can send mail can produce one.
 */
export function read<T>(getter: () => T, fallback: T): T {
	try {
		const value = getter();
		return value === undefined || value === null ? fallback : value;
	} catch {
		return fallback;
	}
}

/**
 * V8 keeps a substring of 13 characters or more as a slice of the string it was cut from: a subject or an
 * attachment name read by the library would keep its whole SOAP answer (13 MB for a batch of attachments)
 * alive as long as the item that holds it. structuredClone makes an exact copy of its own.
 */
const SLICED_FROM = 13;
const ownString = (value: string) => (value.length >= SLICED_FROM ? structuredClone(value) : value);

/** A library value as text: strings as an own copy, numbers and booleans spelled out, anything else (the whitespace-only object) empty. */
export function textOf(value: unknown): string {
	if (typeof value === 'string') return ownString(value);
	if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
	return '';
}

/** Reads a text property that may be missing, unloaded or mis-typed. */
export function readText(getter: () => unknown): string {
	return textOf(read(getter, ''));
}

function numberOf(value: unknown): number {
	const number = typeof value === 'number' ? value : Number(textOf(value) || Number.NaN);
	return Number.isFinite(number) ? number : 0;
}

export function booleanOf(value: unknown): boolean {
	return value === true || textOf(value).toLowerCase() === 'true';
}

function address(value: unknown): MailAddress | null {
	if (!value || typeof value !== 'object') return null;
	const entry = value as { Name?: unknown; Address?: unknown };
	const email = readText(() => entry.Address).trim();
	if (!email) return null;
	return { name: readText(() => entry.Name), address: email };
}

function addresses(getter: () => { GetEnumerator(): unknown[] } | null | undefined): MailAddress[] {
	const list = read(() => getter()?.GetEnumerator(), []);
	return Array.isArray(list) ? list.map(address).filter((a): a is MailAddress => a !== null) : [];
}

/** A library DateTime as ISO text, or null. */
export function isoDate(getter: () => unknown): string | null {
	return read(() => {
		const value = getter() as { ToISOString?: () => unknown } | null | undefined;
		return typeof value?.ToISOString === 'function' ? textOf(value.ToISOString()) || null : null;
	}, null);
}

/** Attachment metadata from a library attachment object (GetItem's Attachments or GetAttachment). */
export function attachmentInfo(attachment: unknown): AttachmentInfo {
	const source = (attachment ?? {}) as Record<string, unknown>;
	const contentId = readText(() => source.ContentId);
	return {
		id: readText(() => source.Id),
		name: readText(() => source.Name),
		contentType: readText(() => source.ContentType).trim() || 'application/octet-stream',
		size: numberOf(read(() => source.Size, 0)),
		isInline: booleanOf(read(() => source.IsInline, false)),
		...(contentId ? { contentId } : {}),
	};
}

/** The items of a library collection (attachments, categories, headers), [] when not loaded. */
export function entriesOf<T>(getter: () => { GetEnumerator(): T[] } | null | undefined): T[] {
	const list = read(() => getter()?.GetEnumerator(), []);
	return Array.isArray(list) ? list : [];
}

const IMPORTANCE = ['low', 'normal', 'high'] as const;
const FLAG_STATUS = ['notFlagged', 'flagged', 'complete'] as const;

/** `text` / `html`: the bodies loaded for this message (see messages.ts for how they are requested). */
export function toMessageShape(message: EmailMessage, bodies: { text?: string; html?: string } = {}): MessageShape {
	const { BodyType } = ewsLibrary();
	const flag = read(() => message.Flag, null);
	const shape: MessageShape = {
		id: readText(() => message.Id.UniqueId),
		changeKey: readText(() => message.Id.ChangeKey),
		conversationId: readText(() => message.ConversationId?.UniqueId) || null,
		internetMessageId: readText(() => message.InternetMessageId).trim() || null,
		subject: readText(() => message.Subject),
		from: read(() => address(message.From), null),
		to: addresses(() => message.ToRecipients),
		cc: addresses(() => message.CcRecipients),
		bcc: addresses(() => message.BccRecipients),
		replyTo: addresses(() => message.ReplyTo),
		receivedAt: isoDate(() => message.DateTimeReceived),
		sentAt: isoDate(() => message.DateTimeSent),
		isRead: booleanOf(read(() => message.IsRead, false)),
		importance: IMPORTANCE[read(() => message.Importance as number, 1)] ?? 'normal',
		// An empty category (whitespace only on the wire) names nothing.
		categories: entriesOf(() => message.Categories).map(textOf).filter(Boolean),
		flag: {
			status: FLAG_STATUS[read(() => (flag?.FlagStatus as number) ?? 0, 0)] ?? 'notFlagged',
			startDate: isoDate(() => flag?.StartDate),
			dueDate: isoDate(() => flag?.DueDate),
		},
		hasAttachments: booleanOf(read(() => message.HasAttachments, false)),
		attachments: entriesOf(() => message.Attachments).map(attachmentInfo),
	};
	const body = read(() => message.Body, null);
	const bodyText = body ? readText(() => body.Text) : '';
	if (bodies.text !== undefined) shape.bodyText = bodies.text;
	else if (body && body.BodyType === BodyType.Text) shape.bodyText = bodyText;
	if (bodies.html !== undefined) shape.bodyHtml = bodies.html;
	else if (body && body.BodyType === BodyType.HTML) shape.bodyHtml = bodyText;
	return shape;
}
