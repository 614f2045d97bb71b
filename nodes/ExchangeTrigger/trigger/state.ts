import { createHash } from 'crypto';

/**
 * What the trigger remembers between polls, in the workflow's static data (JSON, small): the
 * change-feed cursor and a bounded record of what it emitted. Nothing lives in module memory,
 * so any main instance (queue mode, restarts) continues where the last poll ended.
 */
export interface TriggerState {
	version: 1;
	/** Hash of (credential, mailbox, folder): when it changes the cursor starts over on purpose. */
	cursorKey: string;
	/**
	 * The change feed's opaque cursor (MailStore.changes); undefined until the first page was read.
	 * Named syncState since 0.1, which stored an EWS SyncState here: kept, so a saved state keeps working.
	 */
	syncState?: string;
	/** Only emit mail received at or after this time (start window, or the bound of a resync). */
	cutoff?: string;
	/**
	 * True while the start point is being applied: "new mail only" skips everything until caught up, except, with
	 * a cutoff, what was received since then (a first start whose state was lost, loadState).
	 */
	fastForward?: boolean;
	/** Newest receive time emitted so far (ISO). */
	highWater?: string;
	/**
	 * Short hashes of recently emitted ItemIds and Internet Message-IDs, oldest first. The ItemId is the
	 * de-duplication key; a Message-ID only marks repeats during a resynchronisation (poll.ts, isRepeat).
	 */
	recent: string[];
	/** Redeliver Until Processed (redelivery.ts): absent when the option is off. */
	redelivery?: RedeliveryState;
}

export interface RedeliveryState {
	/** The watched folder's id as parent folders are written (resolved once while messages are pending). */
	folderId?: string;
	/** Emitted messages not yet acknowledged, ordered by last emission (oldest first); at most PENDING_LIMIT. */
	pending: PendingMessage[];
}

/** One emitted message waiting to be marked processed; times are epoch milliseconds. */
export interface PendingMessage {
	id: string;
	/** First emission. */
	first: number;
	/** Latest emission: due again `afterMs` later. */
	last: number;
	/** Emissions so far (1 = emitted once). */
	attempt: number;
}

/** How many emitted identifiers are remembered for de-duplication (two per message). */
export const RECENT_LIMIT = 4000;

/** A resync re-reads the folder; mail older than this before the high-water mark counts as seen. */
export const RESYNC_MARGIN_MS = 60 * 60 * 1000;

export function cursorKeyOf(parts: Array<string | undefined>): string {
	return createHash('sha256').update(JSON.stringify(parts)).digest('base64url').slice(0, 22);
}

export function shortHash(value: string): string {
	return createHash('sha256').update(value).digest('base64url').slice(0, 16);
}

export type StartPoint = { kind: 'newOnly' } | { kind: 'recentDays'; days: number } | { kind: 'all' };

export function initialState(cursorKey: string, start: StartPoint, now: Date): TriggerState {
	const state: TriggerState = { version: 1, cursorKey, recent: [] };
	if (start.kind === 'newOnly') state.fastForward = true;
	if (start.kind === 'recentDays') state.cutoff = new Date(now.getTime() - start.days * 86_400_000).toISOString();
	return state;
}

/**
 * A plain copy of stored state. n8n hands static data back as an observable proxy after a restart,
 * which structuredClone refuses; the state is JSON by design, so a JSON copy is exact.
 */
export function copyState(state: TriggerState): TriggerState {
	return JSON.parse(JSON.stringify(state)) as TriggerState;
}

/** Where the first starts of "New Mail Only" are kept: the workflow's global static data (see FirstStarts). */
const FIRST_STARTS = 'exchangeTriggerFirstStarts';

/**
 * When "New Mail Only" first started, per node and cursor, in the workflow's *global* static data. The node's own
 * state from that first poll can be lost: n8n 2.40.7 with durable poll cursors discards what an activation poll
 * changed when it emits nothing (that poll is never committed), and a crash loses any state n8n had not saved yet.
 * n8n saves the workflow's global static data after every activation, so this time survives both; a fresh state
 * that finds it keeps the mail received since then instead of skipping it.
 */
export interface FirstStarts {
	/** The workflow's global static data. */
	data: Record<string, unknown>;
	/** The trigger node's id: two triggers on one folder have their own start. */
	nodeId: string;
}

/** The recorded first start of this node and cursor, recording `now` when there is none (and dropping the node's older ones). */
function firstStart(starts: FirstStarts, cursorKey: string, now: Date): { startedAt: string; earlier: boolean } {
	const byKey = { ...((starts.data[FIRST_STARTS] as Record<string, string> | undefined) ?? {}) };
	const key = `${starts.nodeId}:${cursorKey}`;
	if (typeof byKey[key] === 'string') return { startedAt: byKey[key], earlier: true };
	for (const other of Object.keys(byKey)) if (other.startsWith(`${starts.nodeId}:`)) delete byKey[other];
	// To the whole second: both APIs give receive times in whole seconds, so mail received in the same second
	// after the start would otherwise compare as before it and be skipped.
	byKey[key] = new Date(Math.floor(now.getTime() / 1000) * 1000).toISOString();
	starts.data[FIRST_STARTS] = byKey;
	return { startedAt: byKey[key], earlier: false };
}

/**
 * The state stored in static data for this cursor, or a fresh one (first activation or a changed key). A fresh
 * "New Mail Only" state whose first start was recorded earlier (`starts`) skips to now but keeps what was
 * received since that start (collect() in poll.ts): the start survives what the node's state did not.
 */
export function loadState(staticData: Record<string, unknown>, cursorKey: string, start: StartPoint, now: Date, starts?: FirstStarts): { state: TriggerState; reset: boolean; resumedFrom?: string } {
	const stored = staticData.exchangeTrigger as TriggerState | undefined;
	if (stored?.version === 1 && stored.cursorKey === cursorKey) return { state: copyState(stored), reset: false };
	const state = initialState(cursorKey, start, now);
	const reset = stored !== undefined;
	if (start.kind !== 'newOnly' || !starts) return { state, reset };
	const { startedAt, earlier } = firstStart(starts, cursorKey, now);
	if (!earlier) return { state, reset };
	state.cutoff = startedAt;
	return { state, reset, resumedFrom: startedAt };
}

export function saveState(staticData: Record<string, unknown>, state: TriggerState): void {
	staticData.exchangeTrigger = state;
}

export function remember(state: TriggerState, identifiers: string[]): void {
	state.recent.push(...identifiers.map(shortHash));
	if (state.recent.length > RECENT_LIMIT) state.recent.splice(0, state.recent.length - RECENT_LIMIT);
}

/** Whether any identifier was emitted before; `recent` is `new Set(state.recent)`, built once per poll. */
export function seenBefore(recent: Set<string>, identifiers: Array<string | null | undefined>): boolean {
	return identifiers.some((identifier) => identifier && recent.has(shortHash(identifier)));
}
