/**
 * The trigger's attachment downloads, on both APIs. One attachment that cannot be had never blocks
 * the poll: one over Max Attachment Size is marked skipped without a download, one that disappears
 * between the feed and the download is marked on its own entry; everything else is complete and the
 * cursor moves on. On Graph, large content reaches n8n as a stream fetched only when n8n reads it,
 * one after the other, byte for byte; a failure while n8n reads it counts as for a result: an outage
 * fails the poll (the cursor stays, nothing is lost), a failure of that one attachment marks only it.
 */
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';

import type { MailApi } from '../../nodes/shared/mail/store';
import { BATCHED_CONTENT_LIMIT } from '../../nodes/shared/transport/graph/store';
import { DEMO, type Sandbox } from '../sandbox';
import { attachmentEntries, bytesOf, Poller, settingsFor, sha256, useTriggerSandbox, type PollerOptions } from './pollHarness';

jest.setTimeout(60_000);

const trigger = useTriggerSandbox('Downloads');
const freshFolder = trigger.freshFolder;
let sandbox: Sandbox;
beforeAll(() => {
	sandbox = trigger.sandbox();
});

function deliver(folder: string, subject: string, files: Record<string, Buffer | string>): string {
	const attachments = Object.entries(files).map(([filename, content]) => ({ filename, content: Buffer.from(content), contentType: 'application/octet-stream' }));
	return sandbox.ews.store.deliver(DEMO.sharedMailbox, { from: 'vendor@example.test', to: DEMO.sharedMailbox, subject, text: subject, folder, attachments });
}

function removeAttachment(itemId: string, name: string): void {
	sandbox.ews.store.updateItem(itemId, (item) => (item.attachments = item.attachments.filter((attachment) => attachment.name !== name)), ['item:Attachments']);
}

/** A poller of `folder` with attachments (up to `maxMb`) and optionally the .eml, on `api`, one attempt per request. */
function pollerOf(api: MailApi, folder: string, options: PollerOptions & { eml?: boolean; maxMb?: number } = {}): Poller {
	const settings = settingsFor({ folder: { path: folder }, output: { body: 'none', headers: false, eml: options.eml ?? false, attachments: { prefix: 'file_', includeInline: false, maxBytes: (options.maxMb ?? 64) * 1024 * 1024 } } });
	return new Poller(sandbox, settings, { mailboxApi: api, maxAttempts: 1, ...options });
}

describe.each<MailApi>(['ews', 'graph'])('on %s', (api) => {
	it('an attachment deleted during the poll, a message deleted during the poll and an oversized attachment mark only themselves', async () => {
		const folder = freshFolder();
		deliver(folder, 'intact', { 'a.pdf': 'a bytes', 'b.pdf': 'b bytes' });
		const halfId = deliver(folder, 'half', { 'kept.pdf': 'kept bytes', 'gone.pdf': 'gone bytes', 'big.bin': Buffer.alloc(2 * 1024 * 1024, 7) });
		const goneId = deliver(folder, 'vanished', { 'v.pdf': 'v bytes' });
		deliver(folder, 'after', { 'z.pdf': 'z bytes' });
		const poller = pollerOf(api, folder, {
			maxMb: 1,
			beforeDownload: () => {
				removeAttachment(halfId, 'gone.pdf');
				sandbox.ews.store.removeItem(goneId);
			},
		});
		const bySubject = new Map((await poller.poll()).map((item) => [item.json.subject, item]));
		expect([...bySubject.keys()].sort()).toEqual(['after', 'half', 'intact', 'vanished']);

		const intact = bySubject.get('intact');
		expect(intact!.json.error).toBeUndefined();
		expect([bytesOf(intact, 'file_0').toString(), bytesOf(intact, 'file_1').toString()]).toEqual(['a bytes', 'b bytes']);
		expect(bytesOf(bySubject.get('after'), 'file_0').toString()).toBe('z bytes');

		const half = bySubject.get('half')!;
		expect(attachmentEntries(half)).toEqual([
			['kept.pdf', 'file_0'],
			['gone.pdf', expect.stringMatching(/^ErrorItemNotFound: /)],
			['big.bin', 'larger than the maximum of 1 MB'],
		]);
		expect(bytesOf(half, 'file_0').toString()).toBe('kept bytes');
		expect(Object.keys(half.binary!)).toEqual(['file_0']);
		expect(half.json.error).toMatch(/^Attachment "gone.pdf" could not be downloaded \(ErrorItemNotFound: [^)]+\)$/);

		const vanished = bySubject.get('vanished')!;
		expect(vanished.binary).toBeUndefined();
		expect(vanished.json.error).toMatch(/^Attachment "v.pdf" could not be downloaded \(/);

		// The oversized attachment was never fetched, and the cursor moved past the whole poll.
		expect(JSON.stringify(sandbox.graph.requests.map((r) => r.path))).not.toContain('$value');
		expect(await poller.poll()).toEqual([]);
	});
});

describe('on Graph, large content is streamed', () => {
	const VALUE = /\/\$value$/;

	it('large attachments and the .eml are streamed to n8n, fetched one by one as n8n reads them, byte for byte', async () => {
		const folder = freshFolder();
		const large = [randomBytes(BATCHED_CONTENT_LIMIT + 1), randomBytes(3 * 1024 * 1024), randomBytes(2 * 1024 * 1024)];
		const small = randomBytes(1000);
		deliver(folder, 'big files', { 'one.bin': large[0], 'small.bin': small, 'two.bin': large[1] });
		deliver(folder, 'more', { 'three.bin': large[2] });
		// For each content n8n is handed: whether it is a stream, and how many $value requests were made before n8n read it.
		const stored: Array<[string, boolean, number]> = [];
		const onStore = (content: unknown, fileName: string) => stored.push([fileName, content instanceof Readable, sandbox.graph.requests.filter((r) => VALUE.test(r.path)).length]);
		const items = await pollerOf('graph', folder, { eml: true, onStore }).poll();
		expect(items.map((item) => item.json.error)).toEqual([undefined, undefined]);
		const files = items.flatMap((item) => Object.values(item.binary!).map((binary) => [binary.fileName, sha256(Buffer.from(binary.data, 'base64'))]));
		expect(Object.fromEntries(files)).toEqual({
			'one.bin': sha256(large[0]),
			'small.bin': sha256(small),
			'two.bin': sha256(large[1]),
			'three.bin': sha256(large[2]),
			'big files.eml': expect.any(String),
			'more.eml': expect.any(String),
		});
		expect(bytesOf(items.find((item) => item.json.subject === 'more'), 'eml').toString()).toMatch(/Subject: more/);
		// Streams for everything from $value, the small one whole from $batch; each $value requested only once n8n reads it.
		expect(Object.fromEntries(stored.map(([fileName, streamed]) => [fileName, streamed]))).toEqual({ 'one.bin': true, 'small.bin': false, 'two.bin': true, 'three.bin': true, 'big files.eml': true, 'more.eml': true });
		expect(stored.filter(([, streamed]) => streamed).map(([, , before]) => before)).toEqual([0, 1, 2, 3, 4]);
	});

	it.each([
		['a connection that drops when n8n starts reading', 'drop' as const, 'ECONNRESET'],
		['an answer cut off halfway while n8n reads it', 'cutAnswer' as const, 'ECONNRESET'],
	])('%s is never stored (or stored half): the poll fails, the next one delivers everything', async (_label, fault, code) => {
		const folder = freshFolder();
		const big = randomBytes(4 * 1024 * 1024);
		deliver(folder, fault, { 'big.bin': big });
		const poller = pollerOf('graph', folder, { eml: true });
		sandbox.graph.failNext(fault, 1, { endpoint: 'GET /messages/{id}/attachments/{id}/$value' });
		await expect(poller.poll()).rejects.toMatchObject({ failure: { kind: 'unavailable', code } });
		expect(sandbox.graph.requests.filter((r) => r.fault === fault)).toHaveLength(1);
		const items = await poller.poll();
		expect(items.map((item) => item.json.error)).toEqual([undefined]);
		expect(sha256(bytesOf(items[0], 'file_0'))).toBe(sha256(big));
		expect(await poller.poll()).toEqual([]);
	});

	it('a large attachment gone by the time n8n reads it marks only that attachment', async () => {
		const folder = freshFolder();
		const kept = randomBytes(2 * 1024 * 1024);
		const id = deliver(folder, 'half gone', { 'gone.bin': randomBytes(2 * 1024 * 1024), 'kept.bin': kept });
		// Removed when n8n is handed gone.bin: listed, its $value not fetched yet.
		const onStore = (_content: unknown, fileName: string) => fileName === 'gone.bin' && removeAttachment(id, 'gone.bin');
		const poller = pollerOf('graph', folder, { onStore });
		const [item] = await poller.poll();
		expect(attachmentEntries(item)).toEqual([
			['gone.bin', expect.stringMatching(/^ErrorItemNotFound: /)],
			['kept.bin', 'file_0'],
		]);
		expect(sha256(bytesOf(item, 'file_0'))).toBe(sha256(kept));
		expect(await poller.poll()).toEqual([]);
	});
});
