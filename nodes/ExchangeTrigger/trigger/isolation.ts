import { MailError, type FailureKind, type ItemResult, type MailApi, type MailFailure } from '../../shared/mail/store';

/**
 * How the trigger keeps one bad message from failing a poll: failures are either outages (the poll
 * fails, the cursor stays, the next poll reads the same changes) or belong to one id (that message is
 * emitted with an error and the trigger moves on).
 */

/** Failures that come and go (throttling, a server or connection down, no answer in time): never a property of one message. */
const OUTAGE_KINDS: ReadonlySet<FailureKind> = new Set(['throttled', 'unavailable', 'timeout', 'unauthorized']);

/**
 * Failures that belong to the one id they were answered for, whatever HTTP status came with them. An
 * item over the server's size limit (Graph answers a $batch member 413 ErrorMessageSizeExceeded) is
 * that item's: it fails the same way on every poll, so as an outage it would block all later mail.
 */
const ITEM_KINDS: ReadonlySet<FailureKind> = new Set(['notFound', 'invalidId', 'tooLarge']);

/**
 * Failures of the service, the connection or the set-up, not of one message: the poll fails and the
 * next one reads the same changes again. Anything the server refused with an HTTP error (SOAP faults
 * included) or that is not an answer of the API at all (code HTTPnnn), throttling, timeouts and
 * dropped connections. What is left is per-message: an error answer for one id, or the library
 * failing to read a successful answer.
 */
export function isOutage(failure: MailFailure): boolean {
	if (OUTAGE_KINDS.has(failure.kind) || /^HTTP\d+$/.test(failure.code)) return true;
	const refusedByServer = failure.httpStatus !== undefined && failure.httpStatus !== 200;
	return refusedByServer && !ITEM_KINDS.has(failure.kind);
}

export const messageOf = (error: unknown) => String((error as Error)?.message ?? error);

/** What went wrong, as a failure: a MailError's own, or (a bug, a library error) one of kind 'other'. */
export function failureOf(error: unknown, api: MailApi): MailFailure {
	return error instanceof MailError ? error.failure : { api, kind: 'other', code: 'Error', message: messageOf(error) };
}

export const describeFailure = (failure: MailFailure) => `${failure.code}: ${failure.message}`;

/**
 * A batched per-id fetch in which one bad id cannot fail the others. Per-id failures come back as
 * results; a whole call that fails for a reason that is not an outage (the library choking on one
 * hostile message, say) is split in halves until the id it fails on stands alone and gets the
 * failure as its result. Outages are thrown: the poll fails and the cursor stays.
 */
export async function isolated<T>(api: MailApi, ids: string[], fetch: (ids: string[]) => Promise<Array<ItemResult<T>>>): Promise<Array<ItemResult<T>>> {
	if (ids.length === 0) return [];
	let failure: MailFailure;
	try {
		const results = await fetch(ids);
		if (results.length === ids.length) return results;
		failure = { api, kind: 'badAnswer', code: 'Error', message: `The server answered ${results.length} of ${ids.length} ids` };
	} catch (error) {
		failure = failureOf(error, api);
	}
	if (isOutage(failure)) throw new MailError(failure);
	if (ids.length === 1) return [{ ok: false, failure }];
	const half = Math.ceil(ids.length / 2);
	return [...(await isolated(api, ids.slice(0, half), fetch)), ...(await isolated(api, ids.slice(half), fetch))];
}

/** A per-id result: its value, undefined for a failure that only concerns this id; an outage is thrown. */
export function valueOrFailure<T>(result: ItemResult<T>): { value?: T; failure?: MailFailure } {
	if (result.ok) return { value: result.value };
	if (isOutage(result.failure)) throw new MailError(result.failure);
	return { failure: result.failure };
}
