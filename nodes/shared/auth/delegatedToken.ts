import type { IExecuteFunctions, IDataObject } from 'n8n-workflow';

import { resolveCloudEndpoints, tokenEndpoint, type CloudFields } from '../clouds';

/** The decrypted fields of a delegated (OAuth2 authorization code) credential we use. */
export interface DelegatedCredential extends CloudFields {
	tenantId: string;
	caCertificate?: string;
	allowUnauthorizedCerts?: boolean;
	oauthTokenData?: IDataObject & { access_token?: string; refresh_token?: string; n8n_expires_at?: string };
}

// Refresh a little early so a token does not expire in the middle of a batch.
const EXPIRY_MARGIN_MS = 60_000;

export function isTokenExpired(tokenData: DelegatedCredential['oauthTokenData'], now = Date.now()): boolean {
	const expiresAt = Number(tokenData?.n8n_expires_at);
	return Number.isFinite(expiresAt) && expiresAt > 0 && now + EXPIRY_MARGIN_MS >= expiresAt;
}

/**
 * Makes n8n refresh the stored OAuth2 token of a delegated credential and save it.
 *
 * n8n only refreshes OAuth2 tokens when an authenticated HTTP request fails with the credential's
 * "token expired" status, and our protocols (SMTP, EWS through its own client) do not go through
 * n8n's HTTP helper. So we send one request that is certain to fail cheaply: a bare POST to the
 * tenant's token endpoint answers 400 (no grant_type). Declaring 400 as "token expired" for this
 * one call lets n8n run its own refresh, with its cross-process lock and its storage of the
 * rotated refresh token; the repeated request fails again and we ignore that.
 */
async function forceDelegatedRefresh(ctx: IExecuteFunctions, credentialType: string, credential: DelegatedCredential): Promise<void> {
	const url = tokenEndpoint(resolveCloudEndpoints(credential), credential.tenantId);
	try {
		await ctx.helpers.httpRequestWithAuthentication.call(
			ctx,
			credentialType,
			{ method: 'POST', url, body: {}, json: true },
			{ oauth2: { tokenExpiredStatusCode: [400, 401] } },
		);
	} catch (error) {
		const e = error as { message?: string; description?: string };
		const text = `${e?.message ?? ''} ${e?.description ?? ''}`;
		// A refresh that failed (revoked or expired refresh token) surfaces as its own error: keep it.
		// The expected failure of the probe itself is a plain 400 (invalid_request) and is ignored.
		if (/reconnect|invalid_grant|AADSTS(700082|70008|50173|70043|65001)\b/i.test(text)) throw error;
	}
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
	let credential = (await ctx.getCredentials(credentialType)) as unknown as DelegatedCredential;
	if (!credential.oauthTokenData?.access_token) {
		throw new Error('The credential is not connected: open it and click "Connect my account"');
	}
	if (options.forceRefresh || isTokenExpired(credential.oauthTokenData)) {
		const before = credential.oauthTokenData.access_token;
		await forceDelegatedRefresh(ctx, credentialType, credential);
		credential = (await ctx.getCredentials(credentialType)) as unknown as DelegatedCredential;
		if (!credential.oauthTokenData?.access_token || credential.oauthTokenData.access_token === before) {
			if (options.forceRefresh) throw new Error('n8n could not refresh the OAuth2 token: open the credential and click "Connect my account" again');
		}
	}
	return { accessToken: String(credential.oauthTokenData!.access_token), credential };
}
