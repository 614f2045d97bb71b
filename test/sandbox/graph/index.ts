// Microsoft Graph v1.0 stand-in (graph.microsoft.com/v1.0) for mail, on the sandbox's HTTPS server and over the
// same MailboxStore as the EWS stand-in, so one message is visible to both protocols.
// Order per request, as on Graph: fault injection → bearer token (401) → route (400/405) → mailbox (/me only for
// delegated tokens; unknown users) → roles/scopes and the app's mailbox scope (403) → Outlook's 4 concurrent requests
// per app and mailbox (429) → latency → the operation.
import { randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Entra } from '../entra';
import type { MailboxStore } from '../ews/store';
import { readBody } from '../routes';
import type { RouteRegistry } from '../types';
import { authenticate, authorize, GRAPH_AUDIENCES, objectIdOf, resolveMailbox, type AppScope, type GraphPrincipal } from './auth';
import { runBatch } from './batch';
import type { DeltaExpiry, GraphContext, GraphReply, GraphRequest, Route, UploadSession } from './context';
import { errorBody, errors, GraphError } from './errors';
import { GraphFaultQueue, type GraphFault, type GraphFaultOptions } from './faults';
import { deltaRoutes } from './delta';
import { attachmentRoutes, handleUpload } from './ops-attachments';
import { folderRoutes } from './ops-folders';
import { idRoutes } from './ops-ids';
import { messageRoutes } from './ops-messages';
import { sendRoutes } from './ops-send';

export { GRAPH_AUDIENCES, GRAPH_APP_ID, type AppScope } from './auth';
export type { GraphFault, GraphFaultOptions } from './faults';
export { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from './query';
export { DELTA_DEFAULT_PAGE_SIZE, DELTA_FILTER_LIMIT, DELTA_MAX_PAGE_SIZE, DELTA_TOKEN_CACHE } from './delta';
export type { DeltaExpiry } from './context';
export { MAX_BATCH_REQUESTS } from './batch';
export { MAX_POST_ATTACHMENT_BYTES, MAX_UPLOAD_CHUNK_BYTES } from './ops-attachments';
export const UPLOAD_PATH = '/graph-upload';
/** Outlook's concurrent requests per app and mailbox; one more answers 429 ApplicationThrottled (MailboxConcurrency). */
export const MAILBOX_CONCURRENCY_LIMIT = 4;

export const GRAPH_PATH = '/v1.0';
/** Largest request body (sendMail with a 35 MB message, base64-inflated). */
const MAX_BODY_BYTES = 50 * 1024 * 1024;

// Delta before the message routes: /mailFolders/{id}/messages/delta would match /mailFolders/{id}/messages/{id}.
/** OData system query options Graph's mail endpoints know (others are refused, not ignored). */
const SYSTEM_QUERY_OPTIONS = new Set(['$select', '$filter', '$orderby', '$top', '$skip', '$search', '$expand', '$count', '$skiptoken', '$deltatoken', '$format']);
const ROUTES: Route[] = [...deltaRoutes, ...folderRoutes, ...messageRoutes, ...sendRoutes, ...attachmentRoutes, ...idRoutes];

export interface GraphRequestRecord {
	/** 'GET /messages/{id}', 'POST $batch', 'PUT upload' … (what counts() groups by). */
	endpoint: string;
	method: string;
	path: string;
	/** The query string as sent (decoded), '' when none. */
	query?: string;
	mailbox?: string;
	/** Part of a $batch (the batch itself is recorded too). */
	inBatch: boolean;
	status: number; // 0 = connection dropped
	/** Graph error code of a failed request. */
	code?: string;
	fault?: GraphFault;
	at: Date;
}

export interface GraphConfig {
	entra: Entra;
	origin: string;
	store: MailboxStore;
	log: (line: string) => void;
	/** Token audiences accepted; default the global Graph resource (GRAPH_AUDIENCES). */
	audiences?: string[];
}

const safeDecode = (segment: string) => {
	try {
		return decodeURIComponent(segment);
	} catch {
		return segment;
	}
};
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class GraphService {
	/** 'https://host:port/v1.0' */
	readonly url: string;
	readonly store: MailboxStore;
	readonly requests: GraphRequestRecord[] = [];
	private readonly faults = new GraphFaultQueue();
	private latencyMs = 0;
	private readonly appScopes = new Map<string, AppScope>();
	private readonly restDisabled = new Set<string>();
	private readonly inFlight = new Map<string, number>();
	/** Most requests that were in flight at once per mailbox (bench: proof of the transport's concurrency cap). */
	readonly peakConcurrency = new Map<string, number>();
	readonly uploadSessions = new Map<string, UploadSession>();
	readonly deltaTokens = new Map<string, unknown>();
	private deltaExpiry: DeltaExpiry = 'syncStateNotFound';

	constructor(private readonly config: GraphConfig) {
		this.url = `${config.origin}${GRAPH_PATH}`;
		this.store = config.store;
	}

	register(router: RouteRegistry): void {
		router.addRoute('*', /^\/v1\.0\/.*$/i, (req, res) => this.handleHttp(req, res));
		// Upload sessions' URLs (outlook.office.com on the real service): pre-authenticated, no bearer token.
		router.addRoute('*', /^\/graph-upload\/([A-Za-z0-9_-]+)$/, (req, res, { params }) => {
			const record: GraphRequestRecord = { endpoint: `${req.method ?? 'PUT'} upload`, method: req.method ?? 'PUT', path: UPLOAD_PATH, inBatch: false, status: 0, at: new Date() };
			this.requests.push(record);
			res.on('finish', () => (record.status = res.statusCode));
			return handleUpload(req, res, params[0], this.uploadSessions, this.store);
		});
	}

	/** Requests per endpoint ('GET /messages/{id}' …), batch members included (the bench counts HTTP requests with httpCounts()). */
	counts(): Record<string, number> {
		const counts: Record<string, number> = {};
		for (const request of this.requests) counts[request.endpoint] = (counts[request.endpoint] ?? 0) + 1;
		return counts;
	}

	/** HTTP requests per endpoint (a $batch counts once, its members not). */
	httpCounts(): Record<string, number> {
		const counts: Record<string, number> = {};
		for (const request of this.requests) if (!request.inBatch) counts[request.endpoint] = (counts[request.endpoint] ?? 0) + 1;
		return counts;
	}

	failNext(fault: GraphFault, count = 1, options: GraphFaultOptions = {}): void {
		this.faults.add(fault, count, options);
	}

	setLatency(ms: number): void {
		this.latencyMs = ms;
	}

	/**
	 * The mailboxes an app may reach with its application permissions. Default: the app's `sendAs` list as an
	 * RBAC for Applications scope ('*' = an unscoped grant), the same scope the EWS stand-in applies.
	 */
	setAppScope(clientId: string, scope: AppScope | undefined): void {
		if (scope) this.appScopes.set(clientId.toLowerCase(), scope);
		else this.appScopes.delete(clientId.toLowerCase());
	}

	/** The mailbox answers MailboxNotEnabledForRESTAPI (inactive, soft-deleted or on-premises). */
	disableRest(mailbox: string, disabled = true): void {
		if (disabled) this.restDisabled.add(mailbox.toLowerCase());
		else this.restDisabled.delete(mailbox.toLowerCase());
	}

	/**
	 * Every delta token issued so far expires. The next use answers in the given documented form:
	 * 410 syncStateNotFound (the default), 410 resyncRequired, or a bare 410 Gone whose Location is
	 * the initial request with an empty $deltatoken ("synchronization reset").
	 */
	expireDeltaTokens(form: DeltaExpiry = 'syncStateNotFound'): void {
		this.deltaTokens.clear();
		this.deltaExpiry = form;
	}

	clearRequests(): void {
		this.requests.length = 0;
	}

	/** Clears requests, queued faults, latency and peak concurrency (the store, scopes and tokens are kept). */
	reset(): void {
		this.clearRequests();
		this.peakConcurrency.clear();
		this.faults.clear();
		this.latencyMs = 0;
	}

	private async handleHttp(req: IncomingMessage, res: ServerResponse): Promise<void> {
		const url = new URL(req.url ?? '/', 'https://graph.invalid');
		const headers = Object.fromEntries(Object.entries(req.headers).map(([name, value]) => [name.toLowerCase(), Array.isArray(value) ? value.join(', ') : (value ?? '')]));
		let body: Buffer;
		try {
			body = await readBody(req, MAX_BODY_BYTES);
		} catch {
			return this.write(res, { status: 413, json: errorBody('RequestEntityTooLarge', `The request body is larger than ${MAX_BODY_BYTES} bytes.`) });
		}
		// Kept percent-encoded: an id with an encoded '/' (an EWS id) is one segment, decoded after routing.
		const path = url.pathname.slice(GRAPH_PATH.length) || '/';
		const request: GraphRequest = { method: req.method ?? 'GET', path, query: url.searchParams, headers, body };
		const reply = await this.execute(request, false, () => req.socket.destroy());
		if (reply) this.write(res, reply);
	}

	private write(res: ServerResponse, reply: GraphReply): void {
		const requestId = randomUUID();
		const payload = reply.raw ?? (reply.json === undefined ? Buffer.alloc(0) : Buffer.from(JSON.stringify(reply.json)));
		res.writeHead(reply.status, {
			...(reply.json !== undefined ? { 'Content-Type': 'application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8' } : {}),
			'Content-Length': payload.length,
			'Cache-Control': 'no-cache',
			'request-id': requestId,
			'client-request-id': requestId,
			'OData-Version': '4.0',
			...reply.headers,
		});
		if (reply.cutAfter === undefined) res.end(payload);
		else res.write(payload.subarray(0, reply.cutAfter), () => res.socket?.destroy());
	}

	/**
	 * One Graph request, over HTTP or as a member of a $batch. Undefined when the connection was dropped.
	 * `drop` destroys the HTTP connection (never called for batch members).
	 */
	async execute(original: GraphRequest, inBatch: boolean, drop?: () => void): Promise<GraphReply | undefined> {
		// System query option names are case-insensitive on Graph ($orderBy = $orderby).
		const query = new URLSearchParams([...original.query].map(([name, value]): [string, string] => [name.startsWith('$') ? name.toLowerCase() : name, value]));
		const request: GraphRequest = { ...original, query };
		const record: GraphRequestRecord = { endpoint: 'unknown', method: request.method, path: request.path, query: decodeURIComponent(request.query.toString().replace(/\+/g, ' ')), inBatch, status: 0, at: new Date() };
		this.requests.push(record);
		let cut = false;
		const finish = (reply: GraphReply) => {
			record.status = reply.status;
			if (cut) reply.cutAfter = Math.floor((reply.raw?.length ?? (reply.json === undefined ? 0 : Buffer.byteLength(JSON.stringify(reply.json)))) / 2);
			const code = (reply.json as { error?: { code?: string } } | undefined)?.error?.code;
			if (code !== undefined) record.code = code;
			return reply;
		};
		try {
			const isBatch = request.path.toLowerCase() === '/$batch';
			const matched = isBatch ? undefined : this.match(request);
			record.endpoint = isBatch ? `${request.method} $batch` : matched ? matched.route.endpoint : `${request.method} ${request.path}`;

			const fault = this.faults.take(record.endpoint, inBatch);
			if (fault) {
				record.fault = fault.fault;
				if (fault.kind === 'drop') {
					drop?.();
					return undefined;
				}
				if (fault.kind === 'delay') await sleep(fault.ms);
				else if (fault.kind === 'cut') cut = true;
				else return finish({ status: fault.status, headers: fault.headers, json: fault.body });
			}
			const principal = authenticate(this.config.entra, request.headers.authorization, this.config.audiences ?? GRAPH_AUDIENCES);
			if (isBatch) {
				if (inBatch) throw errors.badQuery('A $batch cannot contain another $batch.');
				if (request.method !== 'POST') throw errors.methodNotAllowed();
				if (this.latencyMs > 0) await sleep(this.latencyMs);
				return finish(await runBatch(this, request));
			}
			if (!matched) throw errors.resourceNotFound(request.path.split('/').filter(Boolean).slice(-1)[0] ?? '');
			if (matched.methodMismatch) throw errors.methodNotAllowed();
			const unknownOption = [...request.query.keys()].find((name) => name.startsWith('$') && !SYSTEM_QUERY_OPTIONS.has(name.toLowerCase()));
			if (unknownOption) throw errors.badQuery(`The query parameter '${unknownOption}' is not supported.`);
			const ctx = this.context(principal, request, matched.mailboxSegment);
			record.mailbox = ctx.mailbox;
			authorize(principal, ctx.mailbox, matched.route.permission, this.scopeOf(principal));
			const slot = `${principal.clientId.toLowerCase()}|${ctx.mailbox}`;
			const running = this.inFlight.get(slot) ?? 0;
			if (running >= MAILBOX_CONCURRENCY_LIMIT) {
				throw new GraphError(429, 'ApplicationThrottled', 'Application is over its MailboxConcurrency limit.', { 'Retry-After': '1' });
			}
			this.inFlight.set(slot, running + 1);
			this.peakConcurrency.set(ctx.mailbox, Math.max(this.peakConcurrency.get(ctx.mailbox) ?? 0, running + 1));
			try {
				if (this.latencyMs > 0 && !inBatch) await sleep(this.latencyMs);
				return finish(await matched.route.handler(ctx, matched.params));
			} finally {
				this.inFlight.set(slot, (this.inFlight.get(slot) ?? 1) - 1);
			}
		} catch (error) {
			if (!(error instanceof GraphError)) {
				this.config.log(`graph: ${request.method} ${request.path} failed inside the sandbox: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
				return finish({ status: 500, json: errorBody('generalException', 'An unexpected error occurred in the sandbox.') });
			}
			return finish({ status: error.status, headers: error.headers, json: error.bare ? undefined : errorBody(error.code, error.message) });
		}
	}

	private match(request: GraphRequest) {
		const prefix = /^\/(me)(\/.*)?$/i.exec(request.path) ?? /^\/users\/([^/]+)(\/.*)?$/i.exec(request.path);
		if (!prefix) return undefined;
		const mailboxSegment: 'me' | { user: string } = prefix[0].toLowerCase().startsWith('/me') ? 'me' : { user: safeDecode(prefix[1]).replace(/^'|'$/g, '') };
		const rest = (prefix[2] ?? '').replace(/\/+$/, '');
		let methodMismatch: Route | undefined;
		for (const candidate of ROUTES) {
			const params = candidate.pattern.exec(rest);
			if (!params) continue;
			if (candidate.method !== request.method.toUpperCase()) {
				methodMismatch ??= candidate;
				continue;
			}
			return { route: candidate, params: params.slice(1).map(safeDecode), mailboxSegment, methodMismatch: false };
		}
		return methodMismatch ? { route: methodMismatch, params: [], mailboxSegment, methodMismatch: true } : undefined;
	}

	private context(principal: GraphPrincipal, request: GraphRequest, segment: 'me' | { user: string }): GraphContext {
		const mailbox = resolveMailbox(principal, segment, this.store.listMailboxes().map((box) => box.smtp));
		if (this.restDisabled.has(mailbox)) throw errors.restDisabled();
		const prefer = (request.headers.prefer ?? '').toLowerCase();
		return {
			store: this.store,
			principal,
			mailbox,
			request,
			base: this.url,
			prefix: segment === 'me' ? '/me' : `/users/${segment.user}`,
			contextRoot: `${this.url}/$metadata#users('${objectIdOf(mailbox)}')`,
			shape: { immutableIds: /idtype\s*=\s*"?immutableid"?/.test(prefer), textBody: /outlook\.body-content-type\s*=\s*"?text"?/.test(prefer) },
			service: {
				uploadUrl: (id) => `${this.config.origin}${UPLOAD_PATH}/${id}`,
				createUploadSession: (session) => {
					const id = randomBytes(24).toString('base64url');
					this.uploadSessions.set(id, session);
					return id;
				},
				deltaTokens: this.deltaTokens,
				deltaExpiry: () => this.deltaExpiry,
			},
		};
	}

	private scopeOf(principal: GraphPrincipal): AppScope {
		const configured = this.appScopes.get(principal.clientId.toLowerCase());
		if (configured) return configured;
		const sendAs = principal.app?.sendAs ?? [];
		return { mailboxes: sendAs.includes('*') ? '*' : sendAs, via: 'rbac' };
	}
}
