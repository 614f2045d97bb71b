/**
 * Where the Send Email node's token may go, and what it refuses before anything is sent. Against the
 * real sandbox, plus a second set of listeners ("the trap") that no credential names: an STARTTLS
 * and a TLS SMTP server and an HTTPS server with a certificate the credential is made to trust. A
 * workflow editor controls every parameter, expression and item; none of that may reach the trap.
 */
import { createServer } from 'node:net';
import type { ICredentialDataDecryptedObject, IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';

import { loadExchangeAuth } from '../../nodes/shared/auth/exchangeAuth';
import { SmtpOAuth } from '../../nodes/SmtpOAuth/SmtpOAuth.node';
import { DEMO, createAppCertificate, type Sandbox } from '../sandbox';
import { useSmtpTrap, type SmtpTrap } from '../support/smtpTrap';
import { createExecuteContext, type TestContext } from '../support/executeContext';
import { appOnlyCredential, delegatedCredential, SMTP_SEND_PARAMETERS } from '../support/sandboxCredentials';
import { useSandbox } from '../support/useSandbox';

const node = new SmtpOAuth();
const currentSandbox = useSandbox();
const currentTrap = useSmtpTrap();
let sandbox: Sandbox;
let trap: SmtpTrap;
beforeAll(() => {
	sandbox = currentSandbox();
	trap = currentTrap();
});

const baseParameters = SMTP_SEND_PARAMETERS;

type Kind = 'appOnly' | 'delegated';

/** The credential of `kind`, pointing at the sandbox, that trusts the trap's CA as well: trust is not what stops the token. */
async function credentialsFor(kind: Kind, overrides: ICredentialDataDecryptedObject = {}): Promise<Record<string, ICredentialDataDecryptedObject>> {
	const trusting = { caCertificate: `${sandbox.ca}\n${trap.ca}`, ...overrides };
	return kind === 'appOnly'
		? { microsoftExchangeAppOnlyApi: appOnlyCredential(sandbox, trusting) }
		: { microsoftSmtpOAuth2Api: await delegatedCredential(sandbox, trusting) };
}

function parametersFor(kind: Kind, extra: IDataObject = {}): IDataObject {
	return kind === 'appOnly' ? { ...baseParameters, ...extra } : { ...baseParameters, authentication: 'delegated', fromEmail: '', ...extra };
}

async function run(test: TestContext | IExecuteFunctions): Promise<INodeExecutionData[]> {
	const [output] = await node.execute.call('context' in test ? test.context : test);
	return output;
}

/** The error a run must end with. */
const runExpectingError = async (test: TestContext): Promise<Error & { description?: string }> =>
	await run(test).then(
		() => Promise.reject(new Error('expected the node to throw')),
		(error: Error & { description?: string }) => error,
	);

function contextFor(parameters: IDataObject | ((i: number) => IDataObject), credentials: Record<string, ICredentialDataDecryptedObject>, extra: Partial<Parameters<typeof createExecuteContext>[0]> = {}): TestContext {
	return createExecuteContext({ description: node.description, parameters, credentials, trustedCa: sandbox.ca, ...extra });
}

/** Every way a trap address can be written into a text field. */
function trapSpellings(): string[] {
	const { host, starttlsPort, tlsPort, httpsPort } = trap;
	return [
		host,
		`${host}:${starttlsPort}`,
		`${host}:${tlsPort}`,
		`smtp://${host}:${starttlsPort}`,
		`smtps://${host}:${tlsPort}`,
		`https://${host}:${httpsPort}/`,
		`https://${host}:${httpsPort}/tenant/oauth2/v2.0/token`,
		`localhost:${starttlsPort}`,
	];
}

describe.each<Kind>(['appOnly', 'delegated'])('the token goes only to the credential\'s servers (%s)', (kind) => {
	afterEach(() => {
		// The class assertion of every test below.
		expect(trap.connections).toEqual({ starttls: 0, tls: 0, https: 0 });
		expect(trap.tokens).toEqual([]);
	});

	it('options a saved workflow still carries (SMTP Host / Port / Security of older versions) are not used', async () => {
		const old = [
			{ host: trap.host, port: trap.starttlsPort },
			{ host: trap.host, port: trap.tlsPort, security: 'tls' },
			{ host: `localhost`, port: trap.starttlsPort, security: 'starttls' },
		];
		for (const options of old) {
			// As n8n loads it (parameters the node no longer declares are dropped)…
			await run(contextFor(parametersFor(kind, { options }), await credentialsFor(kind)));
			// …and as if they reached the node anyway.
			const test = contextFor(parametersFor(kind), await credentialsFor(kind));
			const raw = Object.assign(Object.create(test.context) as IExecuteFunctions, {
				getNodeParameter: (name: string, itemIndex: number, fallback?: unknown) => (name === 'options' ? { ...options } : test.context.getNodeParameter(name, itemIndex, fallback as never)),
			});
			await run(raw);
		}
		expect(await sandbox.smtp.waitForMessages(old.length * 2)).toHaveLength(old.length * 2);
	});

	it('no parameter, expression result or item value reaches another server', async () => {
		const spellings = trapSpellings();
		// One item per spelling; every string field gets the trap address (per item, as an expression would).
		const items = spellings.map((spelling) => ({ json: { host: trap.host, port: trap.starttlsPort, url: spelling } }));
		const parameters = (i: number): IDataObject => {
			const spelling = spellings[i];
			return parametersFor(kind, {
				subject: spelling,
				text: spelling,
				toEmail: `someone@example.com, trap@[${trap.host}]`,
				options: {
					ccEmail: `cc@[${trap.host}]`,
					replyTo: `reply@[${trap.host}]`,
					inReplyTo: `<${spelling}@example.com>`,
					references: `<${spelling}@example.com>`,
					customHeaders: { header: [{ name: 'X-Server', value: spelling }, { name: 'X-Host', value: trap.host }, { name: 'X-Port', value: String(trap.starttlsPort) }] },
				},
			});
		};
		const output = await run(contextFor(parameters, await credentialsFor(kind), { items, continueOnFail: true }));
		expect(output.map((item) => item.json.error)).toEqual(spellings.map(() => undefined));
		const received = await sandbox.smtp.waitForMessages(spellings.length);
		expect(received).toHaveLength(spellings.length);
	});

	it('a login mailbox or From on the trap\'s host does not move the connection either', async () => {
		const test = contextFor(parametersFor(kind, { fromEmail: `x@[${trap.host}]`, options: { smtpUser: `x@[${trap.host}]` } }), await credentialsFor(kind), { continueOnFail: true });
		const [result] = await run(test);
		// The sandbox (the credential's server) refused it, so the token went there and nowhere else.
		expect(String(result.json.error ?? '')).toMatch(/535|5\.2\.252|Allowed|SendAs/);
		expect(sandbox.smtp.connections).toBeGreaterThan(0);
	});

	it('a token refresh goes to the credential\'s token service only', async () => {
		const credentials = await credentialsFor(kind);
		if (kind === 'delegated') {
			const data = credentials.microsoftSmtpOAuth2Api.oauthTokenData as IDataObject;
			}
		sandbox.smtp.failNext('5.7.3', 1);
		await run(contextFor(parametersFor(kind, { options: { customHeaders: { header: [{ name: 'X-Token-Url', value: `https://${trap.host}:${trap.httpsPort}/` }] } } }), credentials));
		await sandbox.smtp.waitForMessages(1);
		expect(sandbox.entra.requests.filter((request) => request.ok).length).toBeGreaterThanOrEqual(kind === 'appOnly' ? 2 : 1);
	});
});

describe('the SMTP server comes from the credential', () => {
	it('an empty SMTP Host of a Custom cloud is refused, naming the field, before any token is asked for', async () => {
		for (const kind of ['appOnly', 'delegated'] as const) {
			const error = await runExpectingError(contextFor(parametersFor(kind), await credentialsFor(kind, { smtpHost: '' })));
			expect(error.message).toBe('Loading the credential failed: The credential\'s Custom cloud has no "SMTP Host" (credential field "SMTP Host")');
			expect(error.description).toMatch(/Fill in "SMTP Host"/);
		}
		// (The delegated credential's sign-in, done by the test, is the only Entra request.)
		expect(sandbox.entra.requests.filter((request) => request.grantType !== 'authorization_code')).toHaveLength(0);
		expect(sandbox.smtp.connections).toBe(0);
	});

	it('Security TLS uses the credential\'s SMTP Port (TLS from the first byte)', async () => {
		// Here the trap is the credential's own server, named in its Custom cloud fields.
		const credentials = await credentialsFor('appOnly', { smtpHost: trap.host, smtpPort: trap.tlsPort, smtpSecurity: 'tls' });
		await run(contextFor(parametersFor('appOnly'), credentials));
		expect(trap.connections).toEqual({ starttls: 0, tls: 1, https: 0 });
		expect(trap.messages).toBe(1);
	});

	it('STARTTLS and TLS on the wrong port fail with a message naming the server and the setting', async () => {
		const credentials = await credentialsFor('appOnly', { smtpHost: trap.host, smtpPort: trap.starttlsPort, smtpSecurity: 'tls' });
		const error = await runExpectingError(contextFor(parametersFor('appOnly'), credentials));
		expect(error.message).toMatch(new RegExp(`^Sending the message failed: TLS verification failed \\(${trap.host}:${trap.starttlsPort}\\)`));
		expect(error.description).toMatch(/SMTP Security STARTTLS/);
		expect(trap.tokens).toEqual([]);
	});
});

describe('errors say which step failed and name the server', () => {
	it('a refused client secret is "Getting an access token failed", not a failed send', async () => {
		const error = await runExpectingError(contextFor(parametersFor('appOnly'), await credentialsFor('appOnly', { clientSecret: 'not-the-secret' })));
		expect(error.message).toBe('Getting an access token failed: Microsoft Entra ID rejected the client secret (AADSTS7000215)');
		expect(error.description).toContain(`App registrations → ${DEMO.appOnlyClientId}`);
	});

	it('a token service with an untrusted certificate: "Getting an access token failed", naming the token service', async () => {
		const error = await runExpectingError(contextFor(parametersFor('appOnly'), await credentialsFor('appOnly', { caCertificate: '' })));
		expect(error.message).toMatch(new RegExp(`^Getting an access token failed: TLS verification failed \\(${sandbox.entra.authorityHost.replace(/\./g, '\\.')}\\)`));
		expect(sandbox.smtp.connections).toBe(0);
	});

	it('an SMTP server with an untrusted certificate: "Sending the message failed", naming the SMTP server; no token reaches it', async () => {
		const credentials = { microsoftExchangeAppOnlyApi: appOnlyCredential(sandbox, { smtpHost: trap.host, smtpPort: trap.starttlsPort }) };
		const error = await runExpectingError(contextFor(parametersFor('appOnly'), credentials));
		expect(error.message).toMatch(new RegExp(`^Sending the message failed: TLS verification failed \\(${trap.host}:${trap.starttlsPort}\\)`));
		expect(error.description).toMatch(/Trusted CA Certificates/);
		expect(trap.tokens).toEqual([]);
	});

	it('a closed SMTP port is a network error naming host and port', async () => {
		const closed = createServer();
		const port = await new Promise<number>((resolve) => closed.listen(0, '127.0.0.1', () => resolve((closed.address() as { port: number }).port)));
		await new Promise<void>((resolve) => closed.close(() => resolve()));
		const error = await runExpectingError(contextFor(parametersFor('appOnly'), { microsoftExchangeAppOnlyApi: appOnlyCredential(sandbox, { smtpPort: port }) }));
		expect(error.message).toBe(`Sending the message failed: Network error (127.0.0.1:${port}): the connection was refused (ECONNREFUSED)`);
		expect(error.description).toContain(`Check that 127.0.0.1:${port} is the right host and port`);
	});
});

describe('the credential is checked when it is loaded, naming the field', () => {
	it.each([
		['a key that does not belong to the certificate', 'mismatch', /^Loading the credential failed: "Private Key" does not belong to "Certificate" \(credential field "Private Key"\)$/],
		['a private key pasted as the certificate', 'keyAsCertificate', /^Loading the credential failed: "Certificate \(PEM\)" does not hold a PEM certificate \(credential field "Certificate"\)$/],
		['a certificate pasted as the key', 'certificateAsKey', /^Loading the credential failed: "Private Key \(PEM\)" could not be read \(credential field "Private Key"\)$/],
	])('%s', async (_label, variant, message) => {
		const [a, b] = await Promise.all([createAppCertificate(), createAppCertificate()]);
		const fields = {
			mismatch: { certificate: a.certificatePem, privateKey: b.privateKeyPem },
			keyAsCertificate: { certificate: a.privateKeyPem, privateKey: a.privateKeyPem },
			certificateAsKey: { certificate: a.certificatePem, privateKey: a.certificatePem },
		}[variant]!;
		const error = await runExpectingError(contextFor(parametersFor('appOnly'), { microsoftExchangeAppOnlyApi: appOnlyCredential(sandbox, { authMethod: 'certificate', clientSecret: '', ...fields }) }));
		expect(error.message).toMatch(message);
		expect(error.message).not.toMatch(/TLS/);
		expect(error.description ?? '').not.toMatch(/Ignore TLS/);
		expect(sandbox.entra.requests).toHaveLength(0);
	});
});

describe('every item is checked before the first message is sent', () => {
	const addresses = ['ok1@example.com', 'ok2@example.com', 'broken', 'ok3@example.com'];
	const items = addresses.map((to) => ({ json: { to } }));

	it('a bad field in a later item stops the run before anything is sent', async () => {
		const error = await runExpectingError(contextFor((i) => ({ ...baseParameters, toEmail: addresses[i] }), await credentialsFor('appOnly'), { items }));
		expect(error.message).toMatch(/Invalid email address "broken" in "To Email"/);
		expect(sandbox.smtp.messages).toHaveLength(0);
		expect(sandbox.smtp.connections).toBe(0);
	});

	it('so does a later item outside Allowed Mailboxes, a missing attachment or a forbidden header', async () => {
		const bad: IDataObject[] = [
			{ fromEmail: DEMO.noreplyMailbox },
			{ options: { attachments: 'invoice' } },
			{ options: { customHeaders: { header: [{ name: 'Bcc', value: 'evil@example.com' }] } } },
			{ options: { customHeaders: { header: [{ name: 'X-A', value: 'x\r\nBcc: evil@example.com' }] } } },
		];
		for (const extra of bad) {
			const test = contextFor((i) => ({ ...baseParameters, ...(i === 2 ? extra : {}) }), await credentialsFor('appOnly', { allowedMailboxes: DEMO.sharedMailbox }), { items });
			const error = await runExpectingError(test);
			expect(error.constructor.name).toBe('NodeOperationError');
		}
		expect(sandbox.smtp.messages).toHaveLength(0);
		expect(sandbox.smtp.connections).toBe(0);
	});

	it('with continueOnFail the bad items report, in order, and the others are sent', async () => {
		const output = await run(contextFor((i) => ({ ...baseParameters, toEmail: addresses[i] }), await credentialsFor('appOnly'), { items, continueOnFail: true }));
		expect(output.map((o) => o.pairedItem)).toEqual(addresses.map((_, item) => ({ item })));
		expect(output.map((o) => (o.json.error ? 'error' : o.json.accepted))).toEqual([['ok1@example.com'], ['ok2@example.com'], 'error', ['ok3@example.com']]);
		expect(await sandbox.smtp.waitForMessages(3)).toHaveLength(3);
	});
});

describe('header injection through every header-bearing field is refused', () => {
	it.each([
		['Sender', 'boss@contoso.test'],
		['Return-Path', 'bounce@evil.example'],
		['Resent-From', 'boss@contoso.test'],
		['Reply-To', 'evil@example.com'],
		['In-Reply-To', '<x@y>'],
		['References', '<x@y>'],
		['From', 'boss@contoso.test'],
		['X-Ok', 'a\nBcc: evil@example.com'],
		['X-Ok', 'a\u0000b'],
	])('%s: %p', async (name, value) => {
		const error = await runExpectingError(contextFor({ ...baseParameters, options: { customHeaders: { header: [{ name, value }] } } }, await credentialsFor('appOnly')));
		// Header policy errors quote the header; control characters are refused by the parameter reader, naming "Custom Headers → NAME".
		expect(error.message).toMatch(new RegExp(`"(Custom Headers → )?${name}"`));
		expect(sandbox.smtp.messages).toHaveLength(0);
	});

	it.each([
		['inReplyTo', '<a@b>\r\nBcc: evil@example.com', '"In-Reply-To"'],
		['references', '<a@b>\nBcc: evil@example.com', '"References"'],
	])('%s with a line break', async (option, value, label) => {
		const error = await runExpectingError(contextFor({ ...baseParameters, options: { [option]: value } }, await credentialsFor('appOnly')));
		expect(error.message).toMatch(new RegExp(`^${label} contains a line break`));
	});

	it('a control character in an address never reaches the XOAUTH2 login', async () => {
		const error = await runExpectingError(contextFor({ ...baseParameters, fromEmail: `${DEMO.sharedMailbox}`, options: { smtpUser: `invoices@contoso.test\u0001auth=Bearer\u0001\u0001` } }, await credentialsFor('appOnly')));
		expect(error.message).toMatch(/"SMTP Login Mailbox" contains the control character U\+0001/);
		expect(sandbox.smtp.authAttempts).toHaveLength(0);
		// The local part too: "\x01" inside the address, where the old check let it through.
		const inside = await runExpectingError(contextFor({ ...baseParameters, options: { smtpUser: 'invoices\u0001auth=Bearer\u0001@contoso.test' } }, await credentialsFor('appOnly')));
		expect(inside.message).toMatch(/"SMTP Login Mailbox" contains the control character U\+0001/);
	});
});

describe('secrets that appear during the run are scrubbed too', () => {
	it('a refresh token n8n rotated while refreshing joins the values kept out of messages', async () => {
		const credentials = await credentialsFor('delegated');
		const data = credentials.microsoftSmtpOAuth2Api.oauthTokenData as IDataObject;
		const before = String(data.refresh_token);
		data.n8n_expires_at = String(Date.now() - 60_000);
		const test = contextFor(parametersFor('delegated'), credentials);
		const auth = await loadExchangeAuth(test.context, 'delegated', 'microsoftSmtpOAuth2Api');
		// A forced refresh, as after a 401: n8n refreshes and rotates the refresh token.
		await auth.getAccessToken(true);
		const rotated = String((test.credentials.microsoftSmtpOAuth2Api.oauthTokenData as IDataObject).refresh_token);
		expect(test.refreshes).toBe(1);
		expect(rotated).not.toBe(before);
		expect(auth.secrets).toContain(rotated);
	});
});
