import { Readable } from 'node:stream';

import type { MailContent, OutgoingAttachment } from '../../mail/store';
import type { EwsClient } from './client';
import { escapeXml } from './rawSoap';
import { EwsHttpFailure } from './xhr';

/**
 * CreateAttachment written by us rather than by ews-javascript-api, which needs each file as one
 * base64 string inside one request string (about 2.7 times the file in memory, three times as text).
 * Here the request is a stream: the XML around each file, and the file encoded to base64 as it is
 * read, so a 100 MB file goes up with a chunk of it in memory.
 */

/** Bytes encoded per piece: a multiple of 3, so pieces join into one base64 text without padding inside. */
const PIECE = 3 * 64 * 1024;
/** A CreateAttachment answer lists ids only; more than this is not one. */
const MAX_ANSWER_CHARS = 1024 * 1024;

/** Base64 of `content` piece by piece, as it is read; the 0–2 bytes past a multiple of 3 wait for the next chunk. */
export async function* base64Pieces(content: MailContent): AsyncGenerator<string> {
	let rest = Buffer.alloc(0);
	for await (const chunk of (Buffer.isBuffer(content) ? [content] : content) as AsyncIterable<Buffer | string>) {
		const read = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
		const bytes = rest.length > 0 ? Buffer.concat([rest, read]) : read;
		const whole = bytes.length - (bytes.length % 3);
		for (let start = 0; start < whole; start += PIECE) yield bytes.subarray(start, Math.min(start + PIECE, whole)).toString('base64');
		rest = Buffer.from(bytes.subarray(whole));
	}
	if (rest.length > 0) yield rest.toString('base64');
}

const base64Length = (bytes: number) => 4 * Math.ceil(bytes / 3);

function attachmentXml(attachment: OutgoingAttachment): { open: string; close: string } {
	const inline = attachment.contentId ? `<t:ContentId>${escapeXml(attachment.contentId)}</t:ContentId><t:IsInline>true</t:IsInline>` : '';
	return {
		open: `<t:FileAttachment><t:Name>${escapeXml(attachment.name)}</t:Name><t:ContentType>${escapeXml(attachment.contentType)}</t:ContentType>${inline}<t:Content>`,
		close: '</t:Content></t:FileAttachment>',
	};
}

/**
 * Adds `attachments` to the item `parentId` (a draft) with one CreateAttachment whose body is
 * streamed, its length known up front (Content-Length, not chunked). Not repeated after an unclear
 * failure. A file that cannot be read aborts the request mid-body, so Exchange stores nothing of it,
 * and the read error (which names the field) is what is thrown.
 */
export async function uploadAttachments(client: EwsClient, mailbox: string, parentId: string, attachments: OutgoingAttachment[]): Promise<void> {
	const head = `<m:CreateAttachment><m:ParentItemId Id="${escapeXml(parentId)}"/><m:Attachments>`;
	const tail = '</m:Attachments></m:CreateAttachment>';
	const parts = attachments.map((attachment) => ({ attachment, ...attachmentXml(attachment) }));
	const bodyLength = Buffer.byteLength(head) + Buffer.byteLength(tail) + parts.reduce((sum, part) => sum + Buffer.byteLength(part.open) + base64Length(part.attachment.size) + Buffer.byteLength(part.close), 0);
	let attempt = 0;
	let readFailure: unknown;
	const body = () => {
		const contents = attachments.map((attachment) => contentFor(attachment, attempt));
		attempt++;
		return Readable.from(
			(async function* () {
				yield head;
				for (const [index, part] of parts.entries()) {
					yield part.open;
					const content = contents[index];
					try {
						yield* base64Pieces(content);
					} catch (error) {
						readFailure = error;
						throw error;
					} finally {
						if (!Buffer.isBuffer(content)) content.destroy();
					}
					yield part.close;
				}
				yield tail;
			})(),
			{ objectMode: false },
		);
	};
	try {
		await client.post(mailbox, { body, bodyLength }, { idempotent: false }, async (answer) => {
			let text = '';
			for await (const piece of answer.body as AsyncIterable<Buffer>) {
				text += piece.toString('utf8');
				if (text.length > MAX_ANSWER_CHARS) break;
			}
			answer.body.destroy();
			checkAnswer(text, attachments.length);
		});
	} catch (error) {
		throw readFailure ?? error;
	}
}

/** The content for attempt `attempt`: a Buffer every time, a stream once (then again through `reread`, after a token refresh). */
function contentFor(attachment: OutgoingAttachment, attempt: number): MailContent {
	if (Buffer.isBuffer(attachment.content) || attempt === 0) return attachment.content;
	if (attachment.reread) return attachment.reread();
	throw new Error(`The attachment "${attachment.name}" cannot be read a second time to send the request again`);
}

/** Every CreateAttachment response message a success; the first error as the failure it is. */
function checkAnswer(text: string, expected: number): void {
	const messages = [...text.matchAll(/<(?:[\w.-]+:)?CreateAttachmentResponseMessage\b[^>]*\bResponseClass="(\w+)"[^>]*>([\s\S]*?)<\/(?:[\w.-]+:)?CreateAttachmentResponseMessage>/g)];
	const failed = messages.find(([, responseClass]) => responseClass === 'Error');
	if (failed) {
		const element = (name: string) => new RegExp(`<(?:[\\w.-]+:)?${name}\\b[^>]*>([^<]*)<`).exec(failed[2])?.[1]?.trim();
		const code = element('ResponseCode') || 'ErrorInternalServerError';
		throw new EwsHttpFailure({ code, httpStatus: 200, message: element('MessageText') || `CreateAttachment failed with ${code}` });
	}
	if (messages.length !== expected) throw new EwsHttpFailure({ code: 'EwsUnreadableAnswer', httpStatus: 200, message: 'answered HTTP 200 with a SOAP envelope that is not an answer to this request' });
}
