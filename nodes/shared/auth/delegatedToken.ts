import type { IExecuteFunctions, IDataObject } from 'n8n-workflow';

import type { CloudFields } from '../clouds';
import { readTokenClaims } from './tokenClaims';

type OAuthTokenData = IDataObject & { access_token?: string; refresh_token?: string; n8n_expires_at?: string };

/** The decrypted fields of a delegated (OAuth2 authorization code) credential we use. */
export interface DelegatedCredential extends CloudFields {
	tenantId: string;
	caCertificate?: string;
	allowUnauthorizedCerts?: boolean;
	oauthTokenData?: OAuthTokenData;
}

// Refresh a little early so a token does not expire in the middle of a batch.
const EXPIRY_MARGIN_MS = 60_000;

/**
 * When the stored access token expires, in ms since the epoch. The token's own `exp` claim comes
 * first: n8n 1.x keeps the `n8n_expires_at` of the first sign-in after each refresh (it merges the
 * new token into the old data and does not recompute it), so that stamp would call every
 * refreshed token expired. `n8n_expires_at` is the fallback for tokens that are not JWTs.
 */
function expiresAtOf(tokenData: DelegatedCredential['oauthTokenData']): number | undefined {
	const exp = readTokenClaims(String(tokenData?.access_token ?? '')).exp;
	if (typeof exp === 'number' && Number.isFinite(exp) && exp > 0) return exp * 1000;
	const stamped = Number(tokenData?.n8n_expires_at);
	return Number.isFinite(stamped) && stamped > 0 ? stamped : undefined;
}

export function isTokenExpired(tokenData: DelegatedCredential['oauthTokenData'], now = Date.now()): boolean {
	const expiresAt = expiresAtOf(tokenData);
	return expiresAt !== undefined && now + EXPIRY_MARGIN_MS >= expiresAt;
}

/** The token endpoint's JSON answer carried by a failed refresh (client-oauth2's AuthError keeps it as `body`). */
function tokenEndpointAnswer(error: unknown): IDataObject | undefined {
	for (const candidate of [error, (error as { cause?: unknown } | undefined)?.cause]) {
		const body = (candidate as { body?: unknown } | undefined)?.body;
		if (body && typeof body === 'object' && typeof (body as IDataObject).error === 'string') return body as IDataObject;
	}
	return undefined;
}

/**
 * What a refused refresh really was. n8n's OAuth2 client words every refusal by its OAuth error
 * class ("Client authentication failed ..." for a wrong or expired client secret alike), and the
 * Entra code (AADSTS7000215, 7000222, 700082, ...) that tells them apart is only in the answer it
 * keeps. Lift that answer onto the error so the error catalogue explains the actual cause; only an
 * expired or revoked grant should end in "connect again".
 */
function refreshFailure(error: unknown): unknown {
	const answer = tokenEndpointAnswer(error);
	if (!answer) return error;
	const { error: code, error_description: description, error_codes: codes, timestamp, trace_id: traceId, correlation_id: correlationId } = answer;
	return Object.assign(new Error(String(description ?? code)), {
		error: code,
		error_description: description,
		error_codes: codes,
		timestamp,
		trace_id: traceId,
		correlationId,
	});
}

/**
 * Has n8n refresh the credential's OAuth2 token, store it (rotated refresh token included) and hand
 * it back. `helpers.refreshOAuth2Token` does exactly that on both supported lines (n8n-core 1.122
 * of n8n 1.123.x and 2.40 of n8n 2.40.x), and it returns the new token data itself, so nothing
 * depends on when n8n re-reads credentials. (The earlier way, provoking a refresh with a request
 * that fails with a status declared as "expired", never refreshed on 1.x: there n8n's HTTP helper
 * refreshes on a 401 only and ignores the declared statuses.)
 */
async function refreshThroughN8n(ctx: IExecuteFunctions, credentialType: string): Promise<OAuthTokenData> {
	if (typeof ctx.helpers.refreshOAuth2Token !== 'function') {
		throw new Error('This n8n cannot refresh OAuth2 tokens for community nodes (no helpers.refreshOAuth2Token): update n8n to 1.123 or 2.40 or later');
	}
	let refreshed: unknown;
	try {
		refreshed = await ctx.helpers.refreshOAuth2Token.call(ctx, credentialType);
	} catch (error) {
		throw refreshFailure(error);
	}
	const tokenData = refreshed as OAuthTokenData | undefined;
	if (!tokenData?.access_token) {
		throw new Error('n8n refreshed the OAuth2 token but got no access token back: open the credential and click "Connect my account" again');
	}
	return tokenData;
}

/**
 * The delegated access token to use now: the stored one, or a refreshed one when it is expired or
 * when `forceRefresh` is set (after the server rejected it).
 */
export async function getDelegatedAccessToken(
	ctx: IExecuteFunctions,
	credentialType: string,
	options: { forceRefresh?: boolean } = {},
): Promise<{ accessToken: string; credential: DelegatedCredential }> {
	const credential = (await ctx.getCredentials(credentialType)) as unknown as DelegatedCredential;
	if (!credential.oauthTokenData?.access_token) {
		throw new Error('The credential is not connected: open it and click "Connect my account"');
	}
	if (!options.forceRefresh && !isTokenExpired(credential.oauthTokenData)) {
		return { accessToken: String(credential.oauthTokenData.access_token), credential };
	}
	const tokenData = await refreshThroughN8n(ctx, credentialType);
	return { accessToken: String(tokenData.access_token), credential: { ...credential, oauthTokenData: tokenData } };
}
