// Exchange Online's EWS authentication: Bearer tokens checked like EXO (401 + x-ms-diagnostics), then the
// impersonation rules for app-only vs delegated tokens and the mailbox access scope (RBAC for Applications / FullAccess).
import type { Entra } from '../entra';
import { TokenVerificationError } from '../tokens';
import type { AccessTokenClaims, RegisteredApp, SandboxUser } from '../types';
import type { MailboxStore } from './store';
import { child, children, text, type Element, local } from './xml';

/** The Office 365 Exchange Online resource principal. */
const EXCHANGE_APP_ID = '00000002-0000-0ff1-ce00-000000000000';

export interface Principal {
	kind: 'app' | 'user';
	clientId: string;
	app?: RegisteredApp;
	upn?: string;
	user?: SandboxUser;
}

export type HttpAuthResult = { ok: true; principal: Principal } | { ok: false; status: 401; headers: Record<string, string>; reason: string };

export class SoapAuthError extends Error {
	constructor(
		readonly code: string,
		message: string,
	) {
		super(message);
	}
}

export function wwwAuthenticate(origin: string, tokenPresented: boolean): string {
	return [
		`Bearer client_id="${EXCHANGE_APP_ID}"`,
		'trusted_issuers="00000001-0000-0000-c000-000000000000@*"',
		'token_types="app_asserted_user_v1 service_asserted_app_v1"',
		`authorization_uri="${origin}/common/oauth2/authorize"`,
		...(tokenPresented ? ['error="invalid_token"'] : []),
	].join(', ');
}

/** The x-ms-diagnostics values EXO sends with a 401. */
export const DIAGNOSTICS = {
	expired: '2000008;reason="The token has expired.";error_category="invalid_lifetime"',
	signature: '2000001;reason="The token has an invalid signature.";error_category="invalid_signature"',
	malformed: '2000001;reason="The token is malformed.";error_category="invalid_token"',
	issuer: '2000001;reason="The issuer claim value is invalid for current resource.";error_category="invalid_issuer"',
	audience:
		'2000003;reason="The audience claim value is invalid for current resource. Audience claim is \'{aud}\', request url is \'{url}\'.";error_category="invalid_resource"',
	permission:
		'2000008;reason="The token should have valid permissions or linked account associated with partner application \'{appid}\'.";error_category="invalid_grant"',
} as const;

export async function authenticateHttp(
	entra: Entra,
	authorization: string | undefined,
	requestUrl: string,
): Promise<HttpAuthResult> {
	const fail = (diagnostics: string | undefined, reason: string, tokenPresented = true): HttpAuthResult => ({
		ok: false,
		status: 401,
		reason,
		headers: {
			'WWW-Authenticate': wwwAuthenticate(entra.origin, tokenPresented),
			...(diagnostics ? { 'x-ms-diagnostics': diagnostics } : {}),
		},
	});
	const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
	if (!match) return fail(undefined, 'no bearer token', false);

	let claims: AccessTokenClaims;
	try {
		claims = await entra.verifyToken(match[1]);
	} catch (error) {
		if (!(error instanceof TokenVerificationError)) throw error;
		switch (error.reason) {
			case 'expired':
			case 'not_yet_valid':
				return fail(DIAGNOSTICS.expired, 'expired');
			case 'audience': {
				const aud = audienceOf(match[1]);
				return fail(DIAGNOSTICS.audience.replace('{aud}', aud).replace('{url}', requestUrl), 'audience');
			}
			case 'issuer':
				return fail(DIAGNOSTICS.issuer, 'issuer');
			case 'malformed':
				return fail(DIAGNOSTICS.malformed, 'malformed');
			default:
				return fail(DIAGNOSTICS.signature, 'signature');
		}
	}

	const isUser = claims.idtyp === 'user' || typeof claims.upn === 'string';
	const permitted = isUser
		? (claims.scp ?? '').split(/\s+/).includes('EWS.AccessAsUser.All')
		: (claims.roles ?? []).includes('full_access_as_app');
	if (!permitted) return fail(DIAGNOSTICS.permission.replace('{appid}', claims.appid), 'permission');

	const upn = typeof claims.upn === 'string' ? claims.upn.toLowerCase() : undefined;
	return {
		ok: true,
		principal: {
			kind: isUser ? 'user' : 'app',
			clientId: claims.appid,
			app: entra.findApp(claims.appid),
			upn,
			user: upn ? entra.findUser(upn) : undefined,
		},
	};
}

/** Reads the claimed audience without trusting it (only for the diagnostics text). */
function audienceOf(token: string): string {
	try {
		const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { aud?: unknown };
		return typeof payload.aud === 'string' ? payload.aud : '';
	} catch {
		return '';
	}
}

/** The mailbox an ExchangeImpersonation header names (PrimarySmtpAddress / SmtpAddress / PrincipalName). */
export function impersonationTarget(header: Element | undefined): string | undefined {
	const sid = child(header, 'ConnectingSID');
	const value = children(sid).find((element) => ['PrimarySmtpAddress', 'SmtpAddress', 'PrincipalName'].includes(local(element)));
	return text(value)?.trim().toLowerCase() || undefined;
}

/**
 * Applies EXO's rules for the impersonation header and returns the caller's default mailbox.
 * Throws SoapAuthError, which the server answers as a SOAP fault (HTTP 500) like EXO.
 */
export function resolveDefaultMailbox(principal: Principal, header: Element | undefined, store: MailboxStore): string {
	const target = impersonationTarget(header);
	if (principal.kind === 'app') {
		if (!header) {
			throw new SoapAuthError(
				'ErrorInvalidExchangeImpersonationHeaderData',
				'ExchangeImpersonation SOAP header must be present for this type of OAuth token.',
			);
		}
		if (!target) throw new SoapAuthError('ErrorInvalidExchangeImpersonationHeaderData', 'The impersonation header does not name a mailbox.');
		if (!store.mailbox(target)) throw new SoapAuthError('ErrorNonExistentMailbox', `The SMTP address has no mailbox associated with it.`);
		if (!canAccess(principal, target)) {
			throw new SoapAuthError('ErrorImpersonateUserDenied', 'The account does not have permission to impersonate the requested user.');
		}
		return target;
	}
	if (header) {
		throw new SoapAuthError(
			'ErrorInvalidExchangeImpersonationHeaderData',
			'ExchangeImpersonation SOAP header is not allowed for this type of OAuth token (delegated access).',
		);
	}
	const upn = principal.upn ?? '';
	if (!store.mailbox(upn)) throw new SoapAuthError('ErrorNonExistentMailbox', 'The SMTP address has no mailbox associated with it.');
	return upn;
}

/** App: the app's scope (RegisteredApp.sendAs, '*' = all). User: own mailbox or FullAccess (SandboxUser.sendAs). */
export function canAccess(principal: Principal, mailbox: string): boolean {
	const wanted = mailbox.toLowerCase();
	if (principal.kind === 'app') {
		const scope = (principal.app?.sendAs ?? []).map((entry) => entry.toLowerCase());
		return scope.includes('*') || scope.includes(wanted);
	}
	if (principal.upn === wanted) return true;
	return (principal.user?.sendAs ?? []).some((entry) => entry.toLowerCase() === wanted);
}

export const exchangeImpersonationOf = (headerChildren: Element[]) => headerChildren.find((element) => local(element) === 'ExchangeImpersonation');
