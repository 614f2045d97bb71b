import type { ICredentialsDecrypted, INodeCredentialTestResult } from 'n8n-workflow';

import { smtpServerFor, verifySmtpLogin } from './transport/smtp';
import { acquireAppOnlyToken, type AppOnlyCredential } from './auth/appOnlyToken';
import { isTokenExpired, type DelegatedCredential } from './auth/delegatedToken';
import { isMailboxAllowed, parseAllowedMailboxes } from './auth/allowedMailboxes';
import { expiryWarning, readTokenClaims } from './auth/tokenClaims';
import { resolveCloudEndpoints, tokenEndpoint } from './clouds';
import { diagnose } from './errors/nodeErrors';
import { redactSecrets, secretsOf } from './errors/redact';
import { CredentialNetworkClient } from './transport/networkClient';
import type { ExchangeAuth } from './auth/exchangeAuth';
import { EXCHANGE_APP_ROLES } from './auth/tokenClaims';
import { EwsClient } from './transport/ews/client';
import { getFolder } from './transport/ews/folders';

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

/**
 * The app-only Test. n8n runs one test per credential type in the editor (that of the first node listing it), and on
 * success shows only "Connection tested successfully", whatever the message. So whatever needs the user's attention
 * (a permission missing for a use ticked under "Used For", a secret expiring within 30 days) fails the test: only
 * then does the editor show the message.
 */
export async function testAppOnlyCredential(credential: ICredentialsDecrypted): Promise<INodeCredentialTestResult> {
	return await testAppOnlyEwsCredential(credential);
}

interface TokenResponse {
	access_token?: string;
	error?: string;
	error_description?: string;
	error_codes?: number[];
}

/** Uses the stored refresh token once, in memory only, so the test also works after the access token expired. */
async function refreshForTest(data: DelegatedCredential & { clientId?: string; clientSecret?: string }, scopeName = 'SMTP.Send'): Promise<string> {
	const refreshToken = data.oauthTokenData?.refresh_token;
	if (!refreshToken) throw new Error('The stored token has expired and there is no refresh token: click "Connect my account" again');
	const endpoints = resolveCloudEndpoints(data);
	const body = new URLSearchParams({
		grant_type: 'refresh_token',
		refresh_token: String(refreshToken),
		client_id: String(data.clientId ?? ''),
		client_secret: String(data.clientSecret ?? ''),
		scope: `${endpoints.resource}/${scopeName} offline_access`,
	}).toString();
	const response = await new CredentialNetworkClient(data, { allowedHosts: [endpoints.authorityHost] }).sendPostRequestAsync<TokenResponse>(tokenEndpoint(endpoints, data.tenantId), {
		headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
		body,
	});
	if (!response.body.access_token) throw Object.assign(new Error(response.body.error_description ?? `Token refresh failed (HTTP ${response.status})`), response.body);
	return response.body.access_token;
}

type DelegatedTestData = DelegatedCredential & { clientId?: string; clientSecret?: string };

/** The stored access token, or a refreshed one when it expired; undefined when never connected. */
async function currentDelegatedToken(data: DelegatedTestData, secrets: string[], scope: string): Promise<string | undefined> {
	const stored = data.oauthTokenData?.access_token;
	if (!stored || !isTokenExpired(data.oauthTokenData)) return stored;
	const refreshed = await refreshForTest(data, scope);
	secrets.push(refreshed);
	return refreshed;
}

const NOT_CONNECTED: INodeCredentialTestResult = { status: 'Error', message: 'Not connected yet: click "Connect my account" and sign in as the mailbox user.' };

export async function testDelegatedSmtpCredential(credential: ICredentialsDecrypted): Promise<INodeCredentialTestResult> {
	const data = (credential.data ?? {}) as unknown as DelegatedTestData;
	const secrets = secretsOf(data as unknown as Record<string, unknown>);
	try {
		const accessToken = await currentDelegatedToken(data, secrets, 'SMTP.Send');
		if (!accessToken) return NOT_CONNECTED;
		const claims = readTokenClaims(String(accessToken));
		const user = claims.upn ?? (claims as { unique_name?: string; preferred_username?: string }).preferred_username;
		if (!user) return { status: 'Error', message: 'The token names no user (upn claim): reconnect the credential as the mailbox user.' };
		const endpoints = resolveCloudEndpoints(data);
		if (!endpoints.smtpHost) return { status: 'Error', message: 'The custom cloud has no SMTP Host: fill it in.' };
		await verifySmtpLogin(smtpServerFor(endpoints, data), user, String(accessToken));
		return { status: 'OK', message: `Signed in to ${endpoints.smtpHost} as ${user} with XOAUTH2 (nothing was sent).` };
	} catch (error) {
		return failure(error, secrets);
	}
}

/** Opens the inbox of `mailbox` over EWS with a token we already have: the proof that EWS access works. */
async function openInbox(kind: ExchangeAuth['kind'], data: AppOnlyCredential | DelegatedCredential, token: string, mailbox: string, secrets: string[]) {
	const endpoints = resolveCloudEndpoints(data);
	if (!endpoints.ewsUrl) throw new Error('The custom cloud has no EWS URL: fill it in.');
	const auth: ExchangeAuth = {
		kind,
		endpoints,
		tls: data,
		secrets,
		getAccessToken: async () => token,
		// The callers check the mailbox against Allowed Mailboxes before they get here.
		mailboxPolicy: { patterns: [] },
		assertMailboxAllowed: () => undefined,
	};
	// One attempt, no back-off: a test button should answer quickly.
	return { endpoints, inbox: await getFolder(new EwsClient(auth, { ewsUrl: endpoints.ewsUrl, maxAttempts: 1 }), mailbox, { wellKnown: 'inbox' }) };
}

type AppOnlyUse = 'smtp' | 'ews';

const APP_ONLY_USES: Record<AppOnlyUse, { role: string; what: string }> = {
	ews: { role: EXCHANGE_APP_ROLES.ews, what: 'mailbox access over EWS (Microsoft Exchange node and trigger)' },
	smtp: { role: EXCHANGE_APP_ROLES.smtp, what: 'sending mail (Send Email node)' },
};

/** The uses ticked under "Used For"; both when the field is missing (credentials saved before it existed). */
function appOnlyUses(usedFor: unknown): AppOnlyUse[] {
	const all = Object.keys(APP_ONLY_USES) as AppOnlyUse[];
	const ticked = all.filter((use) => Array.isArray(usedFor) && usedFor.includes(use));
	return ticked.length ? ticked : all;
}

/** Failed result listing what needs attention; the editor shows the message only for failures. */
function needsAttention(problems: string[]): INodeCredentialTestResult {
	return { status: 'Error', message: `Token received, but: ${problems.join(' ')}` };
}

/**
 * App-only: a fresh token must carry the role of every use ticked under "Used For"; with a Test Mailbox (and EWS
 * ticked) its inbox must open; a secret or certificate expiring within 30 days fails the test with the date.
 */
export async function testAppOnlyEwsCredential(credential: ICredentialsDecrypted): Promise<INodeCredentialTestResult> {
	const data = (credential.data ?? {}) as unknown as AppOnlyCredential & { credentialExpiresOn?: string; testMailbox?: string; usedFor?: unknown; allowedMailboxes?: string };
	const secrets = secretsOf(data as unknown as Record<string, unknown>);
	const mailbox = String(data.testMailbox ?? '').trim();
	const policy = parseAllowedMailboxes(data.allowedMailboxes);
	// The test opens no mailbox the credential's own Allowed Mailboxes forbid (checked before any token request).
	if (mailbox && !isMailboxAllowed(policy, mailbox)) {
		return {
			status: 'Error',
			message: `"Test Mailbox" ${mailbox} is not in the credential's Allowed Mailboxes (${policy.patterns.join(', ')}), so the test does not open it. Use one of those mailboxes as the Test Mailbox, or add it to "Allowed Mailboxes".`,
		};
	}
	try {
		// A fresh token, not a cached one: the test must prove the secret works now.
		const { accessToken } = await acquireAppOnlyToken(data, { forceRefresh: true });
		secrets.push(accessToken);
		const roles = readTokenClaims(accessToken).roles ?? [];
		const uses = appOnlyUses(data.usedFor);
		const problems = uses
			.filter((use) => !roles.includes(APP_ONLY_USES[use].role))
			.map((use) => `it lacks the application permission ${APP_ONLY_USES[use].role}, needed for ${APP_ONLY_USES[use].what}. Add it under App registrations → API permissions → Office 365 Exchange Online → Application permissions and click "Grant admin consent" (or untick this use under "Used For").`);
		const warning = expiryWarning(data.credentialExpiresOn);
		if (warning) problems.push(warning);
		if (problems.length) return needsAttention(problems);
		const granted = uses.map((use) => APP_ONLY_USES[use].role).join(' and ');
		if (!uses.includes('ews') || !mailbox) {
			return { status: 'OK', message: `Token received with ${granted}.${uses.includes('ews') ? ' Fill in "Test Mailbox" to also open a mailbox over EWS.' : ''}` };
		}
		const { endpoints, inbox } = await openInbox('appOnly', data, accessToken, mailbox, secrets);
		return { status: 'OK', message: `Opened the inbox of ${mailbox} at ${endpoints.ewsUrl} (${inbox.totalCount} messages) with ${granted}.` };
	} catch (error) {
		return failure(error, secrets);
	}
}

/** Delegated over EWS: the signed-in user's inbox must open with the stored (or a refreshed) token. */
export async function testDelegatedEwsCredential(credential: ICredentialsDecrypted): Promise<INodeCredentialTestResult> {
	const data = (credential.data ?? {}) as unknown as DelegatedTestData;
	const secrets = secretsOf(data as unknown as Record<string, unknown>);
	try {
		const accessToken = await currentDelegatedToken(data, secrets, 'EWS.AccessAsUser.All');
		if (!accessToken) return NOT_CONNECTED;
		const claims = readTokenClaims(String(accessToken));
		const user = claims.upn ?? (claims as { preferred_username?: string }).preferred_username;
		if (!user) return { status: 'Error', message: 'The token names no user (upn claim): reconnect the credential as the mailbox user.' };
		if (!(claims.scp ?? '').split(' ').includes('EWS.AccessAsUser.All')) {
			return { status: 'Error', message: 'The token lacks the delegated permission EWS.AccessAsUser.All: add it to the app registration (Office 365 Exchange Online), grant consent, and reconnect the credential.' };
		}
		const policy = parseAllowedMailboxes((data as { allowedMailboxes?: string }).allowedMailboxes);
		if (!isMailboxAllowed(policy, user)) {
			// The sign-in works; the user's own inbox is outside what the credential allows, so it stays closed.
			return { status: 'OK', message: `Signed in as ${user} with EWS.AccessAsUser.All. ${user} is not in the credential's Allowed Mailboxes (${policy.patterns.join(', ')}), so the test opened no mailbox; the nodes will work only on those mailboxes.` };
		}
		const { endpoints, inbox } = await openInbox('delegated', data, String(accessToken), user, secrets);
		return { status: 'OK', message: `Signed in as ${user}; opened the inbox at ${endpoints.ewsUrl} (${inbox.totalCount} messages).` };
	} catch (error) {
		return failure(error, secrets);
	}
}

/** The credential tests of the EWS nodes (Exchange and Exchange Trigger), keyed by their testedBy names. */
export const ewsCredentialTests = {
	async microsoftExchangeAppOnlyApiEwsTest(credential: ICredentialsDecrypted): Promise<INodeCredentialTestResult> {
		return await testAppOnlyEwsCredential(credential);
	},
	async microsoftExchangeOAuth2ApiTest(credential: ICredentialsDecrypted): Promise<INodeCredentialTestResult> {
		return await testDelegatedEwsCredential(credential);
	},
};
