// Graph stand-in: $batch semantics, the per-folder message delta, fault injection and request counts.
import { DEMO, type Sandbox } from '../index';
import { DELTA_DEFAULT_PAGE_SIZE, DELTA_FILTER_LIMIT, DELTA_MAX_PAGE_SIZE, MAX_BATCH_REQUESTS, type DeltaExpiry } from './index';
import { errorCode, SHARED, type GraphClient, type Json } from './test-client';
import { withGraphSandbox } from '../../support/useGraphSandbox';

let sandbox: Sandbox;
let graph: GraphClient;
withGraphSandbox((started, client) => {
	sandbox = started;
	graph = client;
});
beforeEach(() => sandbox.graph.reset());

let counter = 0;
async function freshFolder(): Promise<{ id: string; path: string }> {
	const reply = await graph('POST', `${SHARED}/mailFolders/inbox/childFolders`, { body: { displayName: `b${++counter}` } });
	return { id: reply.json<Json>().id, path: `Inbox/b${counter}` };
}
const deliver = (folder: string, subject: string, receivedAt?: Date) =>
	sandbox.ews.store.deliver(DEMO.sharedMailbox, { from: 'x@fabrikam.test', to: DEMO.sharedMailbox, subject, folder, receivedAt });

describe('$batch', () => {
	const get = (id: string, url: string, extra: Json = {}) => ({ id, method: 'GET', url, ...extra });

	test(`more than ${MAX_BATCH_REQUESTS} requests, duplicate ids, a body without Content-Type, an unknown dependsOn → 400 for the whole batch`, async () => {
		const many = Array.from({ length: MAX_BATCH_REQUESTS + 1 }, (_, i) => get(String(i), `${SHARED}/mailFolders/inbox`));
		const tooMany = await graph('POST', '/$batch', { body: { requests: many } });
		expect(tooMany.status).toBe(400);
		expect(tooMany.json<Json>().error.message).toMatch(/at most 20/);
		expect((await graph('POST', '/$batch', { body: { requests: many.slice(0, MAX_BATCH_REQUESTS) } })).status).toBe(200);
		expect((await graph('POST', '/$batch', { body: { requests: [get('1', '/me'), get('1', '/me')] } })).status).toBe(400);
		expect((await graph('POST', '/$batch', { body: { requests: [{ id: '1', method: 'POST', url: `${SHARED}/messages`, body: { subject: 'x' } }] } })).status).toBe(400);
		expect((await graph('POST', '/$batch', { body: { requests: [get('1', `${SHARED}/messages`, { dependsOn: ['9'] })] } })).status).toBe(400);
		expect((await graph('POST', '/$batch', { body: { requests: [get('1', `https://graph.microsoft.com/v1.0${SHARED}/messages`)] } })).status).toBe(400);
		expect(sandbox.graph.requests.filter((record) => record.inBatch)).toHaveLength(MAX_BATCH_REQUESTS);
	});

	test('per-request status, headers and body; dependsOn on a failed request → 424; urls without a leading slash', async () => {
		const folder = await freshFolder();
		deliver(folder.path, 'batch me');
		const reply = await graph('POST', '/$batch', {
			body: {
				requests: [
					get('list', `users/${DEMO.sharedMailbox}/mailFolders/${folder.id}/messages?$select=subject`),
					get('bad', `${SHARED}/messages/AAMkAAAA`),
					{ id: 'after-bad', method: 'PATCH', url: `${SHARED}/messages/AAMkAAAA`, dependsOn: ['bad'], headers: { 'Content-Type': 'application/json' }, body: { isRead: true } },
					{ id: 'create', method: 'POST', url: `${SHARED}/mailFolders/${folder.id}/childFolders`, headers: { 'Content-Type': 'application/json' }, body: { displayName: 'from batch' } },
					get('after-create', `${SHARED}/mailFolders/${folder.id}/childFolders`, { dependsOn: ['create'] }),
				],
			},
		});
		expect(reply.status).toBe(200);
		const byId = Object.fromEntries(reply.json<{ responses: Json[] }>().responses.map((response) => [response.id, response]));
		expect(byId.list).toMatchObject({ status: 200, headers: { 'Content-Type': expect.stringMatching(/json/) }, body: { value: [{ subject: 'batch me' }] } });
		expect(byId.bad).toMatchObject({ status: 400, body: { error: { code: 'ErrorInvalidIdMalformed' } } });
		expect(byId['after-bad'].status).toBe(424);
		expect(byId.create.status).toBe(201);
		expect(byId['after-create']).toMatchObject({ status: 200, body: { value: [{ displayName: 'from batch' }] } });
	});

	test('a throttled member answers 429 with its Retry-After, the others succeed', async () => {
		sandbox.graph.failNext('throttled', 1, { endpoint: 'GET /mailFolders/{id}', retryAfter: '3' });
		const reply = await graph('POST', '/$batch', { body: { requests: [get('1', `${SHARED}/messages?$top=1`), get('2', `${SHARED}/mailFolders/inbox`), get('3', `${SHARED}/mailFolders/drafts`)] } });
		const responses = reply.json<{ responses: Json[] }>().responses;
		expect(responses.map((response) => response.status)).toEqual([200, 429, 200]);
		expect(responses[1]).toMatchObject({ headers: { 'Retry-After': '3' }, body: { error: { code: 'TooManyRequests' } } });
		expect(sandbox.graph.httpCounts()['POST $batch']).toBe(1);
		expect(sandbox.graph.counts()['GET /mailFolders/{id}']).toBe(2);
	});
});

describe('message delta', () => {
	const deltaPath = (folder: string) => `${SHARED}/mailFolders/${folder}/messages/delta`;
	async function drain(first: string, headers: Record<string, string> = {}) {
		const pages: Json[] = [];
		let url: string | undefined = first;
		for (let i = 0; i < 50 && url; i++) {
			const reply = await graph('GET', url, { headers });
			expect(reply.status).toBe(200);
			pages.push(reply.json<Json>());
			url = reply.json<Json>()['@odata.nextLink'];
		}
		const last = pages[pages.length - 1];
		return { pages, items: pages.flatMap((page) => page.value as Json[]), deltaLink: last['@odata.deltaLink'] as string };
	}

	test('initial round pages by Prefer: odata.maxpagesize; nextLink then deltaLink, with opaque tokens', async () => {
		const folder = await freshFolder();
		for (let i = 0; i < 5; i++) deliver(folder.path, `d${i}`);
		const { pages, items, deltaLink } = await drain(`${deltaPath(folder.id)}?$select=subject,isRead`, { Prefer: 'odata.maxpagesize=2' });
		expect(pages.map((page) => page.value.length)).toEqual([2, 2, 1]);
		expect(pages[0]['@odata.nextLink']).toMatch(/\$skiptoken=[A-Za-z0-9_-]+$/);
		expect(deltaLink).toMatch(/\$deltatoken=[A-Za-z0-9_-]+$/);
		expect(items.map((item) => item.subject).sort()).toEqual(['d0', 'd1', 'd2', 'd3', 'd4']);
		expect(Object.keys(items[0]).sort()).toEqual(['@odata.etag', '@odata.type', 'id', 'isRead', 'subject']);
		const empty = await drain(deltaLink);
		expect(empty.items).toEqual([]);
	});

	test('later rounds: created, updated (read), moved in with an old date, @removed for deleted and moved out', async () => {
		const folder = await freshFolder();
		const other = await freshFolder();
		const keep = deliver(folder.path, 'keep');
		deliver(folder.path, 'leave');
		deliver(folder.path, 'trash');
		const oldOne = deliver(other.path, 'old one', new Date('2020-01-01T00:00:00Z'));
		const start = await drain(deltaPath(folder.id), { Prefer: 'IdType="ImmutableId"' });
		const ids = Object.fromEntries(start.items.map((item) => [item.subject, item.id]));

		const immutable = { Prefer: 'IdType="ImmutableId"' };
		await graph('PATCH', `${SHARED}/messages/${ids.keep}`, { body: { isRead: true }, headers: immutable });
		await graph('POST', `${SHARED}/messages/${ids.leave}/move`, { body: { destinationId: other.id }, headers: immutable });
		await graph('DELETE', `${SHARED}/messages/${ids.trash}`, { headers: immutable });
		sandbox.ews.store.moveItem(oldOne, sandbox.ews.store.getItem(keep)?.folderId ?? '');
		deliver(folder.path, 'new');

		const round = await drain(start.deltaLink, immutable);
		const removed = round.items.filter((item) => item['@removed']);
		expect(removed.map((item) => item.id).sort()).toEqual([ids.leave, ids.trash].sort());
		expect(removed[0]['@removed']).toEqual({ reason: 'deleted' });
		const present = round.items.filter((item) => !item['@removed']);
		expect(present.map((item) => item.subject).sort()).toEqual(['keep', 'new', 'old one']);
		expect(present.find((item) => item.subject === 'keep')?.isRead).toBe(true);
		expect(present.find((item) => item.subject === 'old one')?.receivedDateTime).toBe('2020-01-01T00:00:00Z');
	});

	test('changeType=created and $filter=receivedDateTime ge live in the token', async () => {
		const folder = await freshFolder();
		deliver(folder.path, 'ancient', new Date('2019-05-05T00:00:00Z'));
		deliver(folder.path, 'recent');
		const start = await drain(`${deltaPath(folder.id)}?changeType=created&$filter=receivedDateTime%20ge%202024-01-01T00:00:00Z`);
		expect(start.items.map((item) => item.subject)).toEqual(['recent']);
		const [recent] = start.items;
		await graph('PATCH', `${SHARED}/messages/${recent.id}`, { body: { isRead: true } });
		deliver(folder.path, 'later');
		const next = await drain(start.deltaLink);
		expect(next.items.map((item) => item.subject)).toEqual(['later']);
		expect(errorCode(await graph('GET', `${start.deltaLink}&$select=subject`))).toBe('BadRequest');
	});

	test(`page size: ${DELTA_DEFAULT_PAGE_SIZE} without Prefer, at most ${DELTA_MAX_PAGE_SIZE} with it (Preference-Applied says so)`, async () => {
		const folder = await freshFolder();
		for (let i = 0; i < DELTA_DEFAULT_PAGE_SIZE + 1; i++) deliver(folder.path, `p${i}`);
		const plain = await graph('GET', deltaPath(folder.id));
		expect(plain.json<Json>().value).toHaveLength(DELTA_DEFAULT_PAGE_SIZE);
		const capped = await graph('GET', deltaPath(folder.id), { headers: { Prefer: `odata.maxpagesize=${DELTA_MAX_PAGE_SIZE * 10}` } });
		expect(capped.headers['preference-applied']).toBe(`odata.maxpagesize=${DELTA_MAX_PAGE_SIZE}`);
		expect(capped.json<Json>().value).toHaveLength(DELTA_DEFAULT_PAGE_SIZE + 1);
	});

	test('an expired token → 410 syncStateNotFound with a Location to start over; unsupported options → 400', async () => {
		const folder = await freshFolder();
		deliver(folder.path, 'x');
		const { deltaLink } = await drain(deltaPath(folder.id));
		sandbox.graph.expireDeltaTokens();
		const gone = await graph('GET', deltaLink);
		expect(gone.status).toBe(410);
		expect(errorCode(gone)).toBe('syncStateNotFound');
		expect(gone.headers.location).toMatch(/messages\/delta\?\$deltatoken=$/);
		expect((await graph('GET', `${deltaPath(folder.id)}?$filter=isRead%20eq%20false`)).status).toBe(400);
		expect((await graph('GET', `${deltaPath(folder.id)}?$orderby=subject`)).status).toBe(400);
		expect((await graph('GET', `${deltaPath(folder.id)}?changeType=moved`)).status).toBe(400);
	});

	test('$expand=attachments (with its $select) and internetMessageHeaders come with every page of every round', async () => {
		const folder = await freshFolder();
		const deliver = (subject: string) =>
			sandbox.ews.store.deliver(DEMO.sharedMailbox, { from: 'x@fabrikam.test', to: DEMO.sharedMailbox, subject, folder: folder.path, attachments: [{ filename: `${subject}.txt`, content: subject }] });
		for (let i = 0; i < 3; i++) deliver(`a${i}`);
		const query = `?$select=subject,internetMessageHeaders&$expand=${encodeURIComponent('attachments($select=name,size)')}`;
		const start = await drain(`${deltaPath(folder.id)}${query}`, { Prefer: 'odata.maxpagesize=2' });
		deliver('later');
		const next = await drain(start.deltaLink);
		for (const item of [...start.items, ...next.items]) {
			expect(item.attachments).toEqual([expect.objectContaining({ '@odata.type': '#microsoft.graph.fileAttachment', name: `${item.subject}.txt`, size: expect.any(Number) })]);
			expect(item.attachments[0].contentBytes).toBeUndefined();
			expect(item.internetMessageHeaders).toEqual(expect.arrayContaining([{ name: 'Subject', value: item.subject }]));
		}
		expect(next.items.map((item) => item.subject)).toEqual(['later']);
		expect(errorCode(await graph('GET', `${deltaPath(folder.id)}?$expand=singleValueExtendedProperties`))).toBe('BadRequest');
	});

	test(`a filtered delta returns at most ${DELTA_FILTER_LIMIT} messages in its first round (the newest); unfiltered, all`, async () => {
		const folder = await freshFolder();
		const base = Date.now() - 3_600_000;
		for (let i = 0; i <= DELTA_FILTER_LIMIT; i++) sandbox.ews.store.deliver(DEMO.sharedMailbox, { from: 'x@fabrikam.test', to: DEMO.sharedMailbox, subject: `w${i}`, folder: folder.path, receivedAt: new Date(base + i * 1000) });
		const since = new Date(base - 1000).toISOString();
		const filtered = await drain(`${deltaPath(folder.id)}?$select=subject&$filter=${encodeURIComponent(`receivedDateTime ge ${since}`)}`, { Prefer: 'odata.maxpagesize=200' });
		expect(filtered.items).toHaveLength(DELTA_FILTER_LIMIT);
		expect(filtered.items.map((item) => item.subject)).not.toContain('w0');
		const whole = await drain(`${deltaPath(folder.id)}?$select=subject`, { Prefer: 'odata.maxpagesize=200' });
		expect(whole.items).toHaveLength(DELTA_FILTER_LIMIT + 1);
	});

	test.each<[DeltaExpiry, string | undefined]>([
		['syncStateNotFound', 'syncStateNotFound'],
		['resyncRequired', 'resyncRequired'],
		['gone', undefined],
	])('a refused token answered as %s: 410 with a Location to start over', async (form, code) => {
		const folder = await freshFolder();
		const { deltaLink } = await drain(deltaPath(folder.id));
		sandbox.graph.expireDeltaTokens(form);
		const refused = await graph('GET', deltaLink);
		expect(refused.status).toBe(410);
		expect(refused.headers.location).toMatch(/messages\/delta\?\$deltatoken=$/);
		if (code) expect(errorCode(refused)).toBe(code);
		else expect(refused.text).toBe('');
		// Starting over (the Location's empty token is the initial request) works.
		expect((await graph('GET', deltaPath(folder.id))).status).toBe(200);
	});
});

describe('faults', () => {
	const inbox = `${SHARED}/mailFolders/inbox`;

	test.each([
		['throttled', { retryAfter: '2.128' }, 429, 'TooManyRequests', '2.128'],
		['throttled', { retryAfter: null }, 429, 'TooManyRequests', undefined],
		['http503', {}, 503, 'serviceNotAvailable', '1'],
		['http504', {}, 504, 'UnknownError', undefined],
		['expiredToken', {}, 401, 'InvalidAuthenticationToken', undefined],
	] as const)('%s %j → %i %s (Retry-After %s), then the next request succeeds', async (fault, options, status, code, retryAfter) => {
		sandbox.graph.failNext(fault, 1, options);
		const failed = await graph('GET', inbox);
		expect([failed.status, errorCode(failed), failed.headers['retry-after']]).toEqual([status, code, retryAfter]);
		expect((await graph('GET', inbox)).status).toBe(200);
		expect(sandbox.graph.requests.map((record) => [record.status, record.fault])).toEqual([
			[status, fault],
			[200, undefined],
		]);
	});

	test('a fault can target one endpoint', async () => {
		sandbox.graph.failNext('http503', 1, { endpoint: 'GET /messages' });
		expect((await graph('GET', inbox)).status).toBe(200);
		expect((await graph('GET', `${SHARED}/messages?$top=1`)).status).toBe(503);
	});

	test('a dropped connection and a slow answer', async () => {
		sandbox.graph.failNext('drop');
		await expect(graph('GET', inbox)).rejects.toThrow(/socket hang up|ECONNRESET/);
		sandbox.graph.failNext('slow', 1, { delayMs: 300 });
		const started = Date.now();
		expect((await graph('GET', inbox)).status).toBe(200);
		expect(Date.now() - started).toBeGreaterThanOrEqual(290);
		expect(sandbox.graph.requests[0].status).toBe(0);
	});

	test(`more than 4 concurrent requests for one app and mailbox → 429 ApplicationThrottled (MailboxConcurrency)`, async () => {
		sandbox.graph.setLatency(300);
		try {
			const replies = await Promise.all(Array.from({ length: 5 }, () => graph('GET', inbox)));
			const statuses = replies.map((reply) => reply.status).sort();
			expect(statuses).toEqual([200, 200, 200, 200, 429]);
			const throttled = replies.find((reply) => reply.status === 429);
			expect([errorCode(throttled!), throttled!.json<Json>().error.message, throttled!.headers['retry-after']]).toEqual(['ApplicationThrottled', 'Application is over its MailboxConcurrency limit.', '1']);
			expect(sandbox.graph.peakConcurrency.get(DEMO.sharedMailbox)).toBe(4);
			// Another mailbox has its own four.
			expect((await Promise.all([graph('GET', inbox), graph('GET', `/users/${DEMO.noreplyMailbox}/mailFolders/inbox`)])).map((reply) => reply.status)).toEqual([200, 200]);
		} finally {
			sandbox.graph.setLatency(0);
		}
	});

	test('counts requests per endpoint', async () => {
		await graph('GET', inbox);
		await graph('GET', `${SHARED}/mailFolders/drafts`);
		await graph('GET', `${SHARED}/messages?$top=1`);
		expect(sandbox.graph.counts()).toEqual({ 'GET /mailFolders/{id}': 2, 'GET /messages': 1 });
	});
});

