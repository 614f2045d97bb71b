// Fault injection for the EWS stand-in: throttling, 503s, dropped connections, slow answers, expired tokens,
// invalid sync states, any SOAP fault, and what proxies, load balancers and IIS answer instead of SOAP (any status
// with an empty, JSON, HTML, non-SOAP XML or garbage body, a redirect to a login page, a body cut short, a body that
// never ends). Queued with failNext() and applied before the operation runs (a failed call never half-applies).
import { DIAGNOSTICS, wwwAuthenticate } from './auth';
import { failure, EwsError } from './context';
import { operationResponse, soapFault, tx } from './xml';

export type EwsFault =
	| 'ErrorServerBusy'
	| 'ErrorServerBusyNoBackOff'
	| 'http503'
	| 'ErrorExceededConnectionCount'
	| 'expiredToken'
	| 'drop'
	| 'slow'
	| 'ErrorInvalidSyncStateData'
	/** A SOAP fault with FaultOptions.code (HTTP 500 unless FaultOptions.status says otherwise). */
	| 'soapFault'
	/** FaultOptions.status with a FaultOptions.body that is not SOAP. */
	| 'http'
	/** 302 (or FaultOptions.status) to FaultOptions.location with an HTML page, as a login proxy does. */
	| 'redirect'
	/** Headers promise more bytes (Content-Length) than are sent, then the connection closes. */
	| 'truncated'
	/** Headers, then one byte every FaultOptions.intervalMs until the client gives up. */
	| 'neverEnding'
	/** The real answer, its connection dropped after FaultOptions.afterBytes of it (default: half). */
	| 'cutAnswer';

/** Bodies a non-SOAP answer can carry. */
/** `echo`: an HTML debug page repeating the request's Authorization header, as some proxies show. */
export type FaultBody = 'empty' | 'json' | 'html' | 'xml' | 'garbage' | 'brokenSoap' | 'unexpectedSoap' | 'soapFault' | 'echo';

export interface FaultOptions {
	/** Only requests for this operation consume the fault (ErrorInvalidSyncStateData implies SyncFolderItems). */
	operation?: string;
	/** ErrorServerBusy: the BackOffMilliseconds value (default 500). */
	backOffMs?: number;
	/** slow: how long to wait before answering normally (default 1000). */
	delayMs?: number;
	/** soapFault: the ResponseCode (default ErrorInternalServerError). */
	code?: string;
	/** soapFault / http / redirect / truncated / neverEnding: the HTTP status. */
	status?: number;
	/** http: what the body is (default empty). */
	body?: FaultBody;
	/** redirect: where to (default a login page on another host). */
	location?: string;
	/** neverEnding: pause between bytes (default 50 ms). */
	intervalMs?: number;
	/** cutAnswer: bytes of the answer sent before the connection drops. */
	afterBytes?: number;
}

interface Pending {
	fault: EwsFault;
	options: FaultOptions;
}

/** What the server should do for a request that drew a fault. */
export type FaultAction = { fault: EwsFault } & (
	| { kind: 'respond'; status: number; headers: Record<string, string>; body: string; responseCode: string }
	| { kind: 'drop' }
	| { kind: 'delay'; ms: number }
	/** Answer `status`/`headers` with `body`, declaring `declaredLength` bytes, then destroy the socket. */
	| { kind: 'truncate'; status: number; headers: Record<string, string>; body: string; declaredLength: number; responseCode: string }
	/** Answer `status`/`headers`, then write a byte every `intervalMs` until the client closes. */
	| { kind: 'trickle'; status: number; headers: Record<string, string>; intervalMs: number; responseCode: string }
	/** Run the operation, answer it, and drop the connection after `afterBytes` of the answer (undefined: half). */
	| { kind: 'cut'; afterBytes?: number }
);

const BUSY_TEXT = 'The server cannot service this request right now. Try again later.';
const CONNECTIONS_TEXT = 'You have exceeded the available concurrent connections for your account.  Try again once your other requests have completed.';
const XML = { 'Content-Type': 'text/xml; charset=utf-8' };
const HTML = { 'Content-Type': 'text/html; charset=utf-8' };
const DEFAULT_LOGIN = 'https://login.proxy.example.test/adfs/ls/?wa=wsignin1.0';

/** What IIS, a load balancer or an API gateway answers for `status`, as `body`. */
export function nonSoapBody(body: FaultBody, status: number, authorization = ''): { headers: Record<string, string>; body: string } {
	switch (body) {
		case 'echo':
			return { headers: HTML, body: `<html><head><title>Request rejected: Authorization: ${authorization}</title></head><body>${authorization}</body></html>` };
		case 'empty':
			return { headers: {}, body: '' };
		case 'json':
			return { headers: { 'Content-Type': 'application/json; charset=utf-8' }, body: JSON.stringify({ error: { code: `Http${status}`, message: 'The request could not be processed.' } }) };
		case 'html':
			return {
				headers: HTML,
				body: `<!DOCTYPE html><html><head><title>${status} - Error</title></head><body><h1>Server Error</h1><h2>${status} - The page cannot be displayed.</h2></body></html>`,
			};
		case 'xml':
			return { headers: XML, body: `<?xml version="1.0"?><Error><Code>${status}</Code><Message>Gateway error</Message></Error>` };
		case 'garbage':
			return { headers: { 'Content-Type': 'application/octet-stream' }, body: '\u0000\u0001{<<garbage>>}&&\ufffd' };
		case 'unexpectedSoap':
			// A whole SOAP envelope, but not an answer to any EWS request.
			return { headers: XML, body: `<?xml version="1.0" encoding="utf-8"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><Ping xmlns="urn:example"/></s:Body></s:Envelope>` };
		case 'soapFault':
			// A SOAP fault with a status Exchange does not use for faults (a proxy relaying one).
			return { headers: XML, body: soapFault('ErrorInternalServerTransientError', 'Relayed fault.') };
		case 'brokenSoap':
			// Starts like a SOAP answer, but the XML is cut in the middle (Content-Length is right).
			return { headers: XML, body: soapFault('ErrorInternalServerError', 'An internal server error occurred.').slice(0, 180) };
	}
}

export class FaultQueue {
	private readonly pending: Pending[] = [];

	add(fault: EwsFault, count = 1, options: FaultOptions = {}): void {
		const operation = options.operation ?? (fault === 'ErrorInvalidSyncStateData' ? 'SyncFolderItems' : undefined);
		for (let i = 0; i < count; i++) this.pending.push({ fault, options: { ...options, operation } });
	}

	clear(): void {
		this.pending.length = 0;
	}

	get size(): number {
		return this.pending.length;
	}

	/** Takes the first queued fault that applies to `operation`, as an action. */
	take(operation: string, origin: string, authorization?: string): FaultAction | undefined {
		const index = this.pending.findIndex((entry) => !entry.options.operation || entry.options.operation === operation);
		if (index < 0) return undefined;
		const [{ fault, options }] = this.pending.splice(index, 1);
		return { fault, ...this.action(fault, options, operation, origin, authorization) } as FaultAction;
	}

	private action(fault: EwsFault, options: FaultOptions, operation: string, origin: string, authorization?: string) {
		switch (fault) {
			case 'ErrorServerBusy':
				return {
					kind: 'respond' as const,
					status: 500,
					headers: XML,
					responseCode: 'ErrorServerBusy',
					body: soapFault('ErrorServerBusy', BUSY_TEXT, tx('t:Value', options.backOffMs ?? 500, { Name: 'BackOffMilliseconds' })),
				};
			case 'ErrorServerBusyNoBackOff':
				return { kind: 'respond' as const, status: 500, headers: XML, responseCode: 'ErrorServerBusy', body: soapFault('ErrorServerBusy', BUSY_TEXT) };
			case 'ErrorExceededConnectionCount':
				return {
					kind: 'respond' as const,
					status: 500,
					headers: XML,
					responseCode: 'ErrorExceededConnectionCount',
					body: soapFault('ErrorExceededConnectionCount', CONNECTIONS_TEXT),
				};
			case 'http503':
				return {
					kind: 'respond' as const,
					status: 503,
					headers: { 'Content-Type': 'text/html; charset=us-ascii', 'Retry-After': '1' },
					responseCode: 'http503',
					body: '<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01//EN"><HTML><HEAD><TITLE>Service Unavailable</TITLE></HEAD><BODY><h2>Service Unavailable</h2><hr><p>HTTP Error 503. The service is unavailable.</p></BODY></HTML>',
				};
			case 'expiredToken':
				return {
					kind: 'respond' as const,
					status: 401,
					headers: { 'WWW-Authenticate': wwwAuthenticate(origin, true), 'x-ms-diagnostics': DIAGNOSTICS.expired },
					responseCode: 'invalid_lifetime',
					body: '',
				};
			case 'ErrorInvalidSyncStateData':
				return {
					kind: 'respond' as const,
					status: 200,
					headers: XML,
					responseCode: 'ErrorInvalidSyncStateData',
					body: operationResponse(operation, [failure(operation, new EwsError('ErrorInvalidSyncStateData'))]),
				};
			case 'soapFault': {
				const code = options.code ?? 'ErrorInternalServerError';
				return { kind: 'respond' as const, status: options.status ?? 500, headers: XML, responseCode: code, body: soapFault(code, `Injected ${code}.`) };
			}
			case 'http': {
				const status = options.status ?? 500;
				return { kind: 'respond' as const, status, responseCode: `http${status}`, ...nonSoapBody(options.body ?? 'empty', status, authorization) };
			}
			case 'redirect': {
				const status = options.status ?? 302;
				const location = options.location ?? DEFAULT_LOGIN;
				return {
					kind: 'respond' as const,
					status,
					headers: { ...HTML, Location: location },
					responseCode: `http${status}`,
					body: `<html><head><title>Object moved</title></head><body><h2>Object moved to <a href="${location}">here</a>.</h2></body></html>`,
				};
			}
			case 'truncated': {
				const body = operationResponse(operation, []).slice(0, 120);
				return { kind: 'truncate' as const, status: options.status ?? 200, headers: XML, body, declaredLength: Buffer.byteLength(body) + 4096, responseCode: 'truncated' };
			}
			case 'neverEnding':
				return { kind: 'trickle' as const, status: options.status ?? 200, headers: XML, intervalMs: options.intervalMs ?? 50, responseCode: 'neverEnding' };
			case 'drop':
				return { kind: 'drop' as const };
			case 'cutAnswer':
				return { kind: 'cut' as const, afterBytes: options.afterBytes };
			case 'slow':
				return { kind: 'delay' as const, ms: options.delayMs ?? 1000 };
		}
	}
}
