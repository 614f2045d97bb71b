/**
 * Large content on Graph reaches n8n as a stream: attachments over the batched limit and the .eml
 * come from `$value` only when n8n's prepareBinaryData reads them, one after the other, and the
 * stored bytes are the sent ones. A failure while n8n reads a stream counts as it would for a
 * result: an outage fails the poll (the cursor stays, nothing is lost), a failure of that one
 * attachment marks only it.
 */
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';

import type { INodeExecutionData, INodeTypeDescription } from 'n8n-workflow';

import { pollFolder, type PollContext, type PollSettings } from '../../nodes/ExchangeTrigger/trigger/poll';
import { initialState, type TriggerState } from '../../nodes/ExchangeTrigger/trigger/state';
import { loadExchangeAuth } from '../../nodes/shared/auth/exchangeAuth';
import { openMailStore } from '../../nodes/shared/mail/open';
import { BATCHED_CONTENT_LIMIT } from '../../nodes/shared/transport/graph/store';
import { DEMO, type Sandbox } from '../sandbox';
import { storeBinary } from '../support/binaryContent';
import { createExecuteContext } from '../support/executeContext';
import { appOnlyCredential } from '../support/sandboxCredentials';
import { useSandbox } from '../support/useSandbox';
import { settingsFor } from './pollHarness';

jest.setTimeout(60_000);

const currentSandbox = useSandbox();
let sandbox: Sandbox;
let folderCount = 0;
beforeAll(() => {
	sandbox = currentSandbox();
});
beforeEach(() => {
	sandbox.ews.reset();
	sandbox.graph.reset();
});

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const VALUE = /\/\$value$/;

function freshFolder(): string {
	const name = `Streamed${++folderCount}`;
	sandbox.ews.store.createFolder(DEMO.sharedMailbox, 'inbox', name);
	return `Inbox/${name}`;
}

function deliver(folder: string, subject: string, files: Record<string, Buffer>): string {
	const attachments = Object.entries(files).map(([filename, content]) => ({ filename, content, contentType: 'application/octet-stream' }));
	return sandbox.ews.store.deliver(DEMO.sharedMailbox, { from: 'vendor@example.test', to: DEMO.sharedMailbox, subject, text: subject, folder, attachments });
}

interface Stored {
	fileName: string;
	streamed: boolean;
	/** `$value` requests the sandbox had seen when n8n began reading this content. */
	valueRequestsBefore: number;
}

/** One poll on Graph; `stored` records what prepareBinaryData was handed. */
async function pollGraph(settings: PollSettings, state: TriggerState, stored: Stored[] = []): Promise<{ items: INodeExecutionData[]; state: TriggerState }> {
	const credential = appOnlyCredential(sandbox, { customMailboxApi: 'graph', graphUrl: sandbox.graphUrl, graphResource: 'https://graph.microsoft.com' });
	const test = createExecuteContext({ description: { properties: [] } as unknown as INodeTypeDescription, parameters: {}, credentials: { microsoftExchangeAppOnlyApi: credential }, trustedCa: sandbox.ca });
	const store = openMailStore(await loadExchangeAuth(test.context, 'appOnly', 'microsoftExchangeOAuth2Api'), { wait: async () => {}, maxAttempts: 1 });
	const context: PollContext = {
		store,
		now: () => new Date(),
		warn: () => {},
		prepareBinary: async (content, fileName, mimeType) => {
			stored.push({ fileName, streamed: content instanceof Readable, valueRequestsBefore: sandbox.graph.requests.filter((r) => VALUE.test(r.path)).length });
			return await storeBinary(content, fileName, mimeType);
		},
	};
	return await pollFolder(context, settings, state);
}

const withFiles = (folder: string, eml = false) =>
	settingsFor({ folder: { path: folder }, output: { body: 'none', headers: false, eml, attachments: { prefix: 'file_', includeInline: false, maxBytes: 64 * 1024 * 1024 } } });
const bytesOf = (item: INodeExecutionData, property: string) => Buffer.from(item.binary![property].data, 'base64');

describe('on Graph', () => {
	it('large attachments and the .eml are streamed to n8n, fetched one by one as n8n reads them, byte for byte', async () => {
		const folder = freshFolder();
		const large = [randomBytes(BATCHED_CONTENT_LIMIT + 1), randomBytes(3 * 1024 * 1024), randomBytes(2 * 1024 * 1024)];
		const small = randomBytes(1000);
		deliver(folder, 'big files', { 'one.bin': large[0], 'small.bin': small, 'two.bin': large[1] });
		deliver(folder, 'more', { 'three.bin': large[2] });
		const stored: Stored[] = [];
		const { items } = await pollGraph(withFiles(folder, true), initialState('streamed', { kind: 'all' }, new Date()), stored);
		expect(items.map((item) => item.json.error)).toEqual([undefined, undefined]);
		const files = new Map(items.flatMap((item) => Object.values(item.binary!).map((binary) => [binary.fileName, sha256(Buffer.from(binary.data, 'base64'))] as const)));
		expect(Object.fromEntries(files)).toEqual({
			'one.bin': sha256(large[0]),
			'small.bin': sha256(small),
			'two.bin': sha256(large[1]),
			'three.bin': sha256(large[2]),
			'big files.eml': expect.any(String),
			'more.eml': expect.any(String),
		});
		const more = items.find((item) => item.json.subject === 'more')!;
		expect(bytesOf(more, 'eml').toString()).toMatch(/Subject: more/);
		// Streams for everything from $value, the small one whole from $batch; each $value requested only once n8n reads it.
		expect(Object.fromEntries(stored.map((entry) => [entry.fileName, entry.streamed]))).toEqual({ 'one.bin': true, 'small.bin': false, 'two.bin': true, 'three.bin': true, 'big files.eml': true, 'more.eml': true });
		expect(stored.filter((entry) => entry.streamed).map((entry) => entry.valueRequestsBefore)).toEqual([0, 1, 2, 3, 4]);
	});

	it('a connection that drops while n8n reads a stream fails the poll; the next poll delivers everything', async () => {
		const folder = freshFolder();
		const big = randomBytes(2 * 1024 * 1024);
		deliver(folder, 'dropped', { 'big.bin': big });
		const settings = withFiles(folder);
		const start = initialState('streamed', { kind: 'all' }, new Date());
		sandbox.graph.failNext('drop', 1, { endpoint: 'GET /messages/{id}/attachments/{id}/$value' });
		await expect(pollGraph(settings, start)).rejects.toMatchObject({ failure: { kind: 'unavailable' } });
		const { items, state } = await pollGraph(settings, start);
		expect(items.map((item) => item.json.error)).toEqual([undefined]);
		expect(sha256(bytesOf(items[0], 'file_0'))).toBe(sha256(big));
		expect((await pollGraph(settings, state)).items).toEqual([]);
	});

	it('an answer cut off halfway while n8n reads it is never stored half: the poll fails, the next one delivers everything', async () => {
		const folder = freshFolder();
		const big = randomBytes(4 * 1024 * 1024);
		deliver(folder, 'cut', { 'big.bin': big });
		const settings = withFiles(folder, true);
		const start = initialState('streamed', { kind: 'all' }, new Date());
		sandbox.graph.failNext('cutAnswer', 1, { endpoint: 'GET /messages/{id}/attachments/{id}/$value' });
		await expect(pollGraph(settings, start)).rejects.toMatchObject({ failure: { kind: 'unavailable', code: 'ECONNRESET' } });
		expect(sandbox.graph.requests.find((r) => r.fault === 'cutAnswer')).toMatchObject({ status: 200 });
		const { items } = await pollGraph(settings, start);
		expect(items.map((item) => item.json.error)).toEqual([undefined]);
		expect(sha256(bytesOf(items[0], 'file_0'))).toBe(sha256(big));
	});

	it('a large attachment gone by the time n8n reads it marks only that attachment', async () => {
		const folder = freshFolder();
		const kept = randomBytes(2 * 1024 * 1024);
		const id = deliver(folder, 'half gone', { 'gone.bin': randomBytes(2 * 1024 * 1024), 'kept.bin': kept });
		const settings = withFiles(folder);
		const stored: Stored[] = [];
		const started = initialState('streamed', { kind: 'all' }, new Date());
		// Removed once the poll has listed it: the first prepareBinaryData call is for gone.bin, whose $value is not fetched yet.
		const removeOnFirstStore = async (): Promise<{ items: INodeExecutionData[]; state: TriggerState }> => {
			const before = sandbox.ews.store.getItem(id)!.attachments.length;
			const poll = pollGraph(settings, started, new Proxy(stored, {
				get(target, property, receiver) {
					if (property === 'push' && target.length === 0) sandbox.ews.store.updateItem(id, (item) => (item.attachments = item.attachments.filter((a) => a.name !== 'gone.bin')), ['item:Attachments']);
					return Reflect.get(target, property, receiver) as unknown;
				},
			}));
			expect(before).toBe(2);
			return await poll;
		};
		const { items, state } = await removeOnFirstStore();
		expect((items[0].json.attachments as Array<{ name: string; binaryProperty?: string; error?: string }>).map((a) => [a.name, a.binaryProperty ?? a.error])).toEqual([
			['gone.bin', expect.stringMatching(/^ErrorItemNotFound: /)],
			['kept.bin', 'file_0'],
		]);
		expect(sha256(bytesOf(items[0], 'file_0'))).toBe(sha256(kept));
		expect((await pollGraph(settings, state)).items).toEqual([]);
	});
});
