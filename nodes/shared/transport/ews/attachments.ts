import type { FileAttachment, ItemAttachment } from 'ews-javascript-api';

import type { AttachmentInfo } from '../../mail/messageShape';
import { STREAMED_CONTENT_FROM, unwrap, type AttachmentRef, type DownloadedAttachment, type ItemResult, type MailContent } from '../../mail/store';
import { BATCH_SIZE, chunk, perItemResults } from './batch';
import type { EwsClient } from './client';
import { streamedContent } from './contentStream';
import { ewsLibrary } from './library';
import { escapeXml } from './rawSoap';
import { attachmentInfo, entriesOf, readText } from './shape';

/**
 * Attachments over EWS: metadata comes with the message (GetItem), content with GetAttachment.
 * Small ones come in batched library calls: file attachments as Base64Content (the library has no
 * byte Content); item attachments (attached messages) cannot be loaded as files, so they are
 * fetched with their MimeContent and handed out as .eml. Large ones (STREAMED_CONTENT_FROM) come
 * one per GetAttachment as streams (contentStream.ts), the same way.
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

/** How an attachment's bytes are named and typed: an attached message is an .eml. */
function downloaded(info: AttachmentInfo, isItem: boolean, content: MailContent): DownloadedAttachment {
	if (!isItem) return { info, fileName: safeFileName(info.name, 'attachment'), mimeType: info.contentType, content };
	const base = safeFileName(info.name, 'message');
	return { info, fileName: /\.eml$/i.test(base) ? base : `${base}.eml`, mimeType: 'message/rfc822', content };
}

/** Content of the given attachments in batched library calls, one result per id, in order (see attachmentBatches). */
async function batchedDownloads(client: EwsClient, mailbox: string, attachmentIds: string[], sizes?: number[]): Promise<Array<ItemResult<DownloadedAttachment>>> {
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
				if (attachment instanceof FileAttachmentClass) return downloaded(info, false, Buffer.from(readText(() => attachment.Base64Content), 'base64'));
				return downloaded(info, true, Buffer.from(readText(() => (attachment as ItemAttachment).Item?.MimeContent?.Content), 'base64'));
			}),
		);
	}
	return results;
}

interface Listed {
	info: AttachmentInfo;
	isItem: boolean;
}

/**
 * The listing (GetItem with Attachments, no content) of the messages of the attachments that may be
 * large (listed size from STREAMED_CONTENT_FROM, or unknown): what a stream is named and typed
 * before its request is sent, and whether it is a file or a message. A message that cannot be read
 * leaves its attachments to the batched path, which reports their failure.
 */
async function listedForStreaming(client: EwsClient, mailbox: string, refs: AttachmentRef[]): Promise<Map<string, Listed>> {
	const listed = new Map<string, Listed>();
	const messageIds = [...new Set(refs.filter((ref) => ref.messageId && (ref.size === undefined || ref.size >= STREAMED_CONTENT_FROM)).map((ref) => ref.messageId))];
	if (!messageIds.length) return listed;
	const { ItemId, PropertySet, BasePropertySet, ItemSchema, ItemAttachment: ItemAttachmentClass } = ewsLibrary();
	for (const batch of chunk(messageIds, BATCH_SIZE.get)) {
		const responses = await client.run(
			mailbox,
			async (service) => await service.BindToItems(batch.map((id) => new ItemId(id)), new PropertySet(BasePropertySet.IdOnly, [ItemSchema.Attachments])),
			{ idempotent: true },
		);
		for (const result of perItemResults(responses, (response) => entriesOf(() => response.Item.Attachments))) {
			if (!result.ok) continue;
			for (const attachment of result.value) {
				const info = attachmentInfo(attachment);
				listed.set(info.id, { info, isItem: attachment instanceof ItemAttachmentClass });
			}
		}
	}
	return listed;
}

/**
 * Content of the given attachments, one result per ref, in order. An attachment of
 * STREAMED_CONTENT_FROM or more (by its message's listing) is a stream that sends its own
 * GetAttachment when first read; the others come in batched calls, filled up to a byte budget
 * when every size is known (else 10 ids per call).
 */
export async function downloadAttachments(client: EwsClient, mailbox: string, refs: AttachmentRef[]): Promise<Array<ItemResult<DownloadedAttachment>>> {
	const listed = await listedForStreaming(client, mailbox, refs);
	const results: Array<ItemResult<DownloadedAttachment>> = new Array(refs.length);
	const batched: number[] = [];
	refs.forEach((ref, index) => {
		const large = listed.get(ref.attachmentId);
		if (!large || large.info.size < STREAMED_CONTENT_FROM) return void batched.push(index);
		const id = escapeXml(ref.attachmentId);
		// An attached message as its MIME; a file as its Content. Sent when the stream is first read.
		const request = large.isItem
			? `<m:GetAttachment><m:AttachmentShape><t:IncludeMimeContent>true</t:IncludeMimeContent></m:AttachmentShape><m:AttachmentIds><t:AttachmentId Id="${id}"/></m:AttachmentIds></m:GetAttachment>`
			: `<m:GetAttachment><m:AttachmentIds><t:AttachmentId Id="${id}"/></m:AttachmentIds></m:GetAttachment>`;
		results[index] = { ok: true, value: downloaded(large.info, large.isItem, streamedContent(client, mailbox, request, large.isItem ? 'MimeContent' : 'Content')) };
	});
	const sizes = batched.map((index) => refs[index].size ?? listed.get(refs[index].attachmentId)?.info.size);
	const fetched = await batchedDownloads(client, mailbox, batched.map((index) => refs[index].attachmentId), sizes.every((size) => size !== undefined) ? (sizes as number[]) : undefined);
	batched.forEach((index, position) => (results[index] = fetched[position]));
	return results;
}
