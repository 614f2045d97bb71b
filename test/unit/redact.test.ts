import { redactSecrets, secretsOf } from '../../nodes/shared/errors/redact';

describe('redactSecrets', () => {
	it('removes known secrets, JWTs, XOAUTH2 strings, private keys and form secrets', () => {
		const jwt = 'eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJodHRwczovL291dGxvb2sifQ.abcdefghijk';
		const sasl = Buffer.from(`user=a@contoso.com\x01auth=Bearer ${jwt}\x01\x01`).toString('base64');
		const key = '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBg\n-----END PRIVATE KEY-----';
		const text = `secret=hunter2hunter2 token ${jwt} AUTH XOAUTH2 ${sasl} key ${key} body client_secret=abc&refresh_token=def Authorization: Bearer abcdefghijklmnopqrstuvwxyz`;
		const result = redactSecrets(text, ['hunter2hunter2']);
		for (const leaked of ['hunter2hunter2', jwt, sasl, 'MIIEvQIBADANBg', 'client_secret=abc', 'refresh_token=def', 'abcdefghijklmnopqrstuvwxyz']) {
			expect(result).not.toContain(leaked);
		}
		expect(result).toContain('AUTH XOAUTH2');
	});

	it('leaves ordinary text alone and ignores very short "secrets"', () => {
		expect(redactSecrets('535 5.7.3 Authentication unsuccessful', ['535', ''])).toBe('535 5.7.3 Authentication unsuccessful');
	});

	it('collects the secret values of a credential, token data included', () => {
		expect(secretsOf({ clientSecret: 's1', privateKey: 'k1', clientId: 'public', oauthTokenData: { access_token: 'a1', refresh_token: 'r1' } }).sort()).toEqual(['a1', 'k1', 'r1', 's1']);
	});
});

describe('secrets written as JSON or as printed objects', () => {
	const secret = 'Abc~Def.Ghi_123-xyz';
	it.each([
		`{"client_secret":"${secret}","grant_type":"client_credentials"}`,
		`{"access_token": "${secret}", "token_type": "Bearer"}`,
		`{ "refresh_token" : "${secret}" }`,
		`{ refresh_token: '${secret}', expires_in: 3600 }`,
		`{ clientSecret: '${secret}' }`,
		`{"id_token":"${secret}"}`,
		`{"password":"${secret.replace('~', '\\"')}"}`,
		`body: {"client_assertion":"${secret}"}`,
	])('%s', (text) => {
		const result = redactSecrets(text);
		expect(result).not.toContain(secret);
		expect(result).not.toContain('Ghi_123');
		expect(result).toContain('***');
	});

	it('keeps error codes and other JSON fields', () => {
		expect(redactSecrets('{"code":"ErrorItemNotFound","error":"invalid_client","error_codes":[7000215]}')).toBe('{"code":"ErrorItemNotFound","error":"invalid_client","error_codes":[7000215]}');
	});
});
