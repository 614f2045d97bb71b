import { diagnoseEntraError, diagnoseMailFailure, diagnoseNetworkError, diagnoseSmtpReply, diagnoseTlsError, findEntraCode, MAIL_CATALOGUES, type DiagnosisFacts } from '../../nodes/shared/errors/catalogue';
import { CredentialFieldError } from '../../nodes/shared/errors/credentialFieldError';
import { diagnose, StepError, toNodeApiError } from '../../nodes/shared/errors/nodeErrors';
import { MailError } from '../../nodes/shared/mail/store';
import { NodeApiError, type INode } from 'n8n-workflow';

const node: INode = { id: '1', name: 'Send', type: 'x', typeVersion: 1, position: [0, 0], parameters: {} };

describe('Entra ID error codes', () => {
	it.each([
		['7000215', /client secret/i, /Value/],
		['7000222', /expired/i, /new client secret/i],
		['700016', /Client ID/i, /tenant/i],
		['90002', /tenant was not found/i, /Cloud/],
		['65001', /consented/i, /admin consent/i],
		['700027', /certificate/i, /Upload the certificate/i],
		['9002313', /malformed/i, /proxy/i],
		['700024', /time range/i, /clock/i],
		['7000112', /disabled/i, /Enabled for users to sign in/i],
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

/** Replies as Exchange Online writes them, with the label each must get (its own enhanced code). */
const REPLIES: Array<[string, string, RegExp]> = [
	['535 5.7.3 Authentication unsuccessful [SN4PR0701CA0043.namprd07.prod.outlook.com]', '535 5.7.3', /rejected the OAuth login/],
	['535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant.', '535 5.7.139', /SMTP AUTH is disabled/],
	['535 5.7.139 Authentication unsuccessful, basic authentication is disabled.', '535 5.7.139', /password login/],
	['535 5.7.8 Error: authentication failed: invalid token', '535 5.7.8', /rejected the OAuth login/],
	['535 Authentication failed', '535', /rejected the OAuth login/],
	['554 5.2.252 SendAsDenied; a@contoso.com not allowed to send as b@contoso.com', '554 5.2.252', /SendAsDenied/],
	['550 5.7.60 SMTP; Client does not have permissions to send as this sender', '550 5.7.60', /SendAsDenied/],
	['550 5.7.708 Service unavailable. Access denied, traffic not accepted from this IP.', '550 5.7.708', /does not accept outbound mail/],
	['550 5.7.520 Access denied, Your organization does not allow external forwarding.', '550 5.7.520', /external forwarding/],
	['550 5.1.8 Access denied, bad outbound sender', '550 5.1.8', /blocked this mailbox from sending/],
	['451 4.7.500 Server busy, please try again later.', '451 4.7.500', /temporarily refuses/],
	['454 4.7.0 Temporary authentication failure', '454 4.7.0', /temporary authentication failure/],
	['430 4.2.0 STOREDRV; mailbox logon failure', '430 4.2.0', /log on to the mailbox/],
	['421 4.7.66 TLS 1.0 and TLS 1.1 are not supported', '421 4.7.66', /throttling/],
	['552 5.3.4 Message size exceeds fixed maximum message size', '552 5.3.4', /larger than the server accepts/],
];

const FACTS: DiagnosisFacts = { fromAddress: 'billing@contoso.com', loginMailbox: 'invoices@contoso.com', clientId: '11111111-2222-4333-8444-555555555555', tenantId: 'contoso.onmicrosoft.com' };

describe('every SMTP reply of the catalogue', () => {
	it.each(REPLIES)('%s → labelled %s, explained', (reply, label, message) => {
		const d = diagnoseSmtpReply(reply, FACTS)!;
		expect(d.code).toBe(label);
		expect(d.message).toMatch(message);
	});

	it.each(REPLIES)('%s: the fix survives HTML rendering and uses the values it knows', (reply) => {
		for (const facts of [FACTS, {}]) {
			const { fix } = diagnoseSmtpReply(reply, facts)!;
			// n8n renders descriptions as HTML: <from> would vanish.
			expect(fix).not.toMatch(/<[^>]*>/);
			if (facts === FACTS) expect(fix).not.toMatch(/\bMAILBOX\b|CLIENT_ID|FROM_ADDRESS|TENANT\b/);
		}
	});

	it('fills in From, login mailbox and client ID where the fix names them', () => {
		expect(diagnoseSmtpReply(REPLIES[0][0], FACTS)!.fix).toContain(`New-ServicePrincipal -AppId ${FACTS.clientId}`);
		expect(diagnoseSmtpReply(REPLIES[0][0], FACTS)!.fix).toContain(`Add-MailboxPermission -Identity ${FACTS.loginMailbox}`);
		expect(diagnoseSmtpReply(REPLIES[5][0], FACTS)!.fix).toContain(`Add-RecipientPermission -Identity ${FACTS.fromAddress} -Trustee ${FACTS.loginMailbox} -AccessRights SendAs`);
		expect(diagnoseSmtpReply(REPLIES[1][0], FACTS)!.fix).toContain(`Set-CASMailbox -Identity ${FACTS.loginMailbox}`);
		expect(diagnoseSmtpReply(REPLIES[1][0], {})!.fix).toContain('Set-CASMailbox -Identity MAILBOX');
	});

	it('only a 5.7.3 asks for a fresh token', () => {
		expect(REPLIES.filter(([reply]) => diagnoseSmtpReply(reply)!.retryWithFreshToken).map(([, label]) => label)).toEqual(['535 5.7.3']);
	});

	it('a value with markup characters is not put into the fix', () => {
		expect(diagnoseSmtpReply(REPLIES[5][0], { fromAddress: 'x<script>@contoso.com' })!.fix).toContain('-Identity FROM_ADDRESS');
	});
});

describe('every Entra ID fix survives HTML rendering', () => {
	const codes = ['7000215', '7000222', '700016', '90002', '90038', '900382', '900023', '65001', '50011', '700027', '50012', '700024', '7000112', '9002313', '7000218', '70011', '1002012', '500011', '700082', '70008', '50173', '70043', '50076', '50079', '53003', '9001023', '50194', '123456'];
	it.each(codes)('AADSTS%s', (code) => {
		for (const facts of [FACTS, {}]) expect(diagnoseEntraError({ errorNo: code }, facts)!.fix).not.toMatch(/<[^>]*>/);
		expect(diagnoseEntraError({ errorNo: code }, FACTS)!.fix).not.toMatch(/CLIENT_ID|TENANT\b/);
	});
});

describe('the TLS diagnosis matches TLS failures only', () => {
	it.each([
		'"Certificate (PEM)" does not hold a PEM certificate',
		'"Private Key" does not belong to "Certificate"',
		'Upload the certificate to the app registration',
		'AADSTS700027: Client assertion failed signature validation: certificate not registered',
	])('not: %s', (message) => {
		expect(diagnoseTlsError(new Error(message))).toBeUndefined();
	});

	it.each([
		['self-signed certificate in certificate chain', /TLS verification failed/],
		['unable to verify the first certificate', /TLS verification failed/],
		['unable to get local issuer certificate', /TLS verification failed/],
		["Hostname/IP does not match certificate's altnames: IP: 127.0.0.2 is not in the cert's list", /TLS verification failed/],
		['C0B7:error:0A00010B:SSL routines:ssl3_get_record:wrong version number', /TLS verification failed/],
	])('yes: %s', (message, expected) => {
		expect(diagnoseTlsError(new Error(message))!.message).toMatch(expected);
	});

	it('names the server, from the facts or from a StepError', () => {
		expect(diagnoseTlsError({ code: 'CERT_HAS_EXPIRED' }, { server: 'smtp.contoso.com:587' })!.message).toBe('TLS verification failed (smtp.contoso.com:587): the server certificate has expired');
		expect(diagnoseNetworkError({ code: 'ECONNREFUSED' }, { server: 'login.contoso.com' })!.message).toBe('Network error (login.contoso.com): the connection was refused');
		const nodeError = toNodeApiError(node, new StepError('Getting an access token', 'login.contoso.com', { code: 'ECONNREFUSED', message: 'connect ECONNREFUSED' }), { action: 'Sending the message' });
		expect(nodeError.message).toBe('Getting an access token failed: Network error (login.contoso.com): the connection was refused (ECONNREFUSED)');
		expect(nodeError.description).toContain('login.contoso.com');
	});

	it('a wrong port for TLS says how to set SMTP Security', () => {
		expect(diagnoseTlsError({ code: 'ERR_SSL_WRONG_VERSION_NUMBER' })!.fix).toMatch(/SMTP Security STARTTLS with port 587/);
	});
});

describe('errors that are already n8n errors, and credential field errors', () => {
	it('a NodeApiError (n8n\'s OAuth2 refresh throws them) is scrubbed too', () => {
		const refreshToken = '0.AXoA-refresh-token-value-1234567890';
		const original = new NodeApiError(node, { message: `refresh_token=${refreshToken}` }, { message: `Refresh failed: {"refresh_token":"${refreshToken}"}`, description: `client_secret=Sup3r~Secret.Value_123 ${refreshToken}` });
		const nodeError = toNodeApiError(node, new StepError('Getting an access token', 'login.microsoftonline.com', original), { secrets: [refreshToken] });
		const shown = JSON.stringify({ message: nodeError.message, description: nodeError.description, context: nodeError.context, cause: nodeError.cause, stack: nodeError.stack });
		expect(shown).not.toContain(refreshToken);
		expect(shown).not.toContain('Sup3r~Secret');
		expect(nodeError.message).toMatch(/^Getting an access token failed: Refresh failed/);
	});

	it('a credential field error names the field and is never taken for TLS', () => {
		const nodeError = toNodeApiError(node, new CredentialFieldError('Private Key', '"Private Key" does not belong to "Certificate"', 'Use the key the certificate was created with.'), { action: 'Loading the credential' });
		expect(nodeError.message).toBe('Loading the credential failed: "Private Key" does not belong to "Certificate" (credential field "Private Key")');
		expect(nodeError.description).toMatch(/^Use the key/);
	});
});

describe('mail API catalogues', () => {
	it('a failure is looked up in its own API\'s catalogue first, then in the others in list order', () => {
		const graphEntry = { code: 'ErrorItemNotFound', message: 'graph says', fix: 'graph fix' };
		const graph = { api: 'graph' as const, diagnose: (failure: { code: string }) => (failure.code === 'ErrorItemNotFound' ? graphEntry : undefined) };
		// In place of the real Graph catalogue (errors/graphCatalogue.ts, tested in test/transport/graph), for the order alone.
		const real = MAIL_CATALOGUES.splice(MAIL_CATALOGUES.findIndex((catalogue) => catalogue.api === 'graph'), 1);
		MAIL_CATALOGUES.push(graph);
		try {
			expect(diagnoseMailFailure({ api: 'graph', code: 'ErrorItemNotFound' })).toEqual(graphEntry);
			// An EWS failure keeps EWS's entry although a later catalogue knows the code.
			expect(diagnoseMailFailure({ api: 'ews', code: 'ErrorItemNotFound' })?.fix).toMatch(/moving an item gives it a new ID/);
			// A code only EWS's catalogue knows: a Graph failure falls back on it.
			expect(diagnoseMailFailure({ api: 'graph', code: 'ErrorQuotaExceeded', mailbox: 'box@contoso.test' })?.message).toBe('The mailbox box@contoso.test is full (storage quota exceeded)');
			// A failure without an API (0.1's shape) is EWS's.
			expect(diagnoseMailFailure({ code: 'ErrorItemNotFound' })?.message).toMatch(/The item was not found/);
		} finally {
			MAIL_CATALOGUES.splice(MAIL_CATALOGUES.indexOf(graph), 1, ...real);
		}
	});

	it('diagnose() reads the failure of a MailError through the catalogues', () => {
		const error = new MailError({ api: 'ews', kind: 'quota', code: 'ErrorQuotaExceeded', message: 'full', mailbox: 'box@contoso.test' });
		expect(diagnose(error)).toMatchObject({ code: 'ErrorQuotaExceeded', message: 'The mailbox box@contoso.test is full (storage quota exceeded)' });
	});
});
