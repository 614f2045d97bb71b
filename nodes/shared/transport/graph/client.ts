import https from 'https';
import { Readable, Transform } from 'node:stream';
import { sleep } from 'n8n-workflow';

import type { ExchangeAuth } from '../../auth/exchangeAuth';
import { readTokenClaims } from '../../auth/tokenClaims';
import { findEntraCode } from '../../errors/catalogue';
import { StepError } from '../../errors/nodeErrors';
import { MailError, type MailFailure } from '../../mail/store';
import { backOffDelay, type RetryOptions } from '../retry';
import { tlsOptionsFor } from '../tls';
import { deadlineFailure, failureFromAnswer, failureFromSocket, graphFailure, isRetryable } from './errors';

/** maxConcurrencyPerMailbox: Outlook allows four concurrent requests per app and mailbox. */
export interface GraphClientOptions extends RetryOptions {
	/** The credential's Graph endpoint with its version, e.g. https://graph.microsoft.com/v1.0. */
	graphUrl: string;
}

export interface CallOptions {
	/** Whether repeating the call after an unclear failure is harmless (reads, moves by immutable id, flag updates). Sends never are. */
	idempotent: boolean;
}

export type GraphBody = { json: unknown } | { raw: Buffer | string; contentType: string };

export interface GraphRequest {
	method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
	/** A path below the Graph URL ("/users/x%40y/messages"), or a nextLink / deltaLink Graph gave (checked: Graph's host only). */
	url: string;
	body?: GraphBody;
	/** Extra headers; a Prefer value is added to the ImmutableId preference. */
	headers?: Record<string, string>;
	/** How a 2xx answer is read: JSON (the default), the bytes (a `$value`), or the bytes as they arrive (see GraphClient.stream). */
	expect?: 'json' | 'bytes' | 'stream';
}

export interface GraphAnswer<T = unknown> {
	status: number;
	headers: Record<string, string>;
	body: T;
}

/** Longest time for one whole request, answer included. */
export const DEFAULT_GRAPH_DEADLINE_MS = 300_000;
/** An answer can be a 150 MB message as MIME; a stream past this is not Graph. */
const MAX_ANSWER_BYTES = 256 * 1024 * 1024;
/** Graph ids survive a move only with this preference, and it applies only to the request it is sent with. */
export const IMMUTABLE_ID_PREFERENCE = 'IdType="ImmutableId"';

/** Per-mailbox request slots: at most `limit` requests in flight per mailbox from this client, the rest wait in line. */
class MailboxSlots {
	private readonly active = new Map<string, number>();

	private readonly waiting = new Map<string, Array<() => void>>();

	constructor(private readonly limit: number) {}

	async acquire(mailbox: string): Promise<() => void> {
		const key = mailbox.toLowerCase();
		if ((this.active.get(key) ?? 0) >= this.limit) {
			await new Promise<void>((resolve) => {
				const line = this.waiting.get(key) ?? [];
				line.push(resolve);
				this.waiting.set(key, line);
			});
		}
		this.active.set(key, (this.active.get(key) ?? 0) + 1);
		return () => {
			this.active.set(key, (this.active.get(key) ?? 1) - 1);
			this.waiting.get(key)?.shift()?.();
		};
	}
}

/**
 * Every Graph call of an execution goes through here: JSON over HTTPS to the credential's Graph
 * URL with the credential's TLS settings, the token only ever sent to that host (a link or redirect
 * to any other host is refused, never followed), `Prefer: IdType="ImmutableId"` on every request,
 * one token refresh on HTTP 401, back-off on throttling (Retry-After, else exponential with jitter,
 * capped) for calls that are safe to repeat, at most four requests in flight per mailbox, and a
 * deadline per attempt.
 *
 * Written on node's https rather than @microsoft/microsoft-graph-client (no release since 2023):
 * that client follows redirects and links with its auth provider, retries by its own middleware and
 * waits with its own timers, and offers no per-credential TLS settings; everything here would be
 * configured around it.
 */
export class GraphClient {
	readonly graphUrl: string;

	/** Host of the Graph URL (host:port), the only host a token goes to; named in errors. */
	readonly server: string;

	private readonly base: URL;

	private readonly slots: MailboxSlots;

	private readonly agent: https.Agent;

	private token: string | undefined;

	private readonly options: Required<Omit<GraphClientOptions, 'graphUrl'>>;

	constructor(
		private readonly auth: ExchangeAuth,
		options: GraphClientOptions,
	) {
		let base: URL | undefined;
		try {
			base = new URL(options.graphUrl.replace(/\/+$/, ''));
		} catch {
			base = undefined;
		}
		if (!base || base.protocol !== 'https:' || base.username || base.password) {
			throw new Error(`The Graph URL "${options.graphUrl}" is not an https:// address: pick a Microsoft cloud, or fill in "Graph URL" of a custom cloud in the credential (e.g. https://graph.microsoft.com/v1.0)`);
		}
		this.base = base;
		this.graphUrl = base.href.replace(/\/+$/, '');
		this.server = base.host;
		this.options = {
			deadlineMs: options.deadlineMs ?? DEFAULT_GRAPH_DEADLINE_MS,
			maxAttempts: options.maxAttempts ?? 5,
			maxConcurrencyPerMailbox: options.maxConcurrencyPerMailbox ?? 4,
			maxBackOffMs: options.maxBackOffMs ?? 30_000,
			wait: options.wait ?? (async (ms) => await sleep(ms)),
		};
		this.slots = new MailboxSlots(this.options.maxConcurrencyPerMailbox);
		// Connections of one execution are reused; idle ones close after 5 s like Node's global agent.
		this.agent = new https.Agent({ keepAlive: true, maxSockets: 16, timeout: 5_000, ...tlsOptionsFor(auth.tls) });
	}

	get kind() {
		return this.auth.kind;
	}

	get maxAttempts(): number {
		return this.options.maxAttempts;
	}

	/**
	 * The absolute URL of `url` (a path below the Graph URL, or a link Graph gave). Anything that is
	 * not on the credential's Graph host and below its version path is refused: the token goes nowhere else.
	 */
	resolve(url: string): URL {
		if (url.startsWith('/')) return new URL(`${this.graphUrl}${url}`);
		let target: URL | undefined;
		try {
			target = new URL(url);
		} catch {
			target = undefined;
		}
		const basePath = this.base.pathname.replace(/\/+$/, '');
		if (!target || target.protocol !== 'https:' || target.host.toLowerCase() !== this.server.toLowerCase() || target.username || target.password || (basePath && !target.pathname.startsWith(`${basePath}/`))) {
			throw new MailError(
				graphFailure({ code: 'GraphForeignLink', server: this.server, endpoint: this.graphUrl, message: `Graph pointed at ${describeLink(url)}, which is not below the credential's Graph URL ${this.graphUrl}; it was not followed (the token only goes to ${this.server})` }),
			);
		}
		return target;
	}

	/** The path of a resolved URL relative to the Graph URL ("/users/…?…"), as `$batch` wants it. */
	relative(url: string): string {
		const target = this.resolve(url);
		return `${target.pathname.slice(this.base.pathname.replace(/\/+$/, '').length)}${target.search}`;
	}

	/** One Graph call against `mailbox` with the retries described above; failures are thrown as MailError. */
	async request<T = unknown>(mailbox: string, request: GraphRequest, options: CallOptions): Promise<GraphAnswer<T>> {
		const target = this.resolve(request.url);
		const release = await this.slots.acquire(mailbox);
		// A streamed answer keeps its request slot until its body is read (or dropped).
		let slotHandedOver = false;
		try {
			let refreshed = false;
			for (let attempt = 1; ; attempt++) {
				const token = await this.currentToken(false);
				let failure: MailFailure;
				try {
					const answer = await this.exchange(target, request, { authorization: `Bearer ${token}` }, (error) => this.withContext(failureFromSocket(error), mailbox, target));
					if (answer.stream) {
						slotHandedOver = true;
						answer.stream.once('close', release);
						return { status: answer.status, headers: answer.headers, body: answer.stream as T };
					}
					if (answer.status >= 200 && answer.status < 300) return { status: answer.status, headers: answer.headers, body: readBody(answer, request.expect) as T };
					failure = failureFromAnswer(answer.status, answer.headers, parseJson(answer.body));
				} catch (error) {
					failure = error instanceof MailError ? error.failure : failureFromSocket(error as NodeJS.ErrnoException);
				}
				failure = this.withContext(failure, mailbox, target);
				if (failure.httpStatus === 401 && !refreshed) {
					// Expired or revoked token: one fresh token, one more try. Safe for any call: Graph refused it before doing anything.
					refreshed = true;
					await this.currentToken(true);
					continue;
				}
				if (options.idempotent && isRetryable(failure) && attempt < this.options.maxAttempts) {
					await this.waitBeforeRetry(attempt, failure);
					continue;
				}
				throw new MailError(failure);
			}
		} finally {
			if (!slotHandedOver) release();
		}
	}

	/**
	 * The bytes of a GET (a `$value`) as a stream that sends the request only when first read, so
	 * answers handed out together are fetched one by one as the reader stores them, each holding a
	 * request slot only while it is read. Failures (the request's, a connection dropped in the middle,
	 * the deadline) end the stream with a MailError.
	 */
	stream(mailbox: string, url: string, options: CallOptions): Readable {
		const open = async () => (await this.request<Readable>(mailbox, { method: 'GET', url, expect: 'stream' }, options)).body;
		return Readable.from(
			(async function* () {
				yield* await open();
			})(),
			{ objectMode: false },
		);
	}

	/**
	 * One range of an upload session: PUT to the upload URL Graph gave, which is pre-authenticated
	 * and gets no Authorization header at all (it is usually on another host, outlook.office.com).
	 * Not repeated: the session answers with the ranges it still expects.
	 */
	async uploadRange(mailbox: string, uploadUrl: string, bytes: Buffer, start: number, total: number): Promise<GraphAnswer<unknown>> {
		let target: URL | undefined;
		try {
			target = new URL(uploadUrl);
		} catch {
			target = undefined;
		}
		if (!target || target.protocol !== 'https:') {
			throw new MailError(graphFailure({ code: 'GraphForeignLink', server: this.server, mailbox, message: `Graph gave an upload URL that is not https:// (${describeLink(uploadUrl)}); nothing was uploaded` }));
		}
		const release = await this.slots.acquire(mailbox);
		try {
			const request: GraphRequest = { method: 'PUT', url: uploadUrl, body: { raw: bytes, contentType: 'application/octet-stream' }, headers: { 'Content-Range': `bytes ${start}-${start + bytes.length - 1}/${total}` } };
			let answer: RawAnswer;
			try {
				answer = await this.exchange(target, request, {});
			} catch (error) {
				throw new MailError(this.withContext(error instanceof MailError ? error.failure : failureFromSocket(error as NodeJS.ErrnoException), mailbox, target));
			}
			if (answer.status >= 200 && answer.status < 300) return { status: answer.status, headers: answer.headers, body: readBody(answer, 'json') };
			throw new MailError(this.withContext(failureFromAnswer(answer.status, answer.headers, parseJson(answer.body)), mailbox, target));
		} finally {
			release();
		}
	}

	/** Waits through n8n's sleep (or the test seam) before attempt `attempt + 1`. */
	async waitBeforeRetry(attempt: number, failure: MailFailure): Promise<void> {
		await this.options.wait(this.backOff(attempt, failure));
	}

	/** Retry-After when Graph sends it, else exponential with jitter; both capped. */
	backOff(attempt: number, failure: MailFailure): number {
		return backOffDelay(attempt, failure.backOffMs, this.options.maxBackOffMs);
	}

	/** What the error message needs: the endpoint, its host, the token's app and tenant, the mailbox. */
	withContext(failure: MailFailure, mailbox: string, target?: URL): MailFailure {
		const claims = this.token ? readTokenClaims(this.token) : {};
		const clientId = claims.appid ?? this.auth.clientId;
		const tenantId = claims.tid ?? this.auth.tenantId;
		return {
			...failure,
			server: this.server,
			endpoint: target && target.host === this.server ? `${target.origin}${target.pathname}` : this.graphUrl,
			mailbox,
			...(clientId ? { clientId } : {}),
			...(tenantId ? { tenantId } : {}),
		};
	}

	private async currentToken(forceRefresh: boolean): Promise<string> {
		if (this.token && !forceRefresh) return this.token;
		try {
			this.token = await this.auth.getAccessToken(forceRefresh);
		} catch (error) {
			throw graphTokenError(error, this.auth);
		}
		return this.token;
	}

	/** One HTTP exchange, never redirected; Authorization only when `auth` carries it (never for upload URLs). */
	private async exchange(target: URL, request: GraphRequest, auth: { authorization?: string }, streamFailure?: (error: NodeJS.ErrnoException) => MailFailure): Promise<RawAnswer> {
		const headers: Record<string, string | number> = { Accept: 'application/json' };
		let payload: Buffer | undefined;
		if (request.body) {
			payload = 'json' in request.body ? Buffer.from(JSON.stringify(request.body.json)) : Buffer.isBuffer(request.body.raw) ? request.body.raw : Buffer.from(request.body.raw);
			headers['Content-Type'] = 'json' in request.body ? 'application/json' : request.body.contentType;
			headers['Content-Length'] = payload.length;
		} else if (request.method !== 'GET' && request.method !== 'DELETE') {
			headers['Content-Length'] = 0;
		}
		for (const [name, value] of Object.entries(request.headers ?? {})) {
			if (name.toLowerCase() !== 'prefer' && name.toLowerCase() !== 'authorization') headers[name] = value;
		}
		if (auth.authorization) {
			headers.Authorization = auth.authorization;
			const prefer = Object.entries(request.headers ?? {}).find(([name]) => name.toLowerCase() === 'prefer')?.[1];
			headers.Prefer = [IMMUTABLE_ID_PREFERENCE, prefer].filter(Boolean).join(', ');
		}
		const deadlineMs = this.options.deadlineMs;
		return await new Promise<RawAnswer>((resolve, reject) => {
			let settled = false;
			const settle = (outcome: () => void) => {
				clearTimeout(deadline);
				if (!settled) outcome();
				settled = true;
			};
			const call = https.request(target, { method: request.method, headers, agent: this.agent }, (response) => {
				const status = response.statusCode ?? 0;
				if (request.expect === 'stream' && streamFailure && status >= 200 && status < 300) {
					// Not settle(): the deadline stays on while the body streams.
					settled = true;
					resolve({ status, headers: flatHeaders(response.headers), body: Buffer.alloc(0), stream: streamedBody(call, response, deadline, streamFailure) });
					return;
				}
				const chunks: Buffer[] = [];
				let size = 0;
				response.on('data', (chunk: Buffer) => {
					size += chunk.length;
					if (size > MAX_ANSWER_BYTES) call.destroy(new MailError(graphFailure({ code: 'GraphUnreadableAnswer', httpStatus: response.statusCode, message: `answered with more than ${MAX_ANSWER_BYTES / 1024 / 1024} MB, which is not a Graph answer` })));
					else chunks.push(chunk);
				});
				response.on('error', (error) => settle(() => reject(error)));
				response.on('close', () => {
					if (!response.complete) settle(() => reject(Object.assign(new Error(`the connection closed after ${size} bytes of the answer (HTTP ${response.statusCode ?? 0})`), { code: 'ECONNRESET' })));
				});
				response.on('end', () => settle(() => resolve({ status, headers: flatHeaders(response.headers), body: Buffer.concat(chunks) })));
			});
			// The deadline covers a streamed body too: it is cleared when the stream closes.
			const deadline = setTimeout(() => call.destroy(new MailError(deadlineFailure(deadlineMs))), deadlineMs);
			deadline.unref();
			call.on('error', (error) => settle(() => reject(error)));
			call.end(payload);
		});
	}
}

interface RawAnswer {
	status: number;
	headers: Record<string, string>;
	body: Buffer;
	/** A 2xx answer asked for as a stream: its body, not yet read. */
	stream?: Readable;
}

function flatHeaders(headers: NodeJS.Dict<string | string[]>): Record<string, string> {
	const flat: Record<string, string> = {};
	for (const [name, value] of Object.entries(headers)) if (value !== undefined) flat[name] = Array.isArray(value) ? value.join(', ') : value;
	return flat;
}

/**
 * A 2xx body as it arrives, capped at MAX_ANSWER_BYTES like a buffered one. It ends with a MailError
 * when the connection drops before the answer is complete, or at the deadline; closing it early
 * (a reader that gives up) aborts the request.
 */
function streamedBody(call: ReturnType<typeof https.request>, response: import('http').IncomingMessage, deadline: NodeJS.Timeout, failure: (error: NodeJS.ErrnoException) => MailFailure): Readable {
	let size = 0;
	const body = new Transform({
		transform(chunk: Buffer, _encoding, done) {
			size += chunk.length;
			if (size > MAX_ANSWER_BYTES) done(new MailError(graphFailure({ code: 'GraphUnreadableAnswer', httpStatus: response.statusCode, message: `answered with more than ${MAX_ANSWER_BYTES / 1024 / 1024} MB, which is not a Graph answer` })));
			else done(null, chunk);
		},
	});
	const fail = (error: unknown) => body.destroy(error instanceof MailError ? error : new MailError(failure(error as NodeJS.ErrnoException)));
	call.on('error', fail);
	response.on('error', fail);
	response.on('close', () => {
		if (!response.complete) fail(Object.assign(new Error(`the connection closed after ${size} bytes of the answer (HTTP ${response.statusCode ?? 0})`), { code: 'ECONNRESET' }));
	});
	body.on('close', () => {
		clearTimeout(deadline);
		if (!response.complete) call.destroy();
	});
	response.pipe(body);
	return body;
}

function parseJson(body: Buffer): unknown {
	if (body.length === 0) return undefined;
	try {
		return JSON.parse(body.toString('utf8'));
	} catch {
		return body;
	}
}

/** A 2xx answer as asked: bytes as they are, JSON parsed (an empty body, 202/204, is undefined); anything else is not Graph. */
function readBody(answer: RawAnswer, expect: GraphRequest['expect']): unknown {
	if (expect === 'bytes') return answer.body;
	const parsed = parseJson(answer.body);
	if (Buffer.isBuffer(parsed)) {
		throw new MailError(graphFailure({ code: 'GraphUnreadableAnswer', httpStatus: answer.status, message: `answered HTTP ${answer.status} with ${answer.headers['content-type'] || 'no content type'} that is not JSON` }));
	}
	return parsed;
}

/** Host and path of a link, never its query (it may hold an upload session's token). */
function describeLink(url: string): string {
	try {
		const parsed = new URL(url);
		return `${parsed.protocol}//${parsed.host}${parsed.pathname}`.slice(0, 200);
	} catch {
		return 'an address that is not a URL';
	}
}

/**
 * A token failure for the Graph resource: an Entra code becomes a Graph failure, so the catalogue
 * names Graph's permissions (Mail.ReadWrite, Mail.Send) in its fix; the step and token host stay.
 */
function graphTokenError(error: unknown, auth: ExchangeAuth): unknown {
	const original = error instanceof StepError ? error.original : error;
	const code = findEntraCode(original);
	if (!code) return error;
	const message = original instanceof Error ? original.message : String((original as { message?: unknown } | undefined)?.message ?? original);
	const failure = graphFailure({ code: `AADSTS${code}`, message, ...(auth.clientId ? { clientId: auth.clientId } : {}), ...(auth.tenantId ? { tenantId: auth.tenantId } : {}) });
	const wrapped = new MailError(failure);
	return error instanceof StepError ? new StepError(error.step, error.server, wrapped) : wrapped;
}
