import type { ItemResult } from '../../mail/store';
import { normalizeEwsError } from './errors';

/** Ids per batched call. Exchange checks its budget per item and allows one minute per call. */
export const BATCH_SIZE = {
	get: 50,
	getWithMime: 10,
	/** Three small properties per id (messageStates). */
	states: 100,
	moveCopyDelete: 100,
	update: 100,
} as const;

export function chunk<T>(values: T[], size: number): T[][] {
	const chunks: T[][] = [];
	for (let start = 0; start < values.length; start += size) chunks.push(values.slice(start, start + size));
	return chunks;
}

interface ServiceResponseLike {
	Result: number;
	ErrorCode: unknown;
	ErrorMessage: string;
	ErrorDetails?: unknown;
}

/**
 * Batch calls (GetItem, MoveItem, DeleteItem, UpdateItem with many ids) do not reject when one item
 * fails: each id gets its own response. This turns them into one result per id, in order.
 */
export function perItemResults<R extends ServiceResponseLike, T>(
	responses: { Responses: R[] } | R[],
	value: (response: R, index: number) => T,
): Array<ItemResult<T>> {
	const list = Array.isArray(responses) ? responses : responses.Responses;
	// ServiceResult.Error === 2 in the library's enum.
	return list.map((response, index) =>
		response.Result === 2 ? { ok: false, failure: normalizeEwsError(response) } : { ok: true, value: value(response, index) },
	);
}
