// mailFolders: list (children of msgfolderroot; includeHiddenFolders), get, childFolders, create, update
// (displayName), delete (to Deleted Items, then for good), move and copy (with their messages).
import type { StoredFolder } from '../ews/store';
import { folderCounts, isMailFolder, jsonBody, noContent, ok, page, resolveFolder, route, type GraphContext, type Route } from './context';
import { errors, GraphError } from './errors';
import { FOLDER_FILTER, pageSize, parseFilter } from './query';
import { STRING, prop, validateActionBody, validateEntity } from './schema';
import { folderJson, parseSelect } from './shapes';

function folderReply(ctx: GraphContext, folder: StoredFolder, status = 200) {
	const select = parseSelect(ctx.request.query.get('$select'), 'MailFolder');
	return ok({ '@odata.context': `${ctx.contextRoot}/mailFolders/$entity`, ...folderJson(folder, folderCounts(ctx.store, folder), select) }, status);
}

function listChildren(ctx: GraphContext, parent: StoredFolder, contextPath: string) {
	const includeHidden = ctx.request.query.get('includeHiddenFolders') === 'true';
	const select = parseSelect(ctx.request.query.get('$select'), 'MailFolder');
	const filterText = ctx.request.query.get('$filter');
	const filter = filterText === null ? undefined : parseFilter(filterText, FOLDER_FILTER);
	const children = ctx.store
		.childFolders(parent.id)
		.filter((folder) => isMailFolder(folder) && (includeHidden || !folder.isHidden) && (!filter || filter.test(folder)))
		.sort((a, b) => a.displayName.localeCompare(b.displayName));
	const { value, nextLink } = page(ctx, children, pageSize(ctx.request.query.get('$top')));
	return ok({
		'@odata.context': `${ctx.contextRoot}/${contextPath}`,
		value: value.map((folder) => folderJson(folder, folderCounts(ctx.store, folder, includeHidden), select)),
		...(nextLink ? { '@odata.nextLink': nextLink } : {}),
	});
}

function createIn(ctx: GraphContext, parent: StoredFolder) {
	const body = jsonBody(ctx.request);
	validateEntity(body, 'MailFolder');
	const name = prop<string>(body as Record<string, unknown>, 'displayName');
	if (typeof name !== 'string' || !name.trim()) throw errors.invalidRequest('The displayName of a mail folder is required.');
	let folder: StoredFolder;
	try {
		folder = ctx.store.createFolder(ctx.mailbox, parent.id, name);
	} catch (error) {
		if ((error as { code?: string }).code === 'ErrorFolderExists') throw errors.folderExists();
		throw error;
	}
	const hidden = prop(body as Record<string, unknown>, 'isHidden');
	if (hidden === true || hidden === 'true') folder.isHidden = true;
	return folderReply(ctx, folder, 201);
}

function destination(ctx: GraphContext, action: string): StoredFolder {
	const { destinationId } = validateActionBody(jsonBody(ctx.request), action, { destinationId: STRING });
	if (typeof destinationId !== 'string') throw errors.invalidRequest(`The parameter 'destinationId' of '${action}' is required.`);
	return resolveFolder(ctx, destinationId);
}

const isDistinguished = (folder: StoredFolder) => folder.distinguishedId !== undefined;

function isInside(ctx: GraphContext, folder: StoredFolder, ancestor: StoredFolder): boolean {
	for (let current: StoredFolder | undefined = folder; current; current = current.parentId ? ctx.store.folder(current.parentId) : undefined) {
		if (current.id === ancestor.id) return true;
	}
	return false;
}

function copyTree(ctx: GraphContext, source: StoredFolder, parent: StoredFolder): StoredFolder {
	let name = source.displayName;
	if (ctx.store.childFolders(parent.id).some((folder) => folder.displayName.toLowerCase() === name.toLowerCase())) name = `${name} (copy)`;
	const copy = ctx.store.createFolder(ctx.mailbox, parent.id, name, source.folderClass);
	copy.isHidden = source.isHidden;
	for (const item of ctx.store.listItemsIn(source.id)) ctx.store.copyItem(item.id, copy.id);
	for (const child of ctx.store.childFolders(source.id)) copyTree(ctx, child, copy);
	return copy;
}

export const folderRoutes: Route[] = [
	route('GET', '/mailFolders', 'read', (ctx) => listChildren(ctx, resolveFolder(ctx, 'msgfolderroot'), 'mailFolders')),
	route('POST', '/mailFolders', 'write', (ctx) => createIn(ctx, resolveFolder(ctx, 'msgfolderroot'))),
	route('GET', '/mailFolders/{id}', 'read', (ctx, [id]) => folderReply(ctx, resolveFolder(ctx, id))),
	route('GET', '/mailFolders/{id}/childFolders', 'read', (ctx, [id]) => listChildren(ctx, resolveFolder(ctx, id), `mailFolders('${id}')/childFolders`)),
	route('POST', '/mailFolders/{id}/childFolders', 'write', (ctx, [id]) => createIn(ctx, resolveFolder(ctx, id))),
	route('PATCH', '/mailFolders/{id}', 'write', (ctx, [id]) => {
		const folder = resolveFolder(ctx, id);
		const body = jsonBody(ctx.request);
		validateEntity(body, 'MailFolder');
		const name = prop<string>(body as Record<string, unknown>, 'displayName');
		const others = Object.keys(body as object).filter((key) => !key.includes('@') && key.toLowerCase() !== 'displayname');
		if (others.length) throw errors.invalidRequest(`The property '${others[0]}' of a mail folder cannot be updated.`);
		if (name !== undefined) {
			if (typeof name !== 'string' || !name.trim()) throw errors.invalidRequest('The displayName of a mail folder cannot be empty.');
			if (isDistinguished(folder)) throw new GraphError(400, 'ErrorCannotRenameDistinguishedFolder', 'Distinguished folders cannot be renamed.');
			const siblings = folder.parentId ? ctx.store.childFolders(folder.parentId) : [];
			if (siblings.some((other) => other.id !== folder.id && other.displayName.toLowerCase() === name.toLowerCase())) throw errors.folderExists();
			ctx.store.renameFolder(folder.id, name);
		}
		return folderReply(ctx, folder);
	}),
	route('POST', '/mailFolders/{id}/permanentDelete', 'write', (ctx, [id]) => {
		const folder = resolveFolder(ctx, id);
		if (isDistinguished(folder)) throw errors.distinguishedFolder();
		ctx.store.deleteFolder(folder.id, 'HardDelete');
		return noContent();
	}),
	route('DELETE', '/mailFolders/{id}', 'write', (ctx, [id]) => {
		const folder = resolveFolder(ctx, id);
		if (isDistinguished(folder)) throw errors.distinguishedFolder();
		const deletedItems = resolveFolder(ctx, 'deleteditems');
		// Graph moves a folder to Deleted Items; one that is already there is deleted for good.
		if (isInside(ctx, folder, deletedItems)) ctx.store.deleteFolder(folder.id, 'SoftDelete');
		else ctx.store.moveFolder(folder.id, deletedItems.id);
		return noContent();
	}),
	route('POST', '/mailFolders/{id}/move', 'write', (ctx, [id]) => {
		const folder = resolveFolder(ctx, id);
		const target = destination(ctx, 'move');
		if (isDistinguished(folder)) throw errors.moveDistinguishedFolder();
		if (isInside(ctx, target, folder)) throw new GraphError(400, 'ErrorMoveCopyFailed', 'The move or copy operation failed: a folder cannot be moved into itself or its subfolders.');
		if (ctx.store.childFolders(target.id).some((other) => other.id !== folder.id && other.displayName.toLowerCase() === folder.displayName.toLowerCase())) throw errors.folderExists();
		ctx.store.moveFolder(folder.id, target.id);
		return folderReply(ctx, folder, 201);
	}),
	route('POST', '/mailFolders/{id}/copy', 'write', (ctx, [id]) => {
		const folder = resolveFolder(ctx, id);
		const target = destination(ctx, 'copy');
		if (isInside(ctx, target, folder)) throw new GraphError(400, 'ErrorMoveCopyFailed', 'The move or copy operation failed: a folder cannot be copied into itself or its subfolders.');
		return folderReply(ctx, copyTree(ctx, folder, target), 201);
	}),
];
