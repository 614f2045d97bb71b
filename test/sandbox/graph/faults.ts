// Fault injection for the Graph stand-in: throttling (429 with or without Retry-After, also for one request
// inside a $batch), 503, 504, an expired token (401), an expired delta token (410 syncStateNotFound, for one
// delta request), a dropped connection, an answer cut off halfway and a slow answer (a timeout, when slower than
// the client's deadline). Queued with failNext() and applied before the request runs (a failed call never half-applies).
import { errorBody, errors } from './errors';
import { GRAPH_APP_ID } from './auth';

/** `error`: any Graph error answer (GraphFaultOptions.status, .code, .message), e.g. a refusal that belongs to one id. */
export type GraphFault = 'throttled' | 'http503' | 'http504' | 'expiredToken' | 'syncStateNotFound' | 'error' | 'drop' | 'cutAnswer' | 'slow';

/** The endpoint a fault applies to when failNext() names none (an expired delta token can only be a delta request's). */
const DEFAULT_ENDPOINT: Partial<Record<GraphFault, string>> = { syncStateNotFound: 'GET /mailFolders/{id}/messages/delta' };

export interface GraphFaultOptions {
	/** Only requests to this endpoint (e.g. 'PATCH /messages/{id}', see GraphService.counts()) draw the fault. */
	endpoint?: string;
	/** throttled / http503: the Retry-After header in seconds; null = no header (default '1' for both). */
	retryAfter?: string | null;
	/** slow: how long to wait before answering normally (default 1000 ms). */
	delayMs?: number;
	/** error: the HTTP status (default 400), Graph error code (default BadRequest) and message. */
	status?: number;
	code?: string;
	message?: string;
}

export type GraphFaultAction =
	| { kind: 'respond'; status: number; headers: Record<string, string>; body: unknown }
	| { kind: 'drop' }
	/** The request runs; its answer is sent with its full Content-Length, and the connection closes after half the body. */
	| { kind: 'cut' }
	| { kind: 'delay'; ms: number };

interface Pending {
	fault: GraphFault;
	options: GraphFaultOptions;
}

export class GraphFaultQueue {
	private readonly pending: Pending[] = [];

	add(fault: GraphFault, count: number, options: GraphFaultOptions): void {
		const endpoint = options.endpoint ?? DEFAULT_ENDPOINT[fault];
		for (let i = 0; i < count; i++) this.pending.push({ fault, options: { ...options, ...(endpoint ? { endpoint } : {}) } });
	}

	clear(): void {
		this.pending.length = 0;
	}

	/**
	 * The first queued fault for `endpoint`. Inside a $batch only answers apply (a connection cannot drop for one
	 * request of a batch), so drop, cutAnswer and slow wait for a request of their own.
	 */
	take(endpoint: string, inBatch: boolean): (GraphFaultAction & { fault: GraphFault }) | undefined {
		const index = this.pending.findIndex(
			(entry) => (!entry.options.endpoint || entry.options.endpoint === endpoint) && !(inBatch && (entry.fault === 'drop' || entry.fault === 'cutAnswer' || entry.fault === 'slow')),
		);
		if (index < 0) return undefined;
		const [{ fault, options }] = this.pending.splice(index, 1);
		return { fault, ...action(fault, options) };
	}
}

function action(fault: GraphFault, options: GraphFaultOptions): GraphFaultAction {
	const retryAfter = options.retryAfter === undefined ? '1' : options.retryAfter;
	const retryHeader: Record<string, string> = retryAfter === null ? {} : { 'Retry-After': retryAfter };
	switch (fault) {
		case 'throttled': {
			// As throttling.md prints it (the innerError carries code/status strings too).
			const body = errorBody('TooManyRequests', 'Please retry again later.');
			Object.assign(body.error.innerError, { code: '429', message: 'Please retry after', status: '429' });
			return { kind: 'respond', status: 429, headers: retryHeader, body };
		}
		case 'http503':
			return { kind: 'respond', status: 503, headers: retryHeader, body: errorBody('serviceNotAvailable', 'The service is temporarily unavailable for maintenance or is overloaded. You may repeat the request after a delay.') };
		case 'http504':
			return { kind: 'respond', status: 504, headers: {}, body: errorBody('UnknownError', 'The server, while acting as a proxy, did not receive a timely response from the upstream server it needed to access in attempting to complete the request.') };
		case 'expiredToken':
			return {
				kind: 'respond',
				status: 401,
				headers: { 'WWW-Authenticate': `Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", client_id="${GRAPH_APP_ID}"` },
				body: errorBody('InvalidAuthenticationToken', 'Lifetime validation failed, the token is expired.'),
			};
		case 'syncStateNotFound': {
			// What the stand-in's delta answers for a token it no longer has (delta.ts), whatever the token.
			const expired = errors.syncStateNotFound();
			return { kind: 'respond', status: expired.status, headers: {}, body: errorBody(expired.code, expired.message) };
		}
		case 'error':
			return { kind: 'respond', status: options.status ?? 400, headers: {}, body: errorBody(options.code ?? 'BadRequest', options.message ?? 'The request could not be processed.') };
		case 'drop':
			return { kind: 'drop' };
		case 'cutAnswer':
			return { kind: 'cut' };
		case 'slow':
			return { kind: 'delay', ms: options.delayMs ?? 1000 };
	}
}
