import type { EmailMessage } from 'ews-javascript-api';

import type { AttachmentInfo, MailAddress, MessageShape } from '../../mail/messageShape';
import { ewsLibrary } from './library';

/**
 * From ews-javascript-api objects to our message shape. Properties that were not loaded throw in
 * the library, so every read is guarded and falls back to an empty value.
 */
function read<T>(getter: () => T, fallback: T): T {
	try {
		const value = getter();
		return value === undefined || value === null ? fallback : value;
	} catch {
		return fallback;
	}
}

interface AddressLike {
	Name?: string;
	Address?: string;
}

function address(value: AddressLike | null | undefined): MailAddress | null {
	if (!value?.Address) return null;
	return { name: value.Name ?? '', address: value.Address };
}

function addresses(collection: { GetEnumerator(): AddressLike[] } | null | undefined): MailAddress[] {
	return (collection?.GetEnumerator() ?? []).map(address).filter((a): a is MailAddress => a !== null);
}

function isoDate(value: { ToISOString(): string } | null | undefined): string | null {
	return value ? value.ToISOString() : null;
}

export function attachmentInfo(attachment: { Id: string; Name: string; ContentType: string; Size: number; IsInline: boolean; ContentId?: string }): AttachmentInfo {
	return {
		id: attachment.Id,
		name: attachment.Name ?? '',
		contentType: attachment.ContentType ?? 'application/octet-stream',
		size: attachment.Size ?? 0,
		isInline: attachment.IsInline === true,
		...(attachment.ContentId ? { contentId: attachment.ContentId } : {}),
	};
}

const IMPORTANCE = ['low', 'normal', 'high'] as const;
const FLAG_STATUS = ['notFlagged', 'flagged', 'complete'] as const;

/** `text` / `html`: the bodies loaded for this message (see messages.ts for how they are requested). */
export function toMessageShape(message: EmailMessage, bodies: { text?: string; html?: string } = {}): MessageShape {
	const { BodyType } = ewsLibrary();
	const flag = read(() => message.Flag, null);
	const shape: MessageShape = {
		id: message.Id.UniqueId,
		changeKey: message.Id.ChangeKey,
		conversationId: read(() => message.ConversationId?.UniqueId ?? null, null),
		internetMessageId: read(() => message.InternetMessageId || null, null),
		subject: read(() => message.Subject, ''),
		from: read(() => address(message.From), null),
		to: read(() => addresses(message.ToRecipients), []),
		cc: read(() => addresses(message.CcRecipients), []),
		bcc: read(() => addresses(message.BccRecipients), []),
		replyTo: read(() => addresses(message.ReplyTo), []),
		receivedAt: read(() => isoDate(message.DateTimeReceived), null),
		sentAt: read(() => isoDate(message.DateTimeSent), null),
		isRead: read(() => message.IsRead, false),
		importance: IMPORTANCE[read(() => message.Importance as number, 1)] ?? 'normal',
		categories: read(() => message.Categories.GetEnumerator(), []),
		flag: {
			status: FLAG_STATUS[read(() => (flag?.FlagStatus as number) ?? 0, 0)] ?? 'notFlagged',
			startDate: read(() => isoDate(flag?.StartDate), null),
			dueDate: read(() => isoDate(flag?.DueDate), null),
		},
		hasAttachments: read(() => message.HasAttachments, false),
		attachments: read(
			() => message.Attachments.GetEnumerator().map((attachment) => attachmentInfo(attachment as unknown as Parameters<typeof attachmentInfo>[0])),
			[],
		),
	};
	const body = read(() => message.Body, null);
	if (bodies.text !== undefined) shape.bodyText = bodies.text;
	else if (body && body.BodyType === BodyType.Text) shape.bodyText = body.Text ?? '';
	if (bodies.html !== undefined) shape.bodyHtml = bodies.html;
	else if (body && body.BodyType === BodyType.HTML) shape.bodyHtml = body.Text ?? '';
	return shape;
}
