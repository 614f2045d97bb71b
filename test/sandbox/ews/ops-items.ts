// Item operations: FindItem, GetItem, MoveItem, CopyItem, DeleteItem, UpdateItem.
import { assertChangeKeyShape, EwsError, folderIdElements, itemIdXml, perEntry, resolveFolder, resolveItem, success, type OpHandler } from './context';
import { pageOf } from './ops-folders';
import { parseQueryString, parseRestriction, queryStringOf, sortItems, type Predicate } from './restrictions';
import { itemXml, parseItemShape } from './shapes';
import type { DeleteType, FlagStatus, Importance, MailboxStore, StoredItem } from './store';
import { attr, bool, child, children, el, text, type Element, local } from './xml';

/** EXO's EWSFindCountLimit: 1000 per page, 250 for restricted/AQS searches. */
export const FIND_LIMIT = 1000;
export const FIND_LIMIT_RESTRICTED = 250;

const findItem: OpHandler = async (ctx) => {
	if (attr(ctx.op, 'Traversal') && attr(ctx.op, 'Traversal') !== 'Shallow') {
		throw new EwsError('ErrorInvalidOperation', 'The stand-in supports Shallow traversal only.');
	}
	const shape = parseItemShape(child(ctx.op, 'ItemShape'));
	const view = child(ctx.op, 'IndexedPageItemView');
	const restriction = child(ctx.op, 'Restriction');
	const query = queryStringOf(ctx.op);
	const filters: Predicate[] = [];
	if (restriction) filters.push(parseRestriction(restriction));
	if (query) filters.push(parseQueryString(query));
	const cap = filters.length ? FIND_LIMIT_RESTRICTED : FIND_LIMIT;
	let returned = 0;
	const messages = await perEntry('FindItem', folderIdElements(child(ctx.op, 'ParentFolderIds')), async (element) => {
		const folder = resolveFolder(ctx, element);
		const matching = sortItems(
			ctx.store.listItemsIn(folder.id).filter((item) => filters.every((filter) => filter(item))),
			child(ctx.op, 'SortOrder'),
		);
		const page = pageOf(matching, view, cap);
		returned += page.items.length;
		const items = await Promise.all(page.items.map((item) => itemXml(ctx.store, item, shape, 'find')));
		return success(
			'FindItem',
			el(
				'm:RootFolder',
				{ IndexedPagingOffset: page.nextOffset, TotalItemsInView: matching.length, IncludesLastItemInRange: page.includesLast },
				el('t:Items', {}, ...items),
			),
		);
	});
	return { messages, itemCount: returned };
};

const itemIds = (container: Element | undefined) => children(container).filter((element) => local(element) === 'ItemId');

const getItem: OpHandler = async (ctx) => {
	const shape = parseItemShape(child(ctx.op, 'ItemShape'));
	const ids = itemIds(child(ctx.op, 'ItemIds'));
	const messages = await perEntry('GetItem', ids, async (element) => {
		const item = resolveItem(ctx, attr(element, 'Id'));
		if (item.corrupt) throw new EwsError('ErrorCorruptData');
		return success('GetItem', el('m:Items', {}, await itemXml(ctx.store, item, shape, 'get')));
	});
	return { messages, itemCount: ids.length };
};

function moveOrCopy(operation: 'MoveItem' | 'CopyItem'): OpHandler {
	return async (ctx) => {
		const ids = itemIds(child(ctx.op, 'ItemIds'));
		const target = folderIdElements(child(ctx.op, 'ToFolderId'))[0];
		const returnNewIds = bool(attr(ctx.op, 'ReturnNewItemIds'), true);
		const messages = await perEntry(operation, ids, (element) => {
			const item = resolveItem(ctx, attr(element, 'Id'));
			const folder = resolveFolder(ctx, target);
			const result = operation === 'MoveItem' ? ctx.store.moveItem(item.id, folder.id) : ctx.store.copyItem(item.id, folder.id);
			return success(operation, el('m:Items', {}, returnNewIds ? el('t:Message', {}, itemIdXml(result)) : ''));
		});
		return { messages, itemCount: ids.length };
	};
}

const deleteItem: OpHandler = async (ctx) => {
	const deleteType = (attr(ctx.op, 'DeleteType') ?? 'HardDelete') as DeleteType;
	const ids = itemIds(child(ctx.op, 'ItemIds'));
	const messages = await perEntry('DeleteItem', ids, (element) => {
		ctx.store.deleteItem(resolveItem(ctx, attr(element, 'Id')).id, deleteType);
		return success('DeleteItem');
	});
	return { messages, itemCount: ids.length };
};

const IMPORTANCE = new Set(['Low', 'Normal', 'High']);
const FLAG_STATUS = new Set(['NotFlagged', 'Flagged', 'Complete']);
const dateOf = (element: Element | undefined) => (element ? new Date(text(element) ?? '') : undefined);

const fieldOfUpdate = (update: Element) => attr(child(update, 'FieldURI'), 'FieldURI') ?? attr(child(update, 'IndexedFieldURI'), 'FieldURI') ?? '';

/** Applies one SetItemField / AppendToItemField / DeleteItemField to an item. */
function applyUpdate(item: StoredItem, update: Element): void {
	const field = fieldOfUpdate(update);
	const source = children(update).find((element) => ['Message', 'Item'].includes(local(element)));
	const remove = local(update) === 'DeleteItemField';
	const append = local(update) === 'AppendToItemField';
	switch (field) {
		case 'message:IsRead':
			item.isRead = remove ? false : bool(text(child(source, 'IsRead')));
			return;
		case 'item:Categories': {
			const values = children(child(source, 'Categories'), 'String').map((element) => text(element) ?? '');
			item.categories = remove ? [] : append ? [...new Set([...item.categories, ...values])] : values;
			return;
		}
		case 'item:Importance': {
			const value = remove ? 'Normal' : (text(child(source, 'Importance')) ?? '');
			if (!IMPORTANCE.has(value)) throw new EwsError('ErrorInvalidPropertySet');
			item.importance = value as Importance;
			return;
		}
		case 'item:Flag': {
			if (remove) {
				item.flag = { status: 'NotFlagged' };
				return;
			}
			const flag = child(source, 'Flag');
			const status = text(child(flag, 'FlagStatus')) ?? 'NotFlagged';
			if (!FLAG_STATUS.has(status)) throw new EwsError('ErrorInvalidPropertySet');
			item.flag = {
				status: status as FlagStatus,
				startDate: dateOf(child(flag, 'StartDate')),
				dueDate: dateOf(child(flag, 'DueDate')),
				completeDate: dateOf(child(flag, 'CompleteDate')) ?? (status === 'Complete' ? new Date() : undefined),
			};
			return;
		}
		case 'item:Subject':
			item.subject = remove ? '' : (text(child(source, 'Subject')) ?? '');
			return;
		default:
			throw new EwsError('ErrorInvalidPropertyRequest', `The stand-in cannot update ${field}.`, `<t:FieldURI FieldURI="${field}"/>`);
	}
}

/**
 * undefined when the request's change key is the item's current one (or absent); otherwise how many of the
 * fields being set changed since that key (all of them when the key is not one this item ever had).
 */
function conflictingFields(store: MailboxStore, item: StoredItem, changeKey: string | undefined, fields: string[]): number | undefined {
	if (changeKey === undefined || changeKey === item.changeKey) return undefined;
	assertChangeKeyShape(changeKey);
	const changed = store.fieldsChangedSince(item.id, changeKey);
	return fields.filter((field) => !changed || changed.has('*') || changed.has(field)).length;
}

const updateItem: OpHandler = async (ctx) => {
	const conflictResolution = attr(ctx.op, 'ConflictResolution') ?? 'AutoResolve';
	const changes = children(child(ctx.op, 'ItemChanges'), 'ItemChange');
	const messages = await perEntry('UpdateItem', changes, (change) => {
		const idElement = child(change, 'ItemId');
		const item = resolveItem(ctx, attr(idElement, 'Id'));
		const updates = children(child(change, 'Updates'));
		const fields = updates.map(fieldOfUpdate);
		const conflicts = conflictingFields(ctx.store, item, attr(idElement, 'ChangeKey'), fields);
		// ConflictResolution as Exchange documents it: with a stale change key NeverOverwrite fails, AutoResolve
		// applies the update (the request's values win) and counts the conflicting properties, AlwaysOverwrite applies it.
		if (conflicts !== undefined && conflictResolution === 'NeverOverwrite') throw new EwsError('ErrorIrresolvableConflict');
		// Validate on a copy first so a failing update leaves the item untouched.
		const draft: StoredItem = { ...item, categories: [...item.categories], flag: { ...item.flag } };
		for (const update of updates) applyUpdate(draft, update);
		const updated = ctx.store.updateItem(
			item.id,
			(target) => {
				for (const update of updates) applyUpdate(target, update);
			},
			fields,
		);
		const counted = conflictResolution === 'AutoResolve' ? (conflicts ?? 0) : 0;
		return success('UpdateItem', el('m:Items', {}, el('t:Message', {}, itemIdXml(updated))), el('m:ConflictResults', {}, el('t:Count', {}, String(counted))));
	});
	return { messages, itemCount: changes.length };
};

export const itemOperations: Record<string, OpHandler> = {
	FindItem: findItem,
	GetItem: getItem,
	MoveItem: moveOrCopy('MoveItem'),
	CopyItem: moveOrCopy('CopyItem'),
	DeleteItem: deleteItem,
	UpdateItem: updateItem,
};

