import { createHash } from 'crypto';
import https from 'https';
import type { IXHRApi, IXHROptions } from 'ews-javascript-api';

import { tlsOptionsFor, type TlsFields } from '../tls';

/** What ews-javascript-api reads from a response (a subset of XMLHttpRequest). */
interface XhrResponse {
	status: number;
	statusText: string;
	response: string;
	responseText: string;
	message?: string;
	getResponseHeader(name: string): string | null;
	getAllResponseHeaders(): string;
}

// The library types its transport with the DOM's XMLHttpRequest, which a Node build does not declare.
type XMLHttpRequest = Awaited<ReturnType<IXHRApi['xhr']>>;

/** Longest silence on the connection before it is given up. */
export const DEFAULT_EWS_TIMEOUT_MS = 100_000;
/** Longest time for one whole request, answer included (a body can trickle without ever going silent). */
export const DEFAULT_EWS_DEADLINE_MS = 300_000;

/**
 * Keep-alive agents, one per TLS setting: EWS calls of an execution (and of later executions)
 * reuse connections instead of paying a TLS handshake per call, and the TLS options (with an extra
 * CA, about 140 certificates) are prepared once per agent, not per request. Module memory here is an
 * optimisation only: a new process simply opens new connections.
 */
const agents = new Map<string, https.Agent>();
const MAX_AGENTS = 20;

export function agentFor(tls: TlsFields): https.Agent {
	const key = createHash('sha256').update(JSON.stringify([tls.caCertificate ?? '', tls.allowUnauthorizedCerts === true])).digest('hex');
	let agent = agents.get(key);
	if (!agent) {
		if (agents.size >= MAX_AGENTS) {
			const [oldestKey, oldest] = agents.entries().next().value as [string, https.Agent];
			oldest.destroy();
			agents.delete(oldestKey);
		}
		// Idle sockets close after 5 s, like Node's own global agent; busy ones use the request timeout.
		agent = new https.Agent({ keepAlive: true, maxSockets: 16, timeout: 5_000, scheduling: 'lifo', ...tlsOptionsFor(tls) });
		agents.set(key, agent);
	}
	return agent;
}

/** What our HTTP layer knows about a failed exchange; ews-javascript-api passes it on unchanged (library.ts). */
export interface HttpFailureDetails {
	/** HTTP401, HTTP404, … by status; a socket code (ECONNRESET, ETIMEDOUT, CERT_HAS_EXPIRED); or EwsDeadlineExceeded. */
	code: string;
	/** 0 when there was no (complete) answer. */
	httpStatus: number;
	message: string;
	/** x-ms-diagnostics of a 401. */
	diagnostics?: string;
	/** Where a 3xx pointed (never followed). */
	location?: string;
	/** Retry-After of a 429 / 503, in ms. */
	backOffMs?: number;
	/** Content type of a non-SOAP answer. */
	contentType?: string;
}

/**
 * An answer that is not EWS (status, content type or body), refused before ews-javascript-api
 * parses it: the library throws inside a promise handler on non-SOAP HTTP 500 answers, and the
 * call then never settles. `status` keeps the library's own error path away from the body.
 */
export class EwsHttpFailure extends Error {
	readonly status: number;

	constructor(readonly details: HttpFailureDetails) {
		super(details.message);
		this.name = 'EwsHttpFailure';
		this.status = details.httpStatus;
	}
}

const SOAP_ENVELOPE_NS = 'http://schemas.xmlsoap.org/soap/envelope/';
/** The start of a SOAP 1.1 envelope (root element Envelope, its namespace declared on it) and its end. */
const ENVELOPE_START = /^\s*(?:<\?xml[^>]*\?>\s*)?<(?:([\w.-]+):)?Envelope\b[^>]*>/;
const ENVELOPE_END = /<\/(?:([\w.-]+):)?Envelope>\s*$/;
const FAULT = /<(?:[\w.-]+:)?Fault\b/;
/** An answer can hold a 50 MB attachment (~70 M characters of base64 in XML); a stream past this is not EWS. */
const MAX_ANSWER_CHARS = 256 * 1024 * 1024;

/** Whether `text` is a whole SOAP envelope; looks at its ends only, answers can be tens of megabytes. */
export function isSoapEnvelope(contentType: string, text: string): boolean {
	if (contentType && !/xml/i.test(contentType)) return false;
	const start = ENVELOPE_START.exec(text.slice(0, 4096));
	const end = ENVELOPE_END.exec(text.slice(-256));
	return !!start && !!end && start[1] === end[1] && start[0].includes(SOAP_ENVELOPE_NS);
}

/** A short, readable hint of what a non-SOAP body was (an HTML title, a JSON message, the first words). */
function bodyHint(contentType: string, body: string): string {
	const text = body.slice(0, 4096);
	if (!text.trim()) return 'an empty body';
	const kind = contentType.split(';')[0].trim() || 'no content type';
	const title = /<title[^>]*>([^<]{1,120})</i.exec(text)?.[1] ?? /<h[12][^>]*>([^<]{1,120})</i.exec(text)?.[1];
	let summary = title;
	if (!summary && /json/i.test(kind)) {
		try {
			const parsed = JSON.parse(text) as { error?: { message?: unknown } | string; message?: unknown };
			const message = typeof parsed.error === 'object' ? parsed.error?.message : (parsed.error ?? parsed.message);
			if (typeof message === 'string') summary = message;
		} catch {
			// Not JSON after all: the first words below.
		}
	}
	summary ??= text.replace(/<[^>]*>/g, ' ');
	summary = summary
		// A debugging proxy may echo the request: never repeat a token from it.
		.replace(/\b(?:Bearer\s+)?eyJ[\w-]+\.[\w-]+\.[\w-]*/g, '[token]')
		.replace(/[^\x20-\x7e\u00a0-\uffff]+/g, ' ')
		.replace(/\s+/g, ' ')
		.trim()
		.slice(0, 120);
	return `${kind}${summary ? ` ("${summary}")` : ''}`;
}

function retryAfterMs(value: string | null): number | undefined {
	const seconds = Number(value);
	return value && Number.isFinite(seconds) && seconds > 0 ? Math.min(seconds, 300) * 1000 : undefined;
}

/**
 * Decides what a complete answer is: 'answer' (a SOAP envelope with HTTP 200) and 'fault' (a SOAP
 * fault with HTTP 500, or 200 as a proxy may relay it) go to ews-javascript-api; anything else is
 * a failure, by HTTP status first.
 */
export function classifyAnswer(status: number, statusText: string, header: (name: string) => string | null, text: string): 'answer' | 'fault' | EwsHttpFailure {
	const contentType = header('content-type') ?? '';
	const soap = isSoapEnvelope(contentType, text);
	if (soap && (status === 200 || status === 500)) {
		if (FAULT.test(text.slice(0, 16_384))) return 'fault';
		if (status === 200) return 'answer';
		return new EwsHttpFailure({ code: 'HTTP500', httpStatus: 500, contentType, message: 'answered HTTP 500 with a SOAP envelope that holds no fault' });
	}
	const line = `HTTP ${status}${statusText ? ` ${statusText}` : ''}`;
	if (status >= 300 && status < 400) {
		const location = header('location') ?? undefined;
		const target = location ? ` to ${location.slice(0, 200)}` : '';
		return new EwsHttpFailure({ code: `HTTP${status}`, httpStatus: status, location, message: `redirected${target} (${line}); redirects are not followed` });
	}
	if (status === 401) {
		const diagnostics = header('x-ms-diagnostics') ?? header('www-authenticate') ?? '';
		return new EwsHttpFailure({ code: 'HTTP401', httpStatus: 401, diagnostics, message: diagnostics || '401 Unauthorized' });
	}
	const what = status === 200 || status === 500 ? `${line} with ${bodyHint(contentType, text)} instead of a SOAP answer` : `${line} with ${bodyHint(contentType, text)}`;
	return new EwsHttpFailure({ code: `HTTP${status}`, httpStatus: status, contentType, backOffMs: retryAfterMs(header('retry-after')), message: `answered ${what}` });
}

/**
 * The HTTP layer under ews-javascript-api: node's https with the credential's TLS settings, an
 * idle timeout (the library ignores `service.Timeout`) and a deadline for the whole exchange.
 * SOAP answers go to the library as it expects (200 resolved, 500 faults rejected with the
 * response); everything else is rejected as an EwsHttpFailure. Redirects are never followed:
 * the token goes only to the credential's EWS URL.
 */
export class EwsHttpClient implements IXHRApi {
	readonly apiName = 'n8n-nodes-exchange-oauth';

	constructor(
		private readonly tls: TlsFields,
		private readonly timeoutMs = DEFAULT_EWS_TIMEOUT_MS,
		private readonly deadlineMs = DEFAULT_EWS_DEADLINE_MS,
	) {}

	async xhr(options: IXHROptions): Promise<XMLHttpRequest> {
		const body = typeof options.data === 'string' ? options.data : '';
		const headers: Record<string, string | number> = { ...(options.headers as Record<string, string>), 'Content-Length': Buffer.byteLength(body) };
		return await new Promise<XMLHttpRequest>((resolve, reject) => {
			let deadline: NodeJS.Timeout | undefined;
			let settled = false;
			const settle = (outcome: () => void) => {
				clearTimeout(deadline);
				if (!settled) outcome();
				settled = true;
			};
			const request = https.request(options.url, { method: options.type ?? 'POST', headers, timeout: this.timeoutMs, agent: agentFor(this.tls) }, (response) => {
				// Decoded as it arrives: a 50 MB attachment answer is held once, not as chunks + copy + string.
				let text = '';
				const status = response.statusCode ?? 0;
				response.setEncoding('utf8');
				response.on('data', (chunk: string) => {
					text += chunk;
					if (text.length > MAX_ANSWER_CHARS) {
						const message = `answered HTTP ${status} with more than ${MAX_ANSWER_CHARS / 1024 / 1024} MB, which is not an EWS answer`;
						request.destroy(new EwsHttpFailure({ code: 'EwsAnswerTooLarge', httpStatus: status, message }));
					}
				});
				// The connection closed before the whole answer arrived (fewer bytes than Content-Length, a reset).
				const cutShort = (error?: NodeJS.ErrnoException) => {
					if (error instanceof EwsHttpFailure) return settle(() => reject(error));
					const declared = response.headers['content-length'];
					const message = `the connection closed after ${Buffer.byteLength(text)}${declared ? ` of ${declared}` : ''} bytes of the answer (HTTP ${status})`;
					settle(() => reject(new EwsHttpFailure({ code: 'ECONNRESET', httpStatus: 0, message })));
				};
				response.on('error', cutShort);
				response.on('close', () => {
					if (!response.complete) cutShort();
				});
				response.on('end', () => {
					const header = (name: string) => {
						const value = response.headers[name.toLowerCase()];
						return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
					};
					const kind = classifyAnswer(status, response.statusMessage ?? '', header, text);
					if (kind instanceof EwsHttpFailure) return settle(() => reject(kind));
					const result: XhrResponse = {
						// The library reads a SOAP fault only from an HTTP 500.
						status: kind === 'fault' ? 500 : status,
						statusText: response.statusMessage ?? '',
						response: text,
						responseText: text,
						getResponseHeader: header,
						getAllResponseHeaders: () =>
							Object.entries(response.headers)
								.map(([name, value]) => `${name}: ${Array.isArray(value) ? value.join(', ') : String(value)}`)
								.join('\r\n'),
					};
					settle(() => (kind === 'answer' ? resolve(result as unknown as XMLHttpRequest) : reject(result)));
				});
			});
			deadline = setTimeout(() => request.destroy(deadlineFailure(this.deadlineMs)), this.deadlineMs);
			deadline.unref();
			request.on('timeout', () => request.destroy(Object.assign(new Error(`no answer within ${Math.round(this.timeoutMs / 1000)} s`), { code: 'ETIMEDOUT' })));
			request.on('error', (error: NodeJS.ErrnoException) => settle(() => reject(error instanceof EwsHttpFailure ? error : socketFailure(error))));
			request.end(body);
		});
	}

	async xhrStream(): Promise<XMLHttpRequest> {
		// Streaming notifications are unsafe in this library (unhandled rejections); we poll instead.
		throw new Error('EWS streaming is not used by this package');
	}

	disconnect(): void {}
}

/** The whole exchange (or the whole call, client.ts) took longer than the deadline. */
export function deadlineFailure(deadlineMs: number): EwsHttpFailure {
	const seconds = deadlineMs >= 10_000 ? `${Math.round(deadlineMs / 1000)} s` : `${deadlineMs} ms`;
	return new EwsHttpFailure({ code: 'EwsDeadlineExceeded', httpStatus: 0, message: `no complete answer within ${seconds}` });
}

function socketFailure(error: NodeJS.ErrnoException): EwsHttpFailure {
	return new EwsHttpFailure({ code: error.code ?? 'ESOCKET', httpStatus: 0, message: error.message });
}
