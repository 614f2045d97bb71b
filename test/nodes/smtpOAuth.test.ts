/**
 * The Send Email (SMTP OAuth) node against the real sandbox: MSAL really fetches tokens from the
 * HTTPS Entra stand-in, nodemailer really speaks STARTTLS + XOAUTH2 to smtp-server.
 */
import type { IDataObject, INodeExecutionData } from 'n8n-workflow';

import { SmtpOAuth } from '../../nodes/SmtpOAuth/SmtpOAuth.node';
import { DEMO, createAppCertificate, type Sandbox } from '../sandbox';
import { binaryItem, createExecuteContext, type TestContext } from '../support/executeContext';
import { appOnlyCredential, delegatedCredential, SMTP_SEND_PARAMETERS } from '../support/sandboxCredentials';
import { useSandbox } from '../support/useSandbox';

const node = new SmtpOAuth();
const currentSandbox = useSandbox();
let sandbox: Sandbox;
beforeAll(() => {
	sandbox = currentSandbox();
});

const baseParameters = SMTP_SEND_PARAMETERS;

function contextFor(parameters: IDataObject | ((i: number) => IDataObject), extra: Partial<Parameters<typeof createExecuteContext>[0]> = {}): TestContext {
	return createExecuteContext({
		description: node.description,
		parameters,
		credentials: { microsoftExchangeAppOnlyApi: appOnlyCredential(sandbox) },
		trustedCa: sandbox.ca,
		...extra,
	});
}

async function run(test: TestContext): Promise<INodeExecutionData[]> {
	const [output] = await node.execute.call(test.context);
	return output;
}

async function runExpectingError(test: TestContext): Promise<Error & { description?: string }> {
	try {
		await run(test);
	} catch (error) {
		return error as Error & { description?: string };
	}
	throw new Error('expected the node to throw');
}

describe('sending with the app-only credential', () => {
	it('delivers one message per item over one SMTP connection with one token request', async () => {
		const items = Array.from({ length: 12 }, (_, i) => ({ json: { n: i } }));
		const test = contextFor((i) => ({ ...baseParameters, subject: `Invoice ${i}` }), { items });
		const output = await run(test);

		expect(output).toHaveLength(12);
		expect(output.map((item) => item.pairedItem)).toEqual(items.map((_, item) => ({ item })));
		expect(output[0].json).toMatchObject({ accepted: ['someone@example.com'], rejected: [], envelope: { from: DEMO.sharedMailbox, to: ['someone@example.com'] } });
		expect(String(output[0].json.response)).toMatch(/^250/);
		expect(String(output[0].json.messageId)).toMatch(/^<.+@.+>$/);
		const received = await sandbox.smtp.waitForMessages(12);
		expect(received.map((m) => m.parsed.subject)).toEqual(items.map((_, i) => `Invoice ${i}`));
		expect(received.every((m) => m.authUser === DEMO.sharedMailbox)).toBe(true);
		expect(sandbox.smtp.connections).toBe(1);
		expect(sandbox.entra.requests).toHaveLength(1);
	});

	it('reuses the token across executions within its lifetime', async () => {
		for (let run = 0; run < 5; run++) await node.execute.call(contextFor(baseParameters).context);
		await sandbox.smtp.waitForMessages(5);
		expect(sandbox.entra.requests.filter((r) => r.ok)).toHaveLength(1);
	});

	it('builds the message the parameters describe: names, cc, bcc, reply-to, html + text, headers, priority, threading, attachments, inline image', async () => {
		const pdf = Buffer.from('%PDF-1.4 invoice bytes \u0000\u0001\u0002', 'latin1');
		const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]);
		const items = [binaryItem({}, { invoice: { data: pdf, fileName: 'invoice.pdf', mimeType: 'application/pdf' }, logo: { data: png, fileName: 'logo.png', mimeType: 'image/png' } })];
		const test = contextFor(
			{
				...baseParameters,
				toEmail: 'Ann <ann@example.com>, bob@example.org',
				emailFormat: 'both',
				text: 'Plain body',
				html: '<p>HTML body <img src="cid:logo@wf"></p>',
				options: {
					ccEmail: 'carol@example.com',
					bccEmail: 'dave@example.com',
					replyTo: 'replies@contoso.test',
					attachments: 'invoice',
					inlineImages: { image: [{ binaryPropertyName: 'logo', contentId: 'logo@wf' }] },
					customHeaders: { header: [{ name: 'X-Workflow-Id', value: 'wf-42' }] },
					priority: 'high',
					inReplyTo: '<original@contoso.test>',
					references: '<first@contoso.test> <original@contoso.test>',
				},
			},
			{ items },
		);
		await run(test);
		const [message] = await sandbox.smtp.waitForMessages(1);
		const parsed = message.parsed;
		expect(parsed.from?.value).toEqual([{ name: 'Invoices', address: DEMO.sharedMailbox }]);
		expect(message.envelope.to.sort()).toEqual(['ann@example.com', 'bob@example.org', 'carol@example.com', 'dave@example.com']);
		expect(parsed.headers.get('bcc')).toBeUndefined();
		expect(parsed.text?.trim()).toBe('Plain body');
		expect(parsed.html).toContain('HTML body');
		expect(parsed.headers.get('x-workflow-id')).toBe('wf-42');
		const rawHeaders = message.raw.toString('utf8').split(/\r?\n\r?\n/)[0];
		expect(rawHeaders).toMatch(/^X-Priority: 1/m);
		expect(rawHeaders).toMatch(/^Importance: High/m);
		expect(parsed.inReplyTo).toBe('<original@contoso.test>');
		expect(parsed.references).toEqual(['<first@contoso.test>', '<original@contoso.test>']);
		expect(parsed.replyTo?.value[0].address).toBe('replies@contoso.test');
		const attachment = parsed.attachments.find((a) => a.filename === 'invoice.pdf')!;
		expect(Buffer.compare(attachment.content, pdf)).toBe(0);
		expect(attachment.contentType).toBe('application/pdf');
		const inline = parsed.attachments.find((a) => a.cid === 'logo@wf')!;
		expect(Buffer.compare(inline.content, png)).toBe(0);
	});

	it('authenticates with a certificate instead of a secret (thumbprint derived, no secret sent)', async () => {
		const certificate = await createAppCertificate({ commonName: 'n8n-test' });
		const clientId = '5d0b7c1e-0000-4000-8000-00000000c3r7'.replace('c3r7', 'ce27');
		sandbox.entra.registerApp({ tenantId: DEMO.tenantId, tenantDomains: [DEMO.tenantDomain], clientId, certificatePem: certificate.certificatePem, roles: ['SMTP.SendAsApp'], delegatedScopes: [], sendAs: [DEMO.sharedMailbox] });
		const test = contextFor(baseParameters, {
			credentials: { microsoftExchangeAppOnlyApi: appOnlyCredential(sandbox, { clientId, authMethod: 'certificate', clientSecret: '', certificate: certificate.certificatePem, privateKey: certificate.privateKeyPem }) },
		});
		await run(test);
		await sandbox.smtp.waitForMessages(1);
		expect(sandbox.entra.requests).toEqual([expect.objectContaining({ clientId, ok: true, clientAuth: 'certificate', grantType: 'client_credentials' })]);
	});

	it('rejects a private key that does not belong to the certificate, naming the field', async () => {
		const [a, b] = await Promise.all([createAppCertificate(), createAppCertificate()]);
		const test = contextFor(baseParameters, {
			credentials: { microsoftExchangeAppOnlyApi: appOnlyCredential(sandbox, { authMethod: 'certificate', certificate: a.certificatePem, privateKey: b.privateKeyPem }) },
		});
		const error = await runExpectingError(test);
		expect(error.message).toMatch(/"Private Key" does not belong to "Certificate"/);
		expect(sandbox.entra.requests).toHaveLength(0);
	});
});

describe('the single retry on 535 5.7.3', () => {
	it('gets a fresh token and sends the message again once', async () => {
		sandbox.smtp.failNext('5.7.3', 1);
		const output = await run(contextFor(baseParameters));
		expect(output[0].json.accepted).toEqual(['someone@example.com']);
		await sandbox.smtp.waitForMessages(1);
		expect(sandbox.entra.requests.filter((r) => r.ok)).toHaveLength(2);
		expect(sandbox.smtp.authAttempts.map((a) => a.ok)).toEqual([false, true]);
	});

	it('fails with the consent / service principal / mailbox permission fix when the fresh token is rejected too', async () => {
		sandbox.smtp.failNext('5.7.3', 2);
		const error = await runExpectingError(contextFor(baseParameters));
		expect(error.message).toMatch(/rejected the OAuth login \(535 5\.7\.3\)/);
		expect(error.description).toMatch(/SMTP\.SendAsApp/);
		expect(error.description).toMatch(/New-ServicePrincipal/);
		expect(error.description).toMatch(/Add-MailboxPermission/);
		expect(sandbox.smtp.authAttempts).toHaveLength(2);
		expect(sandbox.smtp.messages).toHaveLength(0);
	});

	it('an app without SMTP.SendAsApp is refused the same way, after one retry', async () => {
		const clientId = '0a0b0c0d-1111-4222-8333-444455556666';
		sandbox.entra.registerApp({ tenantId: DEMO.tenantId, clientId, clientSecret: 'no-smtp-role-secret', roles: ['full_access_as_app'], delegatedScopes: [], sendAs: ['*'] });
		const test = contextFor(baseParameters, { credentials: { microsoftExchangeAppOnlyApi: appOnlyCredential(sandbox, { clientId, clientSecret: 'no-smtp-role-secret' }) } });
		const error = await runExpectingError(test);
		expect(error.message).toContain('535 5.7.3');
		expect(sandbox.entra.requests.filter((r) => r.ok)).toHaveLength(2);
	});
});

describe('mapped errors', () => {
	it.each([
		['wrong client secret', { clientSecret: 'not-the-secret' }, undefined, 'AADSTS7000215', /secret Value/],
		['unknown client ID', { clientId: '99999999-9999-4999-8999-999999999999' }, undefined, 'AADSTS700016', /Client ID/],
		['unknown tenant', { tenantId: 'nowhere.test' }, undefined, 'AADSTS90002', /Tenant ID/],
		['expired secret', {}, 7000222, 'AADSTS7000222', /new client secret/],
		['missing admin consent', {}, 65001, 'AADSTS65001', /Grant admin consent/],
	] as const)('%s → %s with its fix', async (_label, overrides, injected, code, fix) => {
		if (injected) sandbox.entra.failNext(injected as 7000222 | 65001, 1);
		const test = contextFor(baseParameters, { credentials: { microsoftExchangeAppOnlyApi: appOnlyCredential(sandbox, overrides) } });
		const error = await runExpectingError(test);
		expect(error.message).toContain(`(${code})`);
		expect(error.description).toMatch(fix);
		expect(sandbox.smtp.connections).toBe(0);
	});

	it('SMTP AUTH disabled (535 5.7.139) names Set-CASMailbox', async () => {
		sandbox.smtp.failNext('5.7.139', 1);
		const error = await runExpectingError(contextFor(baseParameters));
		expect(error.message).toContain('535 5.7.139');
		expect(error.description).toContain(`Set-CASMailbox -Identity ${DEMO.sharedMailbox} -SmtpClientAuthenticationDisabled $false`);
		expect(error.description).not.toMatch(/<[a-z]/i);
	});

	it('Send As denied (554 5.2.252) names Add-RecipientPermission', async () => {
		const test = contextFor({ ...baseParameters, fromEmail: 'ceo@contoso.test', options: { smtpUser: DEMO.sharedMailbox } });
		const error = await runExpectingError(test);
		expect(error.message).toContain('554 5.2.252');
		expect(error.description).toContain('Add-RecipientPermission');
	});

	it('an untrusted server certificate is a TLS error that says how to trust the CA', async () => {
		const test = contextFor(baseParameters, { credentials: { microsoftExchangeAppOnlyApi: appOnlyCredential(sandbox, { caCertificate: '' }) } });
		const error = await runExpectingError(test);
		expect(error.message).toMatch(/TLS verification failed/);
		expect(error.description).toMatch(/Trusted CA Certificates/);
	});

	it('TLS verification can be switched off explicitly, and only then', async () => {
		const test = contextFor(baseParameters, { credentials: { microsoftExchangeAppOnlyApi: appOnlyCredential(sandbox, { caCertificate: '', allowUnauthorizedCerts: true }) } });
		await run(test);
		expect(await sandbox.smtp.waitForMessages(1)).toHaveLength(1);
	});
});

describe('bad input names the field', () => {
	it.each([
		['toEmail', 'not-an-address', /Invalid email address "not-an-address" in "To Email"/],
		['fromEmail', 'Invoices <invoices@>', /Invalid email address .* in "From Email"/],
		['fromEmail', '', /"From Email" is empty/],
		['toEmail', '', /"To Email" is empty/],
	])('%s = %p', async (field, value, message) => {
		const error = await runExpectingError(contextFor({ ...baseParameters, [field]: value }));
		expect(error.message).toMatch(message);
		expect(error.constructor.name).toBe('NodeOperationError');
	});

	it('a missing binary property names the option and the properties the item has', async () => {
		const items = [binaryItem({}, { data: { data: Buffer.from('x'), fileName: 'a.txt', mimeType: 'text/plain' } })];
		const error = await runExpectingError(contextFor({ ...baseParameters, options: { attachments: 'data, invoice' } }, { items }));
		expect(error.message).toBe('Binary property "invoice" named in "Attachments" does not exist on item 0');
		expect(error.description).toMatch(/has these binary properties: data/);
	});

	it('a header with a line break is refused (no header injection)', async () => {
		const error = await runExpectingError(contextFor({ ...baseParameters, options: { customHeaders: { header: [{ name: 'X-A', value: 'x\r\nBcc: evil@example.com' }] } } }));
		expect(error.message).toMatch(/contains a line break/);
		expect(sandbox.smtp.messages).toHaveLength(0);
	});
});

describe('Allowed Mailboxes guard', () => {
	const restricted = (allowedMailboxes: string) => ({ microsoftExchangeAppOnlyApi: appOnlyCredential(sandbox, { allowedMailboxes }) });

	it('refuses a From outside the list before any token request or connection', async () => {
		const error = await runExpectingError(contextFor(baseParameters, { credentials: restricted(DEMO.noreplyMailbox) }));
		expect(error.message).toBe(`Mailbox "${DEMO.sharedMailbox}" in "From Email" is not in the credential's Allowed Mailboxes`);
		expect(error.constructor.name).toBe('NodeOperationError');
		expect(sandbox.entra.requests).toHaveLength(0);
		expect(sandbox.smtp.connections).toBe(0);
	});

	it('refuses an app-only login mailbox outside the list even when From is allowed', async () => {
		const test = contextFor({ ...baseParameters, fromEmail: DEMO.noreplyMailbox, options: { smtpUser: DEMO.sharedMailbox } }, { credentials: restricted(DEMO.noreplyMailbox) });
		expect((await runExpectingError(test)).message).toMatch(/in "SMTP Login Mailbox" is not in/);
	});

	it('lets listed mailboxes and *@domain patterns through', async () => {
		await run(contextFor(baseParameters, { credentials: restricted(`${DEMO.noreplyMailbox}, *@contoso.test`) }));
		expect(await sandbox.smtp.waitForMessages(1)).toHaveLength(1);
	});

	it('applies to the delegated credential\'s From as well', async () => {
		const credential = await delegatedCredential(sandbox, { allowedMailboxes: DEMO.user });
		const test = contextFor({ ...baseParameters, authentication: 'delegated', fromEmail: DEMO.sharedMailbox }, { credentials: { microsoftSmtpOAuth2Api: credential } });
		expect((await runExpectingError(test)).message).toMatch(/"invoices@contoso\.test" in "From Email" is not in/);
		expect(sandbox.smtp.connections).toBe(0);
	});
});

describe('continueOnFail', () => {
	it('reports bad items as errors with their pairedItem and still sends the good ones', async () => {
		const addresses = ['ok1@example.com', 'broken', 'ok2@example.com'];
		const items = addresses.map((to) => ({ json: { to } }));
		const test = contextFor((i) => ({ ...baseParameters, toEmail: addresses[i] }), { items, continueOnFail: true });
		const output = await run(test);
		expect(output.map((o) => o.pairedItem)).toEqual([{ item: 0 }, { item: 1 }, { item: 2 }]);
		expect(output[0].json.accepted).toEqual(['ok1@example.com']);
		expect(output[1].json.error).toMatch(/Invalid email address "broken" in "To Email"/);
		expect(output[2].json.accepted).toEqual(['ok2@example.com']);
		expect((await sandbox.smtp.waitForMessages(2)).map((m) => m.envelope.to[0])).toEqual(['ok1@example.com', 'ok2@example.com']);
	});

	it('a credential failure becomes one error per item, asking for a token only once', async () => {
		const items = [{ json: {} }, { json: {} }, { json: {} }];
		const test = contextFor(baseParameters, { items, continueOnFail: true, credentials: { microsoftExchangeAppOnlyApi: appOnlyCredential(sandbox, { clientSecret: 'wrong-secret-value' }) } });
		const output = await run(test);
		expect(output).toHaveLength(3);
		expect(output.every((o) => /AADSTS7000215/.test(String(o.json.error)))).toBe(true);
		expect(sandbox.entra.requests).toHaveLength(1);
	});
});

describe('sending with the delegated credential', () => {
	it('sends as the signed-in user by default', async () => {
		const credential = await delegatedCredential(sandbox);
		const test = contextFor({ ...baseParameters, authentication: 'delegated', fromEmail: '' }, { credentials: { microsoftSmtpOAuth2Api: credential } });
		await run(test);
		const [message] = await sandbox.smtp.waitForMessages(1);
		expect(message.authUser).toBe(DEMO.user);
		expect(message.parsed.from?.value[0].address).toBe(DEMO.user);
		expect(test.refreshes).toBe(0);
	});

	it('sends as a shared mailbox the user may send as', async () => {
		const test = contextFor({ ...baseParameters, authentication: 'delegated', fromEmail: DEMO.sharedMailbox }, { credentials: { microsoftSmtpOAuth2Api: await delegatedCredential(sandbox) } });
		await run(test);
		const [message] = await sandbox.smtp.waitForMessages(1);
		expect(message.authUser).toBe(DEMO.user);
		expect(message.parsed.from?.value[0].address).toBe(DEMO.sharedMailbox);
	});

	it('lets n8n refresh an expired stored token before sending', async () => {
		const credential = await delegatedCredential(sandbox);
		const expired = sandbox.entra.issueToken({ tenantId: DEMO.tenantId, clientId: DEMO.delegatedClientId, scp: 'SMTP.Send', upn: DEMO.user, lifetimeSeconds: -60 });
		Object.assign(credential.oauthTokenData as IDataObject, { access_token: expired, n8n_expires_at: String(Date.now() - 60_000) });
		const test = contextFor({ ...baseParameters, authentication: 'delegated', fromEmail: '' }, { credentials: { microsoftSmtpOAuth2Api: credential } });
		await run(test);
		await sandbox.smtp.waitForMessages(1);
		expect(test.refreshes).toBe(1);
		expect(sandbox.smtp.authAttempts.map((a) => a.ok)).toEqual([true]);
	});

	it('refreshes once when the server rejects a token that looked valid (535 5.7.3)', async () => {
		const credential = await delegatedCredential(sandbox);
		sandbox.smtp.failNext('5.7.3', 1);
		const test = contextFor({ ...baseParameters, authentication: 'delegated', fromEmail: '' }, { credentials: { microsoftSmtpOAuth2Api: credential } });
		await run(test);
		await sandbox.smtp.waitForMessages(1);
		expect(test.refreshes).toBe(1);
		expect(sandbox.smtp.authAttempts.map((a) => a.ok)).toEqual([false, true]);
	});
});

describe('secrets never leak', () => {
	it('no secret, key or token appears in outputs, errors or logs', async () => {
		const certificate = await createAppCertificate();
		const shown: string[] = [];
		const scenarios: Array<() => Promise<TestContext>> = [
			async () => contextFor(baseParameters),
			async () => contextFor(baseParameters, { continueOnFail: true, credentials: { microsoftExchangeAppOnlyApi: appOnlyCredential(sandbox, { clientSecret: 'Wrong~Secret~Value~123' }) } }),
			async () => contextFor(baseParameters, { continueOnFail: true, credentials: { microsoftExchangeAppOnlyApi: appOnlyCredential(sandbox, { authMethod: 'certificate', certificate: certificate.certificatePem, privateKey: certificate.privateKeyPem }) } }),
			async () => contextFor({ ...baseParameters, authentication: 'delegated', fromEmail: '' }, { credentials: { microsoftSmtpOAuth2Api: await delegatedCredential(sandbox) } }),
		];
		const secrets = [DEMO.appOnlyClientSecret, DEMO.delegatedClientSecret, 'Wrong~Secret~Value~123', certificate.privateKeyPem.split('\n')[1]];
		for (const make of scenarios) {
			const test = await make();
			for (const credential of Object.values(test.credentials)) {
				const tokenData = credential.oauthTokenData as IDataObject | undefined;
				if (tokenData) secrets.push(String(tokenData.access_token), String(tokenData.refresh_token));
			}
			sandbox.smtp.failNext('5.7.3', 2);
			try {
				shown.push(JSON.stringify(await run(test)));
			} catch (error) {
				const e = error as Error & { description?: string; context?: unknown; cause?: unknown };
				shown.push(e.message, String(e.description), JSON.stringify(e.context ?? {}), String(e.stack));
			}
			shown.push(...test.logs);
		}
		const text = shown.join('\n');
		expect(text).toMatch(/535 5\.7\.3|AADSTS/);
		for (const secret of secrets) expect(text).not.toContain(secret);
		expect(text).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/);
	});
});
