/**
 * Large EWS content as streams (rawSoap.ts, contentStream.ts, attachments.ts, messages.ts getMimes)
 * against the sandbox over HTTPS, every request validated against Microsoft's EWS schema: exact
 * bytes, app-only and delegated, a refreshed token, retries before the first byte only, and a
 * connection cut in the middle of the content.
 */
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';

import { MailError, type DownloadedAttachment, type ItemResult, type MailContent } from '../../nodes/shared/mail/store';
import { listAttachments } from '../../nodes/shared/transport/ews/attachments';
import { getMimes } from '../../nodes/shared/transport/ews/messages';
import { EwsMailStore } from '../../nodes/shared/transport/ews/store';
import { DEMO, type Sandbox } from '../sandbox';
import { appOnlyAuth, clientOn, delegatedAuth, useEwsSandbox } from './ewsSupport';

jest.setTimeout(120_000);

const currentSandbox = useEwsSandbox();
let sandbox: Sandbox;
beforeAll(() => {
	sandbox = currentSandbox();
});

const MB = 1024 * 1024;
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

async function bytesOf(content: MailContent): Promise<Buffer> {
	if (Buffer.isBuffer(content)) return content;
	const pieces: Buffer[] = [];
	for await (const piece of content) pieces.push(piece as Buffer);
	return Buffer.concat(pieces);
}

/** Reads a stream to its end, keeping only the hash and the length (a 30 MB file is not held). */
async function digestOf(content: MailContent): Promise<{ sha256: string; length: number }> {
	const hash = createHash('sha256');
	let length = 0;
	for await (const piece of Buffer.isBuffer(content) ? [content] : content) {
		hash.update(piece as Buffer);
		length += (piece as Buffer).length;
	}
	return { sha256: hash.digest('hex'), length };
}

function deliverWith(mailbox: string, files: Buffer[]): string {
	return sandbox.ews.store.deliver(mailbox, {
		from: 'vendor@example.test',
		to: mailbox,
		subject: 'Scans',
		text: 'attached',
		attachments: files.map((content, index) => ({ filename: `file-${index}.bin`, content, contentType: 'application/octet-stream' })),
	});
}

const value = (result: ItemResult<DownloadedAttachment>) => {
	if (!result.ok) throw new MailError(result.failure);
	return result.value;
};

/** One attachment of `size` random bytes, its download handed out (not yet read) by a store whose waits go to `waits`. */
async function oneLargeDownload(size: number, waits: number[] = []) {
	const mailbox = DEMO.sharedMailbox;
	const file = randomBytes(size);
	const messageId = deliverWith(mailbox, [file]);
	const store = new EwsMailStore(clientOn(sandbox, await appOnlyAuth(sandbox), waits));
	const [result] = await store.downloadAttachments(mailbox, [{ messageId, attachmentId: (await store.listAttachments(mailbox, messageId))[0].id, size: file.length }]);
	return { mailbox, file, content: value(result).content };
}

function expectSchemaValid() {
	expect(sandbox.ews.validator).toBeDefined();
	expect(sandbox.ews.requests.filter((request) => request.responseCode === 'ErrorSchemaValidation')).toEqual([]);
}

it('attachments of 0 B, 1 B, 1 MB - 1, 1 MB, 5 MB and 30 MB arrive byte-exact; from 1 MB as lazy streams of one GetAttachment each (app-only)', async () => {
	const mailbox = DEMO.sharedMailbox;
	const files = [0, 1, MB - 1, MB, 5 * MB, 30 * MB].map((size) => randomBytes(size));
	const messageId = deliverWith(mailbox, files);
	const store = new EwsMailStore(clientOn(sandbox, await appOnlyAuth(sandbox)));
	const listed = await store.listAttachments(mailbox, messageId);
	sandbox.ews.clearRequests();
	const results = (await store.downloadAttachments(mailbox, listed.map((a) => ({ messageId, attachmentId: a.id, size: a.size })))).map(value);
	// The three small ones in one batched call; nothing of the large ones is asked for before they are read.
	expect(sandbox.ews.counts()).toEqual({ GetItem: 1, GetAttachment: 1 });
	expect(results.map((result) => result.content instanceof Readable)).toEqual([false, false, false, true, true, true]);
	expect(results.map((result) => [result.fileName, result.mimeType, result.info.size])).toEqual(files.map((file, index) => [`file-${index}.bin`, 'application/octet-stream', file.length]));
	for (const [index, result] of results.entries()) {
		expect(await digestOf(result.content)).toEqual({ sha256: sha256(files[index]), length: files[index].length });
	}
	expect(sandbox.ews.counts()).toEqual({ GetItem: 1, GetAttachment: 4 });
	expect(sandbox.ews.requests.every((request) => request.status === 200 && request.impersonated === mailbox && request.anchorMailbox === mailbox && !request.anchorMismatch)).toBe(true);
	expectSchemaValid();
});

it('an attachment of unknown size (one id, as Attachment → Download asks) is looked up and streamed when large; an attached message comes as a streamed .eml', async () => {
	const mailbox = DEMO.sharedMailbox;
	const big = randomBytes(2 * MB);
	const messageId = deliverWith(mailbox, [big]);
	const mime = Buffer.concat([Buffer.from('From: a@example.test\r\nSubject: forwarded\r\nContent-Type: application/octet-stream\r\n\r\n'), Buffer.from(randomBytes(1.5 * MB).toString('base64'))]);
	const attached = sandbox.ews.store.addAttachment(messageId, { kind: 'item', name: 'Fwd: forwarded', contentType: 'message/rfc822', content: mime, isInline: false });
	const store = new EwsMailStore(clientOn(sandbox, await appOnlyAuth(sandbox)));
	const [file] = await listAttachments(store.client, mailbox, messageId);
	const [fileResult, itemResult] = (await store.downloadAttachments(mailbox, [{ messageId, attachmentId: file.id }, { messageId, attachmentId: attached.id }])).map(value);
	expect(fileResult.content).toBeInstanceOf(Readable);
	expect(sha256(await bytesOf(fileResult.content))).toBe(sha256(big));
	expect([itemResult.fileName, itemResult.mimeType, itemResult.content instanceof Readable]).toEqual(['Fwd_ forwarded.eml', 'message/rfc822', true]);
	expect(sha256(await bytesOf(itemResult.content))).toBe(sha256(mime));
	expectSchemaValid();
});

it('getMimes: each .eml a stream of its own GetItem, byte-exact, delegated (no impersonation)', async () => {
	const mailbox = DEMO.user;
	const ids = [deliverWith(mailbox, [randomBytes(3 * MB)]), deliverWith(mailbox, [])];
	const client = clientOn(sandbox, await delegatedAuth(sandbox));
	const results = await getMimes(client, mailbox, ids);
	expect(sandbox.ews.requests).toHaveLength(0);
	for (const [index, result] of results.entries()) {
		if (!result.ok) throw new MailError(result.failure);
		const expected = await sandbox.ews.store.mimeOf(sandbox.ews.store.getItem(ids[index])!);
		expect(sha256(await bytesOf(result.value))).toBe(sha256(expected));
	}
	expect(sandbox.ews.counts()).toEqual({ GetItem: 2 });
	expect(sandbox.ews.requests.every((request) => request.impersonated === undefined && request.mailbox === mailbox)).toBe(true);
	expectSchemaValid();
});

it('an expired token (401): one refresh, then the content', async () => {
	const { file, content } = await oneLargeDownload(2 * MB);
	sandbox.ews.failNext('expiredToken', 1, { operation: 'GetAttachment' });
	const tokensBefore = sandbox.entra.requests.length;
	expect(sha256(await bytesOf(content))).toBe(sha256(file));
	expect(sandbox.ews.requests.filter((request) => request.operation === 'GetAttachment').map((request) => request.status)).toEqual([401, 200]);
	expect(sandbox.entra.requests.length).toBe(tokensBefore + 1);
});

it.each([
	['HTTP 503 with Retry-After', 'http503' as const, 1000],
	['ErrorServerBusy with BackOffMilliseconds', 'ErrorServerBusy' as const, 2500],
])('%s before the first byte: waited out and retried', async (_, fault, wait) => {
	const waits: number[] = [];
	const { file, content } = await oneLargeDownload(MB + 17, waits);
	sandbox.ews.failNext(fault, 2, { operation: 'GetAttachment', backOffMs: 2500 });
	expect(sha256(await bytesOf(content))).toBe(sha256(file));
	expect(waits).toEqual([wait, wait]);
	expect(sandbox.ews.requests.filter((request) => request.operation === 'GetAttachment')).toHaveLength(3);
});

it('a connection dropped in the middle of the content: the stream fails with a MailError (unavailable, the server named), never ends short, and is not repeated', async () => {
	const waits: number[] = [];
	const { mailbox, file, content } = await oneLargeDownload(4 * MB, waits);
	sandbox.ews.failNext('cutAnswer', 1, { operation: 'GetAttachment' });
	let received = 0;
	const error = await (async () => {
		for await (const piece of content as Readable) received += (piece as Buffer).length;
	})().catch((caught: unknown) => caught);
	expect(error).toBeInstanceOf(MailError);
	expect((error as MailError).failure).toMatchObject({ api: 'ews', code: 'ECONNRESET', kind: 'unavailable', server: new URL(sandbox.ews.url).host, mailbox });
	expect(received).toBeGreaterThan(0);
	expect(received).toBeLessThan(file.length);
	expect(waits).toEqual([]);
	expect(sandbox.ews.requests.filter((request) => request.operation === 'GetAttachment')).toHaveLength(1);
});

it('an attachment gone before it is read: its stream fails with ErrorItemNotFound; the others still arrive', async () => {
	const mailbox = DEMO.sharedMailbox;
	const files = [randomBytes(MB), randomBytes(MB)];
	const messageId = deliverWith(mailbox, files);
	const store = new EwsMailStore(clientOn(sandbox, await appOnlyAuth(sandbox)));
	const listed = await store.listAttachments(mailbox, messageId);
	const results = (await store.downloadAttachments(mailbox, listed.map((a) => ({ messageId, attachmentId: a.id, size: a.size })))).map(value);
	const item = sandbox.ews.store.getItem(messageId)!;
	item.attachments = item.attachments.filter((attachment) => attachment.id !== listed[0].id);
	await expect(bytesOf(results[0].content)).rejects.toMatchObject({ failure: { code: 'ErrorItemNotFound', kind: 'notFound' } });
	expect(sha256(await bytesOf(results[1].content))).toBe(sha256(files[1]));
});

it('streams handed out together hold a request slot only while read (one slot per mailbox: no deadlock); one dropped unread sends nothing', async () => {
	const mailbox = DEMO.sharedMailbox;
	const files = [randomBytes(MB), randomBytes(MB), randomBytes(MB)];
	const messageId = deliverWith(mailbox, files);
	const store = new EwsMailStore(clientOn(sandbox, await appOnlyAuth(sandbox), [], { maxConcurrencyPerMailbox: 1 }));
	const listed = await store.listAttachments(mailbox, messageId);
	const results = (await store.downloadAttachments(mailbox, listed.map((a) => ({ messageId, attachmentId: a.id, size: a.size })))).map(value);
	sandbox.ews.clearRequests();
	(results[1].content as Readable).destroy();
	// Given up after its first piece: the request is aborted and its slot freed.
	for await (const _ of results[0].content as Readable) break;
	expect(sha256(await bytesOf(results[2].content))).toBe(sha256(files[2]));
	expect(sandbox.ews.counts()).toEqual({ GetAttachment: 2 });
});
