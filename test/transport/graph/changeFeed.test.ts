/**
 * The Graph change feed as the trigger uses it, against the Graph sandbox: the delta carries the
 * emitted message shape (equal to what getMessages reads), pages are capped like Graph caps them,
 * a start window reads ids and receive times only (no $filter, which Graph would keep forever), every documented
 * form of a refused delta token is an invalid cursor, and a trigger poll on Graph reads no message
 * a second time (counted with the sandbox's request records).
 */
import type { BodyChoice } from '../../../nodes/shared/mail/messageShape';
import type { ChangeOptions } from '../../../nodes/shared/mail/store';
import { pollFolder, type PollContext, type PollSettings } from '../../../nodes/ExchangeTrigger/trigger/poll';
import { initialState, type StartPoint, type TriggerState } from '../../../nodes/ExchangeTrigger/trigger/state';
import { BATCHED_CONTENT_LIMIT, DELTA_PAGE_SIZE, type GraphMailStore } from '../../../nodes/shared/transport/graph/store';
import { DEMO } from '../../sandbox';
import { DELTA_MAX_PAGE_SIZE, type DeltaExpiry } from '../../sandbox/graph';
import { graphStoreOn, useGraphSandbox } from './graphSandbox';
import { failureOf } from './graphTestServer';
import { contentOf, storeBinary } from '../../support/binaryContent';

const sandbox = useGraphSandbox();
const MAILBOX = DEMO.sharedMailbox;
let counter = 0;

async function freshFolder(store: GraphMailStore): Promise<{ id: string; path: string }> {
	const folder = await store.createFolder(MAILBOX, { wellKnown: 'msgfolderroot' }, `Feed ${Date.now()} ${++counter}`);
	return { id: folder.id, path: folder.displayName };
}

/** A varied corpus: html and text bodies, file, inline and attached-message attachments, categories, read state. */
function deliverCorpus(folder: string): void {
	const deliver = (subject: string, extra: object = {}) => sandbox().ews.store.deliver(MAILBOX, { from: { name: 'Ann', email: 'ann@fabrikam.test' }, to: MAILBOX, cc: 'cc@fabrikam.test', subject, folder, ...extra });
	deliver('plain', { text: 'Line one\r\nLine two' });
	deliver('html', { html: '<p>Hello <b>there</b></p>', categories: ['Blue'], isRead: true, importance: 'High' });
	deliver('files', { text: 'see', attachments: [{ filename: 'a.pdf', content: Buffer.from('%PDF-1.4 a'), contentType: 'application/pdf' }] });
	deliver('inline', { html: '<img src="cid:logo@x">', attachments: [{ filename: 'logo.png', content: Buffer.from('png'), contentType: 'image/png', cid: 'logo@x', inline: true }] });
	deliver('item', { text: 'fwd', attachments: [{ filename: 'Inner', content: 'Subject: Inner\r\n\r\nbody\r\n', contentType: 'message/rfc822' }] });
}

async function drain(store: GraphMailStore, folderId: string, options: ChangeOptions, cursor?: string) {
	const created = [];
	let pages = 0;
	for (let more = true; more && pages < 100; pages++) {
		const page = await store.changes(MAILBOX, folderId, cursor, options);
		created.push(...page.created);
		cursor = page.cursor;
		more = page.moreAvailable;
	}
	return { created, cursor: cursor as string, pages };
}

const memberEndpoints = () => sandbox().graph.requests.filter((record) => record.inBatch).map((record) => record.endpoint);

describe('the delta carries the emitted shape', () => {
	const shapes: Array<[BodyChoice, boolean]> = [
		['none', false],
		['text', false],
		['html', true],
		['both', true],
	];
	test.each(shapes)('body %s, headers %s: each carried message equals what getMessages reads, and no message is read again', async (body, headers) => {
		const { store } = graphStoreOn(sandbox());
		const folder = await freshFolder(store);
		deliverCorpus(folder.path);
		sandbox().graph.clearRequests();
		const { created } = await drain(store, folder.id, { maxChanges: 50, shape: { body, headers } });
		expect(created).toHaveLength(5);
		// Only the inline attachment's Content-ID and, with both bodies, the text body take a request per message.
		const members = memberEndpoints();
		expect(members.filter((endpoint) => endpoint === 'GET /messages/{id}')).toHaveLength(body === 'both' ? 5 : 0);
		const read = await store.getMessages(MAILBOX, created.map((arrived) => arrived.id), { body, headers });
		created.forEach((arrived, index) => {
			expect(arrived.message).toBeDefined();
			expect(read[index]).toEqual({ ok: true, value: arrived.message });
			expect(arrived.receivedAt).toBe(arrived.message?.receivedAt?.replace(/\.000Z$/, 'Z'));
		});
		const inline = created.find((arrived) => arrived.message?.subject === 'inline')?.message;
		expect(inline?.attachments[0]).toMatchObject({ isInline: true, contentId: 'logo@x' });
		if (headers) expect(created[0].message?.internetHeaders).toEqual(expect.objectContaining({ Subject: expect.any(String) }));
	});

	test('a cursor started for another shape (or before shapes were carried) gives ids only, and the caller fetches', async () => {
		const { store } = graphStoreOn(sandbox());
		const folder = await freshFolder(store);
		const first = await drain(store, folder.id, { maxChanges: 50, shape: { body: 'html', headers: false } });
		sandbox().ews.store.deliver(MAILBOX, { from: 'ann@fabrikam.test', to: MAILBOX, subject: 'later', text: 'x', folder: folder.path });
		const other = await store.changes(MAILBOX, folder.id, first.cursor, { maxChanges: 50, shape: { body: 'text', headers: false } });
		expect(other.created).toHaveLength(1);
		expect(other.created[0].message).toBeUndefined();

		// A cursor of three fields (before the shape was recorded): followed, ids only.
		const [mailbox, folderId, link] = JSON.parse(Buffer.from(first.cursor.slice('graph-delta:'.length), 'base64url').toString()) as string[];
		const legacy = `graph-delta:${Buffer.from(JSON.stringify([mailbox, folderId, link])).toString('base64url')}`;
		const page = await store.changes(MAILBOX, folder.id, legacy, { maxChanges: 50, shape: { body: 'html', headers: false } });
		expect(page.created.map((arrived) => arrived.message)).toEqual([undefined]);
	});
});

describe('pages', () => {
	test(`the store asks for pages of ${DELTA_PAGE_SIZE}, the sandbox caps at the same size, and a smaller budget bounds the page`, async () => {
		expect(DELTA_PAGE_SIZE).toBe(DELTA_MAX_PAGE_SIZE);
		const { store } = graphStoreOn(sandbox());
		const folder = await freshFolder(store);
		const n = 2 * DELTA_PAGE_SIZE + 7;
		for (let index = 0; index < n; index++) sandbox().ews.store.deliver(MAILBOX, { from: 'ann@fabrikam.test', to: MAILBOX, subject: `p${index}`, text: 'x', folder: folder.path });
		sandbox().graph.clearRequests();
		const all = await drain(store, folder.id, { maxChanges: 2000 });
		expect(all.created).toHaveLength(n);
		expect(all.pages).toBe(3);
		expect(sandbox().graph.httpCounts()).toEqual({ 'GET /mailFolders/{id}/messages/delta': 3 });

		const page = await store.changes(MAILBOX, folder.id, undefined, { maxChanges: 7 });
		expect(page.created).toHaveLength(7);
		expect(page.moreAvailable).toBe(true);
	});
});

describe('refused cursors', () => {
	test.each<[DeltaExpiry, string]>([
		['syncStateNotFound', 'syncStateNotFound'],
		['resyncRequired', 'resyncRequired'],
		['gone', 'HTTP410'],
	])('an expired token answered as %s is an invalid cursor (%s)', async (form, code) => {
		const { store } = graphStoreOn(sandbox());
		const folder = await freshFolder(store);
		const { cursor } = await drain(store, folder.id, { maxChanges: 50 });
		sandbox().graph.expireDeltaTokens(form);
		expect(await failureOf(store.changes(MAILBOX, folder.id, cursor, { maxChanges: 50 }))).toMatchObject({ kind: 'invalidCursor', code, httpStatus: 410 });
	});

	test('a watched folder deleted and created again under its name: the saved cursor is not followed (invalid cursor)', async () => {
		const { store } = graphStoreOn(sandbox());
		const folder = await freshFolder(store);
		const { cursor } = await drain(store, folder.id, { maxChanges: 50 });
		await store.deleteFolder(MAILBOX, { id: folder.id }, 'hard');
		const again = await store.resolveFolderId(MAILBOX, { id: (await store.createFolder(MAILBOX, { wellKnown: 'msgfolderroot' }, folder.path)).id });
		expect(await failureOf(store.changes(MAILBOX, again, cursor, { maxChanges: 50 }))).toMatchObject({ kind: 'invalidCursor', code: 'GraphCursorNotForThisFolder' });
	});
});

describe('attachments', () => {
	test(`contents under ${BATCHED_CONTENT_LIMIT} bytes come whole in $batch; larger ones and attached messages through $value`, async () => {
		const { store } = graphStoreOn(sandbox());
		const folder = await freshFolder(store);
		const big = Buffer.alloc(BATCHED_CONTENT_LIMIT + 1, 3);
		sandbox().ews.store.deliver(MAILBOX, {
			from: 'ann@fabrikam.test',
			to: MAILBOX,
			subject: 'many',
			folder: folder.path,
			attachments: [
				...Array.from({ length: 25 }, (_, index) => ({ filename: `f${index}.txt`, content: `file ${index}`, contentType: 'text/plain' })),
				{ filename: 'big.bin', content: big },
				{ filename: 'Inner', content: 'Subject: Inner\r\n\r\nbody\r\n', contentType: 'message/rfc822' },
			],
		});
		const [arrived] = (await drain(store, folder.id, { maxChanges: 50, shape: { body: 'none', headers: false } })).created;
		const refs = (arrived.message?.attachments ?? []).map((attachment) => ({ messageId: arrived.id, attachmentId: attachment.id, size: attachment.size }));
		sandbox().graph.clearRequests();
		const downloads = await store.downloadAttachments(MAILBOX, refs);
		const contents = await Promise.all(downloads.map(async (download) => (download.ok ? await contentOf(download.value.content) : undefined)));
		expect(contents.map((content) => content?.toString().slice(0, 7))).toEqual([...Array.from({ length: 25 }, (_, index) => `file ${index}`.slice(0, 7)), big.toString().slice(0, 7), 'Subject']);
		expect(contents[25]?.equals(big)).toBe(true);
		expect(downloads[26]).toMatchObject({ ok: true, value: { fileName: 'Inner.eml', mimeType: 'message/rfc822' } });
		expect(sandbox().graph.httpCounts()).toEqual({ 'POST $batch': 2, 'GET /messages/{id}/attachments/{id}/$value': 2 });
	});
});

describe('a trigger poll on Graph', () => {
	const settings = (folder: string, maxMessages = 100): PollSettings => ({
		mailbox: MAILBOX,
		folder: { id: folder },
		maxMessages,
		filters: {},
		output: { body: 'text', headers: false, eml: false, attachments: { prefix: 'attachment_', includeInline: false, maxBytes: 10 * 1024 * 1024 } },
		afterEmit: { kind: 'nothing' },
	});
	const context = (store: GraphMailStore, warnings: string[] = []): PollContext => ({
		store,
		now: () => new Date(),
		warn: (message) => void warnings.push(message),
		prepareBinary: async (content, fileName, mimeType) => await storeBinary(content, fileName, mimeType),
	});
	const start = (kind: StartPoint) => initialState('test', kind, new Date());

	test('an import from the beginning: delta pages and attachment batches only, no message read twice', async () => {
		const { store } = graphStoreOn(sandbox());
		const folder = await freshFolder(store);
		const n = DELTA_PAGE_SIZE + 30;
		for (let index = 0; index < n; index++) {
			sandbox().ews.store.deliver(MAILBOX, { from: 'ann@fabrikam.test', to: MAILBOX, subject: `m${index}`, text: `body ${index}`, folder: folder.path, ...(index % 5 === 0 ? { attachments: [{ filename: `a${index}.txt`, content: `att ${index}` }] } : {}) });
		}
		sandbox().graph.clearRequests();
		const { items } = await pollFolder(context(store), settings(folder.id, 1000), start({ kind: 'all' }));
		expect(items).toHaveLength(n);
		expect(items.filter((item) => item.binary?.attachment_0)).toHaveLength(n / 5);
		expect(items.every((item) => typeof item.json.bodyText === 'string' && (item.json.bodyText as string).startsWith('body '))).toBe(true);
		const withAttachments = n / 5;
		expect(sandbox().graph.httpCounts()).toEqual({ 'GET /mailFolders/{id}': 1, 'GET /mailFolders/{id}/messages/delta': Math.ceil(n / DELTA_PAGE_SIZE), 'POST $batch': Math.ceil(withAttachments / 20) });
		expect(memberEndpoints().every((endpoint) => endpoint === 'GET /messages/{id}/attachments/{id}')).toBe(true);
	});

	test('"new mail only" skips to now selecting ids only; later mail is read once (the light link carries no shape)', async () => {
		const { store } = graphStoreOn(sandbox());
		const folder = await freshFolder(store);
		for (let index = 0; index < 30; index++) sandbox().ews.store.deliver(MAILBOX, { from: 'ann@fabrikam.test', to: MAILBOX, subject: `old ${index}`, html: `<p>${'x'.repeat(2000)}</p>`, folder: folder.path });
		const tokensBefore = new Set(sandbox().graph.deltaTokens.keys());
		const first = await pollFolder(context(store), settings(folder.id), start({ kind: 'newOnly' }));
		expect(first.items).toHaveLength(0);
		const issued = [...sandbox().graph.deltaTokens.entries()].filter(([token]) => !tokensBefore.has(token)).map(([, state]) => state as { select?: string[]; expand?: unknown });
		expect(issued.length).toBeGreaterThan(0);
		expect(issued.every((state) => JSON.stringify(state.select) === '["id"]' && state.expand === undefined)).toBe(true);
		sandbox().ews.store.deliver(MAILBOX, { from: 'ann@fabrikam.test', to: MAILBOX, subject: 'fresh', text: 'hi', folder: folder.path });
		const second = await pollFolder(context(store), settings(folder.id), first.state);
		expect(second.items.map((item) => item.json.subject)).toEqual(['fresh']);
	});

	test.each<DeltaExpiry>(['syncStateNotFound', 'resyncRequired', 'gone'])('a token expired as %s resynchronises: new mail emitted once, nothing emitted again', async (form) => {
		const { store } = graphStoreOn(sandbox());
		const folder = await freshFolder(store);
		const deliver = (subject: string) => sandbox().ews.store.deliver(MAILBOX, { from: 'ann@fabrikam.test', to: MAILBOX, subject, text: 'x', folder: folder.path });
		deliver('one');
		deliver('two');
		const warnings: string[] = [];
		let state: TriggerState = start({ kind: 'all' });
		const first = await pollFolder(context(store, warnings), settings(folder.id), state);
		expect(first.items.map((item) => item.json.subject).sort()).toEqual(['one', 'two']);
		state = first.state;
		sandbox().graph.expireDeltaTokens(form);
		deliver('three');
		const second = await pollFolder(context(store, warnings), settings(folder.id), state);
		expect(second.items.map((item) => item.json.subject)).toEqual(['three']);
		expect(warnings.some((warning) => /resynchronising/.test(warning))).toBe(true);
		const third = await pollFolder(context(store, warnings), settings(folder.id), second.state);
		expect(third.items).toHaveLength(0);
	});

	test('"last N days" lists ids and receive times only, fetches just the window, and later sees old mail moved in', async () => {
		const { store } = graphStoreOn(sandbox());
		const folder = await freshFolder(store);
		const archive = await freshFolder(store);
		for (let index = 0; index < 40; index++) sandbox().ews.store.deliver(MAILBOX, { from: 'ann@fabrikam.test', to: MAILBOX, subject: `ancient ${index}`, text: 'x', folder: folder.path, receivedAt: new Date('2023-03-03T00:00:00Z') });
		sandbox().ews.store.deliver(MAILBOX, { from: 'ann@fabrikam.test', to: MAILBOX, subject: 'recent', text: 'x', folder: folder.path });
		const old = sandbox().ews.store.deliver(MAILBOX, { from: 'ann@fabrikam.test', to: MAILBOX, subject: 'old, moved in later', text: 'x', folder: archive.path, receivedAt: new Date('2023-04-04T00:00:00Z') });
		sandbox().graph.clearRequests();
		const first = await pollFolder(context(store), settings(folder.id, 100), start({ kind: 'recentDays', days: 3 }));
		expect(first.items.map((item) => item.json.subject)).toEqual(['recent']);
		// One unfiltered delta page of ids and receive times, and one $batch for the message in the window.
		const deltas = sandbox().graph.requests.filter((request) => !request.inBatch && request.endpoint === 'GET /mailFolders/{id}/messages/delta');
		expect(deltas).toHaveLength(1);
		expect(deltas[0].query).toMatch(/\$select=id,receivedDateTime(&|$)/);
		expect(deltas[0].query).not.toMatch(/\$filter/);
		expect(sandbox().graph.httpCounts()['POST $batch']).toBe(1);
		// A delta $filter would stay in every later link; without it, mail moved in with an old date is seen.
		sandbox().ews.store.moveItem(old, sandbox().ews.store.resolveFolder(MAILBOX, folder.path)!.id);
		const second = await pollFolder(context(store), settings(folder.id, 100), first.state);
		expect(second.items.map((item) => item.json.subject)).toEqual(['old, moved in later']);
	});
});
