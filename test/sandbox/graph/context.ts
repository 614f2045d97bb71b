// What an operation of the Graph stand-in gets (the store, the caller, the mailbox, the request) and the
// lookups every operation shares: folders by well-known name or id, messages by regular or immutable id.
import type { MailboxStore, StoredFolder, StoredItem } from '../ews/store';
import type { GraphPrincipal, Permission } from './auth';
import { errors, GraphError } from './errors';
import { decodeGraphId } from './ids';
import type { ShapeOptions } from './shapes';

export interface GraphRequest {
	method: string;
	/** Path below /v1.0, e.g. '/me/messages/AAMk…' (percent-encoded as sent; route parameters are decoded). */
	path: string;
	query: URLSearchParams;
	/** Lower-cased header names. */
	headers: Record<string, string>;
	body: Buffer;
}

export interface GraphReply {
	status: number;
	headers?: Record<string, string>;
	/** JSON body; `raw` for $value and MIME. */
	json?: unknown;
	raw?: Buffer;
	/** Fault cutAnswer: only this many bytes of the body are sent before the connection closes. */
	cutAfter?: number;
}

export interface GraphContext {
	store: MailboxStore;
	principal: GraphPrincipal;
	mailbox: string;
	request: GraphRequest;
	/** 'https://host:port/v1.0' */
	base: string;
	/** '/me' or '/users/{segment}' as the caller wrote it (links are built on it). */
	prefix: string;
	/** OData context root, e.g. "https://…/v1.0/$metadata#users('guid')". */
	contextRoot: string;
	shape: ShapeOptions;
	/** The service's hooks an operation may need (upload sessions, delta tokens…). */
	service: GraphServiceHooks;
}

export interface GraphServiceHooks {
	uploadUrl(sessionId: string): string;
	createUploadSession(session: UploadSession): string;
	deltaTokens: Map<string, unknown>;
	/** How an unknown (expired) delta token is answered: GraphService.expireDeltaTokens. */
	deltaExpiry(): DeltaExpiry;
}

/** The documented forms of a refused delta token (delta-query-overview.md, errors.md). */
export type DeltaExpiry = 'syncStateNotFound' | 'resyncRequired' | 'gone';

export interface UploadSession {
	mailbox: string;
	itemId: string;
	name: string;
	size: number;
	isInline: boolean;
	contentId?: string;
	contentType: string;
	received: Buffer[];
	receivedBytes: number;
	expires: Date;
}

export type Handler = (ctx: GraphContext, params: string[]) => Promise<GraphReply> | GraphReply;

export interface Route {
	method: string;
	/** Matches the path below the mailbox prefix, e.g. /^\/messages\/([^/]+)$/ */
	pattern: RegExp;
	/** Name for counts() and fault targeting: 'GET /messages/{id}'. */
	endpoint: string;
	permission: Permission;
	handler: Handler;
}

export const route = (method: string, endpoint: string, permission: Permission, handler: Handler): Route => {
	const pattern = new RegExp(
		`^${endpoint
			.replace(/[.$]/g, (char) => `\\${char}`)
			.replace(/\{[a-z]+\}/gi, '([^/]+)')}$`,
		'i',
	);
	return { method, pattern, endpoint: `${method} ${endpoint}`, permission, handler };
};

/** Well-known folder names Graph accepts (mailfolder.md), mapped to the store's distinguished ids. */
const WELL_KNOWN = ['archive', 'clutter', 'conflicts', 'conversationhistory', 'deleteditems', 'drafts', 'inbox', 'junkemail', 'localfailures', 'msgfolderroot', 'outbox', 'recoverableitemsdeletions', 'scheduled', 'searchfolders', 'sentitems', 'serverfailures', 'syncissues'];

export function resolveFolder(ctx: Pick<GraphContext, 'store' | 'mailbox'>, ref: string): StoredFolder {
	if (WELL_KNOWN.includes(ref.toLowerCase())) {
		const folder = ctx.store.distinguishedFolder(ctx.mailbox, ref.toLowerCase());
		if (!folder) throw errors.folderNotFound();
		return folder;
	}
	const decoded = decodeGraphId(ref, 'folder');
	if (!decoded || decoded.kind !== 'ews') throw errors.idMalformed();
	const folder = ctx.store.folder(decoded.ewsId);
	if (!folder || folder.mailbox !== ctx.mailbox) throw errors.folderNotFound();
	return folder;
}

export function resolveMessage(ctx: Pick<GraphContext, 'store' | 'mailbox'>, ref: string): StoredItem {
	const decoded = decodeGraphId(ref, 'item');
	if (!decoded) throw errors.idMalformed();
	const item = decoded.kind === 'immutable' ? ctx.store.itemByImmutableId(decoded.immutableId) : ctx.store.getItem(decoded.ewsId);
	if (!item || item.mailbox !== ctx.mailbox || ctx.store.isRecoverable(item.folderId)) throw errors.itemNotFound();
	return item;
}

/** Folders a Graph client sees as mail folders (not Calendar, Contacts…; not Recoverable Items). */
export const isMailFolder = (folder: StoredFolder) => folder.folderClass === 'IPF.Note' || folder.distinguishedId === 'msgfolderroot';

export function folderCounts(store: MailboxStore, folder: StoredFolder, includeHidden = false) {
	const items = store.listItemsIn(folder.id);
	return {
		childFolderCount: store.childFolders(folder.id).filter((child) => isMailFolder(child) && (includeHidden || !child.isHidden)).length,
		unreadItemCount: items.filter((item) => !item.isRead).length,
		totalItemCount: items.length,
	};
}

/** The JSON body of a request (Content-Type application/json), or Graph's error. */
export function jsonBody(request: GraphRequest): unknown {
	const text = request.body.toString('utf8');
	if (!text.trim()) throw errors.bodyRead('The request body is empty: a JSON object is expected.');
	try {
		return JSON.parse(text) as unknown;
	} catch {
		throw new GraphError(400, 'BadRequest', 'Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.');
	}
}

/** A page of `items` and the @odata.nextLink for the rest ($top/$skip kept, other options as given). */
export function page<T>(ctx: GraphContext, items: T[], top: number): { value: T[]; nextLink?: string } {
	const skip = Number(ctx.request.query.get('$skip') ?? '0');
	if (!Number.isInteger(skip) || skip < 0) throw errors.badQuery(`Invalid $skip value '${ctx.request.query.get('$skip')}'.`);
	const value = items.slice(skip, skip + top);
	if (skip + top >= items.length) return { value };
	const query = new URLSearchParams(ctx.request.query);
	query.set('$top', String(top));
	query.set('$skip', String(skip + top));
	return { value, nextLink: `${ctx.base}${ctx.request.path}?${query.toString().replace(/%24/g, '$')}` };
}

export const ok = (json: unknown, status = 200, headers: Record<string, string> = {}): GraphReply => ({ status, json, headers });
export const noContent = (status = 204): GraphReply => ({ status });
