/**
 * The Graph client against a real HTTPS server (real TLS, the test CA trusted through the
 * credential's TLS settings): headers, throttling, 401, sends, the concurrency cap, the deadline,
 * and that the token never goes anywhere but the Graph host.
 */
import { MailError } from '../../../nodes/shared/mail/store';
import { GraphClient } from '../../../nodes/shared/transport/graph/client';
import { seededRandom } from '../../support/seededRandom';
import { failureOf, graphError, json, startTestServer, testAuth, testClient, testTls, type TestServer } from './graphTestServer';

let server: TestServer;
let other: TestServer;
let ca: string;

beforeAll(async () => {
	ca = (await testTls()).caCertPem;
	server = await startTestServer();
	other = await startTestServer();
});
afterAll(async () => {
	await server.close();
	await other.close();
});
beforeEach(() => {
	server.requests.length = 0;
	other.requests.length = 0;
	other.handle((_, response) => json(response, 200, { value: [] }));
});


describe('every request', () => {
	it('carries the token, Prefer IdType="ImmutableId" (merged with other preferences) and JSON', async () => {
		server.handle((_, response) => json(response, 200, { id: 'm1' }));
		const client = testClient(server, testAuth(ca));
		const answer = await client.request<{ id: string }>('a@contoso.com', { method: 'GET', url: '/users/a%40contoso.com/messages/m1', headers: { Prefer: 'outlook.body-content-type="text"' } }, { idempotent: true });
		expect(answer.body.id).toBe('m1');
		const [request] = server.requests;
		expect(request.headers.authorization).toMatch(/^Bearer eyJ/);
		expect(request.headers.prefer).toBe('IdType="ImmutableId", outlook.body-content-type="text"');
		await client.request('a@contoso.com', { method: 'POST', url: '/users/a%40contoso.com/messages/m1/move', body: { json: { destinationId: 'inbox' } } }, { idempotent: true });
		expect(server.requests[1].headers.prefer).toBe('IdType="ImmutableId"');
		expect(server.requests[1].headers['content-type']).toBe('application/json');
		expect(JSON.parse(server.requests[1].body.toString())).toEqual({ destinationId: 'inbox' });
	});

	it('refuses a Graph URL that is not https', () => {
		expect(() => new GraphClient(testAuth(ca), { graphUrl: 'http://graph.microsoft.com/v1.0' })).toThrow(/not an https:\/\/ address/);
	});
});

describe('throttling', () => {
	it.each([
		['429', 429, '2.128', 2128],
		['503', 503, '0.25', 250],
		['504', 504, '1', 1000],
	])('waits the Retry-After of a %s (seconds with fractions) and tries again', async (_, status, retryAfter, expected) => {
		let calls = 0;
		server.handle((_, response) => (++calls === 1 ? graphError(response, status, status === 429 ? 'TooManyRequests' : 'serviceNotAvailable', 'busy', { 'Retry-After': retryAfter }) : json(response, 200, { ok: true })));
		const waits: number[] = [];
		await testClient(server, testAuth(ca), waits).request('a@contoso.com', { method: 'GET', url: '/users/a/messages' }, { idempotent: true });
		expect(waits).toEqual([expected]);
		expect(server.requests).toHaveLength(2);
	});

	it('backs off exponentially with jitter without Retry-After, capped, and gives up after maxAttempts', async () => {
		server.handle((_, response) => graphError(response, 429, 'ApplicationThrottled'));
		const waits: number[] = [];
		const failure = await failureOf(testClient(server, testAuth(ca), waits, { maxBackOffMs: 3000 }).request('a@contoso.com', { method: 'GET', url: '/users/a/messages' }, { idempotent: true }));
		expect(failure).toMatchObject({ api: 'graph', kind: 'throttled', code: 'ApplicationThrottled', httpStatus: 429, mailbox: 'a@contoso.com' });
		expect(server.requests).toHaveLength(5);
		const bounds = [500, 1000, 2000, 3000];
		expect(waits).toHaveLength(4);
		waits.forEach((wait, index) => {
			expect(wait).toBeGreaterThanOrEqual(bounds[index] / 2);
			expect(wait).toBeLessThanOrEqual(bounds[index]);
		});
	});

	it('caps a long Retry-After at maxBackOffMs', async () => {
		let calls = 0;
		server.handle((_, response) => (++calls === 1 ? graphError(response, 429, 'TooManyRequests', 'slow down', { 'Retry-After': '120' }) : json(response, 200, {})));
		const waits: number[] = [];
		await testClient(server, testAuth(ca), waits, { maxBackOffMs: 10_000 }).request('a@contoso.com', { method: 'GET', url: '/users/a/messages' }, { idempotent: true });
		expect(waits).toEqual([10_000]);
	});

	it.each([429, 503, 504])('never repeats a call that is not safe to repeat (a send) after HTTP %s', async (status) => {
		server.handle((_, response) => graphError(response, status, 'TooManyRequests', 'busy', { 'Retry-After': '1' }));
		const waits: number[] = [];
		const failure = await failureOf(testClient(server, testAuth(ca), waits).request('a@contoso.com', { method: 'POST', url: '/users/a/sendMail', body: { json: { message: {} } } }, { idempotent: false }));
		expect(failure.httpStatus).toBe(status);
		expect(server.requests).toHaveLength(1);
		expect(waits).toEqual([]);
	});

	it('never repeats a send after the connection dropped', async () => {
		server.handle((request, response) => void response.socket?.destroy());
		const failure = await failureOf(testClient(server, testAuth(ca)).request('a@contoso.com', { method: 'POST', url: '/users/a/sendMail', body: { json: {} } }, { idempotent: false }));
		expect(failure.kind).toBe('unavailable');
		expect(server.requests).toHaveLength(1);
	});

	it('repeats a read after the connection dropped', async () => {
		let calls = 0;
		server.handle((_, response) => void (++calls === 1 ? response.socket?.destroy() : json(response, 200, {})));
		await testClient(server, testAuth(ca)).request('a@contoso.com', { method: 'GET', url: '/users/a/messages' }, { idempotent: true });
		expect(server.requests).toHaveLength(2);
	});
});

describe('HTTP 401', () => {
	it('fetches a fresh token once and tries again, for any call', async () => {
		let calls = 0;
		server.handle((_, response) => (++calls === 1 ? graphError(response, 401, 'InvalidAuthenticationToken', 'Lifetime validation failed, the token is expired.') : json(response, 202, undefined)));
		const auth = testAuth(ca);
		await testClient(server, auth).request('a@contoso.com', { method: 'POST', url: '/users/a/sendMail', body: { json: {} } }, { idempotent: false });
		expect(auth.tokenCalls).toEqual([false, true]);
		expect(server.requests[0].headers.authorization).not.toBe(server.requests[1].headers.authorization);
	});

	it('refreshes only once: a second 401 is the failure', async () => {
		server.handle((_, response) => graphError(response, 401, 'InvalidAuthenticationToken', 'Access token validation failure. Invalid audience.'));
		const auth = testAuth(ca);
		const failure = await failureOf(testClient(server, auth).request('a@contoso.com', { method: 'GET', url: '/users/a/messages' }, { idempotent: true }));
		expect(failure).toMatchObject({ kind: 'unauthorized', code: 'InvalidAuthenticationToken', clientId: '11111111-2222-3333-4444-555555555555', tenantId: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee' });
		expect(auth.tokenCalls).toEqual([false, true]);
		expect(server.requests).toHaveLength(2);
	});
});

describe('concurrency', () => {
	it('has at most 4 requests in flight per mailbox; another mailbox has its own 4', async () => {
		let active = 0;
		let most = 0;
		const activeBy = new Map<string, number>();
		const mostBy = new Map<string, number>();
		server.handle(async (request, response) => {
			const mailbox = request.path.split('/')[3];
			active++;
			activeBy.set(mailbox, (activeBy.get(mailbox) ?? 0) + 1);
			most = Math.max(most, active);
			mostBy.set(mailbox, Math.max(mostBy.get(mailbox) ?? 0, activeBy.get(mailbox) ?? 0));
			await new Promise((resolve) => setTimeout(resolve, 30));
			active--;
			activeBy.set(mailbox, (activeBy.get(mailbox) ?? 1) - 1);
			json(response, 200, {});
		});
		const client = testClient(server, testAuth(ca));
		const calls = [];
		for (let index = 0; index < 12; index++) {
			calls.push(client.request('a@contoso.com', { method: 'GET', url: `/users/a/messages/${index}` }, { idempotent: true }));
			calls.push(client.request('B@contoso.com', { method: 'GET', url: `/users/b/messages/${index}` }, { idempotent: true }));
		}
		await Promise.all(calls);
		expect(mostBy.get('a')).toBe(4);
		expect(mostBy.get('b')).toBe(4);
		expect(most).toBe(8);
	});
});

describe('deadline', () => {
	it('gives up an attempt that gets no complete answer in time, and does not repeat it', async () => {
		server.handle((_, response) => {
			response.writeHead(200, { 'Content-Type': 'application/json' });
			response.write('{"value": [');
		});
		const started = Date.now();
		const failure = await failureOf(testClient(server, testAuth(ca), [], { deadlineMs: 300 }).request('a@contoso.com', { method: 'GET', url: '/users/a/messages' }, { idempotent: true }));
		expect(failure).toMatchObject({ code: 'GraphDeadlineExceeded', kind: 'timeout' });
		expect(Date.now() - started).toBeLessThan(5_000);
		expect(server.requests).toHaveLength(1);
	});
});

describe('the token goes only to the Graph host', () => {
	function foreignLinks(graph: TestServer, foreign: TestServer): string[] {
		const [, port] = graph.host.split(':');
		const fixed = [
			`${foreign.url}/users/a/messages?$skiptoken=1`,
			`https://localhost:${port}/v1.0/users/a/messages`,
			`http://${graph.host}/v1.0/users/a/messages`,
			`https://${graph.host}@${foreign.host}/v1.0/users/a/messages`,
			`https://user:pw@${graph.host}/v1.0/users/a/messages`,
			`https://${graph.host}/beta/users/a/messages`,
			`https://${graph.host}/v1.0evil/users/a`,
			`https://${graph.host.replace('127.0.0.1', '127.0.0.2')}/v1.0/users/a`,
			'javascript:alert(1)',
			'not a url',
			'',
		];
		// Fuzzed: random hosts, ports and schemes around the Graph host's.
		const random = seededRandom(Number(process.env.FUZZ_SEED ?? 7011));
		const hosts = ['graph.microsoft.com', 'graph.microsoft.us', 'outlook.office.com', foreign.host, `127.0.0.1:${Number(port) + 1}`, `127.0.0.1.evil.com:${port}`];
		for (let index = 0; index < 40; index++) {
			const host = hosts[Math.floor(random() * hosts.length)];
			const scheme = random() < 0.2 ? 'http' : 'https';
			fixed.push(`${scheme}://${host}/v1.0/users/a/messages/delta?$deltatoken=${index}`);
		}
		return fixed;
	}

	it('refuses every nextLink / deltaLink that is not below the Graph URL, before any socket opens', async () => {
		const client = testClient(server, testAuth(ca));
		for (const link of foreignLinks(server, other)) {
			const failure = await failureOf(client.request('a@contoso.com', { method: 'GET', url: link }, { idempotent: true }));
			expect(failure).toMatchObject({ code: 'GraphForeignLink', kind: 'badAnswer' });
			// An upload session token in the query is never repeated in the message.
			expect(failure.message).not.toContain('deltatoken');
		}
		expect(other.requests).toHaveLength(0);
		expect(server.requests).toHaveLength(0);
	});

	it('follows a link on the Graph host (the case of the host does not matter)', async () => {
		server.handle((_, response) => json(response, 200, { value: [] }));
		const client = testClient(server, testAuth(ca));
		await client.request('a@contoso.com', { method: 'GET', url: `${server.url.replace('https', 'HTTPS')}/users/a/messages?$skiptoken=2` }, { idempotent: true });
		expect(server.requests[0].path).toBe('/v1.0/users/a/messages?$skiptoken=2');
	});

	it.each([301, 302, 303, 307, 308])('never follows a redirect (%s) to another host', async (status) => {
		server.handle((_, response) => {
			response.writeHead(status, { Location: `${other.url}/users/a/messages` });
			response.end();
		});
		const failure = await failureOf(testClient(server, testAuth(ca)).request('a@contoso.com', { method: 'GET', url: '/users/a/messages' }, { idempotent: true }));
		expect(failure).toMatchObject({ code: `HTTP${status}`, kind: 'badAnswer', location: `${other.url}/users/a/messages` });
		expect(other.requests).toHaveLength(0);
		expect(server.requests).toHaveLength(1);
	});

	it('sends upload ranges without any Authorization header, to whatever https host the session names', async () => {
		other.handle((_, response) => json(response, 200, { nextExpectedRanges: ['4-'] }));
		const client = testClient(server, testAuth(ca));
		await client.uploadRange('a@contoso.com', `${other.url}/upload/session?authtoken=abc`, Buffer.from('abcd'), 0, 8);
		expect(other.requests).toHaveLength(1);
		expect(other.requests[0].headers.authorization).toBeUndefined();
		expect(other.requests[0].headers.prefer).toBeUndefined();
		expect(other.requests[0].headers['content-range']).toBe('bytes 0-3/8');
		expect(other.requests[0].body.toString()).toBe('abcd');
		const refused = await failureOf(client.uploadRange('a@contoso.com', `http://${other.host}/upload`, Buffer.from('x'), 0, 1));
		expect(refused.code).toBe('GraphForeignLink');
		expect(other.requests).toHaveLength(1);
	});
});

describe('answers that are not Graph', () => {
	it('an HTML page with HTTP 200 is a badAnswer, not data', async () => {
		server.handle((_, response) => {
			response.writeHead(200, { 'Content-Type': 'text/html' });
			response.end('<html><title>Sign in</title></html>');
		});
		const failure = await failureOf(testClient(server, testAuth(ca)).request('a@contoso.com', { method: 'GET', url: '/users/a/messages' }, { idempotent: true }));
		expect(failure).toMatchObject({ code: 'GraphUnreadableAnswer', kind: 'badAnswer' });
	});

	it('an error without Graph JSON keeps its status and never repeats a token from the body', async () => {
		server.handle((request, response) => {
			response.writeHead(400, { 'Content-Type': 'text/plain' });
			response.end(`proxy says no: ${request.headers.authorization}`);
		});
		const failure = await failureOf(testClient(server, testAuth(ca)).request('a@contoso.com', { method: 'GET', url: '/users/a/messages' }, { idempotent: true }));
		expect(failure).toMatchObject({ code: 'HTTP400', kind: 'invalidRequest' });
		expect(failure.message).toContain('[token]');
		expect(failure.message).not.toMatch(/eyJ/);
	});
});

describe('a token the credential cannot get', () => {
	it('keeps the step and token host, and names the Graph permissions for missing consent (AADSTS65001)', async () => {
		const { StepError, toNodeApiError } = await import('../../../nodes/shared/errors/nodeErrors');
		const auth = testAuth(ca);
		auth.getAccessToken = async () => {
			throw new StepError('Getting an access token', 'login.microsoftonline.com', Object.assign(new Error("invalid_grant: AADSTS65001: The user or administrator has not consented to use the application with ID '11111111-2222-3333-4444-555555555555'."), { errorNo: '65001' }));
		};
		let thrown: unknown;
		try {
			await testClient(server, auth).request('a@contoso.com', { method: 'GET', url: '/users/a/messages' }, { idempotent: true });
		} catch (error) {
			thrown = error;
		}
		expect(thrown).toBeInstanceOf(StepError);
		expect((thrown as InstanceType<typeof StepError>).original).toBeInstanceOf(MailError);
		expect(((thrown as InstanceType<typeof StepError>).original as MailError).failure).toMatchObject({ api: 'graph', code: 'AADSTS65001', kind: 'accessDenied', tenantId: 'contoso.onmicrosoft.com' });
		expect(server.requests).toHaveLength(0);
		const { diagnoseGraphFailure } = await import('../../../nodes/shared/errors/graphCatalogue');
		const diagnosis = diagnoseGraphFailure(((thrown as InstanceType<typeof StepError>).original as MailError).failure);
		expect(diagnosis?.fix).toMatch(/App registrations → 11111111-2222-3333-4444-555555555555 → API permissions, add the Microsoft Graph application permissions Mail\.ReadWrite and Mail\.Send/);
		expect(diagnosis?.fix).toContain('contoso.onmicrosoft.com');
		// The node error still says which step failed.
		const nodeError = toNodeApiError({ name: 'Exchange', type: 'x', typeVersion: 1, position: [0, 0], parameters: {}, id: '1' }, thrown);
		expect(nodeError.message).toMatch(/^Getting an access token failed: The Microsoft Graph permissions have not been consented to \(AADSTS65001\)/);
		expect(nodeError.description).toContain('Mail.ReadWrite and Mail.Send');
		expect(nodeError.description).not.toContain('Office 365 Exchange Online');
	});
});
