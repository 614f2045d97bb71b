/**
 * Last line of defence against leaking secrets: every message we build from a library error goes
 * through here before it reaches n8n's output, logs or the UI.
 */

const JWT_SHAPED = /eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/g;
// base64 of "user=...\x01auth=Bearer ..." (the XOAUTH2 SASL string) always starts with "dXNlcj".
const XOAUTH2_SASL = /dXNlcj[A-Za-z0-9+/=]{16,}/g;
const PEM_PRIVATE_KEY = /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/g;
const BEARER = /(Bearer\s+)[A-Za-z0-9._~+/=-]{16,}/gi;
const FORM_SECRETS = /((?:client_secret|client_assertion|refresh_token|access_token|id_token|code|password)=)[^&\s"']+/gi;
// The same names as JSON or as util.inspect prints objects: "client_secret":"…", access_token: '…'.
// ("code" is left out here: in JSON it is an error code far more often than an authorization code.)
const SECRET_NAMES = '(?:client_secret|clientSecret|client_assertion|refresh_token|refreshToken|access_token|accessToken|id_token|idToken|password|privateKey|private_key)';
const QUOTED_SECRETS = new RegExp(`((["']?)${SECRET_NAMES}\\2\\s*:\\s*)(["'])(?:(?!\\3)[^\\\\]|\\\\.)*\\3`, 'gi');

export function redactSecrets(text: string, knownSecrets: Array<string | undefined> = []): string {
	let result = text;
	for (const secret of knownSecrets) {
		if (typeof secret === 'string' && secret.length >= 6) result = result.split(secret).join('***');
	}
	return result
		.replace(PEM_PRIVATE_KEY, '[private key]')
		.replace(JWT_SHAPED, '[token]')
		.replace(XOAUTH2_SASL, '[xoauth2]')
		.replace(BEARER, '$1[token]')
		.replace(QUOTED_SECRETS, '$1$3***$3')
		.replace(FORM_SECRETS, '$1***');
}

/** Values of a decrypted credential that must never be shown, for redactSecrets(). */
export function secretsOf(credentials: Record<string, unknown>): string[] {
	const values: string[] = [];
	for (const key of ['clientSecret', 'privateKey', 'privateKeyPassphrase']) {
		const value = credentials[key];
		if (typeof value === 'string' && value) values.push(value);
	}
	const tokenData = credentials.oauthTokenData as Record<string, unknown> | undefined;
	if (tokenData && typeof tokenData === 'object') {
		for (const key of ['access_token', 'refresh_token', 'id_token']) {
			const value = tokenData[key];
			if (typeof value === 'string' && value) values.push(value);
		}
	}
	return values;
}
