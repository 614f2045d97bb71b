import { MailError, type ItemResult, type MailFailure as EwsFailure } from '../../shared/mail/store';
import { isRetryable } from '../../shared/transport/ews/errors';

/**
 * How the trigger keeps one bad message from failing a poll: failures are either outages (the poll
 * fails, the cursor stays, the next poll reads the same changes) or belong to one id (that message is
 * emitted with an error and the trigger moves on).
 */

/** Per-item failures that come and go: like an outage, not a property of the message. */
const TRANSIENT_CODES = new Set(['ErrorInternalServerTransientError', 'ErrorMailboxStoreUnavailable', 'ErrorMailboxMoveInProgress', 'ErrorConnectionFailed', 'ErrorTooManyObjectsOpened']);

/**
 * Failures of the service, the connection or the set-up, not of one message: the poll fails and the
 * next one reads the same changes again. Anything the server refused with an HTTP error (SOAP faults
 * included), throttling, timeouts and dropped connections. What is left is per-message: an error
 * answer for one id, or the library failing to read a successful answer.
 */
export function isOutage(failure: EwsFailure): boolean {
	const refusedByServer = failure.httpStatus !== undefined && failure.httpStatus !== 200;
	return refusedByServer || isRetryable(failure) || TRANSIENT_CODES.has(failure.code) || /^HTTP\d+$/.test(failure.code);
}

export const messageOf = (error: unknown) => String((error as Error)?.message ?? error);

export function failureOf(error: unknown): EwsFailure {
	return error instanceof MailError ? error.failure : { api: 'ews', kind: 'other', code: 'Error', message: messageOf(error) };
}

export const describeFailure = (failure: EwsFailure) => `${failure.code}: ${failure.message}`;

/**
 * A batched per-id fetch in which one bad id cannot fail the others. Per-id failures come back as
 * results; a whole call that fails for a reason that is not an outage (the library choking on one
 * hostile message, say) is split in halves until the id it fails on stands alone and gets the
 * failure as its result. Outages are thrown: the poll fails and the cursor stays.
 */
export async function isolated<T>(ids: string[], fetch: (ids: string[]) => Promise<Array<ItemResult<T>>>): Promise<Array<ItemResult<T>>> {
	if (ids.length === 0) return [];
	let failure: EwsFailure;
	try {
		const results = await fetch(ids);
		if (results.length === ids.length) return results;
		failure = { api: 'ews', kind: 'other', code: 'Error', message: `Exchange answered ${results.length} of ${ids.length} ids` };
	} catch (error) {
		failure = failureOf(error);
	}
	if (isOutage(failure)) throw new MailError(failure);
	if (ids.length === 1) return [{ ok: false, failure }];
	const half = Math.ceil(ids.length / 2);
	return [...(await isolated(ids.slice(0, half), fetch)), ...(await isolated(ids.slice(half), fetch))];
}

/** A per-id result: its value, undefined for a failure that only concerns this id; an outage is thrown. */
export function valueOrFailure<T>(result: ItemResult<T>): { value?: T; failure?: EwsFailure } {
	if (result.ok) return { value: result.value };
	if (isOutage(result.failure)) throw new MailError(result.failure);
	return { failure: result.failure };
}
