/**
 * Download Memory Budget, on both APIs: a poll fetches attachments and .eml files in groups whose listed
 * sizes add up to at most the budget, stores each group through n8n and lets it go before the next is
 * fetched; one attachment over the budget goes alone. Small attachments still come in the transports'
 * own batches (no more requests than without a budget). One message's attachment that fails marks that
 * attachment only; an outage fails the poll, the cursor stays and no stream is left open.
 */
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';

import type { IDataObject } from 'n8n-workflow';

import { ExchangeTrigger } from '../../nodes/ExchangeTrigger/ExchangeTrigger.node';
import { byBudget, DEFAULT_DOWNLOAD_BUDGET_MB } from '../../nodes/ExchangeTrigger/trigger/poll';
import type { AttachmentRef, MailStore } from '../../nodes/shared/mail/store';
import { DEMO, type Sandbox } from '../sandbox';
import { createPollContext } from '../support/pollContext';
import { appOnlyCredential } from '../support/sandboxCredentials';
import { EWS, GRAPH, TRIGGER_APIS, type TriggerApi } from './apis';
import { attachmentEntries, bytesOf, Poller, settingsFor, sha256, useTriggerSandbox, type PollerOptions } from './pollHarness';

jest.setTimeout(60_000);

const MB = 1024 * 1024;
const KB = 1024;
const trigger = useTriggerSandbox('Budget');
const freshFolder = trigger.freshFolder;
let sandbox: Sandbox;
beforeAll(() => {
	sandbox = trigger.sandbox();
});

let delivered = 0;
/** Each message a second after the one before, so the poll's order (oldest first) is the delivery order on both APIs. */
function deliver(folder: string, subject: string, files: Record<string, Buffer>, corrupt: string[] = []): string {
	const attachments = Object.entries(files).map(([filename, content]) => ({ filename, content, contentType: 'application/octet-stream', corrupt: corrupt.includes(filename) }));
	const receivedAt = new Date(Date.UTC(2026, 0, 1) + ++delivered * 1000);
	return sandbox.ews.store.deliver(DEMO.sharedMailbox, { from: 'vendor@example.test', to: DEMO.sharedMailbox, subject, text: subject, folder, attachments, receivedAt });
}

/** What the poll asked the store for, call by call, and what each call handed back at once. */
interface Watched {
	/** Per downloadAttachments / getMimes call, in order: the listed sizes asked for (an .eml counts as 0). */
	calls: Array<{ kind: 'attachments' | 'mime'; sizes: number[]; bufferBytes: number }>;
	/** Everything, in order: a call ('fetch') or n8n storing one content ('store'). */
	events: string[];
	streams: Readable[];
}

function watch(store: MailStore, watched: Watched): void {
	const download = store.downloadAttachments.bind(store);
	store.downloadAttachments = async (mailbox: string, refs: AttachmentRef[]) => {
		watched.events.push('fetch');
		const results = await download(mailbox, refs);
		const contents = results.flatMap((result) => (result.ok ? [result.value.content] : []));
		watched.streams.push(...contents.filter((content): content is Readable => content instanceof Readable));
		watched.calls.push({ kind: 'attachments', sizes: refs.map((ref) => ref.size ?? 0), bufferBytes: contents.reduce((sum, content) => sum + (Buffer.isBuffer(content) ? content.length : 0), 0) });
		return results;
	};
	const mimes = store.getMimes.bind(store);
	store.getMimes = async (mailbox: string, ids: string[]) => {
		watched.events.push('fetch');
		const results = await mimes(mailbox, ids);
		const contents = results.flatMap((result) => (result.ok ? [result.value] : []));
		watched.streams.push(...contents.filter((content): content is Readable => content instanceof Readable));
		watched.calls.push({ kind: 'mime', sizes: ids.map(() => 0), bufferBytes: contents.reduce((sum, content) => sum + (Buffer.isBuffer(content) ? content.length : 0), 0) });
		return results;
	};
}

/** A poller with attachments (up to `maxMb`), the given budget, optionally the .eml, one attempt per request. */
function pollerOf(api: TriggerApi, folder: string, options: PollerOptions & { budget?: number; eml?: boolean; maxMb?: number } = {}): { poller: Poller; watched: Watched } {
	const watched: Watched = { calls: [], events: [], streams: [] };
	const settings = settingsFor({
		folder: { path: folder },
		maxMessages: 500,
		output: { body: 'none', headers: false, eml: options.eml ?? false, attachments: { prefix: 'file_', includeInline: false, maxBytes: (options.maxMb ?? 64) * MB }, ...(options.budget ? { downloadBudget: options.budget } : {}) },
	});
	const poller = new Poller(sandbox, settings, {
		mailboxApi: api.api,
		maxAttempts: 1,
		...options,
		inspectStore: (store) => watch(store, watched),
		onStore: (content, fileName) => {
			watched.events.push('store');
			options.onStore?.(content, fileName);
		},
	});
	return { poller, watched };
}

describe('byBudget', () => {
	const sizes = (groups: Array<Array<{ bytes: number }>>) => groups.map((group) => group.map((download) => download.bytes));
	it('fills groups in order up to the budget; one over the budget goes alone; nothing is dropped or reordered', () => {
		const downloads = [3, 4, 3, 11, 1, 9, 0, 2].map((bytes) => ({ bytes }));
		expect(sizes(byBudget(downloads, 10))).toEqual([[3, 4, 3], [11], [1, 9, 0], [2]]);
		expect(sizes(byBudget([], 10))).toEqual([]);
		expect(sizes(byBudget([{ bytes: 20 }], 10))).toEqual([[20]]);
	});
});

describe.each(TRIGGER_APIS)('on $label', (api) => {
	it('groups stay under the budget, each group is stored before the next is fetched, and nothing is lost', async () => {
		const folder = freshFolder();
		// 8 messages of 2 × 300 KB (small: batched, whole, on both APIs): 4.8 MB in all, 1.25 MB budget → 4 groups of 2 messages.
		const files = Array.from({ length: 8 }, () => [randomBytes(300 * KB), randomBytes(300 * KB)]);
		files.forEach(([a, b], index) => deliver(folder, `m${index}`, { 'a.bin': a, 'b.bin': b }));
		const { poller, watched } = pollerOf(api, folder, { budget: 1.25 * MB });
		const items = await poller.poll();
		expect(items.map((item) => item.json.subject)).toEqual(files.map((_, index) => `m${index}`));
		items.forEach((item, index) => {
			expect(item.json.error).toBeUndefined();
			expect([sha256(bytesOf(item, 'file_0')), sha256(bytesOf(item, 'file_1'))]).toEqual(files[index].map(sha256));
		});
		expect(watched.calls.map((call) => call.sizes.length)).toEqual([4, 4, 4, 4]);
		for (const call of watched.calls) {
			expect(call.sizes.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(1.25 * MB);
			expect(call.bufferBytes).toBeLessThanOrEqual(1.25 * MB);
		}
		// fetch, then its 4 contents stored, then the next fetch: never two groups at once.
		expect(watched.events.join(' ')).toBe(Array(4).fill('fetch store store store store').join(' '));
		// One call per group: EWS one GetAttachment, Graph one $batch.
		expect(api === EWS ? api.count(sandbox, 'attachments') : api.count(sandbox, 'batch')).toBe(4);
		expect(await poller.poll()).toEqual([]);
	});

	it('an attachment over the budget goes alone, byte for byte; the .eml files come in the groups too', async () => {
		const folder = freshFolder();
		const small = [randomBytes(100 * KB), randomBytes(100 * KB)];
		const huge = randomBytes(5 * MB);
		deliver(folder, 'before', { 's0.bin': small[0] });
		deliver(folder, 'huge', { 'huge.bin': huge });
		deliver(folder, 'after', { 's1.bin': small[1] });
		const { poller, watched } = pollerOf(api, folder, { budget: 2 * MB, eml: true });
		const items = await poller.poll();
		expect(items.map((item) => [item.json.subject, item.json.error])).toEqual([
			['before', undefined],
			['huge', undefined],
			['after', undefined],
		]);
		expect(sha256(bytesOf(items[1], 'file_0'))).toBe(sha256(huge));
		expect([sha256(bytesOf(items[0], 'file_0')), sha256(bytesOf(items[2], 'file_0'))]).toEqual(small.map(sha256));
		expect(bytesOf(items[1], 'eml').toString('latin1')).toContain('Subject: huge');
		// Groups: [before's file, its .eml], [huge.bin], [huge's .eml (estimated at 4/3 × 5 MB, over the budget too)], [after's file, its .eml].
		expect(watched.calls.filter((call) => call.kind === 'attachments').map((call) => call.sizes)).toEqual([[small[0].length], [huge.length], [small[1].length]]);
		expect(watched.events.join(' ')).toBe('fetch fetch store store fetch store fetch store fetch fetch store store');
	});

	it('at the default budget small attachments keep the transport batches (no more requests than without a budget)', async () => {
		const folder = freshFolder();
		const content = randomBytes(100 * KB);
		for (let i = 0; i < 120; i++) deliver(folder, `invoice ${i}`, { 'invoice.pdf': content });
		const { poller, watched } = pollerOf(api, folder);
		const items = await poller.poll();
		expect(items).toHaveLength(120);
		expect(items.every((item) => item.json.error === undefined && sha256(bytesOf(item, 'file_0')) === sha256(content))).toBe(true);
		// 12 MB under the default 64 MB: one group, so one downloadAttachments call, and the transport's own batching.
		expect(DEFAULT_DOWNLOAD_BUDGET_MB).toBe(64);
		expect(watched.calls).toHaveLength(1);
		if (api === EWS) expect(api.count(sandbox, 'attachments')).toBe(Math.ceil(120 / 100));
		else expect(api.count(sandbox, 'batch')).toBe(Math.ceil(120 / 20));
	});

	it('an attachment that fails for itself (damaged, too large for the server) marks only itself; the poll and later mail go on', async () => {
		const folder = freshFolder();
		const good = randomBytes(200 * KB);
		deliver(folder, 'good', { 'good.bin': good });
		// EWS answers a damaged attachment ErrorCorruptData; Graph hands it out as stored, so there the one
		// attachment is refused as over the size limit (a $batch member answered 413 ErrorMessageSizeExceeded).
		deliver(folder, 'bad', { 'bad.bin': randomBytes(200 * KB), 'ok.bin': good }, api === EWS ? ['bad.bin'] : []);
		deliver(folder, 'later', { 'later.bin': good });
		if (api === GRAPH) sandbox.graph.failNext('error', 1, { endpoint: 'GET /messages/{id}/attachments/{id}', status: 413, code: 'ErrorMessageSizeExceeded', message: 'The message exceeds the maximum supported size.' });
		const { poller } = pollerOf(api, folder, { budget: 256 * KB });
		// Graph: the fault is drawn by the first attachment read (good.bin of "good"); EWS: bad.bin is damaged.
		const items = await poller.poll();
		const failed = api === EWS ? 'bad' : 'good';
		const bySubject = new Map(items.map((item) => [item.json.subject, item]));
		expect([...bySubject.keys()]).toEqual(['good', 'bad', 'later']);
		const item = bySubject.get(failed)!;
		const failedName = api === EWS ? 'bad.bin' : 'good.bin';
		expect(item.json.error).toMatch(new RegExp(`^Attachment "${failedName}" could not be downloaded \\((ErrorCorruptData|ErrorMessageSizeExceeded): `));
		expect(attachmentEntries(item).find(([name]) => name === failedName)?.[1]).toMatch(/^(ErrorCorruptData|ErrorMessageSizeExceeded): /);
		for (const [subject, other] of bySubject) if (subject !== failed) expect(other.json.error).toBeUndefined();
		expect(sha256(bytesOf(bySubject.get('later'), 'file_0'))).toBe(sha256(good));
		expect(await poller.poll()).toEqual([]);
	});

	it('an attachment over Max Attachment Size is marked skipped without a download and never blocks later mail', async () => {
		const folder = freshFolder();
		const later = randomBytes(10 * KB);
		deliver(folder, 'too big', { 'big.bin': randomBytes(3 * MB), 'small.bin': later });
		deliver(folder, 'later', { 'later.bin': later });
		const { poller, watched } = pollerOf(api, folder, { maxMb: 2, budget: 1 * MB });
		const items = await poller.poll();
		expect(items.map((item) => attachmentEntries(item))).toEqual([
			[
				['big.bin', 'larger than the maximum of 2 MB'],
				['small.bin', 'file_0'],
			],
			[['later.bin', 'file_0']],
		]);
		expect(watched.calls.flatMap((call) => call.sizes)).toEqual([later.length, later.length]);
		expect(await poller.poll()).toEqual([]);
	});

	it('an outage in a later group fails the poll without moving the cursor, leaves no stream open, and the next poll delivers all', async () => {
		const folder = freshFolder();
		const contents = [randomBytes(2 * MB), randomBytes(2 * MB), randomBytes(2 * MB)];
		contents.forEach((content, index) => deliver(folder, `m${index}`, { 'f.bin': content }));
		let calls = 0;
		// The second group's fetch (EWS: its GetAttachment; Graph: its $value, read while n8n stores it) meets an outage.
		const { poller, watched } = pollerOf(api, folder, {
			budget: 4 * MB,
			beforeDownload: () => {
				if (++calls === 2) api.fail(sandbox, 'unavailable', 1, 'attachments');
			},
		});
		await expect(poller.poll()).rejects.toMatchObject({ failure: { kind: 'unavailable' } });
		expect(watched.streams.every((stream) => stream.destroyed)).toBe(true);
		if (api === GRAPH) expect(watched.streams.length).toBeGreaterThan(0);
		const items = await poller.poll();
		expect(items.map((item) => sha256(bytesOf(item, 'file_0')))).toEqual(contents.map(sha256));
		expect(await poller.poll()).toEqual([]);
	});
});

describe('the Download Memory Budget (MB) option', () => {
	const node = new ExchangeTrigger();

	function pollWith(options: IDataObject) {
		const name = freshFolder().slice('Inbox/'.length);
		sandbox.ews.store.deliver(DEMO.sharedMailbox, { from: 'vendor@example.test', to: DEMO.sharedMailbox, subject: 'one', text: 'one', folder: `Inbox/${name}`, attachments: [{ filename: 'a.bin', content: Buffer.from('a bytes'), contentType: 'application/octet-stream' }] });
		const { context } = createPollContext({
			description: node.description,
			parameters: { authentication: 'appOnly', mailbox: DEMO.sharedMailbox, folder: { __rl: true, mode: 'path', value: `Inbox/${name}` }, startFrom: 'all', options: { downloadAttachments: true, ...options } },
			credentials: { microsoftExchangeAppOnlyApi: appOnlyCredential(sandbox) },
			credentialIds: { microsoftExchangeAppOnlyApi: 'cred-1' },
			trustedCa: sandbox.ca,
			staticData: {},
			mode: 'trigger',
		});
		return node.poll.call(context);
	}

	it('is offered with its default in the Options collection', () => {
		const options = node.description.properties.find((property) => property.name === 'options')?.options as Array<{ name: string; default: unknown }>;
		expect(options.find((option) => option.name === 'downloadBudgetMb')?.default).toBe(DEFAULT_DOWNLOAD_BUDGET_MB);
	});

	it.each([
		[0, /^"Download Memory Budget \(MB\)" must be a number at least 1, not 0$/],
		[-5, /^"Download Memory Budget \(MB\)" must be a number at least 1, not -5$/],
		['lots', /^"Download Memory Budget \(MB\)" must be a number, not "lots"$/],
	])('refuses %p, naming the field, before any mailbox call', async (value, message) => {
		sandbox.ews.reset();
		await expect(pollWith({ downloadBudgetMb: value })).rejects.toMatchObject({ message: expect.stringMatching(message) });
		expect(sandbox.ews.requests.filter((request) => request.operation !== 'ConvertId')).toEqual([]);
	});

	it('takes a number (or a numeric text from an expression)', async () => {
		const result = await pollWith({ downloadBudgetMb: '8' });
		expect(result?.[0].map((item) => item.json.subject)).toEqual(['one']);
	});
});
