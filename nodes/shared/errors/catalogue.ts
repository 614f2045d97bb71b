/**
 * What Microsoft's error codes mean for an admin, and how to fix them. One place for the whole
 * package: Entra ID (AADSTS…), SMTP replies (5.7.x), TLS failures, and the mail APIs' failures
 * (MAIL_CATALOGUES: EWS ResponseCodes and HTTP statuses here, Graph's codes in graphCatalogue.ts).
 */

import type { MailApi } from '../mail/store';
import { diagnoseGraphFailure } from './graphCatalogue';

export interface Diagnosis {
	/** Microsoft's code as the admin would search for it: AADSTS7000215, 535 5.7.139, … */
	code: string;
	/** One sentence: what went wrong. */
	message: string;
	/** What to do about it, in plain words. */
	fix: string;
	/** Whether a fresh token could help (expired/revoked token) — drives the single retry. */
	retryWithFreshToken?: boolean;
}

/**
 * What is known where the error happened, so fixes carry the real values. n8n renders error
 * descriptions as HTML, so whatever cannot be filled in is written as a bare word (MAILBOX), never
 * as an angle-bracket placeholder that the browser would swallow.
 */
export interface DiagnosisFacts {
	/** The From address of the message. */
	fromAddress?: string;
	/** The mailbox that logged in (XOAUTH2 user). */
	loginMailbox?: string;
	clientId?: string;
	tenantId?: string;
	/** host:port of the server the failing call went to (token service, SMTP or EWS). */
	server?: string;
}

function fill(value: string | undefined, placeholder: string): string {
	const trimmed = (value ?? '').trim();
	// A value with markup characters would be mangled by the HTML rendering: use the placeholder.
	return trimmed && !/[<>&"]/.test(trimmed) ? trimmed : placeholder;
}

type Fix = string | ((facts: DiagnosisFacts) => string);

const RECONNECT = 'Open the credential and click "Connect my account" again.';

const ENTRA: Record<string, { message: string; fix: Fix }> = {
	'7000215': {
		message: 'Microsoft Entra ID rejected the client secret',
		fix: (f) =>
			`Paste the secret Value (shown once when the secret is created), not the Secret ID, into the credential's Client Secret field. Create a new secret under App registrations → ${fill(f.clientId, 'CLIENT_ID')} → Certificates & secrets if the Value is lost.`,
	},
	'7000222': {
		message: 'The client secret has expired',
		fix: (f) =>
			`Create a new client secret (App registrations → ${fill(f.clientId, 'CLIENT_ID')} → Certificates & secrets) or switch the credential to a certificate, then update the credential and its "Secret or Certificate Expires On" date.`,
	},
	'700016': {
		message: 'No application with this Client ID exists in the tenant',
		fix: (f) =>
			`Check the Client ID (${fill(f.clientId, 'CLIENT_ID')}: the Application ID of the app registration), the Tenant ID (${fill(f.tenantId, 'TENANT')}) and the Cloud of the credential: the app must be registered in that tenant and cloud.`,
	},
	'90002': {
		message: 'The tenant was not found',
		fix: (f) =>
			`Check the Tenant ID (${fill(f.tenantId, 'TENANT')}; use the Directory ID GUID or a verified domain such as contoso.onmicrosoft.com) and the Cloud: a GCC High or China tenant needs that cloud selected.`,
	},
	'90038': {
		message: 'The tenant belongs to another national cloud',
		fix: 'Select the cloud the tenant lives in (US Government or China) in the credential.',
	},
	'900382': {
		message: 'Cross-cloud request: the tenant belongs to another national cloud',
		fix: 'Select the cloud the tenant lives in (US Government or China) in the credential.',
	},
	'900023': {
		message: 'The tenant identifier is not valid',
		fix: (f) => `"${fill(f.tenantId, 'TENANT')}" is not a tenant: use the Directory (tenant) ID GUID or a verified domain of the tenant in the credential.`,
	},
	'65001': {
		message: 'The permissions have not been consented to',
		fix: (f) =>
			`In App registrations → ${fill(f.clientId, 'CLIENT_ID')} → API permissions, add the Office 365 Exchange Online permission (SMTP.SendAsApp / full_access_as_app for app-only, SMTP.Send / EWS.AccessAsUser.All for delegated) and click "Grant admin consent".`,
	},
	'50011': {
		message: 'The redirect URI does not match the app registration',
		fix: 'Add the OAuth Redirect URL shown in the n8n credential as a "Web" redirect URI under App registrations → Authentication.',
	},
	'700027': {
		message: 'The certificate does not match one registered on the app',
		fix: (f) =>
			`Upload the certificate (public part, .cer/.pem) under App registrations → ${fill(f.clientId, 'CLIENT_ID')} → Certificates & secrets, and make sure the private key in the credential belongs to it.`,
	},
	'50012': {
		message: 'The client assertion could not be validated',
		fix: 'Upload the certificate to the app registration and check that the private key in the credential belongs to it.',
	},
	'700024': {
		message: 'The signed client assertion is not within its valid time range',
		fix: 'The clock of the n8n server is off: synchronise it (NTP). The certificate login signs an assertion that Entra ID accepts only for a few minutes around its issue time.',
	},
	'7000112': {
		message: 'The application is disabled in the tenant',
		fix: (f) =>
			`In Entra ID → Enterprise applications → ${fill(f.clientId, 'CLIENT_ID')} → Properties, set "Enabled for users to sign in?" to Yes (an admin may have disabled the app on purpose: ask first).`,
	},
	'9002313': {
		message: 'Entra ID found the token request malformed',
		fix: (f) =>
			`Check that the Tenant ID (${fill(f.tenantId, 'TENANT')}) and the Cloud, or the Custom cloud's Authority Host, are right and that no proxy between n8n and the token service rewrites requests. A delegated credential whose stored grant is damaged needs "Connect my account" again.`,
	},
	'7000218': {
		message: 'No client secret or certificate was sent',
		fix: 'Fill in the Client Secret or the certificate fields of the credential; the app must be a confidential (web) client.',
	},
	'70011': {
		message: 'The requested scope is not valid',
		fix: 'Client credentials need a "/.default" scope of the Exchange resource; check the Resource of a custom cloud.',
	},
	'1002012': {
		message: 'The requested scope is not valid for client credentials',
		fix: 'Client credentials need a "/.default" scope of the Exchange resource; check the Resource of a custom cloud.',
	},
	'500011': {
		message: 'The Exchange resource was not found in the tenant',
		fix: 'Check the Cloud (a .us or .cn resource does not exist in a commercial tenant) and, for a custom cloud, the Resource field.',
	},
	'700082': { message: 'The refresh token has expired', fix: RECONNECT },
	'70008': { message: 'The refresh token has expired or was revoked', fix: RECONNECT },
	'50173': { message: 'The grant expired because the user changed their password or sessions were revoked', fix: RECONNECT },
	'70043': {
		message: 'The refresh token expired because of a Conditional Access sign-in frequency policy',
		fix: 'Open the credential and click "Connect my account" again, or relax the sign-in frequency for this app.',
	},
	'50076': {
		message: 'Multi-factor authentication is required',
		fix: 'Reconnect the credential interactively, or use an app-only credential for unattended workflows.',
	},
	'50079': {
		message: 'The user must register for multi-factor authentication',
		fix: 'Let the user complete MFA registration, then reconnect the credential.',
	},
	'53003': {
		message: 'Access was blocked by a Conditional Access policy',
		fix: 'Ask the Entra ID admin to allow this app (or the n8n server\'s location) in Conditional Access.',
	},
	'9001023': {
		message: 'This app needs a tenant-specific authority',
		fix: 'Fill in the Tenant ID of the credential instead of "common" or "organizations".',
	},
	'50194': {
		message: 'This app is single-tenant and needs a tenant-specific authority',
		fix: 'Fill in the Tenant ID of the credential instead of "common" or "organizations".',
	},
};

function fixFor(fix: Fix, facts: DiagnosisFacts): string {
	return typeof fix === 'function' ? fix(facts) : fix;
}

/** Finds the AADSTS code in an MSAL error, a token endpoint body or any message. */
export function findEntraCode(error: unknown): string | undefined {
	const candidates: unknown[] = [];
	if (error && typeof error === 'object') {
		const e = error as Record<string, unknown>;
		candidates.push(e.errorNo, e.errorMessage, e.message, e.error_description, e.subError);
		if (Array.isArray(e.error_codes)) candidates.push(e.error_codes[0]);
	} else {
		candidates.push(error);
	}
	for (const candidate of candidates) {
		if (typeof candidate === 'number') return String(candidate);
		if (typeof candidate === 'string') {
			if (/^\d{5,7}$/.test(candidate)) return candidate;
			const match = /AADSTS(\d+)/.exec(candidate);
			if (match) return match[1];
		}
	}
	return undefined;
}

export function diagnoseEntraError(error: unknown, facts: DiagnosisFacts = {}): Diagnosis | undefined {
	const code = findEntraCode(error);
	if (!code) return undefined;
	const known = ENTRA[code];
	if (known) return { code: `AADSTS${code}`, message: known.message, fix: fixFor(known.fix, facts) };
	return {
		code: `AADSTS${code}`,
		message: 'Microsoft Entra ID refused to issue a token',
		fix: `Look the code up at https://login.microsoftonline.com/error?code=${code} and check the app registration ${fill(facts.clientId, 'CLIENT_ID')}.`,
	};
}

/** "535 5.7.3", "550 5.7.708": the reply's basic code and its enhanced status code, as Microsoft documents them. */
export function smtpReplyLabel(reply: string): string {
	const basic = /^\d{3}/.exec(reply)?.[0] ?? '';
	const enhanced = /\b[245]\.\d{1,3}\.\d{1,3}\b/.exec(reply)?.[0] ?? '';
	return [basic, enhanced].filter(Boolean).join(' ') || 'SMTP';
}

interface SmtpRule {
	test: (reply: string) => boolean;
	message: string;
	fix: Fix;
	retryWithFreshToken?: boolean;
}

const login = (f: DiagnosisFacts) => fill(f.loginMailbox, 'MAILBOX');

/** Most specific first; codes come from the reply itself (smtpReplyLabel), so a 535 5.7.8 is never called 5.7.3. */
const SMTP_RULES: SmtpRule[] = [
	{
		test: (reply) => /5\.7\.139/.test(reply) && /basic authentication/i.test(reply),
		message: 'The server refused a password login (basic authentication is disabled)',
		fix: 'This node only logs in with OAuth (XOAUTH2); check that no proxy or relay in between rewrites the login.',
	},
	{
		test: (reply) => /5\.7\.139/.test(reply),
		message: 'SMTP AUTH is disabled for the mailbox or the tenant',
		fix: (f) =>
			`Enable authenticated SMTP for the login mailbox: \`Set-CASMailbox -Identity ${login(f)} -SmtpClientAuthenticationDisabled $false\` (or for the tenant: \`Set-TransportConfig -SmtpClientAuthenticationDisabled $false\`). Security defaults in Entra ID also block it.`,
	},
	{
		test: (reply) => /^454\b/.test(reply) || (/^4\d\d\b/.test(reply) && /temporary authentication failure/i.test(reply)),
		message: 'Exchange could not check the login right now (temporary authentication failure)',
		fix: 'Run the workflow again in a few minutes. If it keeps happening, check the Exchange Online service health in the Microsoft 365 admin center.',
	},
	{
		test: (reply) => /^535\b/.test(reply) && /\b5\.7\.3\b/.test(reply),
		message: 'Exchange Online rejected the OAuth login',
		fix: (f) =>
			`App-only: grant the Office 365 Exchange Online application permission SMTP.SendAsApp with admin consent, register the service principal (\`New-ServicePrincipal -AppId ${fill(f.clientId, 'CLIENT_ID')} -ObjectId ENTERPRISE_APP_OBJECT_ID\`, the Object ID shown under Enterprise applications) and give it the mailbox (\`Add-MailboxPermission -Identity ${login(f)} -User SERVICE_PRINCIPAL_ID -AccessRights FullAccess\`). Delegated: grant SMTP.Send and reconnect. In both cases the login mailbox (${login(f)}: From, or SMTP Login Mailbox) must be one the app or user may use.`,
		retryWithFreshToken: true,
	},
	{
		test: (reply) => /^535\b/.test(reply),
		message: 'The server rejected the OAuth login',
		fix: (f) =>
			`The server refused XOAUTH2 for ${login(f)}. Check that it accepts OAuth tokens for this mailbox (Exchange Server needs hybrid modern authentication) and that the Resource of the credential is the audience it expects.`,
	},
	{
		test: (reply) => /5\.2\.252/.test(reply) || /SendAsDenied/i.test(reply) || /5\.7\.60\b/.test(reply),
		message: 'The login mailbox is not allowed to send as the From address (SendAsDenied)',
		fix: (f) =>
			`Use the login mailbox as From, or grant Send As: \`Add-RecipientPermission -Identity ${fill(f.fromAddress, 'FROM_ADDRESS')} -Trustee ${login(f)} -AccessRights SendAs\`.`,
	},
	{
		test: (reply) => /\b5\.1\.8\b/.test(reply),
		message: 'Exchange Online has blocked this mailbox from sending (bad outbound sender)',
		fix: (f) =>
			`The mailbox ${login(f)} was restricted, usually after it sent spam. Check that the account is not compromised, then remove it from Restricted entities in the Microsoft Defender portal (Email & collaboration → Review → Restricted entities).`,
	},
	{
		test: (reply) => /\b5\.7\.708\b/.test(reply),
		message: 'Exchange Online does not accept outbound mail from this tenant (traffic not accepted from this IP)',
		fix: 'Microsoft blocks sending for tenants whose traffic looked suspicious, often new tenants. An admin has to open a service request with Microsoft support; a verified custom domain and licensed mailboxes help.',
	},
	{
		test: (reply) => /\b5\.7\.520\b/.test(reply),
		message: 'The organisation does not allow external forwarding',
		fix: 'Exchange Online treated the message as forwarded to an outside address and the outbound spam policy blocks that. Send a new message instead of a forward, or ask the admin to allow automatic forwarding for this mailbox in the outbound anti-spam policy (Microsoft Defender portal).',
	},
	{
		test: (reply) => /4\.2\.0/.test(reply) && /STOREDRV/i.test(reply),
		message: 'Exchange could not log on to the mailbox',
		fix: (f) =>
			`Check that the service principal exists (\`New-ServicePrincipal -AppId ${fill(f.clientId, 'CLIENT_ID')} -ObjectId ENTERPRISE_APP_OBJECT_ID\`) and has FullAccess on ${login(f)}, then retry.`,
	},
	{
		test: (reply) => /^4\d\d\b/.test(reply) && /\b4\.7\.(5\d\d|6\d\d)\b/.test(reply) && !/4\.7\.66\b/.test(reply),
		message: 'Exchange Online temporarily refuses mail from this sender (server busy)',
		fix: 'Run the workflow again later and send fewer messages per run; if it lasts for hours, check the tenant\'s outbound limits and the service health in the Microsoft 365 admin center.',
	},
	{
		test: (reply) => /^4\d\d\b/.test(reply) && /4\.7\.66|4\.3\.2|throttl|too many/i.test(reply),
		message: 'The server is throttling this sender',
		fix: (f) => `Exchange Online accepts about 30 messages per minute per mailbox (${login(f)}): send fewer messages per run or spread them over time.`,
	},
	{
		test: (reply) => /5\.3\.4/.test(reply) || /^552\b/.test(reply),
		message: 'The message is larger than the server accepts',
		fix: 'Send smaller attachments (Exchange Online defaults to 35 MB per message, including the base64 overhead of about a third).',
	},
];

/** Diagnosis for an SMTP server reply such as "535 5.7.3 Authentication unsuccessful". */
export function diagnoseSmtpReply(reply: string, facts: DiagnosisFacts = {}): Diagnosis | undefined {
	const trimmed = reply.trim();
	const rule = SMTP_RULES.find((candidate) => candidate.test(trimmed));
	if (!rule) return undefined;
	return { code: smtpReplyLabel(trimmed), message: rule.message, fix: fixFor(rule.fix, facts), ...(rule.retryWithFreshToken ? { retryWithFreshToken: true } : {}) };
}

const TLS_CODES: Record<string, string> = {
	SELF_SIGNED_CERT_IN_CHAIN: 'the server certificate is signed by a CA this n8n does not trust',
	DEPTH_ZERO_SELF_SIGNED_CERT: 'the server presents a self-signed certificate',
	UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'the server certificate chain is incomplete or signed by an unknown CA',
	UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'the server certificate is signed by a CA this n8n does not trust',
	UNABLE_TO_GET_ISSUER_CERT: 'the server certificate is signed by a CA this n8n does not trust',
	CERT_HAS_EXPIRED: 'the server certificate has expired',
	CERT_NOT_YET_VALID: 'the server certificate is not valid yet (check the clock of the n8n server)',
	CERT_SIGNATURE_FAILURE: 'the server certificate signature is invalid',
	ERR_TLS_CERT_ALTNAME_INVALID: 'the server certificate does not name this host',
	ERR_SSL_WRONG_VERSION_NUMBER: 'the server did not answer with TLS on this port',
	ERR_SSL_UNSUPPORTED_PROTOCOL: 'the server only offers an outdated TLS version',
	ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION: 'the server only offers an outdated TLS version',
};

// What Node's TLS layer and OpenSSL say when verification or the handshake fails. Deliberately not
// the bare word "certificate": our own messages about the credential's certificate field contain it.
const TLS_MESSAGE = /self[- ]signed certificate|unable to verify the first certificate|unable to get (?:local )?issuer certificate|certificate has expired|certificate is not yet valid|does not match certificate's altnames|certificate signature failure|SSL routines|wrong version number|tlsv1 alert|unsupported protocol/i;

const at = (facts: DiagnosisFacts) => (facts.server ? ` (${facts.server})` : '');

function errorCodes(error: unknown): unknown[] {
	const e = (error ?? {}) as Record<string, unknown>;
	return [e.code, (e.cause as Record<string, unknown> | undefined)?.code];
}

function errorTexts(error: unknown): string {
	const e = (error ?? {}) as Record<string, unknown>;
	return [e.message, (e.cause as Record<string, unknown> | undefined)?.message].filter((text) => typeof text === 'string').join(' ');
}

export function diagnoseTlsError(error: unknown, facts: DiagnosisFacts = {}): Diagnosis | undefined {
	const code = errorCodes(error).find((value): value is string => typeof value === 'string' && value in TLS_CODES);
	const text = errorTexts(error);
	const byMessage = !code && TLS_MESSAGE.test(text);
	if (!code && !byMessage) return undefined;
	const wrongPort = code === 'ERR_SSL_WRONG_VERSION_NUMBER' || (!code && /wrong version number/i.test(text));
	return {
		code: code ?? 'TLS',
		message: `TLS verification failed${at(facts)}: ${code ? TLS_CODES[code] : text.split(/\r?\n/)[0]}`,
		fix: wrongPort
			? 'The port does not speak TLS from the first byte: in the credential, use SMTP Security STARTTLS with port 587, or TLS with the server\'s TLS port (usually 465).'
			: 'For an internal CA (Exchange on-premises, test servers) paste its certificate into the credential\'s "Trusted CA Certificates" field, or set NODE_EXTRA_CA_CERTS for n8n. Check host name and port. Only as a last resort, switch on "Ignore TLS Certificate Errors".',
	};
}

const NETWORK_CODES: Record<string, string> = {
	ECONNREFUSED: 'the connection was refused',
	ETIMEDOUT: 'the connection timed out',
	ECONNRESET: 'the connection was reset',
	ENOTFOUND: 'the host name could not be resolved',
	EAI_AGAIN: 'the host name could not be resolved',
	EHOSTUNREACH: 'the host is unreachable',
	ENETUNREACH: 'the network is unreachable',
};

export function diagnoseNetworkError(error: unknown, facts: DiagnosisFacts = {}): Diagnosis | undefined {
	const e = (error ?? {}) as Record<string, unknown>;
	// nodemailer reports socket failures as code ESOCKET with the system code only in the message.
	const code =
		errorCodes(error).find((value): value is string => typeof value === 'string' && value in NETWORK_CODES) ??
		Object.keys(NETWORK_CODES).find((candidate) => new RegExp(`\\b${candidate}\\b`).test(errorTexts(error)));
	const timedOut = !code && (e.code === 'ETIMEDOUT' || /timed? ?out/i.test(String(e.message ?? '')));
	if (!code && !timedOut) return undefined;
	const server = facts.server ?? 'the server';
	return {
		code: code ?? 'ETIMEDOUT',
		message: `Network error${at(facts)}: ${code ? NETWORK_CODES[code] : 'the server did not answer in time'}`,
		fix: `Check that ${server} is the right host and port (they come from the credential), that outbound traffic from n8n to it is allowed (port 587 is often blocked by hosting providers) and any proxy in between.`,
	};
}

/** What an EWS failure carries for its message (a MailFailure of api 'ews', from transport/ews/errors.ts). */
export interface EwsFailureFacts {
	code: string;
	message?: string;
	httpStatus?: number;
	diagnostics?: string;
	location?: string;
	/** Host of the EWS URL, e.g. outlook.office365.com. */
	server?: string;
	/** The EWS URL the call went to. */
	endpoint?: string;
	/** The app (client) ID of the token. */
	clientId?: string;
	mailbox?: string;
}

const EWS_ENDPOINT_FORM = 'https://HOST/EWS/Exchange.asmx';
/** After a failure without an answer, a send may or may not have happened; it is never repeated for that reason. */
const UNCLEAR_SEND = 'A send, reply or forward is not repeated: check Sent Items before running it again.';

function ewsRetirementFix(facts: EwsFailureFacts): string {
	const app = facts.clientId ? `the app's client ID ${facts.clientId}` : "the app's client ID (Application ID of the credential's app registration)";
	const id = facts.clientId ?? 'CLIENT-ID';
	return `If the token is valid, Exchange Online may be blocking EWS for this app: since 1 October 2026 EWS needs the organisation switch and ${app} on the EWS allow list: \`Set-OrganizationConfig -EwsEnabled $true -EwsAllowedAppIDs @{Add="${id}"}\` (check with \`Get-OrganizationConfig | Format-List EwsEnabled,EwsAllowedAppIDs\`). EWS in Exchange Online ends on 1 April 2027; Exchange Server on-premises keeps it.`;
}

const EWS: Record<string, Omit<Diagnosis, 'code'> | ((facts: EwsFailureFacts) => Omit<Diagnosis, 'code'>)> = {
	ErrorImpersonateUserDenied: {
		message: 'The app is not allowed to open this mailbox',
		fix: 'Grant the application permission full_access_as_app (Office 365 Exchange Online) with admin consent. If the app is scoped with RBAC for Applications or an Application Access Policy, add this mailbox to its scope.',
	},
	ErrorNonExistentMailbox: {
		message: 'No mailbox with this address exists on this server',
		fix: 'Check the mailbox address. In a hybrid setup, an on-premises mailbox needs the on-premises EWS URL (Custom cloud in the credential).',
	},
	ErrorAccessDenied: (facts) => ({
		message: 'Access to this mailbox or item was denied',
		fix: `A delegated user needs FullAccess on another mailbox: \`Add-MailboxPermission -Identity ${facts.mailbox ?? 'MAILBOX'} -User USER -AccessRights FullAccess\`. App-only needs full_access_as_app.`,
	}),
	ErrorItemNotFound: {
		message: 'The item was not found (it may have been moved or deleted)',
		fix: 'Use an item ID from a recent Exchange node run: moving an item gives it a new ID.',
	},
	ErrorFolderNotFound: {
		message: 'The folder was not found',
		fix: 'Pick the folder from the list, or check its path or ID.',
	},
	ErrorInvalidIdMalformed: {
		message: 'The ID is not a valid Exchange ID',
		fix: 'Pass the "id" field of a message or folder returned by an Exchange node, not an Internet Message-ID or a Graph ID.',
	},
	ErrorInvalidIdEmpty: {
		message: 'The ID is empty',
		fix: 'Map the "id" field of a message returned by an Exchange node into the ID field.',
	},
	ErrorInvalidExchangeImpersonationHeaderData: {
		message: 'Exchange refused the impersonation header',
		fix: 'This is a bug in the node (impersonation is only for app-only tokens): please report it.',
	},
	ErrorNoRespondingCASInDestinationSite: {
		message: 'Exchange could not route the request to the mailbox',
		fix: 'Retry later; if it persists, check the mailbox address.',
	},
	ErrorServerBusy: {
		message: 'Exchange is throttling this app and did not recover within the retries',
		fix: 'Process fewer items per run or run less often; Exchange Online limits concurrent and per-minute EWS use per mailbox.',
	},
	ErrorExceededConnectionCount: {
		message: 'Too many concurrent EWS connections to this mailbox',
		fix: 'Run fewer workflows against this mailbox at the same time.',
	},
	ErrorSchemaValidation: {
		message: 'Exchange rejected the request as invalid',
		fix: 'This is a bug in the node: please report it with the node settings (no credentials).',
	},
	ErrorInvalidSyncStateData: {
		message: 'The sync state is no longer valid',
		fix: 'The trigger resynchronises by itself; if this shows in a workflow, run it again.',
	},
	ErrorMailboxStoreUnavailable: {
		message: 'The mailbox database is temporarily unavailable',
		fix: 'Retry later.',
	},
	ErrorSendAsDenied: (facts) => ({
		message: `The mailbox ${facts.mailbox ?? 'MAILBOX'} is not allowed to send as the From address`,
		fix: `Send from the mailbox itself (leave From empty), or grant Send As: \`Add-RecipientPermission -Identity FROM-ADDRESS -Trustee ${facts.mailbox ?? 'MAILBOX'} -AccessRights SendAs\` (for a delegated credential the trustee is the signed-in user).`,
	}),
	ErrorMessageSizeExceeded: (facts) => ({
		message: 'The message is larger than the mailbox or the organisation allows',
		fix: `Send smaller attachments (base64 makes them about a third larger), or raise the limit: \`Set-Mailbox -Identity ${facts.mailbox ?? 'MAILBOX'} -MaxSendSize 150MB\` (Exchange Online allows up to 150 MB; the default is 35 MB). On-premises, the EWS request limit (maxAllowedContentLength) applies too.`,
	}),
	ErrorQuotaExceeded: (facts) => ({
		message: `The mailbox ${facts.mailbox ?? 'MAILBOX'} is full (storage quota exceeded)`,
		fix: `Free space in the mailbox (empty Deleted Items and Recoverable Items, archive old mail) or raise its quota: \`Get-MailboxStatistics -Identity ${facts.mailbox ?? 'MAILBOX'} | Format-List TotalItemSize\` shows the size.`,
	}),
	ErrorInternalServerTransientError: {
		message: 'Exchange had a temporary internal error and did not recover within the retries',
		fix: 'Retry later. Calls that are safe to repeat were already retried; sends, copies and creates are not repeated, so check the mailbox before running them again.',
	},
	ErrorTimeoutExpired: {
		message: 'The operation took longer than Exchange allows',
		fix: 'Process fewer items per run (fewer IDs per call, smaller attachments) or retry later. Calls that are safe to repeat were already retried.',
	},
	ErrorInternalServerError: {
		message: 'Exchange failed with an internal server error',
		fix: 'Retry later; if it persists for one message or folder, that item may be damaged.',
	},
	EwsUnreadableAnswer: (facts) => ({
		message: `EWS server ${facts.server ?? 'HOST'} sent an answer that is not a valid EWS response`,
		fix: `Check that the EWS URL${facts.endpoint ? ` (${facts.endpoint})` : ''} points at Exchange itself (${EWS_ENDPOINT_FORM}), not at a proxy or portal. If it does, please report it.`,
	}),
	EwsDeadlineExceeded: (facts) => ({
		message: `EWS server ${facts.server ?? 'HOST'} did not finish its answer in time`,
		fix: `Retry later, process fewer items per run (large attachments take longest), and check any proxy between n8n and Exchange that may hold answers back. ${UNCLEAR_SEND}`,
	}),
	EwsAnswerTooLarge: (facts) => ({
		message: `EWS server ${facts.server ?? 'HOST'} sent an answer far larger than any EWS answer`,
		fix: `Check that the EWS URL${facts.endpoint ? ` (${facts.endpoint})` : ''} points at Exchange itself (${EWS_ENDPOINT_FORM}) and not at a proxy or a download.`,
	}),
	EwsError: (facts) => ({
		message: `The EWS call to ${facts.server ?? 'the EWS server'} failed`,
		fix: 'Retry; if it persists, please report it with the node settings (no credentials).',
	}),
};

/** Diagnosis for an answer that is not SOAP (or a SOAP answer with an unexpected status), by HTTP status. */
function diagnoseEwsHttp(status: number, facts: EwsFailureFacts): Diagnosis {
	const server = `EWS server ${facts.server ?? 'HOST'}`;
	const url = facts.endpoint ?? EWS_ENDPOINT_FORM;
	const code = `HTTP ${status}`;
	if (status === 200) {
		return {
			code: 'HTTP 200 not SOAP',
			message: `${server} answered with something that is not EWS`,
			fix: `The EWS URL ${url} must be Exchange's EWS endpoint (${EWS_ENDPOINT_FORM}); a login page, captive portal or proxy in between answers instead of Exchange.`,
		};
	}
	if (status >= 300 && status < 400) {
		let target = 'another address';
		try {
			if (facts.location) target = new URL(facts.location, url).host;
		} catch {
			// An unreadable Location: "another address" is all we can say.
		}
		return {
			code,
			message: `${server} redirected the request to ${target}`,
			fix: `The node does not follow redirects, so the token never leaves ${facts.server ?? 'the EWS server'}. Set the EWS URL to the final EWS endpoint (${EWS_ENDPOINT_FORM}); a redirect to a login page means a proxy or ADFS pre-authenticates EWS: publish EWS without pre-authentication for OAuth.`,
		};
	}
	switch (status) {
		case 400:
			return { code, message: `${server} refused the request as malformed`, fix: `Check that ${url} is an Exchange EWS endpoint (${EWS_ENDPOINT_FORM}) and that no proxy in between rewrites requests; if it is and none does, please report it with the node settings (no credentials).` };
		case 403:
			return {
				code,
				message: `${server} refused EWS access for this app`,
				fix: `${ewsRetirementFix(facts)} If only some mailboxes are refused, EWS may be off for them: \`Set-CASMailbox -Identity ${facts.mailbox ?? 'MAILBOX'} -EwsEnabled $true\`, and check any EWS application access policy (EwsApplicationAccessPolicy, EwsAllowList).`,
			};
		case 404:
			return { code, message: `${server} has no EWS endpoint at ${url}`, fix: `Check the EWS URL: it must have the form ${EWS_ENDPOINT_FORM} (for Exchange Online https://outlook.office365.com/EWS/Exchange.asmx). Pick the cloud in the credential, or fix "EWS URL" of a custom cloud.` };
		case 413:
			return { code, message: `${server} refused the request as too large`, fix: 'Send smaller attachments (base64 makes them about a third larger). Exchange Online accepts messages up to the mailbox\'s MaxSendSize (35 MB by default); on-premises, EWS limits request size in its web.config (maxAllowedContentLength), and proxies have limits of their own.' };
		case 429:
			return { code, message: `${server} is throttling this app (HTTP 429) and did not recover within the retries`, fix: 'Process fewer items per run or run less often; calls that are safe to repeat were already retried after the wait the server asked for.' };
		case 500:
			return { code: 'HTTP 500 not SOAP', message: `${server} failed with HTTP 500 and no EWS error`, fix: 'Exchange reports its errors as SOAP faults: a bare HTTP 500 comes from IIS, a proxy or a load balancer in front of it. Retry later; if it persists check that server\'s logs and the EWS URL.' };
		case 502:
		case 504:
			return { code, message: `A gateway or proxy in front of ${server} could not get an answer from Exchange`, fix: 'Retry later (calls that are safe to repeat were already retried); if it persists, check the proxy or load balancer between n8n and Exchange and the EWS URL.' };
		case 503:
			return { code, message: `${server} is unavailable or throttling (HTTP 503) and did not recover within the retries`, fix: 'Retry later or process fewer items per run.' };
	}
	return {
		code,
		message: `${server} answered HTTP ${status}`,
		fix: status >= 500 ? 'The server or a proxy in front of it failed: retry later and check its logs.' : `Check the EWS URL (${url}) and any proxy between n8n and Exchange.`,
	};
}

/** Diagnosis for a 401 from EWS, from its x-ms-diagnostics header. */
function diagnoseEws401(facts: EwsFailureFacts): Diagnosis {
	const diagnostics = facts.diagnostics ?? '';
	const server = `EWS server ${facts.server ?? 'HOST'}`;
	if (/invalid_lifetime|expired/i.test(diagnostics)) {
		return { code: 'HTTP 401 invalid_lifetime', message: `${server} refused the access token as expired, also after a fresh one was fetched`, fix: 'Reconnect a delegated credential; check the clock of the n8n server.' };
	}
	if (/invalid_resource|audience/i.test(diagnostics)) {
		return { code: 'HTTP 401 invalid_resource', message: `${server} refused a token that is for another resource`, fix: `Check the Cloud of the credential and, for a custom cloud, that Resource matches the EWS host (https://${facts.server ?? 'outlook.office365.com'}).` };
	}
	if (/invalid_grant|permission/i.test(diagnostics)) {
		return {
			code: 'HTTP 401 invalid_grant',
			message: `${server} refused the token: it does not carry the EWS permission`,
			fix: 'App-only: grant the application permission full_access_as_app (Office 365 Exchange Online) and click "Grant admin consent". Delegated: grant EWS.AccessAsUser.All and reconnect the credential.',
		};
	}
	return { code: 'HTTP 401', message: `${server} refused the access token`, fix: ewsRetirementFix(facts) };
}

/** Network and TLS failures of an EWS call, with the server named. */
function diagnoseEwsConnection(facts: EwsFailureFacts): Diagnosis | undefined {
	const error = { code: facts.code, message: facts.message ?? '' };
	const server = `EWS server ${facts.server ?? 'HOST'}`;
	const fix = `Check the EWS URL${facts.endpoint ? ` (${facts.endpoint})` : ''}, that outbound HTTPS (port 443) from n8n to that host is allowed, and any proxy in between; calls that are safe to repeat were already retried. ${UNCLEAR_SEND}`;
	const tls = diagnoseTlsError(error);
	if (tls) return { ...tls, message: `${server}: ${tls.message}` };
	const network = diagnoseNetworkError(error);
	if (network) return { ...network, message: `${server}: ${network.message}`, fix };
	if (!/^E[A-Z0-9_]+$/.test(facts.code)) return undefined;
	return { code: facts.code, message: `${server}: the connection failed`, fix };
}

/** Diagnosis for a normalised EWS failure: by HTTP status first, then the EWS ResponseCode, then the socket code. */
export function diagnoseEwsFailure(facts: EwsFailureFacts): Diagnosis | undefined {
	if (facts.code === 'HTTP401') return diagnoseEws401(facts);
	const status = /^HTTP(\d{3})$/.exec(facts.code)?.[1];
	if (status) return diagnoseEwsHttp(Number(status), facts);
	const known = EWS[facts.code];
	if (known) return { code: facts.code, ...(typeof known === 'function' ? known(facts) : known) };
	if (/^Error[A-Z]\w+$/.test(facts.code)) {
		return {
			code: facts.code,
			message: `Exchange refused the request (${facts.code})`,
			fix: `Look ${facts.code} up in Microsoft's EWS ResponseCode list (https://learn.microsoft.com/en-us/exchange/client-developer/web-service-reference/responsecode); the server's text below says what it refers to.`,
		};
	}
	return diagnoseEwsConnection(facts);
}

/** One catalogue per mail API: its failure codes → message + fix. */
export interface MailCatalogue {
	api: MailApi;
	diagnose(failure: MailFailureFacts): Diagnosis | undefined;
}

/** What a mail API failure (MailFailure of mail/store.ts) carries for its message. */
export type MailFailureFacts = EwsFailureFacts & { api?: MailApi };

/**
 * The mail API catalogues, keyed on the API's own code. A failure is looked up in its API's
 * catalogue first, then in the others in this order (EWS, then Graph): Graph answers some EWS
 * codes too (ErrorItemNotFound, ErrorAccessDenied, …). A failure without an API is EWS's (0.1).
 */
export const MAIL_CATALOGUES: MailCatalogue[] = [
	{ api: 'ews', diagnose: diagnoseEwsFailure },
	// Lazy: graphCatalogue.ts imports this file's Entra, TLS and network catalogues.
	{ api: 'graph', diagnose: (failure) => diagnoseGraphFailure(failure) },
];

export function diagnoseMailFailure(failure: MailFailureFacts): Diagnosis | undefined {
	const api = failure.api ?? 'ews';
	const ordered = [...MAIL_CATALOGUES.filter((catalogue) => catalogue.api === api), ...MAIL_CATALOGUES.filter((catalogue) => catalogue.api !== api)];
	for (const catalogue of ordered) {
		const diagnosis = catalogue.diagnose(failure);
		if (diagnosis) return diagnosis;
	}
	return undefined;
}
