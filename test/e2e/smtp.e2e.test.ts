// End to end: the packed package, installed as a community package into a pinned n8n (2.40.7, and
// 1.123.81 in the e2e-n8n1 project), sends mail through the loopback Microsoft 365 sandbox.
// Workflows run headless (`n8n execute`).
//
// Needs: `npm run build` beforehand (dist/), the npm registry (first run installs n8n, ~5 min, and
// the package's dependencies; both are cached under ~/.cache/n8n-nodes-exchange-oauth).
// KEEP_E2E_FOLDER=1 keeps the n8n user folder for inspection.
import { randomBytes, randomUUID } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';

import { DEMO, startSandbox } from '../sandbox';
import { createAppCertificate, type AppCertificate } from '../sandbox/certs';
import type { ReceivedMessage, Sandbox } from '../sandbox/types';
import * as h from './harness';

jest.setTimeout(15 * 60_000);

const FIXTURES = path.join(__dirname, 'fixtures');
const NODE_NAME = 'Send Email';
const SMTP_SCOPE = 'https://outlook.office365.com/SMTP.Send offline_access';
const REDIRECT_URI = 'http://localhost:5678/rest/oauth2-credential/callback';

type CredentialTemplates = Record<'appOnlySecret' | 'appOnlyCertificate' | 'delegated', unknown>;

interface Scenario {
	workflowId: string;
	authentication: 'appOnly' | 'delegated';
	credentialType: string;
	credentialId: string;
	credentialName: string;
	from: { name: string; address: string };
	to: string[];
	cc: string[];
	subject: string;
	text: string;
	html: string;
	headerName: string;
	headerValue: string;
	file: { name: string; mime: string; bytes: Buffer };
}

interface RecordedRun {
	label: string;
	res: h.ExecuteResult;
}

function makeScenario(
	label: string,
	auth: Scenario['authentication'],
	cred: { type: string; id: string; name: string },
	from: Scenario['from'],
): Scenario {
	const nonce = randomBytes(6).toString('hex');
	// Binary content with bytes that are not valid UTF-8, so any text re-encoding would show.
	const bytes = Buffer.concat([Buffer.from(`%PDF-1.4 e2e ${label} ${nonce}\n`), randomBytes(3000), Buffer.from([0, 0xff, 0xfe, 0x80])]);
	return {
		workflowId: `e2e${label.replace(/[^a-zA-Z0-9]/g, '')}${nonce}`.slice(0, 21),
		authentication: auth,
		credentialType: cred.type,
		credentialId: cred.id,
		credentialName: cred.name,
		from,
		to: [`someone+${nonce}@example.com`, 'second.recipient@example.com'],
		cc: [`cc+${nonce}@example.org`],
		subject: `E2E ${label} ${nonce} – Grüße`,
		text: `Hello from the ${label} e2e test.\nNonce: ${nonce}\nUmlauts: äöü ß`,
		html: `<p>Hello from the <b>${label}</b> e2e test.</p><p>Nonce: <code>${nonce}</code> äöü</p>`,
		headerName: 'X-E2E-Run',
		headerValue: `${label}-${nonce}`,
		file: { name: `invoice-${nonce}.pdf`, mime: 'application/pdf', bytes },
	};
}

async function workflowFor(s: Scenario): Promise<object> {
	return h.loadTemplate(path.join(FIXTURES, 'send-mail.workflow.json'), {
		WORKFLOW_ID: s.workflowId,
		WORKFLOW_NAME: `e2e ${s.subject}`,
		FILE_BASE64: s.file.bytes.toString('base64'),
		FILE_NAME: s.file.name,
		FILE_MIME: s.file.mime,
		AUTHENTICATION: s.authentication,
		FROM_EMAIL: `${s.from.name} <${s.from.address}>`,
		TO_EMAIL: s.to.join(', '),
		CC_EMAIL: s.cc.join(', '),
		SUBJECT: s.subject,
		TEXT: s.text,
		HTML: s.html,
		HEADER_NAME: s.headerName,
		HEADER_VALUE: s.headerValue,
		CREDENTIAL_TYPE: s.credentialType,
		CREDENTIAL_ID: s.credentialId,
		CREDENTIAL_NAME: s.credentialName,
	});
}

const addressesOf = (field: ReceivedMessage['parsed']['to']): string[] =>
	(Array.isArray(field) ? field : field ? [field] : [])
		.flatMap((a) => a.value)
		.map((v) => (v.address ?? '').toLowerCase());

const stripAngles = (id: unknown): string => String(id ?? '').replace(/^<|>$/g, '');

describe(h.onN8n('Send Email (SMTP OAuth) against the Microsoft 365 sandbox'), () => {
	let sandbox: Sandbox | undefined;
	let userFolder = '';
	let creds: CredentialTemplates;
	let appCert: AppCertificate;
	let certClientId = '';
	let delegatedTokens: h.OAuthTokenData;
	const wrongSecret = `wrong~${randomBytes(12).toString('hex')}`;
	const runs: RecordedRun[] = [];

	const ids = {
		appSecret: 'e2eAppSecret01',
		appWrongSecret: 'e2eAppWrong001',
		appCert: 'e2eAppCert0001',
		delegated: 'e2eDelegated01',
		delegatedExpired: 'e2eDelegExp001',
		delegatedWrongSecret: 'e2eDelegWrong1',
	};
	/** Tokens created by individual tests, added to the secret scan of (d). */
	const expectedSecrets: string[] = [];

	/** Delegated token data, as the credential's Connect button would store it. */
	async function signInAsDemoUser(): Promise<h.OAuthTokenData> {
		return await h.authorizationCodeFlow({
			authorizeUrl: sandbox!.entra.authorizeUrl(DEMO.tenantId),
			tokenUrl: sandbox!.entra.tokenUrl(DEMO.tenantId),
			clientId: DEMO.delegatedClientId,
			clientSecret: DEMO.delegatedClientSecret,
			redirectUri: REDIRECT_URI,
			scope: SMTP_SCOPE,
			loginHint: DEMO.user,
			ca: sandbox!.ca,
		});
	}

	/** Placeholders every credential template needs to point at this run's sandbox. */
	function sandboxTemplateValues() {
		return {
			AUTHORITY_HOST: sandbox!.entra.authorityHost,
			EWS_URL: `${sandbox!.entra.origin}/EWS/Exchange.asmx`,
			SMTP_HOST: sandbox!.smtp.host,
			SMTP_PORT: sandbox!.smtp.port,
			TENANT_ID: DEMO.tenantId,
			CA_PEM: sandbox!.ca,
		};
	}

	/**
	 * A delegated credential whose stored access token expired two minutes ago (own sign-in, so its
	 * refresh token is not shared with other tests), and a workflow sending with it.
	 */
	async function importExpiredDelegated(label: string, cred: { id: string; name: string }, clientSecret: string): Promise<Scenario> {
		const signedIn = await signInAsDemoUser();
		const expiredAccessToken = sandbox!.entra.issueToken({
			tenantId: DEMO.tenantId,
			clientId: DEMO.delegatedClientId,
			scp: 'SMTP.Send',
			upn: DEMO.user,
			lifetimeSeconds: -120,
		});
		expectedSecrets.push(String(signedIn.refresh_token), expiredAccessToken);
		await h.importCredentials(userFolder, [
			h.fillTemplate<h.CredentialExport>(creds.delegated, {
				...sandboxTemplateValues(),
				ID: cred.id,
				NAME: cred.name,
				CLIENT_ID: DEMO.delegatedClientId,
				CLIENT_SECRET: clientSecret,
				OAUTH_TOKEN_DATA: { ...signedIn, access_token: expiredAccessToken, n8n_expires_at: String(Date.now() - 120_000) },
			}),
		]);
		const s = makeScenario(label, 'delegated', { type: 'microsoftSmtpOAuth2Api', ...cred }, { name: DEMO.userDisplayName, address: DEMO.user });
		await h.importWorkflow(userFolder, await workflowFor(s));
		return s;
	}

	async function runAndRecord(label: string, workflowId: string): Promise<h.ExecuteResult> {
		const res = await h.executeWorkflow(userFolder, workflowId);
		runs.push({ label, res });
		return res;
	}

	/** Runs the scenario and returns the one message the sandbox received for it. */
	async function sendAndReceive(label: string, s: Scenario) {
		const before = sandbox!.smtp.messages.length;
		const res = await runAndRecord(label, s.workflowId);
		expect({ ok: res.ok, run: res.ok ? 'ok' : h.describeRun(res) }).toEqual({ ok: true, run: 'ok' });
		const newMessages = sandbox!.smtp.messages.slice(before);
		expect(newMessages).toHaveLength(1);
		return { res, message: newMessages[0] };
	}

	function expectMessageMatches(s: Scenario, res: h.ExecuteResult, message: ReceivedMessage, authUser: string) {
		const { parsed } = message;
		expect(parsed.subject).toBe(s.subject);
		expect(addressesOf(parsed.from)).toEqual([s.from.address]);
		expect(addressesOf(parsed.to).sort()).toEqual(s.to.map((a) => a.toLowerCase()).sort());
		expect(addressesOf(parsed.cc)).toEqual(s.cc.map((a) => a.toLowerCase()));
		expect(parsed.headers.get(s.headerName.toLowerCase())).toBe(s.headerValue);
		expect((parsed.text ?? '').trim()).toBe(s.text.trim());
		expect(typeof parsed.html === 'string' ? parsed.html.trim() : parsed.html).toBe(s.html.trim());

		expect(parsed.attachments).toHaveLength(1);
		const [att] = parsed.attachments;
		expect(att.filename).toBe(s.file.name);
		expect(att.contentType).toBe(s.file.mime);
		expect(att.content.equals(s.file.bytes)).toBe(true);

		// SMTP envelope and XOAUTH2 login
		expect(message.envelope.from.toLowerCase()).toBe(s.from.address);
		expect(message.envelope.to.map((a) => a.toLowerCase()).sort()).toEqual(
			[...s.to, ...s.cc].map((a) => a.toLowerCase()).sort(),
		);
		expect(message.authUser.toLowerCase()).toBe(authUser.toLowerCase());

		// The node's output item describes the same message.
		const out = h.nodeOutput(res.execution, NODE_NAME);
		expect(out).toHaveLength(1);
		expect(stripAngles(out[0].messageId)).toBe(stripAngles(parsed.messageId));
		expect((out[0].accepted as string[]).map((a) => a.toLowerCase()).sort()).toEqual(
			[...s.to, ...s.cc].map((a) => a.toLowerCase()).sort(),
		);
		expect(out[0].rejected).toEqual([]);
		expect(String(out[0].response)).toMatch(/^250/);
	}

	beforeAll(async () => {
		h.assertBuilt(); // clear failure when dist/ is missing
		const [, tarball] = await Promise.all([h.ensureN8n(), h.packPackage()]);
		sandbox = await startSandbox();
		userFolder = await h.createUserFolder({ caPem: sandbox.ca });
		await h.installPackage(userFolder, tarball);

		// A second app-only app that authenticates with a certificate (client assertion).
		appCert = await createAppCertificate({ commonName: 'n8n e2e app-only certificate' });
		certClientId = randomUUID();
		sandbox.entra.registerApp({
			tenantId: DEMO.tenantId,
			tenantDomains: [DEMO.tenantDomain],
			clientId: certClientId,
			certificatePem: appCert.certificatePem,
			displayName: 'n8n e2e app-only (certificate)',
			roles: ['SMTP.SendAsApp'],
			delegatedScopes: [],
			sendAs: [DEMO.noreplyMailbox],
		});

		// Delegated token data, as the credential's Connect button would store it.
		delegatedTokens = await signInAsDemoUser();

		creds = JSON.parse(await fs.readFile(path.join(FIXTURES, 'credentials.json'), 'utf8')) as CredentialTemplates;
		const common = sandboxTemplateValues();
		await h.importCredentials(userFolder, [
			h.fillTemplate<h.CredentialExport>(creds.appOnlySecret, {
				...common,
				ID: ids.appSecret,
				NAME: 'E2E app-only (secret)',
				CLIENT_ID: DEMO.appOnlyClientId,
				CLIENT_SECRET: DEMO.appOnlyClientSecret,
			}),
			h.fillTemplate<h.CredentialExport>(creds.appOnlySecret, {
				...common,
				ID: ids.appWrongSecret,
				NAME: 'E2E app-only (wrong secret)',
				CLIENT_ID: DEMO.appOnlyClientId,
				CLIENT_SECRET: wrongSecret,
			}),
			h.fillTemplate<h.CredentialExport>(creds.appOnlyCertificate, {
				...common,
				ID: ids.appCert,
				NAME: 'E2E app-only (certificate)',
				CLIENT_ID: certClientId,
				CERTIFICATE_PEM: appCert.certificatePem,
				PRIVATE_KEY_PEM: appCert.privateKeyPem,
			}),
			h.fillTemplate<h.CredentialExport>(creds.delegated, {
				...common,
				ID: ids.delegated,
				NAME: 'E2E delegated (alex)',
				CLIENT_ID: DEMO.delegatedClientId,
				CLIENT_SECRET: DEMO.delegatedClientSecret,
				OAUTH_TOKEN_DATA: delegatedTokens,
			}),
		]);
	});

	afterAll(async () => {
		await sandbox?.stop();
		if (userFolder && !process.env.KEEP_E2E_FOLDER) await fs.rm(userFolder, { recursive: true, force: true });
		else if (userFolder) console.log(`n8n user folder kept: ${userFolder}`);
	});

	test('(a) app-only with client secret: mail with To, CC, text + html, custom header and attachment', async () => {
		const s = makeScenario(
			'appSecret',
			'appOnly',
			{ type: 'microsoftExchangeAppOnlyApi', id: ids.appSecret, name: 'E2E app-only (secret)' },
			{ name: 'Invoices', address: DEMO.sharedMailbox },
		);
		await h.importWorkflow(userFolder, await workflowFor(s));
		const { res, message } = await sendAndReceive('appSecret', s);
		expectMessageMatches(s, res, message, DEMO.sharedMailbox);
		// The token came from the sandbox's client-credentials grant with the secret.
		expect(
			sandbox!.entra.requests.some(
				(r) => r.ok && r.grantType === 'client_credentials' && r.clientId === DEMO.appOnlyClientId,
			),
		).toBe(true);
	});

	test('(a2) app-only with certificate (client assertion)', async () => {
		const s = makeScenario(
			'appCert',
			'appOnly',
			{ type: 'microsoftExchangeAppOnlyApi', id: ids.appCert, name: 'E2E app-only (certificate)' },
			{ name: 'No Reply', address: DEMO.noreplyMailbox },
		);
		await h.importWorkflow(userFolder, await workflowFor(s));
		const { res, message } = await sendAndReceive('appCert', s);
		expectMessageMatches(s, res, message, DEMO.noreplyMailbox);
		const tokenRequests = sandbox!.entra.requests.filter((r) => r.clientId === certClientId);
		expect(tokenRequests.length).toBeGreaterThan(0);
		expect(tokenRequests.every((r) => r.ok && r.clientAuth !== 'secret')).toBe(true);
	});

	test('(b) delegated credential with token data from the authorization-code flow', async () => {
		const s = makeScenario(
			'delegated',
			'delegated',
			{ type: 'microsoftSmtpOAuth2Api', id: ids.delegated, name: 'E2E delegated (alex)' },
			{ name: DEMO.userDisplayName, address: DEMO.user },
		);
		await h.importWorkflow(userFolder, await workflowFor(s));
		const { res, message } = await sendAndReceive('delegated', s);
		expectMessageMatches(s, res, message, DEMO.user);
	});

	test('(b2) delegated credential whose stored access token has expired: n8n refreshes it, then the mail goes out', async () => {
		const s = await importExpiredDelegated('delegatedExpired', { id: ids.delegatedExpired, name: 'E2E delegated (expired token)' }, DEMO.delegatedClientSecret);
		const requestsBefore = sandbox!.entra.requests.length;
		const attemptsBefore = sandbox!.smtp.authAttempts.length;
		const { res, message } = await sendAndReceive('delegatedExpired', s);
		expectMessageMatches(s, res, message, DEMO.user);
		// n8n itself refreshed with the stored refresh token, before any SMTP login was tried.
		const refreshes = sandbox!.entra.requests.slice(requestsBefore).filter((r) => r.grantType === 'refresh_token');
		expect(refreshes).toEqual([expect.objectContaining({ ok: true, clientId: DEMO.delegatedClientId })]);
		expect(sandbox!.smtp.authAttempts.slice(attemptsBefore).map((a) => a.ok)).toEqual([true]);

		// n8n stored the refreshed token: the next execution sends with it, without refreshing again
		// (n8n 1.x keeps the old n8n_expires_at after a refresh; the token's own expiry decides).
		const requestsBeforeSecond = sandbox!.entra.requests.length;
		const again = await sendAndReceive('delegatedExpiredAgain', s);
		expect(again.message.authUser.toLowerCase()).toBe(DEMO.user.toLowerCase());
		expect(sandbox!.entra.requests.slice(requestsBeforeSecond)).toEqual([]);
	});

	test('(b3) delegated refresh refused for a wrong client secret: the error names AADSTS7000215, not "connect again"', async () => {
		const s = await importExpiredDelegated('delegatedWrongSecret', { id: ids.delegatedWrongSecret, name: 'E2E delegated (wrong secret)' }, wrongSecret);
		const before = sandbox!.smtp.messages.length;
		const requestsBefore = sandbox!.entra.requests.length;
		const res = await runAndRecord('delegatedWrongSecret', s.workflowId);

		expect(res.ok).toBe(false);
		const err = h.nodeError(res.execution, NODE_NAME) ?? res.execution?.data.resultData.error;
		const text = `${err?.message ?? ''}\n${err?.description ?? ''}`;
		// The run's output only when the code is missing (it helps to see what n8n printed instead).
		expect({ text, run: text.includes('AADSTS7000215') ? 'ok' : h.describeRun(res) }).toEqual({ text: expect.stringContaining('AADSTS7000215'), run: 'ok' });
		expect(text).toMatch(/client secret/i);
		expect(text).not.toMatch(/Connect my account/);
		expect(sandbox!.smtp.messages.length).toBe(before);
		const refreshes = sandbox!.entra.requests.slice(requestsBefore).filter((r) => r.grantType === 'refresh_token');
		expect(refreshes.length).toBeGreaterThan(0);
		expect(refreshes.every((r) => !r.ok && r.error === 'AADSTS7000215')).toBe(true);
	});

	test('(c) wrong client secret: the run data carries the actionable AADSTS7000215 message, nothing is sent', async () => {
		const s = makeScenario(
			'wrongSecret',
			'appOnly',
			{ type: 'microsoftExchangeAppOnlyApi', id: ids.appWrongSecret, name: 'E2E app-only (wrong secret)' },
			{ name: 'Invoices', address: DEMO.sharedMailbox },
		);
		await h.importWorkflow(userFolder, await workflowFor(s));
		const before = sandbox!.smtp.messages.length;
		const requestsBefore = sandbox!.entra.requests.length;
		const res = await runAndRecord('wrongSecret', s.workflowId);

		expect(res.ok).toBe(false);
		expect(res.execution).toBeDefined(); // run data was found in n8n's output
		const err = h.nodeError(res.execution, NODE_NAME) ?? res.execution?.data.resultData.error;
		expect(err).toBeDefined();
		const text = `${err?.message ?? ''}\n${err?.description ?? ''}`;
		expect(text).toContain('AADSTS7000215');
		expect(text).toMatch(/client secret/i);
		expect(text).toContain('Value');
		expect(sandbox!.smtp.messages.length).toBe(before);
		// ...and the sandbox really did refuse that secret.
		expect(
			sandbox!.entra.requests.slice(requestsBefore).some((r) => !r.ok && r.error === 'AADSTS7000215'),
		).toBe(true);
	});

	test('(d) no secret or token appears in n8n output or run data', () => {
		expect(runs.map((r) => r.label)).toEqual(expect.arrayContaining(['appSecret', 'delegated', 'delegatedExpired', 'delegatedWrongSecret', 'wrongSecret']));
		const texts = h.runTexts(runs);
		const secrets: Record<string, string | undefined> = {
			'app-only client secret': DEMO.appOnlyClientSecret,
			'wrong client secret': wrongSecret,
			'delegated client secret': DEMO.delegatedClientSecret,
			'certificate private key': appCert.privateKeyPem,
			'delegated access token': delegatedTokens.access_token,
			'delegated refresh token': delegatedTokens.refresh_token,
			'delegated id token': typeof delegatedTokens.id_token === 'string' ? delegatedTokens.id_token : undefined,
		};
		expectedSecrets.forEach((value, i) => {
			secrets[`token from a test #${i}`] = value;
		});
		// Tokens the sandbox minted for n8n, if it exposes them (any JWT is caught by findLeaks anyway).
		const issued = (sandbox?.entra as unknown as { issuedTokens?: Array<string | { token?: string; access_token?: string }> })
			.issuedTokens;
		(issued ?? []).forEach((t, i) => {
			secrets[`issued token #${i}`] = typeof t === 'string' ? t : (t.token ?? t.access_token);
		});
		expect(h.findLeaks(texts, secrets)).toEqual([]);
	});
});
