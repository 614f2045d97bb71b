/**
 * n8n's prepareBinaryData for the stand-in contexts, as n8n 2.40.7 behaves in its in-memory ("default")
 * binary mode: a Buffer is kept as it is, a stream is read to its end (binaryToBuffer) and a failure of
 * the stream rejects the call. Never a silent partial read: what n8n would store is what is stored.
 */
import { Readable } from 'node:stream';

import type { IBinaryData } from 'n8n-workflow';

import type { MailContent } from '../../nodes/shared/mail/store';

/** All the bytes of downloaded content (a stream is read to its end). */
export async function contentOf(content: MailContent): Promise<Buffer> {
	if (Buffer.isBuffer(content)) return content;
	if (!(content instanceof Readable)) throw new TypeError(`prepareBinaryData takes a Buffer or a Readable, not ${typeof content}`);
	const chunks: Buffer[] = [];
	for await (const chunk of content) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string));
	return Buffer.concat(chunks);
}

export async function storeBinary(content: MailContent, fileName?: string, mimeType?: string): Promise<IBinaryData> {
	const data = await contentOf(content);
	return { data: data.toString('base64'), fileName, mimeType: mimeType ?? 'application/octet-stream', fileSize: String(data.length), bytes: data.length };
}
