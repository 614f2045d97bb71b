/** The credential "Test" buttons, against the sandbox's real token endpoint and SMTP server. */
import type { ICredentialDataDecryptedObject, ICredentialsDecrypted } from 'n8n-workflow';

import { testAppOnlyCredential, testDelegatedSmtpCredential } from '../../nodes/shared/credentialTests';
import { DEMO, type Sandbox } from '../sandbox';
import { appOnlyCredential, delegatedCredential } from '../support/sandboxCredentials';
import { useSandbox } from '../support/useSandbox';

const currentSandbox = useSandbox();
let sandbox: Sandbox;
beforeAll(() => {
	sandbox = currentSandbox();
});

const decrypted = (data: ICredentialDataDecryptedObject): ICredentialsDecrypted => ({ id: '1', name: 'test', type: 'x', data });

describe('app-only credential test', () => {
	it('reports the Exchange roles the token carries', async () => {
		const result = await testAppOnlyCredential(decrypted(appOnlyCredential(sandbox)));
		expect(result.status).toBe('OK');
		expect(result.message).toMatch(/can send mail over SMTP \(SMTP\.SendAsApp\)/);
		expect(result.message).toMatch(/can open mailboxes over EWS \(full_access_as_app\)/);
	});

	it('always asks for a fresh token, so a changed secret is noticed at once', async () => {
		await testAppOnlyCredential(decrypted(appOnlyCredential(sandbox)));
		await testAppOnlyCredential(decrypted(appOnlyCredential(sandbox)));
		expect(sandbox.entra.requests).toHaveLength(2);
	});

	it('says what is missing for sending', async () => {
		const clientId = '1b2c3d4e-aaaa-4bbb-8ccc-ddddeeeeffff';
		sandbox.entra.registerApp({ tenantId: DEMO.tenantId, clientId, clientSecret: 'ews-only-secret', roles: ['full_access_as_app'], delegatedScopes: [], sendAs: [] });
		const result = await testAppOnlyCredential(decrypted(appOnlyCredential(sandbox, { clientId, clientSecret: 'ews-only-secret' })));
		expect(result.status).toBe('OK');
		expect(result.message).toMatch(/cannot send over SMTP: SMTP\.SendAsApp is missing/);
	});

	it('fails when the app has no Exchange role at all, naming the fix', async () => {
		const clientId = '2b2c3d4e-aaaa-4bbb-8ccc-ddddeeeeffff';
		sandbox.entra.registerApp({ tenantId: DEMO.tenantId, clientId, clientSecret: 'no-roles-secret', roles: [], delegatedScopes: [], sendAs: [] });
		const result = await testAppOnlyCredential(decrypted(appOnlyCredential(sandbox, { clientId, clientSecret: 'no-roles-secret' })));
		expect(result.status).toBe('Error');
		expect(result.message).toMatch(/Grant admin consent/);
	});

	it('warns when the secret expires within 30 days', async () => {
		const soon = new Date(Date.now() + 10 * 86_400_000).toISOString();
		const result = await testAppOnlyCredential(decrypted(appOnlyCredential(sandbox, { credentialExpiresOn: soon })));
		expect(result.status).toBe('OK');
		expect(result.message).toMatch(/Warning: The secret or certificate expires in (9|10) day/);
	});

	it('turns AADSTS errors into the fix, without the secret', async () => {
		const result = await testAppOnlyCredential(decrypted(appOnlyCredential(sandbox, { clientSecret: 'Secret~ID~not~Value~1' })));
		expect(result).toEqual({ status: 'Error', message: expect.stringContaining('(AADSTS7000215)') });
		expect(result.message).toMatch(/secret Value/);
		expect(result.message).not.toContain('Secret~ID~not~Value~1');
	});
});

describe('delegated SMTP credential test', () => {
	it('signs in with XOAUTH2 and quits without sending', async () => {
		const result = await testDelegatedSmtpCredential(decrypted(await delegatedCredential(sandbox)));
		expect(result).toEqual({ status: 'OK', message: expect.stringContaining(`as ${DEMO.user} with XOAUTH2`) });
		expect(sandbox.smtp.authAttempts).toEqual([expect.objectContaining({ user: DEMO.user, ok: true })]);
		expect(sandbox.smtp.messages).toHaveLength(0);
	});

	it('uses the refresh token when the stored access token has expired', async () => {
		const credential = await delegatedCredential(sandbox);
		Object.assign(credential.oauthTokenData as object, { access_token: 'eyJhbGciOiJub25lIn0.eyJ1cG4iOiJ4In0.', n8n_expires_at: String(Date.now() - 1000) });
		const result = await testDelegatedSmtpCredential(decrypted(credential));
		expect(result.status).toBe('OK');
		expect(sandbox.entra.requests.at(-1)).toMatchObject({ grantType: 'refresh_token', ok: true });
	});

	it('explains SMTP AUTH being disabled for the mailbox', async () => {
		sandbox.smtp.failNext('5.7.139', 1);
		const result = await testDelegatedSmtpCredential(decrypted(await delegatedCredential(sandbox)));
		expect(result.status).toBe('Error');
		expect(result.message).toMatch(/Set-CASMailbox/);
	});

	it('asks to connect when there is no token yet', async () => {
		const credential = await delegatedCredential(sandbox);
		delete credential.oauthTokenData;
		expect(await testDelegatedSmtpCredential(decrypted(credential))).toEqual({ status: 'Error', message: expect.stringMatching(/Connect my account/) });
	});
});
