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
	it('passes with both roles: the editor then shows only "Connection tested successfully"', async () => {
		const result = await testAppOnlyCredential(decrypted(appOnlyCredential(sandbox)));
		expect(result).toEqual({ status: 'OK', message: expect.stringMatching(/with full_access_as_app and SMTP\.SendAsApp/) });
	});

	it('always asks for a fresh token, so a changed secret is noticed at once', async () => {
		await testAppOnlyCredential(decrypted(appOnlyCredential(sandbox)));
		await testAppOnlyCredential(decrypted(appOnlyCredential(sandbox)));
		expect(sandbox.entra.requests).toHaveLength(2);
	});

	// Every outcome the user must read is a failure: n8n shows a test's message only when it fails.
	const ewsOnlyApp = '1b2c3d4e-aaaa-4bbb-8ccc-ddddeeeeffff';
	const registerEwsOnly = () => sandbox.entra.registerApp({ tenantId: DEMO.tenantId, clientId: ewsOnlyApp, clientSecret: 'ews-only-secret', roles: ['full_access_as_app'], delegatedScopes: [], sendAs: [] });

	it('fails when a role needed for a use ticked under "Used For" is missing, naming the role and the fix', async () => {
		registerEwsOnly();
		const result = await testAppOnlyCredential(decrypted(appOnlyCredential(sandbox, { clientId: ewsOnlyApp, clientSecret: 'ews-only-secret' })));
		expect(result.status).toBe('Error');
		expect(result.message).toMatch(/lacks the application permission SMTP\.SendAsApp, needed for sending mail/);
		expect(result.message).toMatch(/Grant admin consent/);
		expect(result.message).not.toMatch(/full_access_as_app,/);
	});

	it('passes when the missing role belongs to a use that is not ticked', async () => {
		registerEwsOnly();
		const result = await testAppOnlyCredential(decrypted(appOnlyCredential(sandbox, { clientId: ewsOnlyApp, clientSecret: 'ews-only-secret', usedFor: ['ews'] })));
		expect(result.status).toBe('OK');
		const smtpOnly = await testAppOnlyCredential(decrypted(appOnlyCredential(sandbox, { clientId: ewsOnlyApp, clientSecret: 'ews-only-secret', usedFor: ['smtp'] })));
		expect(smtpOnly.status).toBe('Error');
	});

	it('fails when the app has no Exchange role at all, naming both permissions', async () => {
		const clientId = '2b2c3d4e-aaaa-4bbb-8ccc-ddddeeeeffff';
		sandbox.entra.registerApp({ tenantId: DEMO.tenantId, clientId, clientSecret: 'no-roles-secret', roles: [], delegatedScopes: [], sendAs: [] });
		const result = await testAppOnlyCredential(decrypted(appOnlyCredential(sandbox, { clientId, clientSecret: 'no-roles-secret' })));
		expect(result.status).toBe('Error');
		expect(result.message).toMatch(/SMTP\.SendAsApp, needed for sending/);
		expect(result.message).toMatch(/full_access_as_app, needed for mailbox access/);
	});

	it.each([
		['expires within 30 days', 10, /expires in (9|10) day\(s\), on \d{4}-\d\d-\d\d/],
		['expires in exactly 30 days', 30.5, /expires in 30 day/],
		['has expired', -3, /expired on \d{4}-\d\d-\d\d/],
	])('fails with the date when the secret %s', async (_label, days, pattern) => {
		const expiresOn = new Date(Date.now() + days * 86_400_000).toISOString();
		const result = await testAppOnlyCredential(decrypted(appOnlyCredential(sandbox, { credentialExpiresOn: expiresOn })));
		expect(result.status).toBe('Error');
		expect(result.message).toMatch(pattern);
	});

	it('passes when the secret expires in more than 30 days', async () => {
		const expiresOn = new Date(Date.now() + 32 * 86_400_000).toISOString();
		expect((await testAppOnlyCredential(decrypted(appOnlyCredential(sandbox, { credentialExpiresOn: expiresOn })))).status).toBe('OK');
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
