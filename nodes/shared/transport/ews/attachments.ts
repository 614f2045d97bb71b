import type { FileAttachment, ItemAttachment } from 'ews-javascript-api';

import type { AttachmentInfo } from '../../mail/messageShape';
import { unwrap, type DownloadedAttachment, type ItemResult } from '../../mail/store';
import { BATCH_SIZE, chunk, perItemResults } from './batch';
import type { EwsClient } from './client';
import { ewsLibrary } from './library';
import { attachmentInfo, entriesOf, readText } from './shape';

/**
 * Attachments over EWS: metadata comes with the message (GetItem), content with GetAttachment.
 * File attachments arrive as Base64Content (the library has no byte Content); item attachments
 * (attached messages) cannot be loaded as files, so they are fetched with their MimeContent and
 * handed out as .eml.
 */

/** Metadata of every attachment of one message (inline ones included, flagged as such). */
export async function listAttachments(client: EwsClient, mailbox: string, messageId: string): Promise<AttachmentInfo[]> {
	const { ItemId, PropertySet, BasePropertySet, ItemSchema } = ewsLibrary();
	const responses = await client.run(
		mailbox,
		async (service) => await service.BindToItems([new ItemId(messageId)], new PropertySet(BasePropertySet.IdOnly, [ItemSchema.Attachments, ItemSchema.HasAttachments])),
		{ idempotent: true },
	);
	const [result] = perItemResults(responses, (response) =>
		entriesOf(() => response.Item.Attachments).map(attachmentInfo),
	);
	return unwrap(result);
}

function safeFileName(name: string, fallback: string): string {
	const cleaned = name.replace(/[\\/:*?"<>|\r\n]+/g, '_').trim();
	return cleaned || fallback;
}

/** Ids per GetAttachment call, and the bytes per call (base64 adds a third on the wire). */
const ATTACHMENT_BATCH = { ids: 100, bytes: 16 * 1024 * 1024 };

/** Groups ids so that a call carries at most 100 attachments and about 16 MB (a larger one goes alone). */
function attachmentBatches(ids: string[], sizes?: number[]): string[][] {
	if (!sizes) return chunk(ids, BATCH_SIZE.getWithMime);
	const batches: string[][] = [];
	let current: string[] = [];
	let bytes = 0;
	ids.forEach((id, index) => {
		const size = sizes[index] ?? 0;
		if (current.length && (current.length >= ATTACHMENT_BATCH.ids || bytes + size > ATTACHMENT_BATCH.bytes)) {
			batches.push(current);
			current = [];
			bytes = 0;
		}
		current.push(id);
		bytes += size;
	});
	if (current.length) batches.push(current);
	return batches;
}

/**
 * Content of the given attachments, one result per id, in order. With `sizes` (from the message's
 * attachment metadata) calls are filled up to a byte budget; without, 10 ids per call.
 */
export async function downloadAttachments(client: EwsClient, mailbox: string, attachmentIds: string[], sizes?: number[]): Promise<Array<ItemResult<DownloadedAttachment>>> {
	const { ItemSchema, FileAttachment: FileAttachmentClass } = ewsLibrary();
	const results: Array<ItemResult<DownloadedAttachment>> = [];
	for (const batch of attachmentBatches(attachmentIds, sizes)) {
		const responses = await client.run(
			mailbox,
			// BodyType is left out (undefined): the request then carries no BodyType element.
			async (service) => await service.GetAttachments(batch, undefined as never, [ItemSchema.MimeContent]),
			{ idempotent: true },
		);
		results.push(
			...perItemResults(responses, (response) => {
				const attachment = response.Attachment as FileAttachment | ItemAttachment;
				const info = attachmentInfo(attachment);
				if (attachment instanceof FileAttachmentClass) {
					return { info, fileName: safeFileName(info.name, 'attachment'), mimeType: info.contentType, content: Buffer.from(readText(() => attachment.Base64Content), 'base64') };
				}
				const mime = readText(() => (attachment as ItemAttachment).Item?.MimeContent?.Content);
				const base = safeFileName(info.name, 'message');
				return {
					info,
					fileName: /\.eml$/i.test(base) ? base : `${base}.eml`,
					mimeType: 'message/rfc822',
					content: Buffer.from(mime, 'base64'),
				};
			}),
		);
	}
	return results;
}
