/**
 * The delegated token through n8n's own refresh (helpers.refreshOAuth2Token) against the sandbox's
 * token endpoint: when it refreshes, what it uses afterwards, and what a refused refresh reports.
 */
import type { ICredentialDataDecryptedObject, IDataObject, INodeTypeDescription } from 'n8n-workflow';

import { getDelegatedAccessToken, isTokenExpired } from '../../nodes/shared/auth/delegatedToken';
import { toNodeApiError } from '../../nodes/shared/errors/nodeErrors';
import { SmtpOAuth } from '../../nodes/SmtpOAuth/SmtpOAuth.node';
import { DEMO, EntraError, type EntraErrorCode, type Sandbox } from '../sandbox';
import { createExecuteContext, type TestContext } from '../support/executeContext';
import { delegatedCredential } from '../support/sandboxCredentials';
import { useSandbox } from '../support/useSandbox';

const TYPE = 'microsoftSmtpOAuth2Api';
const currentSandbox = useSandbox();
let sandbox: Sandbox;
beforeAll(() => {
	sandbox = currentSandbox();
});

const noParameters = { properties: [] } as unknown as INodeTypeDescription;

function expiredAccessToken(): string {
	return sandbox.entra.issueToken({ tenantId: DEMO.tenantId, clientId: DEMO.delegatedClientId, scp: 'SMTP.Send', upn: DEMO.user, lifetimeSeconds: -120 });
}

async function contextWith(overrides: ICredentialDataDecryptedObject = {}, tokenOverrides: IDataObject = {}): Promise<TestContext> {
	const credential = await delegatedCredential(sandbox, overrides);
	Object.assign(credential.oauthTokenData as IDataObject, tokenOverrides);
	sandbox.entra.clearRequests(); // the sign-in above is not part of what a test checks
	return createExecuteContext({ description: noParameters, parameters: {}, credentials: { [TYPE]: credential }, trustedCa: sandbox.ca });
}

const storedToken = (test: TestContext) => (test.credentials[TYPE].oauthTokenData as IDataObject).access_token;

describe('when the delegated token is refreshed', () => {
	it('uses the stored token while it is valid', async () => {
		const test = await contextWith();
		const { accessToken } = await getDelegatedAccessToken(test.context, TYPE);
		expect(accessToken).toBe(storedToken(test));
		expect(test.refreshes).toBe(0);
	});

	it('an expired stored token: n8n refreshes and stores it, and the token n8n handed back is the one used', async () => {
		const expired = expiredAccessToken();
		const test = await contextWith({}, { access_token: expired, n8n_expires_at: String(Date.now() - 120_000) });
		const { accessToken } = await getDelegatedAccessToken(test.context, TYPE);
		expect(test.refreshes).toBe(1);
		expect(accessToken).not.toBe(expired);
		expect(accessToken).toBe(storedToken(test));
		expect(sandbox.entra.requests.map((r) => [r.grantType, r.ok])).toEqual([['refresh_token', true]]);
	});

	it('forceRefresh (the server rejected the token) refreshes even a token that looks valid', async () => {
		const test = await contextWith();
		const before = storedToken(test);
		const { accessToken } = await getDelegatedAccessToken(test.context, TYPE, { forceRefresh: true });
		expect(test.refreshes).toBe(1);
		expect(accessToken).not.toBe(before);
	});

	it('an n8n without the refresh helper gets a clear error, not a TypeError', async () => {
		const test = await contextWith({}, { access_token: expiredAccessToken() });
		const helpers = test.context.helpers as unknown as Record<string, unknown>;
		delete helpers.refreshOAuth2Token;
		await expect(getDelegatedAccessToken(test.context, TYPE)).rejects.toThrow(/no helpers\.refreshOAuth2Token.*update n8n/);
	});

	it("the token's own expiry wins over a stale n8n_expires_at (n8n 1.x keeps the first one after a refresh)", async () => {
		const valid = sandbox.entra.issueToken({ tenantId: DEMO.tenantId, clientId: DEMO.delegatedClientId, scp: 'SMTP.Send', upn: DEMO.user, lifetimeSeconds: 3600 });
		expect(isTokenExpired({ access_token: valid, n8n_expires_at: String(Date.now() - 3_600_000) })).toBe(false);
		expect(isTokenExpired({ access_token: expiredAccessToken(), n8n_expires_at: String(Date.now() + 3_600_000) })).toBe(true);
		// Not a JWT: n8n's stamp is all there is; neither: assume valid and let the server decide.
		expect(isTokenExpired({ access_token: 'opaque', n8n_expires_at: String(Date.now() - 1000) })).toBe(true);
		expect(isTokenExpired({ access_token: 'opaque', n8n_expires_at: String(Date.now() + 3_600_000) })).toBe(false);
		expect(isTokenExpired({ access_token: 'opaque' })).toBe(false);
	});
});

describe('a refresh that Entra refuses reports the real cause', () => {
	/** Runs the refresh of an expired token and returns the error a node would show. */
	async function refusal(test: TestContext) {
		const node = test.context.getNode();
		try {
			await getDelegatedAccessToken(test.context, TYPE);
		} catch (error) {
			const shown = toNodeApiError(node, error, { action: 'Sending the message' });
			return `${shown.message}\n${shown.description ?? ''}`;
		}
		throw new Error('expected the refresh to fail');
	}

	it('a wrong client secret is AADSTS7000215 with the secret fix, not "connect again"', async () => {
		const test = await contextWith({ clientSecret: 'Wrong~Secret~Value~0123' }, { access_token: expiredAccessToken() });
		const text = await refusal(test);
		expect(text).toContain('Microsoft Entra ID rejected the client secret (AADSTS7000215)');
		expect(text).toMatch(/secret Value/);
		expect(text).not.toMatch(/Connect my account|reconnect/i);
		expect(text).not.toContain('Wrong~Secret~Value~0123');
		expect(sandbox.entra.requests.map((r) => [r.grantType, r.error])).toEqual([['refresh_token', 'AADSTS7000215']]);
	});

	it('an expired client secret is AADSTS7000222', async () => {
		const test = await contextWith({}, { access_token: expiredAccessToken() });
		sandbox.entra.registerApp({ ...sandbox.entra.findApp(DEMO.delegatedClientId)!, secretExpiresAt: new Date(Date.now() - 86_400_000) });
		try {
			const text = await refusal(test);
			expect(text).toContain('The client secret has expired (AADSTS7000222)');
			expect(text).not.toMatch(/Connect my account/);
		} finally {
			sandbox.entra.registerApp({ ...sandbox.entra.findApp(DEMO.delegatedClientId)!, secretExpiresAt: undefined });
		}
	});

	// Every refusal the sandbox can inject: only an expired or revoked grant (invalid_grant) asks to
	// connect again; every other one names its own AADSTS code.
	const injectable: EntraErrorCode[] = [7000215, 7000222, 700016, 90002, 65001, 700027, 50011, 700082];
	it.each(injectable)('AADSTS%s injected on the refresh', async (code) => {
		const test = await contextWith({}, { access_token: expiredAccessToken() });
		sandbox.entra.failNext(code);
		const text = await refusal(test);
		const [request] = sandbox.entra.requests;
		expect(request).toMatchObject({ grantType: 'refresh_token', ok: false, error: `AADSTS${code}` });
		if (new EntraError(code).error === 'invalid_grant') expect(text).toMatch(/reconnect/i);
		else expect(text).toContain(`AADSTS${code}`);
	});
});

describe('through the Send Email node', () => {
	it('a wrong client secret on the refresh fails the item with AADSTS7000215 and sends nothing', async () => {
		const node = new SmtpOAuth();
		const credential = await delegatedCredential(sandbox, { clientSecret: 'Wrong~Secret~Value~0123' });
		Object.assign(credential.oauthTokenData as IDataObject, { access_token: expiredAccessToken() });
		sandbox.entra.clearRequests();
		const test = createExecuteContext({
			description: node.description,
			parameters: { authentication: 'delegated', fromEmail: '', toEmail: 'someone@example.com', subject: 'Hello', emailFormat: 'text', text: 'Body' },
			credentials: { [TYPE]: credential },
			trustedCa: sandbox.ca,
			continueOnFail: true,
		});
		const [[item]] = await node.execute.call(test.context);
		expect(String(item.json.error)).toContain('AADSTS7000215');
		expect(String(item.json.error)).not.toMatch(/Connect my account/);
		expect(sandbox.smtp.messages).toHaveLength(0);
	});
});
