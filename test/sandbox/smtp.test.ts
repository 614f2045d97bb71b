import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import nodemailer, { type Transporter } from 'nodemailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport';
import { DEMO, startSandbox, type Sandbox } from './index';
import { postForm } from './test-helpers';

let sandbox: Sandbox;
const logLines: string[] = [];
const openTransports: Transporter[] = [];

beforeAll(async () => {
	sandbox = await startSandbox({ log: (line) => logLines.push(line) });
});

afterAll(async () => {
	for (const transport of openTransports) transport.close();
	await sandbox?.stop();
});

beforeEach(() => {
	sandbox.smtp.clear();
	sandbox.entra.clearRequests();
});

/** `extra` may hold pool options (pool, maxConnections) too. */
function transport(auth: SMTPTransport.Options['auth'], extra: Record<string, unknown> = {}) {
	const created = nodemailer.createTransport({
		host: sandbox.smtp.host,
		port: sandbox.smtp.port,
		secure: false,
		requireTLS: true,
		tls: { ca: sandbox.ca, minVersion: 'TLSv1.2' },
		auth,
		connectionTimeout: 5000,
		greetingTimeout: 5000,
		socketTimeout: 10000,
		...extra,
	} as SMTPTransport.Options);
	openTransports.push(created);
	return created;
}

const appOnlyToken = (roles = ['SMTP.SendAsApp', 'full_access_as_app'], lifetimeSeconds?: number) =>
	sandbox.entra.issueToken({ tenantId: DEMO.tenantId, clientId: DEMO.appOnlyClientId, roles, lifetimeSeconds });

const delegatedToken = (scp = 'SMTP.Send EWS.AccessAsUser.All') =>
	sandbox.entra.issueToken({ tenantId: DEMO.tenantId, clientId: DEMO.delegatedClientId, upn: DEMO.user, scp });

const mail = (from: string, extra: Record<string, unknown> = {}) => ({
	from,
	to: 'customer@example.test',
	subject: 'Invoice 42',
	text: 'Please find attached.',
	...extra,
});

async function sendError(promise: Promise<unknown>): Promise<{ code?: string; responseCode?: number; response?: string }> {
	try {
		await promise;
	} catch (error) {
		return error as { code?: string; responseCode?: number; response?: string };
	}
	throw new Error('expected the send to fail');
}

describe('app-only XOAUTH2', () => {
	it('sends with a token from the token endpoint and round-trips attachment bytes', async () => {
		const tokenReply = await postForm(sandbox.entra.tokenUrl(DEMO.tenantId), sandbox.ca, {
			grant_type: 'client_credentials',
			client_id: DEMO.appOnlyClientId,
			client_secret: DEMO.appOnlyClientSecret,
			scope: DEMO.appOnlyScope,
		});
		const accessToken = tokenReply.json().access_token as string;
		const pdf = randomBytes(150_000);

		const info = await transport({ type: 'OAuth2', user: DEMO.sharedMailbox, accessToken }).sendMail(
			mail(`"Invoices" <${DEMO.sharedMailbox}>`, { attachments: [{ filename: 'invoice-42.pdf', content: pdf, contentType: 'application/pdf' }] }),
		);
		expect(info.response).toMatch(/^250 2\.0\.0 OK <.+> \[Hostname=/);

		const [message] = await sandbox.smtp.waitForMessages(1);
		expect(message.authUser).toBe(DEMO.sharedMailbox);
		expect(message.envelope).toEqual({ from: DEMO.sharedMailbox, to: ['customer@example.test'] });
		expect(message.parsed.subject).toBe('Invoice 42');
		expect(message.parsed.attachments).toHaveLength(1);
		expect(message.parsed.attachments[0].filename).toBe('invoice-42.pdf');
		expect(Buffer.compare(message.parsed.attachments[0].content, pdf)).toBe(0);
		expect(message.raw.toString('latin1')).toContain('Subject: Invoice 42');
		expect(sandbox.smtp.authAttempts).toEqual([expect.objectContaining({ user: DEMO.sharedMailbox, ok: true, response: '235 2.7.0 Authentication successful' })]);
		expect(sandbox.smtp.connections).toBe(1);
		expect(logLines.join('\n')).not.toContain(accessToken);
	});

	it('may send as another granted mailbox of the same app', async () => {
		await transport({ type: 'OAuth2', user: DEMO.sharedMailbox, accessToken: appOnlyToken() }).sendMail(mail(DEMO.noreplyMailbox));
		expect((await sandbox.smtp.waitForMessages(1))[0].envelope.from).toBe(DEMO.noreplyMailbox);
	});

	it('answers a token without SMTP.SendAsApp with 535 5.7.3', async () => {
		const error = await sendError(
			transport({ type: 'OAuth2', user: DEMO.sharedMailbox, accessToken: appOnlyToken(['full_access_as_app']) }).sendMail(mail(DEMO.sharedMailbox)),
		);
		expect(error.code).toBe('EAUTH');
		expect(error.response).toMatch(/^535 5\.7\.3 Authentication unsuccessful \[\S+ \d{4}-\d\d-\d\dT[\d:.]+Z\]$/);
		expect(sandbox.smtp.authAttempts[0]).toMatchObject({ ok: false, reason: expect.stringContaining('SMTP.SendAsApp') });
		expect(sandbox.smtp.messages).toHaveLength(0);
	});

	it('answers an expired token with 535 5.7.3', async () => {
		const error = await sendError(
			transport({ type: 'OAuth2', user: DEMO.sharedMailbox, accessToken: appOnlyToken(undefined, -30) }).sendMail(mail(DEMO.sharedMailbox)),
		);
		expect(error.response).toMatch(/^535 5\.7\.3 /);
		expect(sandbox.smtp.authAttempts[0].reason).toContain('expired');
	});

	it('answers a mailbox the app has no grant on with 535 5.7.3', async () => {
		const error = await sendError(
			transport({ type: 'OAuth2', user: 'ceo@contoso.test', accessToken: appOnlyToken() }).sendMail(mail('ceo@contoso.test')),
		);
		expect(error.response).toMatch(/^535 5\.7\.3 /);
	});

	it('answers a wrong From with 554 5.2.252 SendAsDenied', async () => {
		const error = await sendError(
			transport({ type: 'OAuth2', user: DEMO.sharedMailbox, accessToken: appOnlyToken() }).sendMail(
				mail(DEMO.sharedMailbox, { from: 'ceo@contoso.test', envelope: { from: DEMO.sharedMailbox, to: 'customer@example.test' } }),
			),
		);
		expect(error.responseCode).toBe(554);
		expect(error.response).toContain(
			`554 5.2.252 SendAsDenied; ${DEMO.sharedMailbox} not allowed to send as ceo@contoso.test; STOREDRV.Submission.Exception:SendAsDeniedException.MapiExceptionSendAsDenied; Failed to process message due to a permanent exception with message [BeginDiagnosticData]Cannot submit message.`,
		);
		expect(sandbox.smtp.messages).toHaveLength(0);
	});
});

describe('delegated XOAUTH2', () => {
	it('sends as the signed-in user and as a shared mailbox the user may send as', async () => {
		const accessToken = delegatedToken();
		const asUser = transport({ type: 'OAuth2', user: DEMO.user, accessToken });
		await asUser.sendMail(mail(DEMO.user));
		await asUser.sendMail(mail(DEMO.sharedMailbox));
		const sharedLogin = transport({ type: 'OAuth2', user: DEMO.sharedMailbox, accessToken });
		await sharedLogin.sendMail(mail(DEMO.sharedMailbox));
		const messages = await sandbox.smtp.waitForMessages(3);
		expect(messages.map((m) => [m.authUser, m.envelope.from])).toEqual([
			[DEMO.user, DEMO.user],
			[DEMO.user, DEMO.sharedMailbox],
			[DEMO.sharedMailbox, DEMO.sharedMailbox],
		]);

		const denied = await sendError(asUser.sendMail(mail(DEMO.noreplyMailbox)));
		expect(denied.response).toMatch(/^554 5\.2\.252 SendAsDenied; alex@contoso\.test not allowed to send as noreply@contoso\.test;/);
	});

	it('answers a token without SMTP.Send or for another mailbox with 535 5.7.3', async () => {
		const noScope = await sendError(transport({ type: 'OAuth2', user: DEMO.user, accessToken: delegatedToken('EWS.AccessAsUser.All') }).sendMail(mail(DEMO.user)));
		expect(noScope.response).toMatch(/^535 5\.7\.3 /);
		const otherMailbox = await sendError(transport({ type: 'OAuth2', user: DEMO.noreplyMailbox, accessToken: delegatedToken() }).sendMail(mail(DEMO.noreplyMailbox)));
		expect(otherMailbox.response).toMatch(/^535 5\.7\.3 /);
		expect(sandbox.smtp.authAttempts.map((a) => a.ok)).toEqual([false, false]);
	});
});

describe('basic auth, TLS and limits', () => {
	it('answers PLAIN and LOGIN with 535 5.7.139 basic authentication is disabled', async () => {
		for (const authMethod of ['PLAIN', 'LOGIN']) {
			const error = await sendError(transport({ user: DEMO.user, pass: 'Passw0rd!' }, { authMethod }).sendMail(mail(DEMO.user)));
			expect(error.code).toBe('EAUTH');
			expect(error.response).toMatch(/^535 5\.7\.139 Authentication unsuccessful, basic authentication is disabled\. \[/);
		}
		expect(sandbox.smtp.authAttempts.map((a) => a.ok)).toEqual([false, false]);
		expect(logLines.join('\n')).not.toContain('Passw0rd!');
	});

	it('refuses AUTH before STARTTLS', async () => {
		const error = await sendError(
			transport({ type: 'OAuth2', user: DEMO.sharedMailbox, accessToken: appOnlyToken() }, { requireTLS: false, ignoreTLS: true }).sendMail(
				mail(DEMO.sharedMailbox),
			),
		);
		expect(error.response).toMatch(/^538 /);
		expect(sandbox.smtp.authAttempts).toHaveLength(0);
	});

	it('answers a message over 35 MB with 552 5.3.4', async () => {
		const error = await sendError(
			transport({ type: 'OAuth2', user: DEMO.sharedMailbox, accessToken: appOnlyToken() }).sendMail(
				mail(DEMO.sharedMailbox, { attachments: [{ filename: 'big.bin', content: Buffer.alloc(27 * 1024 * 1024, 7) }] }),
			),
		);
		expect(error.response).toMatch(/^552 5\.3\.4 Message size exceeds fixed maximum message size/);
		expect(sandbox.smtp.messages).toHaveLength(0);
	}, 30_000);
});

describe('failNext', () => {
	it('fails the next AUTH with 5.7.3 or the tenant 5.7.139, then recovers', async () => {
		sandbox.smtp.failNext('5.7.3');
		sandbox.smtp.failNext('5.7.139');
		const auth = { type: 'OAuth2' as const, user: DEMO.sharedMailbox, accessToken: appOnlyToken() };
		expect((await sendError(transport(auth).sendMail(mail(DEMO.sharedMailbox)))).response).toMatch(/^535 5\.7\.3 /);
		expect((await sendError(transport(auth).sendMail(mail(DEMO.sharedMailbox)))).response).toMatch(
			/^535 5\.7\.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant\. Visit https:\/\/aka\.ms\/smtp_auth_disabled for more information\./,
		);
		await transport(auth).sendMail(mail(DEMO.sharedMailbox));
		expect(sandbox.smtp.messages).toHaveLength(1);
	});

	it('fails the next messages at DATA with 554 5.2.252 and 421 4.7.66 (connection closed), then recovers', async () => {
		sandbox.smtp.failNext('5.2.252');
		sandbox.smtp.failNext('4.7.66');
		const sender = transport({ type: 'OAuth2', user: DEMO.sharedMailbox, accessToken: appOnlyToken() }, { pool: true, maxConnections: 1 });
		expect((await sendError(sender.sendMail(mail(DEMO.sharedMailbox)))).response).toMatch(/^554 5\.2\.252 SendAsDenied;/);
		const transient = await sendError(sender.sendMail(mail(DEMO.sharedMailbox)));
		expect(transient.responseCode).toBe(421);
		expect(transient.response).toMatch(/^421 4\.7\.66 /);
		await sender.sendMail(mail(DEMO.sharedMailbox));
		expect(sandbox.smtp.messages).toHaveLength(1);
		// The 421 closed the pooled connection, so the pool had to open a second one.
		expect(sandbox.smtp.connections).toBe(2);
	});
});

describe('pooling', () => {
	it('delivers 5 messages over one pooled connection', async () => {
		const sender = transport({ type: 'OAuth2', user: DEMO.sharedMailbox, accessToken: appOnlyToken() }, { pool: true, maxConnections: 1 });
		await Promise.all([1, 2, 3, 4, 5].map((n) => sender.sendMail(mail(DEMO.sharedMailbox, { subject: `Pooled ${n}` }))));
		const messages = await sandbox.smtp.waitForMessages(5);
		expect(messages.map((m) => m.parsed.subject).sort()).toEqual(['Pooled 1', 'Pooled 2', 'Pooled 3', 'Pooled 4', 'Pooled 5']);
		expect(sandbox.smtp.connections).toBe(1);
		expect(sandbox.smtp.authAttempts).toHaveLength(1);
	});

	it('waitForMessages times out with a clear error', async () => {
		await expect(sandbox.smtp.waitForMessages(1, 50)).rejects.toThrow(/waited 50 ms for 1 message\(s\), got 0/);
	});
});

describe('control server', () => {
	function get(path: string): Promise<{ status: number; type: string; body: string }> {
		return new Promise((resolve, reject) => {
			request(`${sandbox.control.url}${path}`, (res) => {
				const chunks: Buffer[] = [];
				res.on('data', (chunk: Buffer) => chunks.push(chunk));
				res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body: Buffer.concat(chunks).toString('utf8') }));
			})
				.on('error', reject)
				.end();
		});
	}

	it('lists received mail, serves the raw .eml and token requests without secrets or tokens', async () => {
		const tokenReply = await postForm(sandbox.entra.tokenUrl(DEMO.tenantId), sandbox.ca, {
			grant_type: 'client_credentials',
			client_id: DEMO.appOnlyClientId,
			client_secret: DEMO.appOnlyClientSecret,
			scope: DEMO.appOnlyScope,
		});
		const accessToken = tokenReply.json().access_token as string;
		await transport({ type: 'OAuth2', user: DEMO.sharedMailbox, accessToken }).sendMail(
			mail(DEMO.sharedMailbox, { subject: 'Control <check>', attachments: [{ filename: 'a.txt', content: 'hello' }] }),
		);

		const list = await get('/api/messages');
		expect(list.status).toBe(200);
		const summaries = JSON.parse(list.body) as Record<string, unknown>[];
		expect(summaries).toEqual([
			expect.objectContaining({
				from: DEMO.sharedMailbox,
				to: ['customer@example.test'],
				subject: 'Control <check>',
				attachments: [{ filename: 'a.txt', contentType: 'text/plain', size: 5 }],
			}),
		]);

		const eml = await get(`/api/messages/${summaries[0].id as string}.eml`);
		expect(eml.type).toBe('message/rfc822');
		expect(eml.body).toBe(sandbox.smtp.messages[0].raw.toString('utf8'));
		expect((await get('/api/messages/nope.eml')).status).toBe(404);

		const requests = await get('/api/token-requests');
		expect(JSON.parse(requests.body)).toEqual([expect.objectContaining({ clientId: DEMO.appOnlyClientId, ok: true })]);

		const page = await get('/');
		expect(page.type).toContain('text/html');
		expect(page.body).toContain('Control &lt;check&gt;');

		for (const body of [list.body, requests.body, page.body]) {
			expect(body).not.toContain(DEMO.appOnlyClientSecret);
			expect(body).not.toContain(accessToken);
		}
	});
});
