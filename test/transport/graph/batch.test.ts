/**
 * JSON $batch against a real HTTPS server: chunks of 20, results in order whatever order the
 * answers come in, per-request throttling (Retry-After per request), 424 after a failed
 * dependency, dependsOn only where two requests act on the same thing.
 */
import { BATCH_LIMIT, runBatch, type BatchItem } from '../../../nodes/shared/transport/graph/batch';
import { json, startTestServer, testAuth, testClient, testTls, type RecordedRequest, type TestServer } from './graphTestServer';

interface InnerRequest {
	id: string;
	method: string;
	url: string;
	headers?: Record<string, string>;
	body?: unknown;
	dependsOn?: string[];
}

let server: TestServer;
let ca: string;
beforeAll(async () => {
	ca = (await testTls()).caCertPem;
	server = await startTestServer();
});
afterAll(async () => await server.close());
beforeEach(() => {
	server.requests.length = 0;
});

const innerOf = (request: RecordedRequest) => (JSON.parse(request.body.toString()) as { requests: InnerRequest[] }).requests;

/** Answers every inner request with `answer(inner)`, responses in reverse order (Graph may reorder). */
function answerEach(answer: (inner: InnerRequest, round: number) => { status: number; headers?: Record<string, string>; body?: unknown }) {
	let round = 0;
	server.handle((request, response) => {
		round++;
		expect(request.path).toBe('/v1.0/$batch');
		const responses = innerOf(request).map((inner) => ({ id: inner.id, headers: {}, ...answer(inner, round) }));
		json(response, 200, { responses: responses.reverse() });
	});
}

const gets = (count: number): BatchItem[] => Array.from({ length: count }, (_, index) => ({ method: 'GET', url: `/users/a/messages/m${index}` }));

it('sends up to 20 per $batch and maps the results back in order', async () => {
	answerEach((inner) => ({ status: 200, body: { id: inner.url.split('/').pop() } }));
	const results = await runBatch<{ id: string }>(testClient(server, testAuth(ca)), 'a@contoso.com', gets(45), { idempotent: true });
	expect(server.requests.map((request) => innerOf(request).length)).toEqual([BATCH_LIMIT, BATCH_LIMIT, 5]);
	expect(results.map((result) => (result.ok ? result.value.id : 'failed'))).toEqual(Array.from({ length: 45 }, (_, index) => `m${index}`));
	// Relative URLs, the immutable-id preference per request, no dependsOn for a parallel batch.
	const [first] = innerOf(server.requests[0]);
	expect(first).toMatchObject({ method: 'GET', url: '/users/a/messages/m0', headers: { Prefer: 'IdType="ImmutableId"' } });
	expect(first.dependsOn).toBeUndefined();
	expect(server.requests[0].headers.prefer).toBe('IdType="ImmutableId"');
});

it('keeps per-request failures per item, with kind and code', async () => {
	answerEach((inner) => (inner.url.endsWith('m1') ? { status: 404, body: { error: { code: 'ErrorItemNotFound', message: 'The specified object was not found in the store.' } } } : { status: 200, body: {} }));
	const results = await runBatch(testClient(server, testAuth(ca)), 'a@contoso.com', gets(3), { idempotent: true });
	expect(results.map((result) => result.ok)).toEqual([true, false, true]);
	expect(results[1]).toMatchObject({ ok: false, failure: { api: 'graph', kind: 'notFound', code: 'ErrorItemNotFound', httpStatus: 404, mailbox: 'a@contoso.com' } });
	expect(server.requests).toHaveLength(1);
});

it('sends again only the requests throttled inside the batch, after the longest Retry-After among them', async () => {
	answerEach((inner, round) => {
		const index = Number(inner.url.split('m').pop());
		if (round === 1 && index % 3 === 0) return { status: 429, headers: { 'Retry-After': index === 3 ? '1.5' : '0.5' }, body: { error: { code: 'ApplicationThrottled', message: 'busy' } } };
		return { status: 200, body: { index } };
	});
	const waits: number[] = [];
	const results = await runBatch<{ index: number }>(testClient(server, testAuth(ca), waits), 'a@contoso.com', gets(7), { idempotent: true });
	expect(results.every((result) => result.ok)).toBe(true);
	expect(results.map((result) => (result.ok ? result.value.index : -1))).toEqual([0, 1, 2, 3, 4, 5, 6]);
	expect(innerOf(server.requests[1]).map((inner) => inner.url)).toEqual(['/users/a/messages/m0', '/users/a/messages/m3', '/users/a/messages/m6']);
	expect(waits).toEqual([1500]);
});

it('backs off without Retry-After and gives the throttled items their failure after the last attempt', async () => {
	answerEach((inner) => (inner.url.endsWith('m0') ? { status: 429, body: { error: { code: 'TooManyRequests', message: 'busy' } } } : { status: 200, body: {} }));
	const waits: number[] = [];
	const results = await runBatch(testClient(server, testAuth(ca), waits), 'a@contoso.com', gets(2), { idempotent: true });
	expect(results[0]).toMatchObject({ ok: false, failure: { kind: 'throttled', code: 'TooManyRequests' } });
	expect(results[1].ok).toBe(true);
	expect(server.requests).toHaveLength(5);
	expect(waits).toHaveLength(4);
	expect(waits[0]).toBeGreaterThanOrEqual(250);
	expect(waits[0]).toBeLessThanOrEqual(500);
});

it('sends 503 / 504 inside a batch again only for calls safe to repeat', async () => {
	answerEach((inner, round) => (round === 1 && inner.url.includes('/m1/') ? { status: 503, body: { error: { code: 'serviceNotAvailable', message: 'down' } } } : { status: 201, body: {} }));
	const copies: BatchItem[] = gets(2).map((item) => ({ ...item, method: 'POST', url: `${item.url}/copy`, body: { destinationId: 'archive' } }));
	const once = await runBatch(testClient(server, testAuth(ca)), 'a@contoso.com', copies, { idempotent: false });
	expect(once[1]).toMatchObject({ ok: false, failure: { httpStatus: 503, kind: 'unavailable' } });
	expect(server.requests).toHaveLength(1);
	server.requests.length = 0;
	answerEach((inner, round) => (round === 1 && inner.url.endsWith('m1') ? { status: 503, body: { error: { code: 'serviceNotAvailable', message: 'down' } } } : { status: 200, body: {} }));
	const twice = await runBatch(testClient(server, testAuth(ca)), 'a@contoso.com', gets(2), { idempotent: true });
	expect(twice.every((result) => result.ok)).toBe(true);
	expect(server.requests).toHaveLength(2);
});

it('runs a batch in order (dependsOn) when two requests act on the same message, and re-runs a 424 after its dependency', async () => {
	const updates: BatchItem[] = [
		{ method: 'PATCH', url: '/users/a/messages/x', body: { isRead: true }, key: 'x' },
		{ method: 'PATCH', url: '/users/a/messages/y', body: { isRead: true }, key: 'y' },
		{ method: 'PATCH', url: '/users/a/messages/x', body: { isRead: false }, key: 'x' },
	];
	answerEach((inner, round) => {
		if (round === 1 && inner.id === '2') return { status: 429, headers: { 'Retry-After': '1' }, body: { error: { code: 'ApplicationThrottled', message: 'busy' } } };
		if (round === 1 && inner.id === '3') return { status: 424, body: { error: { code: 'FailedDependency', message: 'dependency failed' } } };
		return { status: 200, body: { changeKey: `ck-${inner.id}-${round}` } };
	});
	const results = await runBatch<{ changeKey: string }>(testClient(server, testAuth(ca)), 'a@contoso.com', updates, { idempotent: true });
	const [first, second] = server.requests.map(innerOf);
	expect(first.map((inner) => inner.dependsOn)).toEqual([undefined, ['1'], ['2']]);
	expect(first.map((inner) => inner.body)).toEqual([{ isRead: true }, { isRead: true }, { isRead: false }]);
	// y (throttled) and the second x (424) again, in their order; y and x differ, so in parallel.
	expect(second.map((inner) => [inner.url, inner.dependsOn])).toEqual([
		['/users/a/messages/y', undefined],
		['/users/a/messages/x', undefined],
	]);
	expect(results.map((result) => result.ok && result.value.changeKey)).toEqual(['ck-1-1', 'ck-1-2', 'ck-2-2']);
});

it('fails the items of an answer that lacks their response', async () => {
	server.handle((_, response) => json(response, 200, { responses: [{ id: '1', status: 200, body: {} }] }));
	const results = await runBatch(testClient(server, testAuth(ca)), 'a@contoso.com', gets(2), { idempotent: true });
	expect(results[0].ok).toBe(true);
	expect(results[1]).toMatchObject({ ok: false, failure: { code: 'GraphUnreadableAnswer', kind: 'badAnswer' } });
});
