/**
 * The trigger's tests run on both Mailbox APIs over the one sandbox store (a message delivered once
 * is seen by EWS and Graph). What a test needs to say in one way for both — inject the same trouble
 * into a step, count a step's round trips, name a message by the API's id — is here, per API. Where
 * the APIs really differ, the difference is a field of TriggerApi (documented in README, "Microsoft
 * Exchange Trigger"), so a test states it instead of being skipped.
 */
import type { MailApi } from '../../nodes/shared/mail/store';
import type { Sandbox } from '../sandbox';
import { DELTA_MAX_PAGE_SIZE } from '../sandbox/graph';
import { decodeGraphId, immutableGraphId } from '../sandbox/graph/ids';

/** A step of a poll. */
export type Step = 'sync' | 'getMessages' | 'attachments' | 'mime' | 'update';

/** Trouble by what it means, whatever the API answers for it. */
export type Trouble = 'throttled' | 'unavailable' | 'expiredToken' | 'invalidCursor';

export interface TriggerApi {
	api: MailApi;
	label: string;
	/**
	 * EWS hands out a new ItemId when a message moves, so a message moved out and back in is new to the
	 * trigger (emitted again, with a warning); Graph's immutable id stays, so it is the same message (not again).
	 */
	idChangesOnMove: boolean;
	/**
	 * Graph's delta carries each message in the emitted shape (no read after the feed); EWS reads the
	 * messages the sync named with GetItem. Only a feed of ids (New Mail Only, a start window, a
	 * resynchronisation) makes Graph read messages, in $batch.
	 */
	feedCarriesMessages: boolean;
	/** Largest change-feed page the API gives (EWS SyncFolderItems: 512; the Graph stand-in caps delta pages like Graph). */
	syncPageCap: number;
	/** How the .eml of n messages is fetched: one request each, as a stream (EWS GetItem with MimeContent, Graph /$value): a batch would hold every .eml of it at once. */
	mimeRequests: (n: number) => number;
	/** Most requests for n attachment contents: EWS one GetAttachment; Graph $batch calls of 20 (small ones whole), large ones by /$value. */
	attachmentRequestsAtMost: (n: number) => number;
	/**
	 * The code a damaged item (the store's `corrupt`) fails with: EWS ErrorCorruptData. Graph documents no
	 * answer for a damaged item, so the Graph stand-in serves it as stored: undefined (emitted clean).
	 */
	damagedCode?: string;
	/**
	 * The next `count` requests of `step` (any step when omitted) fail with `trouble`. `retryAfterMs`: the wait
	 * the server asks for when throttling (EWS BackOffMilliseconds, Graph Retry-After, also on a Graph 503); null = none.
	 */
	fail: (sandbox: Sandbox, trouble: Trouble, count: number, step?: Step, retryAfterMs?: number | null) => void;
	/** Round trips of `step` since the last reset (Graph: HTTP requests, $batch members not counted). */
	count: (sandbox: Sandbox, step: Step | 'batch') => number;
	/** Every request of this API since the last reset, with its HTTP status (0 = dropped). */
	requests: (sandbox: Sandbox) => Array<{ status: number; label: string }>;
	reset: (sandbox: Sandbox) => void;
	/** The id this API gives a stored message. */
	idOf: (sandbox: Sandbox, storeId: string) => string;
}

const EWS_OPERATION: Record<Step, string> = { sync: 'SyncFolderItems', getMessages: 'GetItem', attachments: 'GetAttachment', mime: 'GetItem', update: 'UpdateItem' };
const GRAPH_ENDPOINT: Record<Step | 'batch', string> = {
	sync: 'GET /mailFolders/{id}/messages/delta',
	getMessages: 'GET /messages/{id}',
	attachments: 'GET /messages/{id}/attachments/{id}/$value',
	mime: 'GET /messages/{id}/$value',
	update: 'PATCH /messages/{id}',
	batch: 'POST $batch',
};

export const EWS: TriggerApi = {
	api: 'ews',
	label: 'EWS',
	idChangesOnMove: true,
	feedCarriesMessages: false,
	syncPageCap: 512,
	mimeRequests: (n) => n,
	attachmentRequestsAtMost: () => 1,
	damagedCode: 'ErrorCorruptData',
	fail: (sandbox, trouble, count, step, retryAfterMs = 1) => {
		const operation = step && EWS_OPERATION[step];
		const fault = { throttled: retryAfterMs === null ? 'ErrorServerBusyNoBackOff' : 'ErrorServerBusy', unavailable: 'http503', expiredToken: 'expiredToken', invalidCursor: 'ErrorInvalidSyncStateData' } as const;
		sandbox.ews.failNext(fault[trouble], count, { ...(operation ? { operation } : {}), ...(retryAfterMs === null ? {} : { backOffMs: retryAfterMs }) });
	},
	count: (sandbox, step) => (step === 'batch' ? 0 : (sandbox.ews.counts()[EWS_OPERATION[step]] ?? 0)),
	requests: (sandbox) => sandbox.ews.requests.map((r) => ({ status: r.status, label: r.operation ?? '' })),
	reset: (sandbox) => sandbox.ews.reset(),
	idOf: (_sandbox, storeId) => storeId,
};

export const GRAPH: TriggerApi = {
	api: 'graph',
	label: 'Graph',
	idChangesOnMove: false,
	feedCarriesMessages: true,
	syncPageCap: DELTA_MAX_PAGE_SIZE,
	mimeRequests: (n) => n,
	attachmentRequestsAtMost: (n) => Math.ceil(n / 20) + n,
	fail: (sandbox, trouble, count, step, retryAfterMs = 1) => {
		const endpoint = step && GRAPH_ENDPOINT[step];
		// Every delta token expires, as when Graph drops a folder's sync state: a one-off fault would leave the old link working.
		if (trouble === 'invalidCursor') return sandbox.graph.expireDeltaTokens();
		const fault = { throttled: 'throttled', unavailable: 'http503', expiredToken: 'expiredToken' } as const;
		sandbox.graph.failNext(fault[trouble], count, { ...(endpoint ? { endpoint } : {}), retryAfter: retryAfterMs === null ? null : String(retryAfterMs / 1000) });
	},
	count: (sandbox, step) => sandbox.graph.httpCounts()[GRAPH_ENDPOINT[step]] ?? 0,
	requests: (sandbox) => sandbox.graph.requests.filter((r) => !r.inBatch).map((r) => ({ status: r.status, label: r.endpoint })),
	reset: (sandbox) => sandbox.graph.reset(),
	idOf: (sandbox, storeId) => {
		const item = sandbox.ews.store.getItem(storeId);
		if (!item) throw new Error(`no stored item ${storeId}`);
		return immutableGraphId(item.immutableId);
	},
};

export const TRIGGER_APIS: TriggerApi[] = [EWS, GRAPH];

/** The stored message an id of either API names. */
export function storeIdOf(sandbox: Sandbox, apiId: string): string | undefined {
	const decoded = decodeGraphId(apiId, 'item');
	if (!decoded) return apiId;
	if (decoded.kind === 'immutable') return sandbox.ews.store.itemByImmutableId(decoded.immutableId)?.id;
	return decoded.ewsId;
}
