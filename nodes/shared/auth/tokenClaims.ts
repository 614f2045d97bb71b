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
