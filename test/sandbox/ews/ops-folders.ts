// Folder operations: GetFolder, FindFolder, CreateFolder, UpdateFolder (rename), DeleteFolder, EmptyFolder.
import { assertChangeKeyShape, EwsError, folderIdElements, folderIdXml, perEntry, resolveFolder, success, type OpContext, type OpHandler } from './context';
import { FOLDER_ELEMENTS, folderXml, parseFolderShape } from './shapes';
import type { DeleteType, StoredFolder } from './store';
import { attr, bool, child, children, el, path, text, local, type Element } from './xml';

const getFolder: OpHandler = async (ctx) => {
	const shape = parseFolderShape(child(ctx.op, 'FolderShape'));
	const ids = folderIdElements(child(ctx.op, 'FolderIds'));
	const messages = await perEntry('GetFolder', ids, (element) => {
		const folder = resolveFolder(ctx, element);
		return success('GetFolder', el('m:Folders', {}, folderXml(ctx.store, folder, shape.base, shape.extra)));
	});
	return { messages, itemCount: ids.length };
};

/**
 * FindFolder restrictions on folder:DisplayName (IsEqualTo, IsNotEqualTo, Contains; And/Or/Not),
 * compared case-insensitively as Exchange does. Other folder properties are not searchable here.
 */
function folderPredicate(element: Element): (folder: StoredFolder) => boolean {
	const kind = local(element);
	// Built eagerly, so an unsupported part fails on an empty parent folder too.
	const parts = ['And', 'Or', 'Not'].includes(kind) ? children(element).map(folderPredicate) : [];
	if (kind === 'And') return (folder) => parts.every((part) => part(folder));
	if (kind === 'Or') return (folder) => parts.some((part) => part(folder));
	if (kind === 'Not') return (folder) => !parts[0](folder);
	const field = attr(child(element, 'FieldURI'), 'FieldURI');
	if (field !== 'folder:DisplayName') throw new EwsError('ErrorUnsupportedPathForQuery', `The stand-in can only search folders by folder:DisplayName, not ${field}.`);
	const constantElement = child(element, 'Constant') ?? child(child(element, 'FieldURIOrConstant'), 'Constant');
	const wanted = (attr(constantElement, 'Value') ?? '').toLowerCase();
	if (kind === 'IsEqualTo') return (folder) => folder.displayName.toLowerCase() === wanted;
	if (kind === 'IsNotEqualTo') return (folder) => folder.displayName.toLowerCase() !== wanted;
	if (kind === 'Contains') return (folder) => folder.displayName.toLowerCase().includes(wanted);
	throw new EwsError('ErrorUnsupportedPathForQuery', `The stand-in does not support ${kind} on folders.`);
}

const findFolder: OpHandler = async (ctx) => {
	const shape = parseFolderShape(child(ctx.op, 'FolderShape'));
	const restriction = children(child(ctx.op, 'Restriction'))[0];
	const keep = restriction ? folderPredicate(restriction) : () => true;
	const deep = attr(ctx.op, 'Traversal') === 'Deep';
	const view = child(ctx.op, 'IndexedPageFolderView');
	const parents = folderIdElements(child(ctx.op, 'ParentFolderIds'));
	let returned = 0;
	const messages = await perEntry('FindFolder', parents, (element) => {
		const parent = resolveFolder(ctx, element);
		const all = (deep ? ctx.store.descendantFolders(parent.id) : ctx.store.childFolders(parent.id)).filter(keep);
		const page = pageOf(all, view, 1000);
		returned += page.items.length;
		return success(
			'FindFolder',
			el(
				'm:RootFolder',
				{ IndexedPagingOffset: page.nextOffset, TotalItemsInView: all.length, IncludesLastItemInRange: page.includesLast },
				el('t:Folders', {}, ...page.items.map((folder) => folderXml(ctx.store, folder, shape.base, shape.extra))),
			),
		);
	});
	return { messages, itemCount: returned };
};

const createFolder: OpHandler = async (ctx) => {
	const parentElement = folderIdElements(child(ctx.op, 'ParentFolderId'))[0];
	const folders = children(child(ctx.op, 'Folders'));
	const messages = await perEntry('CreateFolder', folders, (element) => {
		const parent = resolveFolder(ctx, parentElement);
		const name = text(child(element, 'DisplayName'))?.trim();
		if (!name) throw new EwsError('ErrorInvalidOperation', 'A folder needs a DisplayName.');
		const implied = Object.entries(FOLDER_ELEMENTS).find(([, tag]) => tag === `t:${local(element)}`)?.[0];
		const created = ctx.store.createFolder(parent.mailbox, parent.id, name, text(child(element, 'FolderClass')) ?? implied ?? 'IPF.Note');
		return success('CreateFolder', el('m:Folders', {}, el(FOLDER_ELEMENTS[created.folderClass] ?? 't:Folder', {}, folderIdXml(created))));
	});
	return { messages, itemCount: folders.length };
};

const updateFolder: OpHandler = async (ctx) => {
	const changes = children(child(ctx.op, 'FolderChanges'), 'FolderChange');
	const messages = await perEntry('UpdateFolder', changes, (change) => {
		const idElement = children(change).find((element) => ['FolderId', 'DistinguishedFolderId'].includes(local(element)));
		const folder = resolveFolder(ctx, idElement);
		// UpdateFolder has no ConflictResolution: a stale change key is resolved (the change applies), as Exchange does.
		assertChangeKeyShape(attr(idElement, 'ChangeKey'));
		for (const update of children(child(change, 'Updates'))) {
			const field = attr(child(update, 'FieldURI'), 'FieldURI');
			if (field !== 'folder:DisplayName') throw new EwsError('ErrorInvalidPropertyRequest', `The stand-in can only update folder:DisplayName, not ${field}.`);
			if (local(update) === 'DeleteFolderField') throw new EwsError('ErrorInvalidPropertyRequest');
			const name = text(path(update, 'Folder', 'DisplayName'))?.trim();
			if (!name) throw new EwsError('ErrorInvalidOperation', 'DisplayName cannot be empty.');
			if (folder.distinguishedId) throw new EwsError('ErrorAccessDenied', 'Distinguished folders cannot be renamed.');
			const siblings = folder.parentId ? ctx.store.childFolders(folder.parentId) : [];
			if (siblings.some((sibling) => sibling !== folder && sibling.displayName.toLowerCase() === name.toLowerCase())) throw new EwsError('ErrorFolderExists');
			ctx.store.renameFolder(folder.id, name);
		}
		return success('UpdateFolder', el('m:Folders', {}, el('t:Folder', {}, folderIdXml(folder))));
	});
	return { messages, itemCount: changes.length };
};

const deleteFolder: OpHandler = async (ctx) => {
	const deleteType = (attr(ctx.op, 'DeleteType') ?? 'HardDelete') as DeleteType;
	const ids = folderIdElements(child(ctx.op, 'FolderIds'));
	const messages = await perEntry('DeleteFolder', ids, (element) => {
		const folder = resolveFolder(ctx, element);
		if (folder.distinguishedId) throw new EwsError('ErrorDeleteDistinguishedFolder');
		const deletedItems = ctx.store.distinguishedFolder(folder.mailbox, 'deleteditems') as StoredFolder;
		const alreadyInDeletedItems = isBelow(ctx, folder, deletedItems.id);
		if (deleteType === 'MoveToDeletedItems' && !alreadyInDeletedItems) ctx.store.moveFolder(folder.id, deletedItems.id);
		else ctx.store.deleteFolder(folder.id, deleteType === 'HardDelete' ? 'HardDelete' : 'SoftDelete');
		return success('DeleteFolder');
	});
	return { messages, itemCount: ids.length };
};

const emptyFolder: OpHandler = async (ctx) => {
	const deleteType = (attr(ctx.op, 'DeleteType') ?? 'HardDelete') as DeleteType;
	const subFolders = bool(attr(ctx.op, 'DeleteSubFolders'));
	const ids = folderIdElements(child(ctx.op, 'FolderIds'));
	let removed = 0;
	const messages = await perEntry('EmptyFolder', ids, (element) => {
		const folder = resolveFolder(ctx, element);
		for (const item of ctx.store.listItemsIn(folder.id)) {
			removed++;
			ctx.store.deleteItem(item.id, deleteType);
		}
		if (subFolders) for (const sub of ctx.store.childFolders(folder.id)) ctx.store.deleteFolder(sub.id, deleteType === 'HardDelete' ? 'HardDelete' : 'SoftDelete');
		return success('EmptyFolder');
	});
	return { messages, itemCount: removed };
};

function isBelow(ctx: OpContext, folder: StoredFolder, ancestorId: string): boolean {
	for (let current: StoredFolder | undefined = folder; current; current = current.parentId ? ctx.store.folder(current.parentId) : undefined) {
		if (current.id === ancestorId) return true;
	}
	return false;
}

/** IndexedPage(Item|Folder)View paging; `cap` is EXO's EWSFindCountLimit (the page is truncated, not refused). */
export function pageOf<T>(all: T[], view: ReturnType<typeof child>, cap: number) {
	const requested = Number(attr(view, 'MaxEntriesReturned') ?? all.length);
	const max = Math.min(Number.isFinite(requested) ? requested : all.length, cap);
	const offset = Number(attr(view, 'Offset') ?? 0);
	const fromEnd = attr(view, 'BasePoint') === 'End';
	const start = fromEnd ? Math.max(0, all.length - offset - max) : offset;
	const end = fromEnd ? Math.max(0, all.length - offset) : Math.min(all.length, offset + max);
	const items = all.slice(start, end);
	const nextOffset = fromEnd ? offset + items.length : start + items.length;
	const includesLast = fromEnd ? start === 0 : end >= all.length;
	return { items, nextOffset, includesLast };
}

export const folderOperations: Record<string, OpHandler> = {
	GetFolder: getFolder,
	FindFolder: findFolder,
	CreateFolder: createFolder,
	UpdateFolder: updateFolder,
	DeleteFolder: deleteFolder,
	EmptyFolder: emptyFolder,
};
