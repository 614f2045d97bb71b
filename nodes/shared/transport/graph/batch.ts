import type { ItemResult, MailFailure } from '../../mail/store';
import { IMMUTABLE_ID_PREFERENCE, type CallOptions, type GraphClient, type GraphRequest } from './client';
import { failureFromAnswer, graphFailure } from './errors';

/** Graph runs at most 20 requests per JSON batch. */
export const BATCH_LIMIT = 20;

export interface BatchItem {
	method: GraphRequest['method'];
	/** A path below the Graph URL, as for GraphClient.request. */
	url: string;
	body?: unknown;
	headers?: Record<string, string>;
	/**
	 * Requests with the same key act on the same thing (a message id): they run in the order given
	 * (`dependsOn`), never side by side.
	 */
	key?: string;
}

interface BatchAnswer {
	id?: unknown;
	status?: unknown;
	headers?: Record<string, string>;
	body?: unknown;
}

/**
 * Many requests as JSON `$batch` calls of up to 20, with one result per request, in order. A batch
 * is parallel unless two of its requests share a key; then the whole batch runs in order
 * (`dependsOn` on the previous request: Graph wants a batch fully parallel or fully sequential).
 *
 * Requests Graph did not run are sent again, in a new batch of only those, after the longest
 * Retry-After they carried: throttled ones (429, evaluated per request inside a batch) and those
 * whose dependency failed (424). 503/504 are sent again only for calls that are safe to repeat.
 * The batch call itself goes through GraphClient.request (401 refresh, throttling of the whole batch).
 */
export async function runBatch<T = unknown>(client: GraphClient, mailbox: string, items: BatchItem[], options: CallOptions): Promise<Array<ItemResult<T>>> {
	const results: Array<ItemResult<T> | undefined> = items.map(() => undefined);
	let pending = items.map((_, index) => index);
	for (let attempt = 1; pending.length > 0; attempt++) {
		const again: number[] = [];
		const failures = new Map<number, MailFailure>();
		for (let start = 0; start < pending.length; start += BATCH_LIMIT) {
			const slice = pending.slice(start, start + BATCH_LIMIT);
			const answers = await sendBatch(client, mailbox, slice.map((index) => items[index]), options);
			slice.forEach((index, position) => {
				const answer = answers[position];
				if (answer.ok) {
					results[index] = { ok: true, value: answer.value as T };
					return;
				}
				failures.set(index, answer.failure);
				const notRun = answer.failure.httpStatus === 429 || answer.failure.httpStatus === 424;
				const unclear = answer.failure.httpStatus === 503 || answer.failure.httpStatus === 504;
				if (notRun || (unclear && options.idempotent)) again.push(index);
				else results[index] = answer;
			});
		}
		if (again.length === 0 || attempt >= client.maxAttempts) {
			for (const index of again) results[index] = { ok: false, failure: failures.get(index) as MailFailure };
			break;
		}
		// A 424 only waits for its dependency; the wait is the longest a throttled request asked for.
		const waits = again.map((index) => failures.get(index) as MailFailure).filter((failure) => failure.httpStatus !== 424);
		const longest = waits.reduce<MailFailure | undefined>((max, failure) => (!max || (failure.backOffMs ?? 0) > (max.backOffMs ?? 0) ? failure : max), undefined);
		if (longest) await client.waitBeforeRetry(attempt, longest);
		pending = again;
	}
	return results as Array<ItemResult<T>>;
}

/** One `$batch` call of at most 20 requests; answers in the order of `items`. */
async function sendBatch(client: GraphClient, mailbox: string, items: BatchItem[], options: CallOptions): Promise<Array<ItemResult<unknown>>> {
	const keys = items.map((item) => item.key).filter((key): key is string => key !== undefined);
	const sequential = new Set(keys).size < keys.length;
	const requests = items.map((item, index) => {
		// The preference applies per request, inside a batch too.
		const prefer = [IMMUTABLE_ID_PREFERENCE, item.headers?.Prefer].filter(Boolean).join(', ');
		const headers = { ...(item.headers ?? {}), Prefer: prefer, ...(item.body !== undefined ? { 'Content-Type': 'application/json' } : {}) };
		return {
			id: String(index + 1),
			method: item.method,
			url: client.relative(item.url),
			headers,
			...(item.body !== undefined ? { body: item.body } : {}),
			...(sequential && index > 0 ? { dependsOn: [String(index)] } : {}),
		};
	});
	const answer = await client.request<{ responses?: BatchAnswer[] }>(mailbox, { method: 'POST', url: '/$batch', body: { json: { requests } } }, options);
	const byId = new Map<string, BatchAnswer>();
	for (const response of Array.isArray(answer.body?.responses) ? answer.body.responses : []) byId.set(String(response.id), response);
	return items.map((item, index) => {
		const response = byId.get(String(index + 1));
		const status = typeof response?.status === 'number' ? response.status : 0;
		if (!response || !status) {
			const failure = graphFailure({ code: 'GraphUnreadableAnswer', message: `the $batch answer has no response for request ${index + 1} (${item.method} ${item.url.split('?')[0]})` });
			return { ok: false, failure: client.withContext(failure, mailbox) };
		}
		if (status >= 200 && status < 300) return { ok: true, value: response.body };
		return { ok: false, failure: client.withContext(failureFromAnswer(status, response.headers ?? {}, response.body), mailbox) };
	});
}
