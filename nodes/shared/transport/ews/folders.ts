import type { Folder, FolderId } from 'ews-javascript-api';

import type { EwsClient } from './client';
import { perItemResults, unwrap } from './batch';
import { EwsError } from './errors';
import { ewsLibrary } from './library';

/** How a user points at a folder: a well-known name, an EWS folder id, or a path of display names. */
export type FolderRef = { wellKnown: WellKnownFolder } | { id: string } | { path: string };

/** Distinguished folders every mailbox has (names as in the EWS schema). */
export const WELL_KNOWN_FOLDERS = {
	inbox: 'Inbox',
	sentitems: 'SentItems',
	deleteditems: 'DeletedItems',
	drafts: 'Drafts',
	junkemail: 'JunkEmail',
	outbox: 'Outbox',
	msgfolderroot: 'MsgFolderRoot',
	archiveinbox: 'ArchiveInbox',
} as const;

export type WellKnownFolder = keyof typeof WELL_KNOWN_FOLDERS;

export interface FolderShape {
	id: string;
	changeKey: string;
	displayName: string;
	/** Display names from the top of the mailbox, e.g. "Inbox/Processed". */
	path: string;
	parentId: string | null;
	totalCount: number;
	unreadCount: number;
	childFolderCount: number;
}

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

/**
 * Whether a value in the folder picker's list mode is an EWS folder ID (what the list stores) rather
 * than a path (what it stored before, kept working in saved workflows). EWS ids are long base64;
 * a path of that shape would be one name of 40+ letters without spaces, with "/" only as base64 has it.
 */
export function looksLikeFolderId(value: string): boolean {
	return value.length >= 40 && value.length % 4 === 0 && /^[A-Za-z0-9+/]+={0,2}$/.test(value);
}

/** A display name as one path segment: "/" inside a name is written "\/" (and "\" as "\\"), so a folder "Clients/Acme" and the folder "Acme" in "Clients" print differently. */
export function pathSegment(displayName: string): string {
	return displayName.replace(/\\/g, '\\\\').replace(/\//g, '\\/');
}

export function isWellKnownFolder(value: string): value is WellKnownFolder {
	return Object.prototype.hasOwnProperty.call(WELL_KNOWN_FOLDERS, value.toLowerCase());
}

/**
 * The folder names of a path ("Inbox/Processed" → Inbox, Processed), trimmed; undefined when a name
 * is empty ("", "/", "Inbox/", "Inbox//x", " / "), since dropping it would point at another folder.
 */
export function folderPathSegments(path: string): string[] | undefined {
	const segments = path.split('/').map((segment) => segment.trim());
	return segments.every(Boolean) ? segments : undefined;
}

/** The FolderId of a distinguished folder of `mailbox` (the mailbox part matters for delegated access to shared mailboxes). */
export function wellKnownFolderId(name: WellKnownFolder, mailbox: string): FolderId {
	const { FolderId, WellKnownFolderName, Mailbox } = ewsLibrary();
	const enumName = WELL_KNOWN_FOLDERS[name.toLowerCase() as WellKnownFolder];
	return new FolderId((WellKnownFolderName as unknown as Record<string, number>)[enumName], new Mailbox(mailbox));
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
	if (!segments) throw new EwsError({ code: 'ErrorFolderNotFound', message: `The folder path "${ref.path}" has an empty folder name` });
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
			throw new EwsError({ code: 'ErrorFolderNotFound', message: `No folder "${name}" in path "${ref.path}" of ${mailbox}` });
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
export async function getFolder(client: EwsClient, mailbox: string, ref: FolderRef): Promise<Omit<FolderShape, 'path'> & { path?: string }> {
	const { Folder, PropertySet, BasePropertySet } = ewsLibrary();
	const folderId = await resolveFolder(client, mailbox, ref);
	const folder = await client.run(mailbox, async (service) => await Folder.Bind(service, folderId, new PropertySet(BasePropertySet.IdOnly, FOLDER_PROPERTIES())), { idempotent: true });
	return folderShape(folder, ref);
}

function folderShape(folder: Folder, ref: FolderRef): Omit<FolderShape, 'path'> & { path?: string } {
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

/** What Folder → Empty / Delete act on: the folder with its counts, and which distinguished folder it is, if any. */
export interface FolderTarget extends Omit<FolderShape, 'path'> {
	/** The path it was asked by, when that was a path. */
	path?: string;
	/** The distinguished folder it is (one of PROTECTED_FOLDERS), however it was reached. */
	wellKnownName?: string;
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
	return { ...folderShape(folder, ref), ...(index >= 0 ? { wellKnownName: PROTECTED_FOLDERS[index] } : {}) };
}

/** Creates a mail folder (IPF.Note) below `parent`. Not repeated on an unclear failure (it would fail as ErrorFolderExists). */
export async function createFolder(client: EwsClient, mailbox: string, parent: FolderRef, displayName: string): Promise<{ id: string; changeKey: string; displayName: string }> {
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
export async function renameFolder(client: EwsClient, mailbox: string, ref: FolderRef, displayName: string): Promise<{ id: string; changeKey: string; displayName: string }> {
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

export type FolderDeleteMode = 'moveToDeletedItems' | 'soft' | 'hard';

function deleteModeOf(mode: FolderDeleteMode) {
	const { DeleteMode } = ewsLibrary();
	return { moveToDeletedItems: DeleteMode.MoveToDeletedItems, soft: DeleteMode.SoftDelete, hard: DeleteMode.HardDelete }[mode];
}

/** Deletes a folder with everything in it. */
export async function deleteFolder(client: EwsClient, mailbox: string, ref: FolderRef, mode: FolderDeleteMode): Promise<{ id: string | null }> {
	const folderId = await resolveFolder(client, mailbox, ref);
	await client.run(mailbox, async (service) => await (service as unknown as FolderCalls).DeleteFolder(folderId, deleteModeOf(mode)), { idempotent: true });
	return { id: folderId.UniqueId || null };
}

/** Deletes every item in a folder, and its subfolders when asked. */
export async function emptyFolder(client: EwsClient, mailbox: string, ref: FolderRef, mode: FolderDeleteMode, deleteSubFolders: boolean): Promise<{ id: string | null }> {
	const folderId = await resolveFolder(client, mailbox, ref);
	await client.run(mailbox, async (service) => await (service as unknown as FolderCalls).EmptyFolder(folderId, deleteModeOf(mode), deleteSubFolders), { idempotent: true });
	return { id: folderId.UniqueId || null };
}

