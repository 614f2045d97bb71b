/**
 * What the EWS transport makes of answers that are not EWS, through the real ews-javascript-api
 * against the sandbox answering them: every HTTP status keeps its meaning (status first), every
 * call settles, the server is named, redirects are not followed, and the fixes carry real values.
 */
import { createServer as createTcpServer, type Server } from 'node:net';

import { diagnose, toNodeApiError } from '../../nodes/shared/errors/nodeErrors';
import { MailError } from '../../nodes/shared/mail/store';
import { copyMessages, findMessageIds, getMessages } from '../../nodes/shared/transport/ews/messages';
import { DEMO, type Sandbox } from '../sandbox';
import type { FaultBody } from '../sandbox/ews';
import { appOnlyAuth, clientOn, useEwsSandbox } from './ewsSupport';

const currentSandbox = useEwsSandbox();
let sandbox: Sandbox;
beforeAll(() => {
	sandbox = currentSandbox();
});

const NODE = { id: '1', name: 'Microsoft Exchange', type: 'n8n-nodes-exchange-oauth.microsoftExchange', typeVersion: 1, position: [0, 0] as [number, number], parameters: {} };

async function failureOf(promise: Promise<unknown>): Promise<MailError> {
	const error = await promise.then(
		() => undefined,
		(e: unknown) => e,
	);
	expect(error).toBeInstanceOf(MailError);
	return error as MailError;
}

async function findFails(options: Parameters<typeof clientOn>[3] = {}) {
	return await failureOf(findMessageIds(clientOn(sandbox, await appOnlyAuth(sandbox), [], { maxAttempts: 1, ...options }), DEMO.sharedMailbox, { wellKnown: 'inbox' }, {}));
}

function host() {
	return new URL(sandbox.ews.url).host;
}

describe('non-SOAP answers keep their HTTP status', () => {
	const cases: Array<[number, RegExp, RegExp]> = [
		[400, /refused the request as malformed/, /EWS endpoint/],
		[403, /refused EWS access for this app/, /EwsAllowedAppIDs/],
		[404, /has no EWS endpoint at/, /https:\/\/HOST\/EWS\/Exchange\.asmx/],
		[413, /too large/, /smaller attachments/],
		[500, /failed with HTTP 500 and no EWS error/, /IIS, a proxy or a load balancer/],
		[502, /gateway or proxy/, /Retry later/],
		[504, /gateway or proxy/, /Retry later/],
	];
	const bodies: FaultBody[] = ['empty', 'json', 'html'];
	for (const [status, message, fix] of cases) {
		for (const body of bodies) {
			it(`HTTP ${status} with ${body} body`, async () => {
				sandbox.ews.failNext('http', 1, { status, body });
				const error = await findFails();
				expect(error.failure).toMatchObject({ code: `HTTP${status}`, httpStatus: status, server: host() });
				const diagnosis = diagnose(error)!;
				expect(diagnosis.code).toMatch(new RegExp(`^HTTP ${status}`));
				expect(diagnosis.message).toContain(`EWS server ${host()}`);
				expect(diagnosis.message).toMatch(message);
				expect(diagnosis.fix).toMatch(fix);
				const shown = toNodeApiError(NODE, error);
				expect(`${shown.message} ${shown.description}`).not.toMatch(/Unknown EWS error|TypeError|undefined|<[a-z]+>/);
			});
		}
	}

	it('403 names the real client ID and the end of EWS (1 April 2027) in the allow-list fix', async () => {
		sandbox.ews.failNext('http', 1, { status: 403, body: 'html' });
		const diagnosis = diagnose(await findFails())!;
		expect(diagnosis.fix).toContain(`-EwsAllowedAppIDs @{Add="${DEMO.appOnlyClientId}"}`);
		expect(diagnosis.fix).toMatch(/1 April 2027/);
	});

	it('404 names the EWS URL that was used and the form it must have', async () => {
		sandbox.ews.failNext('http', 1, { status: 404, body: 'html' });
		const diagnosis = diagnose(await findFails())!;
		expect(diagnosis.message).toContain(sandbox.ews.url);
		expect(diagnosis.fix).toContain('https://HOST/EWS/Exchange.asmx');
	});

	it('HTTP 200 with an HTML page (a portal in between) is not taken for an answer', async () => {
		sandbox.ews.failNext('http', 1, { status: 200, body: 'html' });
		const diagnosis = diagnose(await findFails())!;
		expect(diagnosis).toMatchObject({ code: 'HTTP 200 not SOAP', message: expect.stringContaining(host()) });
	});

	it('a proxy page repeating the Authorization header does not carry the token into the message', async () => {
		sandbox.ews.failNext('http', 1, { status: 400, body: 'echo' });
		const error = await findFails();
		expect(error.message).toContain('Request rejected: Authorization: [token]');
		// No credential secrets handed to toNodeApiError: the transport itself must not repeat the token.
		expect(JSON.stringify(toNodeApiError(NODE, error))).not.toMatch(/eyJ[\w-]+\.[\w-]+/);
	});

	it('HTTP 500 with XML that is not SOAP, and with SOAP cut in the middle', async () => {
		for (const body of ['xml', 'brokenSoap'] as const) {
			sandbox.ews.failNext('http', 1, { status: 500, body });
			expect(diagnose(await findFails())!.code).toBe('HTTP 500 not SOAP');
		}
	});
});

describe('redirects', () => {
	let elsewhere: Server;
	let connections = 0;
	beforeAll(async () => {
		elsewhere = createTcpServer((socket) => {
			connections++;
			socket.destroy();
		});
		await new Promise<void>((resolve) => elsewhere.listen(0, '127.0.0.1', resolve));
	});
	afterAll(async () => {
		await new Promise((resolve) => elsewhere.close(resolve));
	});

	it('a 302 to an HTML login page on another host is reported with that host and never followed', async () => {
		const port = (elsewhere.address() as { port: number }).port;
		sandbox.ews.failNext('redirect', 1, { location: `https://127.0.0.1:${port}/adfs/ls/` });
		const error = await findFails();
		const diagnosis = diagnose(error)!;
		expect(diagnosis.code).toBe('HTTP 302');
		expect(diagnosis.message).toBe(`EWS server ${host()} redirected the request to 127.0.0.1:${port}`);
		expect(diagnosis.fix).toMatch(/does not follow redirects/);
		expect(connections).toBe(0);
		expect(sandbox.ews.requests).toHaveLength(1);
	});

	it('301 and 307 too', async () => {
		for (const status of [301, 307]) {
			sandbox.ews.failNext('redirect', 1, { status, location: 'https://login.example.test/' });
			expect(diagnose(await findFails())).toMatchObject({ code: `HTTP ${status}`, message: expect.stringContaining('login.example.test') });
		}
	});
});

describe('throttling and transient failures', () => {
	it('429 and 503 are retried for idempotent calls, after the Retry-After the server asked for', async () => {
		const [id] = [sandbox.ews.store.deliver(DEMO.sharedMailbox, { from: 'a@example.test', to: DEMO.sharedMailbox, subject: 'x', text: 'y' })];
		const waits: number[] = [];
		sandbox.ews.failNext('http', 1, { status: 429, body: 'json' });
		sandbox.ews.failNext('http503', 1);
		const client = clientOn(sandbox, await appOnlyAuth(sandbox), waits);
		const [result] = await getMessages(client, DEMO.sharedMailbox, [id], { body: 'none' });
		expect(result.ok).toBe(true);
		expect(waits).toHaveLength(2);
		expect(waits[1]).toBe(1000); // the sandbox's 503 says Retry-After: 1
		expect(sandbox.ews.counts().GetItem).toBe(3);
	});

	it('502 is not retried for a call that is not safe to repeat (copy)', async () => {
		const id = sandbox.ews.store.deliver(DEMO.sharedMailbox, { from: 'a@example.test', to: DEMO.sharedMailbox, subject: 'x', text: 'y' });
		sandbox.ews.failNext('http', 1, { status: 502, body: 'html' });
		const error = await failureOf(copyMessages(clientOn(sandbox, await appOnlyAuth(sandbox)), DEMO.sharedMailbox, [id], { wellKnown: 'drafts' }));
		expect(error.code).toBe('HTTP502');
		expect(sandbox.ews.counts().CopyItem).toBe(1);
	});

	it('ErrorInternalServerTransientError and ErrorTimeoutExpired are retried for idempotent calls', async () => {
		const id = sandbox.ews.store.deliver(DEMO.sharedMailbox, { from: 'a@example.test', to: DEMO.sharedMailbox, subject: 'x', text: 'y' });
		sandbox.ews.failNext('soapFault', 1, { code: 'ErrorInternalServerTransientError' });
		sandbox.ews.failNext('soapFault', 1, { code: 'ErrorTimeoutExpired' });
		const waits: number[] = [];
		const [result] = await getMessages(clientOn(sandbox, await appOnlyAuth(sandbox), waits), DEMO.sharedMailbox, [id], { body: 'none' });
		expect(result.ok).toBe(true);
		expect(waits).toHaveLength(2);
	});

	it('a body cut short (fewer bytes than Content-Length) is a reset connection, retried when safe', async () => {
		const id = sandbox.ews.store.deliver(DEMO.sharedMailbox, { from: 'a@example.test', to: DEMO.sharedMailbox, subject: 'x', text: 'y' });
		sandbox.ews.failNext('truncated', 1);
		const [result] = await getMessages(clientOn(sandbox, await appOnlyAuth(sandbox)), DEMO.sharedMailbox, [id], { body: 'none' });
		expect(result.ok).toBe(true);

		sandbox.ews.failNext('truncated', 1);
		const error = await findFails();
		expect(error.failure).toMatchObject({ code: 'ECONNRESET', message: expect.stringMatching(/closed after \d+ of \d+ bytes of the answer \(HTTP 200\)/) });
		expect(diagnose(error)!.message).toContain(`EWS server ${host()}`);
	});

	it('a body that never ends is given up at the deadline, and the connection is closed', async () => {
		sandbox.ews.failNext('neverEnding', 1, { intervalMs: 20 });
		const error = await findFails({ deadlineMs: 400 });
		expect(error.code).toBe('EwsDeadlineExceeded');
		expect(diagnose(error)).toMatchObject({ code: 'EwsDeadlineExceeded', message: `EWS server ${host()} did not finish its answer in time` });
		// The next call works on a fresh connection (the trickling one was destroyed, not reused).
		await findMessageIds(clientOn(sandbox, await appOnlyAuth(sandbox)), DEMO.sharedMailbox, { wellKnown: 'inbox' }, {});
	});

	it('a call the library never settles ends at the client deadline', async () => {
		const client = clientOn(sandbox, await appOnlyAuth(sandbox), [], { deadlineMs: 200 });
		const error = await failureOf(client.run(DEMO.sharedMailbox, () => new Promise(() => undefined), { idempotent: false }));
		expect(error.failure).toMatchObject({ code: 'EwsDeadlineExceeded', message: 'no complete answer within 200 ms', mailbox: DEMO.sharedMailbox });
	});
});

describe('SOAP faults of the catalogue', () => {
	const faults: Array<[string, RegExp, RegExp]> = [
		['ErrorSendAsDenied', new RegExp(`${DEMO.sharedMailbox} is not allowed to send as`), new RegExp(`Add-RecipientPermission -Identity FROM-ADDRESS -Trustee ${DEMO.sharedMailbox}`)],
		['ErrorMessageSizeExceeded', /larger than the mailbox or the organisation allows/, new RegExp(`Set-Mailbox -Identity ${DEMO.sharedMailbox} -MaxSendSize`)],
		['ErrorQuotaExceeded', new RegExp(`${DEMO.sharedMailbox} is full`), /Deleted Items/],
		['ErrorInternalServerTransientError', /temporary internal error/, /Retry later/],
		['ErrorTimeoutExpired', /longer than Exchange allows/, /fewer items/],
		['ErrorSomethingMicrosoftAddsLater', /Exchange refused the request \(ErrorSomethingMicrosoftAddsLater\)/, /ResponseCode list/],
	];
	for (const [code, message, fix] of faults) {
		it(code, async () => {
			sandbox.ews.failNext('soapFault', 1, { code });
			const error = await findFails();
			const diagnosis = diagnose(error)!;
			expect(diagnosis.code).toBe(code);
			expect(diagnosis.message).toMatch(message);
			expect(diagnosis.fix).toMatch(fix);
			expect(toNodeApiError(NODE, error).description).toContain(`Injected ${code}.`);
		});
	}
});
