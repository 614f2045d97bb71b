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
	id: string;
	changeKey: string;
	conversationId: string | null;
	internetMessageId: string | null;
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
}

export type BodyChoice = 'none' | 'text' | 'html' | 'both';
