// Fault injection for the EWS stand-in: throttling, 503s, dropped connections, slow answers, expired tokens and
// invalid sync states, queued with failNext() and applied before the operation runs (a failed call never half-applies).
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
	| 'ErrorInvalidSyncStateData';

export interface FaultOptions {
	/** Only requests for this operation consume the fault (ErrorInvalidSyncStateData implies SyncFolderItems). */
	operation?: string;
	/** ErrorServerBusy: the BackOffMilliseconds value (default 500). */
	backOffMs?: number;
	/** slow: how long to wait before answering normally (default 1000). */
	delayMs?: number;
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
);

const BUSY_TEXT = 'The server cannot service this request right now. Try again later.';
const CONNECTIONS_TEXT = 'You have exceeded the available concurrent connections for your account.  Try again once your other requests have completed.';
const XML = { 'Content-Type': 'text/xml; charset=utf-8' };

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
	take(operation: string, origin: string): FaultAction | undefined {
		const index = this.pending.findIndex((entry) => !entry.options.operation || entry.options.operation === operation);
		if (index < 0) return undefined;
		const [{ fault, options }] = this.pending.splice(index, 1);
		return { fault, ...this.action(fault, options, operation, origin) } as FaultAction;
	}

	private action(fault: EwsFault, options: FaultOptions, operation: string, origin: string) {
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
			case 'drop':
				return { kind: 'drop' as const };
			case 'slow':
				return { kind: 'delay' as const, ms: options.delayMs ?? 1000 };
		}
	}
}
