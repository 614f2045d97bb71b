/**
 * Reads the claims of an Entra access token without verifying it: only for diagnostics (which
 * roles or scopes a token carries, when it expires). Exchange verifies tokens; we never trust these.
 */
export interface TokenClaims {
	aud?: string;
	tid?: string;
	appid?: string;
	roles?: string[];
	scp?: string;
	upn?: string;
	exp?: number;
}

export function readTokenClaims(token: string): TokenClaims {
	const payload = token.split('.')[1];
	if (!payload) return {};
	try {
		return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as TokenClaims;
	} catch {
		return {};
	}
}

export const EXCHANGE_APP_ROLES = {
	ews: 'full_access_as_app',
	smtp: 'SMTP.SendAsApp',
} as const;

/** Plain-words summary of what an app-only token may do in Exchange, for the credential test. */
export function describeAppOnlyRoles(token: string): { ok: boolean; message: string } {
	const roles = readTokenClaims(token).roles ?? [];
	const has = (role: string) => roles.includes(role);
	const parts: string[] = [];
	parts.push(has(EXCHANGE_APP_ROLES.smtp) ? 'can send mail over SMTP (SMTP.SendAsApp)' : 'cannot send over SMTP: SMTP.SendAsApp is missing');
	parts.push(has(EXCHANGE_APP_ROLES.ews) ? 'can open mailboxes over EWS (full_access_as_app)' : 'cannot open mailboxes over EWS: full_access_as_app is missing');
	const ok = has(EXCHANGE_APP_ROLES.smtp) || has(EXCHANGE_APP_ROLES.ews);
	const fix = ok
		? ''
		: ' Add the missing permission under App registrations → API permissions → Office 365 Exchange Online → Application permissions, then "Grant admin consent".';
	return { ok, message: `Token received. This app ${parts.join('; ')}.${fix}` };
}

/** Warning text when a secret or certificate expires within `days` days (or already has). */
export function expiryWarning(expiresOn: string | undefined, now = new Date(), days = 30): string | undefined {
	if (!expiresOn) return undefined;
	const date = new Date(expiresOn);
	if (Number.isNaN(date.getTime())) return undefined;
	const remainingDays = Math.floor((date.getTime() - now.getTime()) / 86_400_000);
	if (remainingDays < 0) return `The secret or certificate expired on ${date.toISOString().slice(0, 10)}: create a new one in the app registration and update this credential.`;
	if (remainingDays <= days) return `The secret or certificate expires in ${remainingDays} day(s), on ${date.toISOString().slice(0, 10)}: create a new one in the app registration before then.`;
	return undefined;
}
