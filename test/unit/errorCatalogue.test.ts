import { diagnoseEntraError, diagnoseSmtpReply, diagnoseTlsError, findEntraCode } from '../../nodes/shared/errors/catalogue';
import { toNodeApiError } from '../../nodes/shared/errors/nodeErrors';
import type { INode } from 'n8n-workflow';

const node: INode = { id: '1', name: 'Send', type: 'x', typeVersion: 1, position: [0, 0], parameters: {} };

describe('Entra ID error codes', () => {
	it.each([
		['7000215', /client secret/i, /Value/],
		['7000222', /expired/i, /new client secret/i],
		['700016', /Client ID/i, /tenant/i],
		['90002', /tenant was not found/i, /Cloud/],
		['65001', /consented/i, /admin consent/i],
		['700027', /certificate/i, /Upload the certificate/i],
	])('AADSTS%s gets a message and a fix', (code, message, fix) => {
		const error = { errorCode: 'invalid_client', errorMessage: `AADSTS${code}: something.\r\nTrace ID: abc` };
		const diagnosis = diagnoseEntraError(error)!;
		expect(diagnosis.code).toBe(`AADSTS${code}`);
		expect(diagnosis.message).toMatch(message);
		expect(diagnosis.fix).toMatch(fix);
	});

	it('reads the code from a token endpoint body and from errorNo', () => {
		expect(findEntraCode({ error_codes: [90002] })).toBe('90002');
		expect(findEntraCode({ errorNo: '7000222' })).toBe('7000222');
		expect(findEntraCode({ message: 'nothing here' })).toBeUndefined();
	});

	it('points unknown codes at Microsoft\'s lookup page', () => {
		expect(diagnoseEntraError({ message: 'AADSTS123456: new thing' })!.fix).toContain('error?code=123456');
	});
});

describe('SMTP replies', () => {
	it('5.7.139 tenant/mailbox: names Set-CASMailbox', () => {
		const d = diagnoseSmtpReply('535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant. Visit https://aka.ms/smtp_auth_disabled')!;
		expect(d.code).toBe('535 5.7.139');
		expect(d.fix).toContain('Set-CASMailbox');
		expect(d.fix).toContain('-SmtpClientAuthenticationDisabled $false');
	});

	it('5.7.139 basic auth is told apart from SMTP AUTH disabled', () => {
		expect(diagnoseSmtpReply('535 5.7.139 Authentication unsuccessful, basic authentication is disabled.')!.message).toMatch(/password login/);
	});

	it('5.7.3 names consent, service principal and mailbox permission, and allows one retry', () => {
		const d = diagnoseSmtpReply('535 5.7.3 Authentication unsuccessful [SN4PR0701CA0043.namprd07.prod.outlook.com]')!;
		expect(d.fix).toMatch(/SMTP\.SendAsApp/);
		expect(d.fix).toMatch(/New-ServicePrincipal/);
		expect(d.fix).toMatch(/Add-MailboxPermission/);
		expect(d.retryWithFreshToken).toBe(true);
	});

	it('5.2.252 SendAsDenied names Add-RecipientPermission', () => {
		const d = diagnoseSmtpReply('554 5.2.252 SendAsDenied; a@contoso.com not allowed to send as b@contoso.com; STOREDRV.Submission.Exception')!;
		expect(d.fix).toContain('Add-RecipientPermission');
	});

	it('returns nothing for a reply it does not know', () => {
		expect(diagnoseSmtpReply('250 2.0.0 OK')).toBeUndefined();
	});
});

describe('TLS failures', () => {
	it('explains an untrusted CA and how to add it', () => {
		const d = diagnoseTlsError({ code: 'SELF_SIGNED_CERT_IN_CHAIN', message: 'self-signed certificate in certificate chain' })!;
		expect(d.message).toMatch(/does not trust/);
		expect(d.fix).toMatch(/Trusted CA Certificates/);
	});

	it('finds the code on the cause of a wrapped error', () => {
		expect(diagnoseTlsError({ message: 'network_error', cause: { code: 'CERT_HAS_EXPIRED' } })!.message).toMatch(/expired/);
	});
});

describe('toNodeApiError', () => {
	it('says what and how, and blanks secrets and tokens out of everything it shows', () => {
		const secret = 'Sup3r~Secret.Value_123';
		const token = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4eHh4eHh4eCJ9.c2lnbmF0dXJlc2lnbmF0dXJl';
		const error = { errorMessage: `AADSTS7000215: Invalid client secret ${secret} with ${token}`, errorCode: 'invalid_client' };
		const nodeError = toNodeApiError(node, error, { secrets: [secret], action: 'Getting a token' });
		expect(nodeError.message).toBe('Getting a token failed: Microsoft Entra ID rejected the client secret (AADSTS7000215)');
		expect(nodeError.description).toMatch(/secret Value/);
		const shown = JSON.stringify({ message: nodeError.message, description: nodeError.description, context: nodeError.context, cause: nodeError.cause });
		expect(shown).not.toContain(secret);
		expect(shown).not.toContain(token);
	});
});
