import type { EmailAddressCollection, EmailMessage, ExchangeService, FolderId } from 'ews-javascript-api';

import type { MailAddress } from '../../mail/messageShape';
import { contentBytes, STREAMED_CONTENT_FROM, type BodyFormat, type NewMessage, type OutgoingAttachment, type ResponseInput, type ResponseKind, type SentSummary } from '../../mail/store';
import { uploadAttachments } from './attachmentUpload';
import type { EwsClient } from './client';
import { wellKnownFolderId } from './folders';
import { ewsLibrary } from './library';

/**
 * Outgoing mail over EWS: new messages (CreateItem with SendOnly / SendAndSaveCopy) and replies /
 * forwards (ReplyToItem, ReplyAllToItem, ForwardItem). Sending is never repeated after an unclear
 * failure (a retry could send twice); only a 401, which Exchange answers before doing anything,
 * is retried with a fresh token.
 */

function addAll(collection: EmailAddressCollection, addresses: MailAddress[]): void {
	const { EmailAddress } = ewsLibrary();
	for (const entry of addresses) collection.Add(new EmailAddress(entry.name || entry.address, entry.address));
}

function messageBody(format: BodyFormat, text: string) {
	const { MessageBody, BodyType } = ewsLibrary();
	return new MessageBody(format === 'html' ? BodyType.HTML : BodyType.Text, text);
}

/**
 * From the size downloads stream at, attachments go up as a stream too (attachmentUpload.ts) into a
 * draft that is then sent; below it the library writes them into its SOAP, one call fewer.
 */
const streamsAttachments = (attachments: OutgoingAttachment[]) => attachments.some((attachment) => attachment.size >= STREAMED_CONTENT_FROM);

/**
 * Streams the attachments into the draft `draftId`, then sends it (bound again: adding attachments
 * changed its ChangeKey). When an attachment cannot be uploaded nothing was sent and the draft is
 * deleted (best effort), as on Graph.
 */
async function attachAndSend(client: EwsClient, mailbox: string, draftId: string, attachments: OutgoingAttachment[], saveToSentItems: boolean, sentItems: FolderId): Promise<void> {
	const { EmailMessage, ItemId, PropertySet, BasePropertySet, DeleteMode } = ewsLibrary();
	const bind = async (service: ExchangeService) => await EmailMessage.Bind(service, new ItemId(draftId), new PropertySet(BasePropertySet.IdOnly));
	try {
		await uploadAttachments(client, mailbox, draftId, attachments);
	} catch (error) {
		await client.run(mailbox, async (service) => await (await bind(service)).Delete(DeleteMode.HardDelete), { idempotent: true }).catch(() => undefined);
		throw error;
	}
	await client.run(mailbox, async (service) => await sendDraft(await bind(service), saveToSentItems, sentItems), { idempotent: false });
}

/** The library writes attachments into its SOAP as base64 text: read each whole, once, before any call (a retried call reuses them). */
async function libraryAttachments(attachments: OutgoingAttachment[]): Promise<Array<OutgoingAttachment & { base64: string }>> {
	const read: Array<OutgoingAttachment & { base64: string }> = [];
	for (const attachment of attachments) read.push({ ...attachment, base64: (await contentBytes(attachment.content)).toString('base64') });
	return read;
}

function addAttachments(message: EmailMessage, attachments: Array<OutgoingAttachment & { base64: string }>): void {
	for (const attachment of attachments) {
		const file = message.Attachments.AddFileAttachment(attachment.name, attachment.base64);
		file.ContentType = attachment.contentType;
		if (attachment.contentId) {
			file.ContentId = attachment.contentId;
			file.IsInline = true;
		}
	}
}

/** ExchangeService.CreateItem is implemented but left out of the library's typings (marked internal). */
interface ItemCalls {
	CreateItem(item: EmailMessage, parentFolderId: FolderId | null, messageDisposition: number, sendInvitationsMode: null): Promise<unknown>;
}

/** Folders of the target mailbox, so a delegate's copies land in the shared mailbox, not their own. */
function folders(mailbox: string): { drafts: FolderId; sentItems: FolderId } {
	return { drafts: wellKnownFolderId('drafts', mailbox), sentItems: wellKnownFolderId('sentitems', mailbox) };
}

async function sendDraft(message: EmailMessage, saveToSentItems: boolean, sentItems: FolderId): Promise<void> {
	if (saveToSentItems) await message.SendAndSaveCopy(sentItems);
	else await message.Send();
}

/**
 * Sends a new message from `mailbox`. `asDelegate`: the signed-in user sends for a mailbox other
 * than their own, so From is set to it (Exchange checks SendAs / SendOnBehalf).
 */
export async function sendMessage(client: EwsClient, mailbox: string, input: NewMessage, options: { asDelegate: boolean }): Promise<SentSummary> {
	const { EmailMessage: EmailMessageClass, EmailAddress, Importance, MessageDisposition } = ewsLibrary();
	const { drafts, sentItems } = folders(mailbox);
	const streamed = streamsAttachments(input.attachments);
	const attachments = streamed ? [] : await libraryAttachments(input.attachments);
	const draftId = await client.run(
		mailbox,
		async (service: ExchangeService) => {
			const message = new EmailMessageClass(service);
			message.Subject = input.subject;
			message.Body = messageBody(input.bodyFormat, input.body);
			addAll(message.ToRecipients, input.to);
			addAll(message.CcRecipients, input.cc);
			addAll(message.BccRecipients, input.bcc);
			addAll(message.ReplyTo, input.replyTo);
			if (input.importance) message.Importance = { low: Importance.Low, normal: Importance.Normal, high: Importance.High }[input.importance];
			if (options.asDelegate) message.From = new EmailAddress(mailbox);
			if (streamed) {
				await message.Save(drafts);
				return message.Id.UniqueId;
			}
			addAttachments(message, attachments);
			// One CreateItem with the attachments inline. EmailMessage.Send() would, for a message with
			// attachments, save a draft in the signed-in user's Drafts, then add every attachment a
			// second time with CreateAttachment (the library writes them into CreateItem already),
			// then SendItem: three calls and each attachment twice.
			await (service as unknown as ItemCalls).CreateItem(
				message,
				input.saveToSentItems ? sentItems : null,
				input.saveToSentItems ? MessageDisposition.SendAndSaveCopy : MessageDisposition.SendOnly,
				null,
			);
			return undefined;
		},
		{ idempotent: false },
	);
	if (draftId) await attachAndSend(client, mailbox, draftId, input.attachments, input.saveToSentItems, sentItems);
	return {
		mailbox,
		subject: input.subject,
		to: input.to,
		cc: input.cc,
		bcc: input.bcc,
		attachments: input.attachments.map((attachment) => attachment.name),
		savedToSentItems: input.saveToSentItems,
	};
}

/** Reply, reply all or forward: the original is quoted by Exchange, our comment goes above it. */
export async function respondToMessage(client: EwsClient, mailbox: string, messageId: string, input: ResponseInput): Promise<SentSummary & { kind: ResponseKind; respondedTo: string }> {
	const { EmailMessage: EmailMessageClass, ItemId, PropertySet, BasePropertySet } = ewsLibrary();
	const { drafts, sentItems } = folders(mailbox);
	const streamed = streamsAttachments(input.attachments);
	const attachments = streamed ? [] : await libraryAttachments(input.attachments);
	// Reading the original is safe to repeat; it also proves the id before anything is sent.
	const original = await client.run(
		mailbox,
		async (service) => await EmailMessageClass.Bind(service, new ItemId(messageId), new PropertySet(BasePropertySet.IdOnly)),
		{ idempotent: true },
	);
	const draftId = await client.run(
		mailbox,
		// The bound original keeps the service it was read with: this mailbox's, whose token a 401 renews.
		async () => {
			const response = input.kind === 'forward' ? original.CreateForward() : original.CreateReply(input.kind === 'replyAll');
			if (input.comment) response.BodyPrefix = messageBody(input.commentFormat, input.comment);
			if (input.subject) response.Subject = input.subject;
			addAll(response.ToRecipients, input.to);
			addAll(response.CcRecipients, input.cc);
			addAll(response.BccRecipients, input.bcc);
			if (input.attachments.length === 0) {
				if (input.saveToSentItems) await response.SendAndSaveCopy(sentItems);
				else await response.Send();
				return undefined;
			}
			// A response object cannot carry attachments: save it as a draft, attach, then send.
			const draft = await response.Save(drafts);
			if (streamed) return draft.Id.UniqueId;
			addAttachments(draft, attachments);
			await sendDraft(draft, input.saveToSentItems, sentItems);
			return undefined;
		},
		{ idempotent: false },
	);
	if (draftId) await attachAndSend(client, mailbox, draftId, input.attachments, input.saveToSentItems, sentItems);
	return {
		mailbox,
		kind: input.kind,
		respondedTo: messageId,
		subject: input.subject ?? '',
		to: input.to,
		cc: input.cc,
		bcc: input.bcc,
		attachments: input.attachments.map((attachment) => attachment.name),
		savedToSentItems: input.saveToSentItems,
	};
}
