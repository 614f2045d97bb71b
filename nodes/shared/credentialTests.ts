import type { ICredentialsDecrypted, INodeCredentialTestResult } from 'n8n-workflow';

import { verifySmtpLogin } from './transport/smtp';
import { acquireAppOnlyToken, type AppOnlyCredential } from './auth/appOnlyToken';
import { isTokenExpired, type DelegatedCredential } from './auth/delegatedToken';
import { describeAppOnlyRoles, expiryWarning, readTokenClaims } from './auth/tokenClaims';
import { resolveCloudEndpoints, tokenEndpoint } from './clouds';
import { diagnose } from './errors/nodeErrors';
import { redactSecrets, secretsOf } from './errors/redact';
import { CredentialNetworkClient } from './transport/networkClient';

/**
 * The "Test" buttons of our credentials. They answer in plain words: what works, what is missing,
 * and how to fix it. No token or secret ever appears in the answer.
 */

function failure(error: unknown, secrets: string[]): INodeCredentialTestResult {
	const diagnosis = diagnose(error);
	const detail = redactSecrets(String((error as Error)?.message ?? error), secrets);
	return {
		status: 'Error',
		message: diagnosis ? `${diagnosis.message} (${diagnosis.code}). ${diagnosis.fix}` : detail,
	};
}

export async function testAppOnlyCredential(credential: ICredentialsDecrypted): Promise<INodeCredentialTestResult> {
	const data = (credential.data ?? {}) as unknown as AppOnlyCredential & { credentialExpiresOn?: string };
	const secrets = secretsOf(data as unknown as Record<string, unknown>);
	try {
		// A fresh token, not a cached one: the test must prove the secret works now.
		const { accessToken } = await acquireAppOnlyToken(data, { forceRefresh: true });
		secrets.push(accessToken);
		const roles = describeAppOnlyRoles(accessToken);
		const warning = expiryWarning(data.credentialExpiresOn);
		return { status: roles.ok ? 'OK' : 'Error', message: warning ? `${roles.message} Warning: ${warning}` : roles.message };
	} catch (error) {
		return failure(error, secrets);
	}
}

interface TokenResponse {
	access_token?: string;
	error?: string;
	error_description?: string;
	error_codes?: number[];
}

/** Uses the stored refresh token once, in memory only, so the test also works after the access token expired. */
async function refreshForTest(data: DelegatedCredential & { clientId?: string; clientSecret?: string }): Promise<string> {
	const refreshToken = data.oauthTokenData?.refresh_token;
	if (!refreshToken) throw new Error('The stored token has expired and there is no refresh token: click "Connect my account" again');
	const endpoints = resolveCloudEndpoints(data);
	const body = new URLSearchParams({
		grant_type: 'refresh_token',
		refresh_token: String(refreshToken),
		client_id: String(data.clientId ?? ''),
		client_secret: String(data.clientSecret ?? ''),
		scope: `${endpoints.resource}/SMTP.Send offline_access`,
	}).toString();
	const response = await new CredentialNetworkClient(data).sendPostRequestAsync<TokenResponse>(tokenEndpoint(endpoints, data.tenantId), {
		headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
		body,
	});
	if (!response.body.access_token) throw Object.assign(new Error(response.body.error_description ?? `Token refresh failed (HTTP ${response.status})`), response.body);
	return response.body.access_token;
}

export async function testDelegatedSmtpCredential(credential: ICredentialsDecrypted): Promise<INodeCredentialTestResult> {
	const data = (credential.data ?? {}) as unknown as DelegatedCredential & { clientId?: string; clientSecret?: string };
	const secrets = secretsOf(data as unknown as Record<string, unknown>);
	try {
		let accessToken = data.oauthTokenData?.access_token;
		if (!accessToken) return { status: 'Error', message: 'Not connected yet: click "Connect my account" and sign in as the mailbox user.' };
		if (isTokenExpired(data.oauthTokenData)) {
			accessToken = await refreshForTest(data);
			secrets.push(accessToken);
		}
		const claims = readTokenClaims(String(accessToken));
		const user = claims.upn ?? (claims as { unique_name?: string; preferred_username?: string }).preferred_username;
		if (!user) return { status: 'Error', message: 'The token names no user (upn claim): reconnect the credential as the mailbox user.' };
		const endpoints = resolveCloudEndpoints(data);
		if (!endpoints.smtpHost) return { status: 'Error', message: 'The custom cloud has no SMTP Host: fill it in.' };
		await verifySmtpLogin({ host: endpoints.smtpHost, port: endpoints.smtpPort, security: 'starttls', tls: data }, user, String(accessToken));
		return { status: 'OK', message: `Signed in to ${endpoints.smtpHost} as ${user} with XOAUTH2 (nothing was sent).` };
	} catch (error) {
		return failure(error, secrets);
	}
}
