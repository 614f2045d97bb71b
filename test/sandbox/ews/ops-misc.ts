// SyncFolderItems, GetAttachment, CreateAttachment and ResolveNames.
import { randomBytes } from 'node:crypto';
import { EwsError, failure, folderIdElements, perEntry, resolveFolder, resolveItem, success, warning, assertMailboxAccess, type OpContext, type OpHandler } from './context';
import { attachmentOf } from './ops-send';
import { attachmentSummaryXml, itemXml, parseAttachmentShape, parseItemShape } from './shapes';
import { idShape, type StoredFolder } from './store';
import { attr, child, children, el, text, tx, type Element } from './xml';

/**
 * Opaque SyncState: base64 of JSON { f: folder id, s: log position known in full, r: [item id, log
 * position] reported beyond it, n: a nonce }. Like Exchange's, it changes on every successful call,
 * even one without changes.
 */
export const encodeSyncState = (folderId: string, since: number, reported: Map<string, number> = new Map()) =>
	Buffer.from(JSON.stringify({ f: folderId, s: since, r: [...reported], n: randomBytes(4).toString('hex') }), 'utf8').toString('base64');

function decodeSyncState(state: string, folder: StoredFolder): { since: number; reported: Map<string, number> } {
	let decoded: unknown;
	try {
		decoded = /^[A-Za-z0-9+/]+={0,2}$/.test(state) ? JSON.parse(Buffer.from(state, 'base64').toString('utf8')) : undefined;
	} catch {
		decoded = undefined;
	}
	const { f, s, r } = (decoded ?? {}) as { f?: unknown; s?: unknown; r?: unknown };
	const position = (value: unknown, after = -1): value is number => Number.isInteger(value) && (value as number) > after && (value as number) <= folder.seq;
	const entries = Array.isArray(r) ? r : undefined;
	if (f !== folder.id || !position(s) || !entries?.every((entry) => Array.isArray(entry) && typeof entry[0] === 'string' && position(entry[1], s))) {
		throw new EwsError('ErrorInvalidSyncStateData');
	}
	return { since: s, reported: new Map(entries as Array<[string, number]>) };
}

function syncFolder(ctx: OpContext, element: Element | undefined): StoredFolder {
	if (element?.localName === 'FolderId') {
		const id = attr(element, 'Id') ?? '';
		const folder = idShape(id, 'folder') === 'ok' ? ctx.store.folderIncludingDeleted(id) : undefined;
		if (folder?.deleted) throw new EwsError('ErrorSyncFolderNotFound');
	}
	return resolveFolder(ctx, element);
}

const syncFolderItems: OpHandler = async (ctx) => {
	const shape = parseItemShape(child(ctx.op, 'ItemShape'));
	const max = Number(text(child(ctx.op, 'MaxChangesReturned')) ?? 512);
	const ignore = new Set(children(child(ctx.op, 'Ignore'), 'ItemId').map((element) => attr(element, 'Id') ?? ''));
	let returned = 0;
	const messages = await perEntry('SyncFolderItems', [ctx.op], async () => {
		const folder = syncFolder(ctx, folderIdElements(child(ctx.op, 'SyncFolderId'))[0]);
		const state = text(child(ctx.op, 'SyncState'))?.trim();
		const known = state ? decodeSyncState(state, folder) : { since: 0, reported: new Map<string, number>() };
		const { changes, since, reported, includesLast } = ctx.store.changesSince(folder.id, known.since, known.reported, max, ignore);
		returned = changes.length;
		const parts: string[] = [];
		for (const change of changes) {
			const item = ctx.store.getItem(change.itemId);
			if (change.type === 'delete' || !item || item.folderId !== folder.id) {
				parts.push(el('t:Delete', {}, el('t:ItemId', { Id: change.itemId })));
			} else if (change.type === 'readflag') {
				parts.push(el('t:ReadFlagChange', {}, el('t:ItemId', { Id: item.id, ChangeKey: item.changeKey }), tx('t:IsRead', item.isRead)));
			} else {
				const tag = change.type === 'create' ? 't:Create' : 't:Update';
				parts.push(el(tag, {}, await itemXml(ctx.store, item, shape, 'find')));
			}
		}
		return success(
			'SyncFolderItems',
			tx('m:SyncState', encodeSyncState(folder.id, since, reported)),
			tx('m:IncludesLastItemInRange', includesLast),
			el('m:Changes', {}, ...parts),
		);
	});
	return { messages, itemCount: returned };
};

const getAttachment: OpHandler = async (ctx) => {
	const shape = parseAttachmentShape(child(ctx.op, 'AttachmentShape'));
	const ids = children(child(ctx.op, 'AttachmentIds'), 'AttachmentId');
	const messages = await perEntry('GetAttachment', ids, (element) => {
		const id = attr(element, 'Id') ?? '';
		if (idShape(id, 'attachment') !== 'ok') throw new EwsError('ErrorInvalidIdMalformed');
		const found = ctx.store.findAttachment(id);
		// Gone (or its message): the schema has no attachment-specific "not found" code.
		if (!found) throw new EwsError('ErrorItemNotFound');
		assertMailboxAccess(ctx, found.item.mailbox);
		if (found.attachment.corrupt) throw new EwsError('ErrorCorruptData');
		return success('GetAttachment', el('m:Attachments', {}, attachmentSummaryXml(found.attachment, shape)));
	});
	return { messages, itemCount: ids.length };
};

const createAttachment: OpHandler = async (ctx) => {
	const parentId = attr(child(ctx.op, 'ParentItemId'), 'Id');
	const attachments = children(child(ctx.op, 'Attachments'));
	const messages = await perEntry('CreateAttachment', attachments, async (element) => {
		const item = resolveItem(ctx, parentId);
		if (!text(child(element, 'Name'))) throw new EwsError('ErrorRequiredPropertyMissing', 'Required property is missing.', '<t:ExceptionFieldURI FieldURI="attachment:Name"/>');
		const created = ctx.store.addAttachment(item.id, await attachmentOf(element));
		const updated = ctx.store.getItem(item.id);
		return success(
			'CreateAttachment',
			el('m:Attachments', {}, el(created.kind === 'item' ? 't:ItemAttachment' : 't:FileAttachment', {}, el('t:AttachmentId', { Id: created.id, RootItemId: item.id, RootItemChangeKey: updated?.changeKey }))),
		);
	});
	return { messages, itemCount: attachments.length };
};

/** ResolveNames against the sandbox's mailboxes (the GAL): address or display-name match. */
const resolveNames: OpHandler = (ctx) => {
	const entry = (text(child(ctx.op, 'UnresolvedEntry')) ?? '').trim().replace(/^smtp:/i, '').toLowerCase();
	const matches = ctx.store
		.listMailboxes()
		.filter((box) => box.smtp.includes(entry) || box.displayName.toLowerCase().includes(entry));
	const exact = matches.filter((box) => box.smtp === entry);
	const found = exact.length ? exact : matches;
	const set = el(
		'm:ResolutionSet',
		{ TotalItemsInView: found.length, IncludesLastItemInRange: true },
		...found.map((box) =>
			el('t:Resolution', {}, el('t:Mailbox', {}, tx('t:Name', box.displayName), tx('t:EmailAddress', box.smtp), tx('t:RoutingType', 'SMTP'), tx('t:MailboxType', 'Mailbox'))),
		),
	);
	if (found.length === 0) throw new EwsError('ErrorNameResolutionNoResults');
	const message = found.length > 1 ? warning('ResolveNames', 'ErrorNameResolutionMultipleResults', set) : success('ResolveNames', set);
	return { messages: [message], itemCount: found.length };
};

export const miscOperations: Record<string, OpHandler> = {
	SyncFolderItems: syncFolderItems,
	GetAttachment: getAttachment,
	CreateAttachment: createAttachment,
	ResolveNames: (ctx) => {
		try {
			return resolveNames(ctx);
		} catch (error) {
			if (!(error instanceof EwsError)) throw error;
			return { messages: [failure('ResolveNames', error)], itemCount: 0 };
		}
	},
};
