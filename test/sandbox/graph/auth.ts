// Who calls and what it may do, as Microsoft Graph decides it: the bearer token (signature, lifetime, issuer,
// audience = the Graph resource), app-only `roles` vs delegated `scp`, /me only for delegated tokens, and the
// mailbox scope of an app (RBAC for Applications / application access policy) or a user's FullAccess.
// Every token rule lives here, so a change in what Entra mints only touches this file.
import type { Entra } from '../entra';
import { stableGuid } from '../entra';
import { TokenVerificationError } from '../tokens';
import type { RegisteredApp, SandboxUser } from '../types';
import { errors, GraphError } from './errors';

/** The Microsoft Graph resource principal. */
export const GRAPH_APP_ID = '00000003-0000-0000-c000-000000000000';
/** Audiences Graph (global cloud) accepts: its URL and its app id. */
export const GRAPH_AUDIENCES = ['https://graph.microsoft.com', GRAPH_APP_ID];

export type Permission = 'read' | 'write' | 'send';

export interface GraphPrincipal {
	kind: 'app' | 'user';
	clientId: string;
	app?: RegisteredApp;
	upn?: string;
	user?: SandboxUser;
	roles: string[];
	scopes: string[];
}

/** Which mailboxes an app may reach: '*' (an unscoped grant) or a list; how the scope is enforced picks the error text. */
export interface AppScope {
	mailboxes: '*' | string[];
	via: 'rbac' | 'accessPolicy';
}

const ROLE_FOR: Record<Permission, string[]> = {
	read: ['Mail.Read', 'Mail.ReadWrite'],
	write: ['Mail.ReadWrite'],
	send: ['Mail.Send'],
};
const SHARED_SCOPE_FOR: Record<Permission, string[]> = {
	read: ['Mail.Read.Shared', 'Mail.ReadWrite.Shared'],
	write: ['Mail.ReadWrite.Shared'],
	send: ['Mail.Send.Shared'],
};

const unauthenticated = (message: string) =>
	new GraphError(401, 'InvalidAuthenticationToken', message, {
		'WWW-Authenticate': `Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", client_id="${GRAPH_APP_ID}"`,
	});

const normalizeAudience = (aud: string) => aud.trim().replace(/\/+$/, '').toLowerCase();

/** The caller of a request, or a 401 GraphError. */
export function authenticate(entra: Entra, authorization: string | undefined, audiences: string[] = GRAPH_AUDIENCES): GraphPrincipal {
	const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
	if (!match) throw unauthenticated('Access token is empty.');
	let claims: Record<string, unknown>;
	try {
		claims = entra.signingKey.verify(match[1]);
	} catch (error) {
		if (error instanceof TokenVerificationError) throw unauthenticated(error.reason === 'malformed' ? 'IDX14100: JWT is not well formed.' : 'Access token validation failure.');
		throw error;
	}
	const now = Math.floor(Date.now() / 1000);
	if (typeof claims.exp !== 'number' || claims.exp <= now) throw unauthenticated('Lifetime validation failed, the token is expired.');
	if (typeof claims.nbf === 'number' && claims.nbf > now) throw unauthenticated('Lifetime validation failed, the token is not yet valid.');
	if (claims.iss !== `https://sts.windows.net/${String(claims.tid)}/`) throw unauthenticated('Access token validation failure. Invalid issuer.');
	if (typeof claims.aud !== 'string' || !audiences.map(normalizeAudience).includes(normalizeAudience(claims.aud))) {
		throw unauthenticated('Access token validation failure. Invalid audience.');
	}
	const upn = typeof claims.upn === 'string' ? claims.upn.toLowerCase() : undefined;
	const isUser = claims.idtyp === 'user' || upn !== undefined;
	const clientId = String(claims.appid ?? '');
	return {
		kind: isUser ? 'user' : 'app',
		clientId,
		app: entra.findApp(clientId),
		upn,
		user: upn ? entra.findUser(upn) : undefined,
		roles: Array.isArray(claims.roles) ? claims.roles.map(String) : [],
		scopes: typeof claims.scp === 'string' ? claims.scp.split(/\s+/).filter(Boolean) : [],
	};
}

/** The mailbox `/me` or `/users/{segment}` names, or Graph's error for it. */
export function resolveMailbox(principal: GraphPrincipal, segment: 'me' | { user: string }, mailboxes: string[]): string {
	if (segment === 'me') {
		if (principal.kind === 'app') throw errors.meWithAppToken();
		if (!principal.upn || !mailboxes.includes(principal.upn)) throw errors.restDisabled();
		return principal.upn;
	}
	const wanted = segment.user.toLowerCase();
	const found = mailboxes.find((smtp) => smtp === wanted || stableGuid(`user:${smtp}`) === wanted);
	if (!found) throw errors.invalidUser(segment.user);
	return found;
}

/** The object id Graph shows for a mailbox's user (as Entra's tokens name it). */
export const objectIdOf = (smtp: string) => stableGuid(`user:${smtp.toLowerCase()}`);

/** Throws Graph's 403 unless the caller holds `permission` on `mailbox`. */
export function authorize(principal: GraphPrincipal, mailbox: string, permission: Permission, appScope: AppScope): void {
	if (principal.kind === 'app') {
		if (!ROLE_FOR[permission].some((role) => principal.roles.includes(role))) throw errors.accessDenied();
		const inScope = appScope.mailboxes === '*' || appScope.mailboxes.map((smtp) => smtp.toLowerCase()).includes(mailbox);
		if (!inScope) throw appScope.via === 'accessPolicy' ? errors.policyDenied() : errors.accessDenied();
		return;
	}
	if (mailbox === principal.upn) {
		if (!ROLE_FOR[permission].some((scope) => principal.scopes.includes(scope))) throw errors.accessDenied();
		return;
	}
	const fullAccess = (principal.user?.sendAs ?? []).some((smtp) => smtp.toLowerCase() === mailbox);
	if (!fullAccess || !SHARED_SCOPE_FOR[permission].some((scope) => principal.scopes.includes(scope))) throw errors.accessDenied();
}

/** Whether the caller may put `address` in From when sending from `mailbox` (Send As). */
export function maySendAs(principal: GraphPrincipal, mailbox: string, address: string): boolean {
	const wanted = address.toLowerCase();
	if (wanted === mailbox) return true;
	const granted = principal.kind === 'app' ? [] : (principal.user?.sendAs ?? []);
	return granted.some((smtp) => smtp.toLowerCase() === wanted);
}
