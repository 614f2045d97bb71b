import type { IDataObject } from 'n8n-workflow';

/**
 * The one documented shape of a message in node output, shared by the Exchange node and the
 * trigger, so workflows can switch between them (and later between EWS and Graph) unchanged.
 */
export interface MailAddress {
	name: string;
	address: string;
}

export interface AttachmentInfo {
	id: string;
	name: string;
	contentType: string;
	size: number;
	isInline: boolean;
	contentId?: string;
}

export interface MessageShape extends IDataObject {
	subject: string;
	from: MailAddress | null;
	to: MailAddress[];
	cc: MailAddress[];
	bcc: MailAddress[];
	replyTo: MailAddress[];
	receivedAt: string | null;
	sentAt: string | null;
	isRead: boolean;
	importance: 'low' | 'normal' | 'high';
	categories: string[];
	flag: { status: 'notFlagged' | 'flagged' | 'complete'; startDate: string | null; dueDate: string | null };
	hasAttachments: boolean;
	bodyText?: string;
	bodyHtml?: string;
	attachments: AttachmentInfo[];
	/** Only when asked for ("Include Internet Headers"): header name → value (repeated headers joined by a line break). */
	internetHeaders?: Record<string, string>;
	id: string;
	changeKey: string;
	conversationId: string | null;
	internetMessageId: string | null;
	/** Only from the trigger, only when something of the message could not be read or downloaded: what, and why. */
	error?: string;
}

/** The order of the fields in node output: what people read first, identifiers last. */
const FIELD_ORDER: Array<keyof MessageShape> = [
	'error',
	'subject',
	'from',
	'to',
	'cc',
	'bcc',
	'replyTo',
	'receivedAt',
	'sentAt',
	'bodyText',
	'bodyHtml',
	'hasAttachments',
	'attachments',
	'isRead',
	'importance',
	'categories',
	'flag',
	'internetHeaders',
	'id',
	'changeKey',
	'conversationId',
	'internetMessageId',
];

/** The same message with its fields in FIELD_ORDER (n8n shows JSON keys in insertion order); other keys follow. */
export function orderMessageFields<T extends MessageShape>(message: T): T {
	const ordered: IDataObject = {};
	for (const key of FIELD_ORDER) if (message[key] !== undefined) ordered[key] = message[key];
	for (const [key, value] of Object.entries(message)) if (!(key in ordered)) ordered[key] = value;
	return ordered as T;
}

export type BodyChoice = 'none' | 'text' | 'html' | 'both';
