import type { Folder, FolderId } from 'ews-javascript-api';

import { folderPathSegments, isWellKnownFolder, pathSegment } from '../../mail/folderRefs';
import { MailError, unwrap, type DeleteMode, type FolderChange, type FolderInfo, type FolderRef, type FolderShape, type FolderTarget, type WellKnownFolder } from '../../mail/store';
import type { EwsClient } from './client';
import { perItemResults } from './batch';
import { ewsFailure } from './errors';
import { ewsLibrary } from './library';

/** The schema's DistinguishedFolderIdNameType (WellKnownFolderName enum) of each well-known folder. */
const DISTINGUISHED_NAMES: Record<WellKnownFolder, string> = {
	inbox: 'Inbox',
	sentitems: 'SentItems',
	deleteditems: 'DeletedItems',
	drafts: 'Drafts',
	junkemail: 'JunkEmail',
	outbox: 'Outbox',
	msgfolderroot: 'MsgFolderRoot',
	archiveinbox: 'ArchiveInbox',
};

/**
 * Distinguished folders of every mailbox that Folder → Empty and Delete refuse unless the user picks
 * the folder by that very name (Well-Known mode), however else it was reached (path, ID, list).
 * Names as in the schema's DistinguishedFolderIdNameType (all valid for Exchange 2013 SP1).
 */
export const PROTECTED_FOLDERS = [
	'root',
	'msgfolderroot',
	'inbox',
	'sentitems',
	'deleteditems',
	'drafts',
	'junkemail',
	'outbox',
	'calendar',
	'contacts',
	'tasks',
	'notes',
	'journal',
	'searchfolders',
	'conversationhistory',
	'syncissues',
	'conflicts',
	'localfailures',
	'serverfailures',
	'recoverableitemsroot',
	'recoverableitemsdeletions',
	'recoverableitemsversions',
	'recoverableitemspurges',
	'archiveroot',
	'archivemsgfolderroot',
	'archiveinbox',
	'archivedeleteditems',
] as const;

/** The FolderId of a distinguished folder of `mailbox` (the mailbox part matters for delegated access to shared mailboxes). */
export function wellKnownFolderId(name: WellKnownFolder, mailbox: string): FolderId {
	const { FolderId, WellKnownFolderName, Mailbox } = ewsLibrary();
	const enumName = DISTINGUISHED_NAMES[name.toLowerCase() as WellKnownFolder];
	return new FolderId((WellKnownFolderName as unknown as Record<string, number>)[enumName], new Mailbox(mailbox));
}

/**
 * A folder id as the store hands it out: the UniqueId, or for a distinguished folder its
 * well-known name (EWS addresses those by name, as Graph does; no call is spent to look it up).
 */
export function folderIdText(folderId: FolderId): string {
	if (folderId.UniqueId) return folderId.UniqueId;
	const names = ewsLibrary().WellKnownFolderName as unknown as Record<number, string>;
	return String(names[folderId.FolderName as number] ?? '').toLowerCase();
}

/** The FolderId of an id from folderIdText (a well-known name, or an EWS folder id). */
export function folderIdFrom(id: string, mailbox: string): FolderId {
	return isWellKnownFolder(id) ? wellKnownFolderId(id as WellKnownFolder, mailbox) : new (ewsLibrary().FolderId)(id);
}

/**
 * Resolves a folder reference to a FolderId. A path costs one FindFolder per level below its first
 * segment; the first segment may be a well-known name ("inbox/Processed") or a top-level display name.
 */
export async function resolveFolder(client: EwsClient, mailbox: string, ref: FolderRef): Promise<FolderId> {
	const { FolderId, FolderView, SearchFilter, FolderSchema, PropertySet, BasePropertySet } = ewsLibrary();
	if ('wellKnown' in ref) return wellKnownFolderId(ref.wellKnown, mailbox);
	if ('id' in ref) return new FolderId(ref.id);
	const segments = folderPathSegments(ref.path);
	// The node refuses such paths already; dropping the empty names would act on the parent (Empty on "Inbox/").
	if (!segments) throw new MailError(ewsFailure({ code: 'ErrorFolderNotFound', message: `The folder path "${ref.path}" has an empty folder name` }));
	let current: FolderId;
	let rest = segments;
	if (isWellKnownFolder(segments[0])) {
		current = wellKnownFolderId(segments[0] as WellKnownFolder, mailbox);
		rest = segments.slice(1);
	} else {
		current = wellKnownFolderId('msgfolderroot', mailbox);
	}
	for (const name of rest) {
		const view = new FolderView(2);
		view.PropertySet = new PropertySet(BasePropertySet.IdOnly);
		const parent = current;
		const found = await client.run(mailbox, async (service) => await service.FindFolders(parent, new SearchFilter.IsEqualTo(FolderSchema.DisplayName, name), view), { idempotent: true });
		const folder = found.Folders[0];
		if (!folder) {
			throw new MailError(ewsFailure({ code: 'ErrorFolderNotFound', message: `No folder "${name}" in path "${ref.path}" of ${mailbox}` }));
		}
		current = folder.Id;
	}
	return current;
}

/** Calendar and contacts folders carry no UnreadCount in EWS (BaseFolderType): the library throws when it is read. */
function unreadCountOf(folder: Folder): number {
	const value = { outValue: 0 };
	return folder.TryGetProperty(ewsLibrary().FolderSchema.UnreadCount, value) ? value.outValue : 0;
}

/** All mail folders below `root` (deep), each with its path. One FindFolder call per 1000 folders. */
export async function listFolders(client: EwsClient, mailbox: string, root: FolderRef = { wellKnown: 'msgfolderroot' }, deep = true): Promise<FolderShape[]> {
	const { FolderView, FolderTraversal, PropertySet, BasePropertySet, FolderSchema } = ewsLibrary();
	const rootId = await resolveFolder(client, mailbox, root);
	const folders: Array<Omit<FolderShape, 'path'>> = [];
	for (let offset = 0; ; ) {
		const view = new FolderView(1000, offset);
		view.Traversal = deep ? FolderTraversal.Deep : FolderTraversal.Shallow;
		view.PropertySet = new PropertySet(BasePropertySet.IdOnly, [
			FolderSchema.DisplayName,
			FolderSchema.ParentFolderId,
			FolderSchema.TotalCount,
			FolderSchema.UnreadCount,
			FolderSchema.ChildFolderCount,
		]);
		const page = await client.run(mailbox, async (service) => await service.FindFolders(rootId, view), { idempotent: true });
		for (const folder of page.Folders) {
			folders.push({
				id: folder.Id.UniqueId,
				changeKey: folder.Id.ChangeKey,
				displayName: folder.DisplayName,
				parentId: folder.ParentFolderId?.UniqueId ?? null,
				totalCount: folder.TotalCount,
				unreadCount: unreadCountOf(folder),
				childFolderCount: folder.ChildFolderCount,
			});
		}
		if (!page.MoreAvailable || page.NextPageOffset == null) break;
		offset = page.NextPageOffset;
	}
	// Paths from parent links: folders whose parent is outside the list hang directly under the root.
	const byId = new Map(folders.map((folder) => [folder.id, folder]));
	const pathOf = (folder: Omit<FolderShape, 'path'>, depth = 0): string => {
		const parent = folder.parentId ? byId.get(folder.parentId) : undefined;
		return parent && depth < 64 ? `${pathOf(parent, depth + 1)}/${pathSegment(folder.displayName)}` : pathSegment(folder.displayName);
	};
	return folders.map((folder) => ({ ...folder, path: pathOf(folder) }));
}

const FOLDER_PROPERTIES = () => {
	const { FolderSchema } = ewsLibrary();
	return [FolderSchema.DisplayName, FolderSchema.ParentFolderId, FolderSchema.TotalCount, FolderSchema.UnreadCount, FolderSchema.ChildFolderCount];
};

/** One folder with its counts; `path` is the reference it was asked by when that was a path. */
export async function getFolder(client: EwsClient, mailbox: string, ref: FolderRef): Promise<FolderInfo> {
	const { Folder, PropertySet, BasePropertySet } = ewsLibrary();
	const folderId = await resolveFolder(client, mailbox, ref);
	const folder = await client.run(mailbox, async (service) => await Folder.Bind(service, folderId, new PropertySet(BasePropertySet.IdOnly, FOLDER_PROPERTIES())), { idempotent: true });
	return folderShape(folder, ref);
}

function folderShape(folder: Folder, ref: FolderRef): FolderInfo {
	return {
		id: folder.Id.UniqueId,
		changeKey: folder.Id.ChangeKey,
		displayName: folder.DisplayName,
		...('path' in ref ? { path: ref.path } : {}),
		parentId: folder.ParentFolderId?.UniqueId ?? null,
		totalCount: folder.TotalCount,
		unreadCount: unreadCountOf(folder),
		childFolderCount: folder.ChildFolderCount,
	};
}

interface GetFolderCall {
	FolderIds: { AddRange(ids: FolderId[]): void };
	PropertySet: unknown;
	Execute(): Promise<{ Responses: Array<{ Result: number; ErrorCode: unknown; ErrorMessage: string; Folder: Folder }> }>;
}
type GetFolderRequestClass = new (service: unknown, errorHandling: number) => GetFolderCall;

/**
 * The folder `ref` points at, looked up together with every protected distinguished folder of
 * `owner` (the mailbox the folder belongs to) in one GetFolder call: the folder is a distinguished
 * one when its id is among theirs. A mailbox lacks some of them (no archive): those fail alone.
 */
export async function inspectFolder(client: EwsClient, mailbox: string, ref: FolderRef, owner = mailbox): Promise<FolderTarget> {
	const library = ewsLibrary();
	const { FolderId, Mailbox, WellKnownFolderName, PropertySet, BasePropertySet, ServiceErrorHandling } = library;
	// The library's bulk GetFolder request is internal (not in its typings); Folder.Bind sends one id only.
	const GetFolderRequest = (library as unknown as { GetFolderRequest: GetFolderRequestClass }).GetFolderRequest;
	const folderId = await resolveFolder(client, mailbox, ref);
	const distinguished = PROTECTED_FOLDERS.map((name) => new FolderId(WellKnownFolderName.FromEwsEnumString(name) as number, new Mailbox(owner)));
	const responses = await client.run(
		mailbox,
		async (service) => {
			const request = new GetFolderRequest(service, ServiceErrorHandling.ReturnErrors);
			request.FolderIds.AddRange([folderId, ...distinguished]);
			request.PropertySet = new PropertySet(BasePropertySet.IdOnly, FOLDER_PROPERTIES());
			return await request.Execute();
		},
		{ idempotent: true },
	);
	const [target, ...known] = perItemResults(responses.Responses, (response) => response.Folder);
	const folder = unwrap(target);
	const index = known.findIndex((result) => result.ok && result.value.Id.UniqueId === folder.Id.UniqueId);
	return { ...folderShape(folder, ref), ...(index >= 0 ? { wellKnownName: PROTECTED_FOLDERS[index] } : {}), ownerMailbox: owner };
}

/** Creates a mail folder (IPF.Note) below `parent`. Not repeated on an unclear failure (it would fail as ErrorFolderExists). */
export async function createFolder(client: EwsClient, mailbox: string, parent: FolderRef, displayName: string): Promise<FolderChange> {
	const { Folder } = ewsLibrary();
	const parentId = await resolveFolder(client, mailbox, parent);
	const created = await client.run(
		mailbox,
		async (service) => {
			const folder = new Folder(service);
			folder.DisplayName = displayName;
			folder.FolderClass = 'IPF.Note';
			await folder.Save(parentId);
			return folder;
		},
		{ idempotent: false },
	);
	return { id: created.Id.UniqueId, changeKey: created.Id.ChangeKey, displayName };
}

/** Renames a folder (UpdateFolder on DisplayName). */
export async function renameFolder(client: EwsClient, mailbox: string, ref: FolderRef, displayName: string): Promise<FolderChange> {
	const { Folder, PropertySet, BasePropertySet } = ewsLibrary();
	const folderId = await resolveFolder(client, mailbox, ref);
	const folder = await client.run(
		mailbox,
		async (service) => {
			const bound = await Folder.Bind(service, folderId, new PropertySet(BasePropertySet.IdOnly));
			bound.DisplayName = displayName;
			await bound.Update();
			return bound;
		},
		{ idempotent: true },
	);
	return { id: folder.Id.UniqueId, changeKey: folder.Id.ChangeKey, displayName };
}

/** ExchangeService methods the library implements but leaves out of its typings (marked internal). */
interface FolderCalls {
	DeleteFolder(folderId: FolderId, deleteMode: number): Promise<unknown>;
	EmptyFolder(folderId: FolderId, deleteMode: number, deleteSubFolders: boolean): Promise<unknown>;
}

function deleteModeOf(mode: DeleteMode) {
	const { DeleteMode } = ewsLibrary();
	return { moveToDeletedItems: DeleteMode.MoveToDeletedItems, soft: DeleteMode.SoftDelete, hard: DeleteMode.HardDelete }[mode];
}

/** Deletes a folder with everything in it. */
export async function deleteFolder(client: EwsClient, mailbox: string, ref: FolderRef, mode: DeleteMode): Promise<{ id: string | null }> {
	const folderId = await resolveFolder(client, mailbox, ref);
	await client.run(mailbox, async (service) => await (service as unknown as FolderCalls).DeleteFolder(folderId, deleteModeOf(mode)), { idempotent: true });
	return { id: folderId.UniqueId || null };
}

/** Deletes every item in a folder, and its subfolders when asked. */
export async function emptyFolder(client: EwsClient, mailbox: string, ref: FolderRef, mode: DeleteMode, deleteSubFolders: boolean): Promise<{ id: string | null }> {
	const folderId = await resolveFolder(client, mailbox, ref);
	await client.run(mailbox, async (service) => await (service as unknown as FolderCalls).EmptyFolder(folderId, deleteModeOf(mode), deleteSubFolders), { idempotent: true });
	return { id: folderId.UniqueId || null };
}

