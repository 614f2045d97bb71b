// messages: list (per folder or the whole mailbox; $select, $filter, $orderby, $top/$skip paging, $search),
// get, $value (MIME), create a draft, update (isRead, categories, flag, importance; drafts: content too),
// delete (to Deleted Items), move and copy.
import type { StoredItem } from '../ews/store';
import { isMailFolder, jsonBody, noContent, ok, page, resolveFolder, resolveMessage, route, type GraphContext, type Route } from './context';
import { errors, GraphError } from './errors';
import { checkFilterOrder, pageSize, parseFilter, parseOrderBy, searchPredicate, sortItems } from './query';
import { STRING, findProperty, prop, validateActionBody, validateEntity } from './schema';
import { attachmentJson, headersOf, messageJson, parseExpand, parseSelect } from './shapes';
import { draftFields, toImportance } from './compose';

/** A message as $select and $expand of the request ask; selected headers need the MIME (internetMessageHeaders). */
async function shapeMessage(ctx: GraphContext, item: StoredItem, select: string[] | undefined, expand: ReturnType<typeof parseExpand>) {
	const headers = select?.includes('internetMessageHeaders') ? headersOf(await ctx.store.mimeOf(item)) : undefined;
	const json = messageJson(item, ctx.shape, select, headers);
	if (expand) json.attachments = item.attachments.map((attachment) => attachmentJson(attachment, expand.select));
	return json;
}

export async function messageReply(ctx: GraphContext, item: StoredItem, status = 200, contextPath = 'messages/$entity') {
	const query = ctx.request.query;
	const json = await shapeMessage(ctx, item, parseSelect(query.get('$select'), 'Message'), parseExpand(query.get('$expand')));
	return ok({ '@odata.context': `${ctx.contextRoot}/${contextPath}`, ...json }, status, preferenceApplied(ctx));
}

export const preferenceApplied = (ctx: GraphContext): Record<string, string> =>
	ctx.shape.textBody ? { 'Preference-Applied': 'outlook.body-content-type="text"' } : {};

async function list(ctx: GraphContext, folderRef?: string) {
	const query = ctx.request.query;
	const search = query.get('$search');
	const filterText = query.get('$filter');
	const orderText = query.get('$orderby');
	if (search !== null && orderText !== null) throw new GraphError(400, 'SearchWithOrderBy', "The query parameter '$orderBy' is not supported with '$search'.");
	// Not documented word for word; Graph refuses the combination (search-query-parameter.md).
	if (search !== null && filterText !== null) throw new GraphError(400, 'SearchWithFilter', "The query parameter '$filter' is not supported with '$search'.");
	const select = parseSelect(query.get('$select'), 'Message');
	const expand = parseExpand(query.get('$expand'));
	const top = pageSize(query.get('$top'));
	const filter = filterText === null ? undefined : parseFilter(filterText);
	const orderBy = orderText === null ? [] : parseOrderBy(orderText);
	if (filter && orderBy.length) checkFilterOrder(filter, orderBy);

	const folders = folderRef
		? [resolveFolder(ctx, folderRef)]
		: ctx.store.descendantFolders(resolveFolder(ctx, 'msgfolderroot').id).filter(isMailFolder);
	let items = folders.flatMap((folder) => ctx.store.listItemsIn(folder.id));
	if (filter) items = items.filter(filter.test);
	if (search !== null) items = items.filter(searchPredicate(search));
	const { value, nextLink } = page(ctx, sortItems(items, orderBy), top);
	const shaped = [];
	for (const item of value) shaped.push(await shapeMessage(ctx, item, select, expand));
	const count = query.get('$count') === 'true' ? { '@odata.count': items.length } : {};
	return ok(
		{ '@odata.context': `${ctx.contextRoot}/${folderRef ? `mailFolders('${folderRef}')/messages` : 'messages'}`, ...count, value: shaped, ...(nextLink ? { '@odata.nextLink': nextLink } : {}) },
		200,
		preferenceApplied(ctx),
	);
}

/** Properties a PATCH may set on any message; the rest of the writable ones only on drafts. */
const ALWAYS_UPDATABLE = new Set(['isread', 'categories', 'flag', 'importance', 'inferenceclassification', 'isdeliveryreceiptrequested', 'isreadreceiptrequested']);
const READ_ONLY = new Set(['id', 'createddatetime', 'lastmodifieddatetime', 'changekey', 'receiveddatetime', 'sentdatetime', 'hasattachments', 'bodypreview', 'parentfolderid', 'conversationid', 'conversationindex', 'isdraft', 'weblink', 'uniquebody']);

function update(ctx: GraphContext, ref: string) {
	const item = resolveMessage(ctx, ref);
	const body = jsonBody(ctx.request) as Record<string, unknown>;
	validateEntity(body, 'Message');
	for (const key of Object.keys(body)) {
		if (key.includes('@')) continue;
		const name = key.toLowerCase();
		if (READ_ONLY.has(name)) throw new GraphError(400, 'ErrorInvalidPropertySet', `The property '${findProperty('Message', key)?.name ?? key}' is read-only and cannot be set.`);
		if (!item.isDraft && !ALWAYS_UPDATABLE.has(name)) {
			throw new GraphError(400, 'ErrorInvalidPropertyUpdateSentMessage', 'Update operation is not supported for this property on a sent or received message.');
		}
	}
	// Attachments have their own endpoint; a PATCH changes the message's own properties.
	const { attachments: _attachments, ...fields } = item.isDraft ? draftFields(body) : {};
	return ctx.store.updateItem(item.id, (stored) => {
		Object.assign(stored, fields);
		const isRead = prop(body, 'isRead');
		if (isRead !== undefined) stored.isRead = isRead === true || isRead === 'true';
		const categories = prop<string[]>(body, 'categories');
		if (categories) stored.categories = [...categories];
		const importance = prop<string>(body, 'importance');
		if (importance) stored.importance = toImportance(importance);
		const flag = prop<Record<string, unknown>>(body, 'flag');
		if (flag) {
			const status = String(prop(flag, 'flagStatus') ?? 'notFlagged').toLowerCase();
			const when = (name: string) => {
				const value = prop<Record<string, unknown>>(flag, name);
				const dateTime = value && prop<string>(value, 'dateTime');
				return dateTime ? new Date(/Z|[+-]\d\d:\d\d$/.test(dateTime) ? dateTime : `${dateTime}Z`) : undefined;
			};
			stored.flag = {
				status: status === 'flagged' ? 'Flagged' : status === 'complete' ? 'Complete' : 'NotFlagged',
				startDate: when('startDateTime'),
				dueDate: when('dueDateTime'),
				completeDate: status === 'complete' ? (when('completedDateTime') ?? new Date()) : undefined,
			};
		}
	});
}

function destination(ctx: GraphContext, action: string) {
	const { destinationId } = validateActionBody(jsonBody(ctx.request), action, { destinationId: STRING });
	if (typeof destinationId !== 'string') throw errors.invalidRequest(`The parameter 'destinationId' of '${action}' is required.`);
	return resolveFolder(ctx, destinationId);
}

async function mime(ctx: GraphContext, ref: string) {
	const item = resolveMessage(ctx, ref);
	return { status: 200, headers: { 'Content-Type': 'text/plain' }, raw: await ctx.store.mimeOf(item) };
}

export const messageRoutes: Route[] = [
	route('GET', '/messages', 'read', (ctx) => list(ctx)),
	route('GET', '/mailFolders/{id}/messages', 'read', (ctx, [folder]) => list(ctx, folder)),
	route('GET', '/messages/{id}', 'read', (ctx, [id]) => messageReply(ctx, resolveMessage(ctx, id))),
	route('GET', '/mailFolders/{id}/messages/{id}', 'read', (ctx, [folder, id]) => {
		const item = resolveMessage(ctx, id);
		if (item.folderId !== resolveFolder(ctx, folder).id) throw errors.itemNotFound();
		return messageReply(ctx, item);
	}),
	route('GET', '/messages/{id}/$value', 'read', (ctx, [id]) => mime(ctx, id)),
	route('GET', '/mailFolders/{id}/messages/{id}/$value', 'read', (ctx, [, id]) => mime(ctx, id)),
	route('PATCH', '/messages/{id}', 'write', (ctx, [id]) => messageReply(ctx, update(ctx, id))),
	route('PATCH', '/mailFolders/{id}/messages/{id}', 'write', (ctx, [, id]) => messageReply(ctx, update(ctx, id))),
	route('DELETE', '/messages/{id}', 'write', (ctx, [id]) => {
		ctx.store.deleteItem(resolveMessage(ctx, id).id, 'MoveToDeletedItems');
		return noContent();
	}),
	// Purges (Recoverable Items), as a hard delete does on Exchange Online with single item recovery on.
	route('POST', '/messages/{id}/permanentDelete', 'write', (ctx, [id]) => {
		ctx.store.deleteItem(resolveMessage(ctx, id).id, 'HardDelete');
		return noContent();
	}),
	route('POST', '/messages/{id}/move', 'write', (ctx, [id]) => {
		const item = resolveMessage(ctx, id);
		const target = destination(ctx, 'move');
		return messageReply(ctx, target.id === item.folderId ? item : ctx.store.moveItem(item.id, target.id), 201);
	}),
	route('POST', '/messages/{id}/copy', 'write', (ctx, [id]) => {
		const item = resolveMessage(ctx, id);
		const target = destination(ctx, 'copy');
		return messageReply(ctx, ctx.store.copyItem(item.id, target.id), 201);
	}),
];
