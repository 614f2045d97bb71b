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
	/** True while the start point is being applied ("new mail only" skips everything until caught up). */
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

/** The state stored in static data for this cursor, or a fresh one (first activation or a changed key). */
/**
 * A plain copy of stored state. n8n hands static data back as an observable proxy after a restart,
 * which structuredClone refuses; the state is JSON by design, so a JSON copy is exact.
 */
export function copyState(state: TriggerState): TriggerState {
	return JSON.parse(JSON.stringify(state)) as TriggerState;
}

export function loadState(staticData: Record<string, unknown>, cursorKey: string, start: StartPoint, now: Date): { state: TriggerState; reset: boolean } {
	const stored = staticData.exchangeTrigger as TriggerState | undefined;
	if (stored?.version === 1 && stored.cursorKey === cursorKey) return { state: copyState(stored), reset: false };
	return { state: initialState(cursorKey, start, now), reset: stored !== undefined };
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
