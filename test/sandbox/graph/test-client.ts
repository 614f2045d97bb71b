// Helpers for the Graph stand-in's own tests: tokens as Entra mints them for Graph, and JSON calls over HTTPS.
import { DEMO, type Sandbox } from '../index';
import { httpsCall, type HttpsReply } from '../test-helpers';

export const GRAPH_RESOURCE = 'https://graph.microsoft.com';

/** App-only Graph token (roles as the app's admin-consented Graph permissions). */
export const graphAppToken = (sandbox: Sandbox, roles: string[] = ['Mail.ReadWrite', 'Mail.Send'], lifetimeSeconds?: number) =>
	sandbox.entra.issueToken({ tenantId: DEMO.tenantId, clientId: DEMO.appOnlyClientId, roles, audience: GRAPH_RESOURCE, lifetimeSeconds });

/** Delegated Graph token for the demo user. */
export const graphUserToken = (sandbox: Sandbox, scp = 'Mail.ReadWrite Mail.Send Mail.ReadWrite.Shared Mail.Send.Shared', upn: string = DEMO.user) =>
	sandbox.entra.issueToken({ tenantId: DEMO.tenantId, clientId: DEMO.delegatedClientId, scp, upn, audience: GRAPH_RESOURCE });

export interface GraphCallOptions {
	token?: string | null;
	body?: unknown;
	/** Sent as is (no JSON encoding). */
	rawBody?: string;
	headers?: Record<string, string>;
}

export type GraphClient = (method: string, pathOrUrl: string, options?: GraphCallOptions) => Promise<HttpsReply>;

/** A caller bound to one token (app-only by default); paths are relative to /v1.0 or full URLs (nextLink). */
export function graphClient(sandbox: Sandbox, defaultToken: () => string = () => graphAppToken(sandbox)): GraphClient {
	return (method, pathOrUrl, options = {}) => {
		const url = /^https:/.test(pathOrUrl) ? pathOrUrl : `${sandbox.graphUrl}${pathOrUrl}`;
		const token = options.token === undefined ? defaultToken() : options.token;
		const headers: Record<string, string> = { ...(token ? { Authorization: `Bearer ${token}` } : {}), ...options.headers };
		let body = options.rawBody;
		if (options.body !== undefined) {
			body = JSON.stringify(options.body);
			headers['Content-Type'] ??= 'application/json';
		}
		return httpsCall(url, sandbox.ca, { method, headers, body });
	};
}

/** Graph's error code of a reply. */
export const errorCode = (reply: HttpsReply) => reply.json<{ error?: { code?: string } }>().error?.code;

export const SHARED = `/users/${DEMO.sharedMailbox}`;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = Record<string, any>;

