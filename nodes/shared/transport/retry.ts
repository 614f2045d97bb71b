/** What the EWS and Graph clients share about attempts, waits and slots (each applies them to its protocol). */
export interface RetryOptions {
	/** Longest time for one attempt of a call, every request and answer of it included. */
	deadlineMs?: number;
	/** Attempts for a throttled idempotent call, the first included. */
	maxAttempts?: number;
	/** Requests in flight per mailbox from this client. */
	maxConcurrencyPerMailbox?: number;
	/** Upper bound for one wait between attempts. */
	maxBackOffMs?: number;
	/** For tests: how to wait. Defaults to n8n's sleep (no timers of our own). */
	wait?: (ms: number) => Promise<void>;
}

/** The wait before attempt `attempt + 1`: the server's (BackOffMilliseconds, Retry-After) when it gave one, else exponential with jitter; both capped. */
export function backOffDelay(attempt: number, serverMs: number | undefined, maxMs: number): number {
	if (serverMs) return Math.min(serverMs, maxMs);
	const exponential = Math.min(500 * 2 ** (attempt - 1), maxMs);
	return Math.round(exponential / 2 + Math.random() * (exponential / 2));
}
