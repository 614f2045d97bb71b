import { request as httpsRequest } from 'https';
import type { ICredentialsDecrypted, INodeCredentialTestResult } from 'n8n-workflow';

import { smtpServerFor, verifySmtpLogin } from './transport/smtp';
import { acquireAppOnlyToken, type AppOnlyCredential } from './auth/appOnlyToken';
import { isTokenExpired, type DelegatedCredential } from './auth/delegatedToken';
import { isMailboxAllowed, parseAllowedMailboxes } from './auth/allowedMailboxes';
import { expiryWarning, readTokenClaims } from './auth/tokenClaims';
import { CLOUD_PRESETS, resolveCloudEndpoints, tokenEndpoint, type CloudEndpoints } from './clouds';
import { DELEGATED_GRAPH_SCOPES, mailboxApiOf } from './credentialFields';
import type { MailApi } from './mail/store';
import { tlsOptionsFor, type TlsFields } from './transport/tls';
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

/** The delegated scopes (without offline_access) a sign-in for `api` asks for: EWS.AccessAsUser.All, SMTP.Send or Graph's Mail.*. */
function delegatedScopes(endpoints: CloudEndpoints, use: 'smtp' | MailApi): string {
	if (use === 'graph') return DELEGATED_GRAPH_SCOPES.map((name) => `${endpoints.graphResource}/${name}`).join(' ');
	return `${endpoints.resource}/${use === 'smtp' ? 'SMTP.Send' : 'EWS.AccessAsUser.All'}`;
}

/** Uses the stored refresh token once, in memory only, so the test also works after the access token expired. */
async function refreshForTest(data: DelegatedCredential & { clientId?: string; clientSecret?: string }, use: 'smtp' | MailApi): Promise<string> {
	const refreshToken = data.oauthTokenData?.refresh_token;
	if (!refreshToken) throw new Error('The stored token has expired and there is no refresh token: click "Connect my account" again');
	const endpoints = resolveCloudEndpoints(data);
	const body = new URLSearchParams({
		grant_type: 'refresh_token',
		refresh_token: String(refreshToken),
		client_id: String(data.clientId ?? ''),
		client_secret: String(data.clientSecret ?? ''),
		scope: `${delegatedScopes(endpoints, use)} offline_access`,
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
async function currentDelegatedToken(data: DelegatedTestData, secrets: string[], use: 'smtp' | MailApi): Promise<string | undefined> {
	const stored = data.oauthTokenData?.access_token;
	if (!stored || !isTokenExpired(data.oauthTokenData)) return stored;
	const refreshed = await refreshForTest(data, use);
	secrets.push(refreshed);
	return refreshed;
}

const NOT_CONNECTED: INodeCredentialTestResult = { status: 'Error', message: 'Not connected yet: click "Connect my account" and sign in as the mailbox user.' };

export async function testDelegatedSmtpCredential(credential: ICredentialsDecrypted): Promise<INodeCredentialTestResult> {
	const data = (credential.data ?? {}) as unknown as DelegatedTestData;
	const secrets = secretsOf(data as unknown as Record<string, unknown>);
	try {
		const accessToken = await currentDelegatedToken(data, secrets, 'smtp');
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

/** Exchange Online, as opposed to Exchange Server: the credential's Exchange resource is one of Microsoft's clouds. */
function isExchangeOnline(endpoints: CloudEndpoints): boolean {
	return Object.values(CLOUD_PRESETS).some((preset) => preset.resource === endpoints.resource.toLowerCase());
}

const EWS_IN_EXCHANGE_ONLINE =
	'EWS in Exchange Online is blocked by default since 1 October 2026 (only apps on the tenant\'s EwsAllowedAppIDs list may use it) and switched off for good on 1 April 2027';

/**
 * An EWS refusal of Exchange Online (401/403 with a token Entra issued) after 1 October 2026 most likely means the app
 * is not on the tenant's EWS allow list: say so, with the command and the way out (Graph).
 */
function ewsRefusedInExchangeOnline(error: unknown, endpoints: CloudEndpoints, clientId: string): INodeCredentialTestResult | undefined {
	const failure = (error as { failure?: { httpStatus?: number; diagnostics?: string } } | undefined)?.failure;
	if (!isExchangeOnline(endpoints) || (failure?.httpStatus !== 401 && failure?.httpStatus !== 403)) return undefined;
	if (/invalid_lifetime|expired/i.test(failure.diagnostics ?? '')) return undefined;
	const app = clientId || 'the app (client) ID';
	return {
		status: 'Error',
		message: `Exchange Online refused EWS for the app ${app} (HTTP ${failure.httpStatus}${failure.diagnostics ? `: ${failure.diagnostics}` : ''}). ${EWS_IN_EXCHANGE_ONLINE}. Switch the credential's Mailbox API to Microsoft Graph (application permissions Mail.ReadWrite and Mail.Send), or until then have an Exchange admin add ${app} with Set-OrganizationConfig -EwsAllowedAppIDs (keeping the IDs already listed) and -EwsEnabled $true.`,
	};
}

/** After an inbox opened over EWS in Exchange Online: the date it stops working. */
function ewsEndNote(endpoints: CloudEndpoints): string {
	return isExchangeOnline(endpoints) ? ` EWS answered; ${EWS_IN_EXCHANGE_ONLINE}: move this credential to Microsoft Graph before then.` : '';
}

interface GraphAnswer {
	status: number;
	body: { error?: { code?: string; message?: string }; totalItemCount?: number; displayName?: string };
}

const GRAPH_PROBE_TIMEOUT_MS = 20_000;

/** One GET to the credential's Graph URL with the token, on node https with the credential's TLS settings; no redirects followed. */
function graphGet(endpoints: CloudEndpoints, path: string, token: string, tls: TlsFields): Promise<GraphAnswer> {
	const url = new URL(`${endpoints.graphUrl}${path}`);
	return new Promise((resolve, reject) => {
		const req = httpsRequest(url, { method: 'GET', headers: { Authorization: `Bearer ${token}`, Accept: 'application/json' }, timeout: GRAPH_PROBE_TIMEOUT_MS, ...tlsOptionsFor(tls) }, (res) => {
			const chunks: Buffer[] = [];
			res.on('data', (chunk: Buffer) => chunks.push(chunk));
			res.on('end', () => {
				let body: GraphAnswer['body'] = {};
				try {
					body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as GraphAnswer['body'];
				} catch {
					body = {};
				}
				resolve({ status: res.statusCode ?? 0, body });
			});
			res.on('error', reject);
		});
		req.on('timeout', () => req.destroy(Object.assign(new Error(`Microsoft Graph at ${url.host} did not answer within ${GRAPH_PROBE_TIMEOUT_MS / 1000} s`), { code: 'ETIMEDOUT', server: url.host })));
		req.on('error', (error) => reject(Object.assign(error, { server: (error as { server?: string }).server ?? url.host })));
		req.end();
	});
}

/**
 * Opens the inbox of `mailbox` (or of the signed-in user, `me`) over Microsoft Graph: the proof that Graph access works.
 * Graph's refusals become the fix: the mailbox outside the app's scope, no such mailbox, a refused token.
 */
async function openGraphInbox(endpoints: CloudEndpoints, token: string, mailbox: string | 'me', tls: TlsFields, clientId: string): Promise<INodeCredentialTestResult & { inbox?: number }> {
	const path = mailbox === 'me' ? '/me/mailFolders/inbox' : `/users/${encodeURIComponent(mailbox)}/mailFolders/inbox`;
	const { status, body } = await graphGet(endpoints, path, token, tls);
	if (status === 200) return { status: 'OK', message: '', inbox: Number(body.totalItemCount ?? 0) };
	const code = body.error?.code ?? `HTTP${status}`;
	const said = `HTTP ${status} ${code}${body.error?.message ? `: ${body.error.message}` : ''}`;
	const who = mailbox === 'me' ? 'the signed-in user\'s mailbox' : mailbox;
	if (status === 403) {
		const fix = mailbox === 'me'
			? 'Check that the user has a mailbox in Exchange Online and that the sign-in consented to Mail.ReadWrite.'
			: `The app ${clientId} is scoped away from this mailbox: add ${mailbox} to its management scope (New-ManagementRoleAssignment -App ${clientId} -Role "Application Mail.ReadWrite" -CustomResourceScope SCOPE, and "Application Mail.Send") or to its application access policy. An unscoped Entra grant of Mail.ReadWrite reaches every mailbox, and must be removed for a scope to take effect.`;
		return { status: 'Error', message: `Microsoft Graph refused to open ${who} (${said}). ${fix}` };
	}
	if (status === 404 || code === 'MailboxNotEnabledForRESTAPI' || code === 'ErrorInvalidUser') {
		return { status: 'Error', message: `Microsoft Graph found no mailbox ${who} (${said}). Check the address (the primary SMTP address or user principal name); a mailbox on Exchange Server on-premises is not reachable over Graph: use EWS for it.` };
	}
	if (status === 401) {
		return { status: 'Error', message: `Microsoft Graph refused the token (${said}). Check the cloud (and for Custom, "Graph URL" and "Graph Resource": the token is for ${endpoints.graphResource}).` };
	}
	return { status: 'Error', message: `Microsoft Graph at ${new URL(endpoints.graphUrl).host} could not open ${who} (${said}).` };
}

type AppOnlyUse = 'smtp' | 'ews';

/** The application permissions a use needs, on the resource that grants them. */
const APP_ONLY_ROLES: Record<'ews' | 'graph' | 'smtp', { roles: string[]; api: string; what: string }> = {
	ews: { roles: [EXCHANGE_APP_ROLES.ews], api: 'Office 365 Exchange Online', what: 'mailbox access over EWS (Microsoft Exchange node and trigger)' },
	graph: { roles: ['Mail.ReadWrite', 'Mail.Send'], api: 'Microsoft Graph', what: 'mailbox access over Microsoft Graph (Microsoft Exchange node and trigger)' },
	smtp: { roles: [EXCHANGE_APP_ROLES.smtp], api: 'Office 365 Exchange Online', what: 'sending mail (Send Email node)' },
};

const APP_ONLY_USES: AppOnlyUse[] = ['ews', 'smtp'];

/** The uses ticked under "Used For" ('ews' = mailbox access over the Mailbox API); both when the field is missing. */
function appOnlyUses(usedFor: unknown): AppOnlyUse[] {
	const all = APP_ONLY_USES;
	const ticked = all.filter((use) => Array.isArray(usedFor) && usedFor.includes(use));
	return ticked.length ? ticked : all;
}

/** Failed result listing what needs attention; the editor shows the message only for failures. */
function needsAttention(problems: string[]): INodeCredentialTestResult {
	return { status: 'Error', message: `Token received, but: ${problems.join(' ')}` };
}

/**
 * App-only: a fresh token per resource must carry the roles of every use ticked under "Used For" (mailbox access:
 * Mail.ReadWrite and Mail.Send on Graph, or full_access_as_app on Exchange; sending: SMTP.SendAsApp); with a Test
 * Mailbox its inbox must open over the Mailbox API; a secret or certificate expiring within 30 days fails the test.
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
	const clientId = String(data.clientId ?? '').trim();
	try {
		const endpoints = resolveCloudEndpoints(data);
		const api = mailboxApiOf(data);
		const uses = appOnlyUses(data.usedFor);
		const needs = uses.map((use) => (use === 'smtp' ? 'smtp' : api));
		// A fresh token per resource, not a cached one: the test must prove the secret works now.
		const tokens = new Map<string, string>();
		const tokenFor = async (need: 'ews' | 'graph' | 'smtp') => {
			const resource = need === 'graph' ? endpoints.graphResource : endpoints.resource;
			let token = tokens.get(resource);
			if (!token) {
				token = (await acquireAppOnlyToken(data, { forceRefresh: true, resource })).accessToken;
				secrets.push(token);
				tokens.set(resource, token);
			}
			return token;
		};
		const problems: string[] = [];
		for (const need of needs) {
			const roles = readTokenClaims(await tokenFor(need)).roles ?? [];
			const { roles: wanted, api: resourceName, what } = APP_ONLY_ROLES[need];
			for (const role of wanted.filter((name) => !roles.includes(name))) {
				problems.push(`it lacks the application permission ${role}, needed for ${what}. Add it under App registrations → API permissions → ${resourceName} → Application permissions and click "Grant admin consent" (or untick this use under "Used For").`);
			}
		}
		const warning = expiryWarning(data.credentialExpiresOn);
		if (warning) problems.push(warning);
		if (problems.length) return needsAttention(problems);
		const granted = needs.flatMap((need) => APP_ONLY_ROLES[need].roles).join(' and ');
		const apiName = api === 'graph' ? 'Microsoft Graph' : 'EWS';
		if (!uses.includes('ews') || !mailbox) {
			return { status: 'OK', message: `Token received with ${granted}.${uses.includes('ews') ? ` Fill in "Test Mailbox" to also open a mailbox over ${apiName}.` : ''}` };
		}
		if (api === 'graph') {
			const opened = await openGraphInbox(endpoints, await tokenFor('graph'), mailbox, data, clientId);
			if (opened.status !== 'OK') return opened;
			return { status: 'OK', message: `Opened the inbox of ${mailbox} at ${endpoints.graphUrl} (${opened.inbox} messages) with ${granted}.` };
		}
		try {
			const { inbox } = await openInbox('appOnly', data, await tokenFor('ews'), mailbox, secrets);
			return { status: 'OK', message: `Opened the inbox of ${mailbox} at ${endpoints.ewsUrl} (${inbox.totalCount} messages) with ${granted}.${ewsEndNote(endpoints)}` };
		} catch (error) {
			return ewsRefusedInExchangeOnline(error, endpoints, clientId) ?? failure(error, secrets);
		}
	} catch (error) {
		return failure(error, secrets);
	}
}

/** The delegated permissions the Exchange credential's sign-in must carry for its Mailbox API. */
const DELEGATED_NEEDS: Record<MailApi, string[]> = { ews: ['EWS.AccessAsUser.All'], graph: ['Mail.ReadWrite', 'Mail.Send'] };

/** Delegated over the Mailbox API: the signed-in user's inbox must open with the stored (or a refreshed) token. */
export async function testDelegatedEwsCredential(credential: ICredentialsDecrypted): Promise<INodeCredentialTestResult> {
	const data = (credential.data ?? {}) as unknown as DelegatedTestData;
	const secrets = secretsOf(data as unknown as Record<string, unknown>);
	try {
		const api = mailboxApiOf(data);
		const accessToken = await currentDelegatedToken(data, secrets, api);
		if (!accessToken) return NOT_CONNECTED;
		const claims = readTokenClaims(String(accessToken));
		const user = claims.upn ?? (claims as { preferred_username?: string }).preferred_username;
		if (!user) return { status: 'Error', message: 'The token names no user (upn claim): reconnect the credential as the mailbox user.' };
		const scopes = (claims.scp ?? '').split(' ');
		const missing = DELEGATED_NEEDS[api].filter((name) => !scopes.includes(name));
		if (missing.length) {
			const resourceName = api === 'graph' ? 'Microsoft Graph' : 'Office 365 Exchange Online';
			return { status: 'Error', message: `The token lacks the delegated permission ${missing.join(' and ')} (${resourceName}) of the Mailbox API: add it to the app registration, grant consent, and click "Connect my account" again (needed after changing the Mailbox API, too).` };
		}
		const granted = DELEGATED_NEEDS[api].join(' and ');
		const policy = parseAllowedMailboxes((data as { allowedMailboxes?: string }).allowedMailboxes);
		if (!isMailboxAllowed(policy, user)) {
			// The sign-in works; the user's own inbox is outside what the credential allows, so it stays closed.
			return { status: 'OK', message: `Signed in as ${user} with ${granted}. ${user} is not in the credential's Allowed Mailboxes (${policy.patterns.join(', ')}), so the test opened no mailbox; the nodes will work only on those mailboxes.` };
		}
		const endpoints = resolveCloudEndpoints(data);
		if (api === 'graph') {
			const opened = await openGraphInbox(endpoints, String(accessToken), 'me', data, String(data.clientId ?? ''));
			if (opened.status !== 'OK') return opened;
			return { status: 'OK', message: `Signed in as ${user}; opened the inbox at ${endpoints.graphUrl} (${opened.inbox} messages).` };
		}
		try {
			const { inbox } = await openInbox('delegated', data, String(accessToken), user, secrets);
			return { status: 'OK', message: `Signed in as ${user}; opened the inbox at ${endpoints.ewsUrl} (${inbox.totalCount} messages).${ewsEndNote(endpoints)}` };
		} catch (error) {
			return ewsRefusedInExchangeOnline(error, endpoints, String(data.clientId ?? '')) ?? failure(error, secrets);
		}
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
