// The per-folder message delta (GET /mailFolders/{id}/messages/delta), as delta-query-messages.md describes it:
// an initial round lists the folder's messages (as created), later rounds from the deltaLink give what changed
// since (created, updated incl. read state, @removed for deleted or moved-out messages; a message moved in counts
// as created whatever its receivedDateTime). Paging by Prefer: odata.maxpagesize; query options only in the
// initial request (they live in the token); opaque tokens kept in a bounded cache, so old ones are evicted and
// expireDeltaTokens() makes every one answer 410 syncStateNotFound.
import type { StoredItem } from '../ews/store';
import { ok, resolveFolder, route, type GraphContext, type Route } from './context';
import { errors, GraphError } from './errors';
import { randomBytes } from 'node:crypto';
import { graphIdOf, immutableGraphId } from './ids';
import { attachmentJson, headersOf, messageJson, parseExpand, parseSelect } from './shapes';

/** Page size without Prefer: odata.maxpagesize (Graph's is not documented). */
export const DELTA_DEFAULT_PAGE_SIZE = 10;
/**
 * The largest page the stand-in gives, whatever odata.maxpagesize asks. Graph's is not documented for
 * message delta; 200 is the cap Microsoft states for Outlook delta pages, and the page the Graph
 * store asks for (DELTA_PAGE_SIZE in nodes/shared/transport/graph/store.ts; a test keeps them equal).
 */
export const DELTA_MAX_PAGE_SIZE = 200;
/** "Applying $filter in a delta query returns only up to 5,000 messages." (delta-query-messages.md) */
export const DELTA_FILTER_LIMIT = 5000;
/** Tokens kept; older ones are evicted like Graph's delta token cache. */
export const DELTA_TOKEN_CACHE = 5000;

type ChangeKind = 'created' | 'updated' | 'deleted';

interface Pending {
	kind: ChangeKind;
	itemId: string;
	immutableId?: string;
}

export interface DeltaState {
	mailbox: string;
	folderId: string;
	folderRef: string;
	/** Folder log position the next round starts after. */
	baseline: number;
	select?: string[];
	/** $expand=attachments, with its own $select. */
	expand?: { select?: string[] };
	changeType?: ChangeKind;
	received?: { op: 'ge' | 'gt'; at: Date };
	/** The rest of the current round (nextLink pages). */
	pending: Pending[];
}

function parseDeltaFilter(filter: string | null): DeltaState['received'] {
	if (filter === null) return undefined;
	const match = /^\s*receivedDateTime\s+(ge|gt)\s+(\d{4}-\d{2}-\d{2}T[\d:.]+(?:Z|[+-]\d{2}:\d{2}))\s*$/i.exec(filter);
	if (!match) throw errors.badQuery('The $filter of a message delta query supports only receivedDateTime ge or gt a date-time value.');
	return { op: match[1].toLowerCase() as 'ge' | 'gt', at: new Date(match[2]) };
}

function initialState(ctx: GraphContext, folderRef: string): DeltaState {
	const query = ctx.request.query;
	if (query.has('$search')) throw errors.badQuery('$search is not supported in a message delta query.');
	const orderby = query.get('$orderby');
	if (orderby !== null && !/^\s*receivedDateTime\s+desc\s*$/i.test(orderby)) throw errors.badQuery('The $orderby of a message delta query supports only receivedDateTime desc.');
	const changeType = query.get('changeType');
	if (changeType !== null && !['created', 'updated', 'deleted'].includes(changeType)) throw errors.badQuery(`Invalid changeType '${changeType}': use created, updated or deleted.`);
	const folder = resolveFolder(ctx, folderRef);
	const received = parseDeltaFilter(query.get('$filter'));
	let items = ctx.store
		.listItemsIn(folder.id)
		.sort((a, b) => b.dateTimeReceived.getTime() - a.dateTimeReceived.getTime());
	// A filtered first round stops at 5,000 messages (the newest: the order Graph gives is not documented).
	if (received) items = items.filter((item) => inWindow(received, item)).slice(0, DELTA_FILTER_LIMIT);
	return {
		mailbox: ctx.mailbox,
		folderId: folder.id,
		folderRef,
		baseline: folder.seq,
		select: parseSelect(query.get('$select'), 'Message'),
		expand: parseExpand(query.get('$expand')),
		changeType: (changeType ?? undefined) as ChangeKind | undefined,
		received,
		pending: items.map((item) => ({ kind: 'created' as const, itemId: item.id, immutableId: item.immutableId })),
	};
}

/** What changed in the folder after `state.baseline`, one entry per message. */
function nextRound(ctx: GraphContext, state: DeltaState): DeltaState {
	const folder = ctx.store.folderIncludingDeleted(state.folderId);
	if (!folder) throw errors.folderNotFound();
	const byItem = new Map<string, Pending | null>();
	for (const entry of folder.changes) {
		if (entry.seq <= state.baseline) continue;
		const previous = byItem.get(entry.itemId);
		let kind: ChangeKind | null;
		if (entry.type === 'delete') kind = previous?.kind === 'created' ? null : 'deleted';
		else if (entry.type === 'create') kind = 'created';
		else kind = previous?.kind === 'created' ? 'created' : 'updated';
		byItem.set(entry.itemId, kind ? { kind, itemId: entry.itemId, immutableId: entry.immutableId } : null);
	}
	return { ...state, baseline: folder.seq, pending: [...byItem.values()].filter((entry): entry is Pending => entry !== null) };
}

function inWindow(received: NonNullable<DeltaState['received']>, item: StoredItem): boolean {
	const at = item.dateTimeReceived.getTime();
	return received.op === 'ge' ? at >= received.at.getTime() : at > received.at.getTime();
}

const matches = (state: DeltaState, item: StoredItem) => !state.received || inWindow(state.received, item);

/** Refused token: in the form the service is set to (GraphService.expireDeltaTokens). */
function refused(ctx: GraphContext, folderRef: string): never {
	const Location = `${ctx.base}${ctx.prefix}/mailFolders/${folderRef}/messages/delta?$deltatoken=`;
	const form = ctx.service.deltaExpiry();
	if (form === 'gone') throw new GraphError(410, 'HTTP410', '', { Location }, true);
	throw Object.assign(form === 'resyncRequired' ? errors.resyncRequired() : errors.syncStateNotFound(), { headers: { Location } });
}

function maxPageSize(ctx: GraphContext): { size: number; applied?: string } {
	const match = /odata\.maxpagesize\s*=\s*(\d+)/i.exec(ctx.request.headers.prefer ?? '');
	if (!match) return { size: DELTA_DEFAULT_PAGE_SIZE };
	const size = Math.max(1, Math.min(Number(match[1]), DELTA_MAX_PAGE_SIZE));
	return { size, applied: `odata.maxpagesize=${size}` };
}

function issue(ctx: GraphContext, state: DeltaState): string {
	const tokens = ctx.service.deltaTokens;
	const token = randomBytes(24).toString('base64url');
	tokens.set(token, state);
	while (tokens.size > DELTA_TOKEN_CACHE) tokens.delete(tokens.keys().next().value as string);
	return token;
}

async function delta(ctx: GraphContext, folderRef: string) {
	const query = ctx.request.query;
	const skipToken = query.get('$skiptoken');
	const deltaToken = query.get('$deltatoken');
	let state: DeltaState;
	if (skipToken !== null || deltaToken !== null) {
		const extra = [...query.keys()].filter((name) => name !== '$skiptoken' && name !== '$deltatoken');
		if (extra.length) throw errors.badQuery(`Query options of a delta query go in the initial request only (they are part of the token): remove ${extra.join(', ')}.`);
		const saved = ctx.service.deltaTokens.get((skipToken ?? deltaToken) as string) as DeltaState | undefined;
		if (!saved || saved.mailbox !== ctx.mailbox) refused(ctx, folderRef);
		state = skipToken !== null ? saved : nextRound(ctx, saved);
	} else state = initialState(ctx, folderRef);

	const { size, applied } = maxPageSize(ctx);
	const value: Record<string, unknown>[] = [];
	let index = 0;
	for (; index < state.pending.length && value.length < size; index++) {
		const entry = state.pending[index];
		if (state.changeType && state.changeType !== entry.kind) continue;
		if (entry.kind === 'deleted') {
			const id = ctx.shape.immutableIds && entry.immutableId ? immutableGraphId(entry.immutableId) : graphIdOf(entry.itemId, 'item');
			value.push({ '@odata.type': '#microsoft.graph.message', id, '@removed': { reason: 'deleted' } });
			continue;
		}
		const item = ctx.store.getItem(entry.itemId);
		if (!item || item.folderId !== state.folderId || !matches(state, item)) continue;
		const headers = state.select?.includes('internetMessageHeaders') ? headersOf(await ctx.store.mimeOf(item)) : undefined;
		const json = messageJson(item, ctx.shape, state.select, headers);
		if (state.expand) json.attachments = item.attachments.map((attachment) => attachmentJson(attachment, state.expand?.select));
		value.push({ '@odata.type': '#microsoft.graph.message', ...json });
	}
	const rest = state.pending.slice(index);
	const link = `${ctx.base}${ctx.prefix}/mailFolders/${folderRef}/messages/delta`;
	const next = rest.length ? { '@odata.nextLink': `${link}?$skiptoken=${issue(ctx, { ...state, pending: rest })}` } : { '@odata.deltaLink': `${link}?$deltatoken=${issue(ctx, { ...state, pending: [] })}` };
	return ok({ '@odata.context': `${ctx.contextRoot}/mailFolders('${folderRef}')/messages/$delta`, value, ...next }, 200, applied ? { 'Preference-Applied': applied } : {});
}

export const deltaRoutes: Route[] = [route('GET', '/mailFolders/{id}/messages/delta', 'read', (ctx, [folder]) => delta(ctx, folder))];
