import { NodeOperationError, type IDataObject, type IExecuteFunctions, type INodeProperties } from 'n8n-workflow';

import {
	createFolder,
	deleteFolder,
	emptyFolder,
	getFolder,
	inspectFolder,
	listFolders,
	renameFolder,
} from '../../../shared/transport/ews/folders';
import type { DeleteMode as FolderDeleteMode, FolderRef, FolderTarget } from '../../../shared/mail/store';
import { folderLocator } from '../../descriptions/common';
import { allowedOwnerOf, assertIdsAllowed, folderIdUse } from '../../helpers/idGuard';
import { itemParameters } from '../../../shared/parameters';
import { withField, type RunContext } from '../../helpers/utils';
import { DELETE_MODE_WORDS, DELETE_MODES, deleteModeProperty } from '../message/delete.operation';
import { showFor, type ItemOperation } from '../types';

const folderProperty = folderLocator('folder', 'Folder', 'The folder to work on');
/** Empty and Delete: a well-known folder only when it is picked as one (see destructiveTarget). */
const destructiveFolderProperty = (verb: string) => folderLocator('folder', 'Folder', `The folder to ${verb}. A well-known folder (Inbox, Sent Items, Deleted Items…) is ${verb === 'empty' ? 'emptied' : 'deleted'} only when picked in Well-Known mode.`);
const nameProperty = (displayName: string): INodeProperties => ({ displayName, name: 'displayName', type: 'string', default: '', required: true, placeholder: 'Processed' });

export const getMany: ItemOperation = {
	kind: 'item',
	description: showFor('folder', 'getMany', [
		{ ...folderLocator('parentFolder', 'Parent Folder', 'List the folders below this one'), default: { mode: 'wellKnown', value: 'msgfolderroot' } },
		{ displayName: 'Include Subfolders', name: 'deep', type: 'boolean', default: true, description: 'Whether to list the whole tree below the parent folder, not only its direct children' },
	]),
	async execute(run, itemIndex) {
		const mailbox = run.mailboxOf(itemIndex);
		const parameters = itemParameters(this, itemIndex);
		const parent = parameters.folder('parentFolder', 'Parent Folder');
		const deep = parameters.boolean('deep', 'Include Subfolders', true);
		await assertIdsAllowed(this, run, itemIndex, mailbox, folderIdUse(parent, 'Parent Folder'), 'Listing folders');
		const folders = await withField(this, run, itemIndex, 'Listing folders', 'Parent Folder', async () => await listFolders(run.client, mailbox, parent, deep));
		return folders.map((folder) => ({ json: { ...folder, mailbox } }));
	},
};

export const get: ItemOperation = {
	kind: 'item',
	description: showFor('folder', 'get', [folderProperty]),
	async execute(run, itemIndex) {
		const mailbox = run.mailboxOf(itemIndex);
		const ref = itemParameters(this, itemIndex).folder('folder', 'Folder');
		await assertIdsAllowed(this, run, itemIndex, mailbox, folderIdUse(ref, 'Folder'), 'Getting the folder');
		const folder = await withField(this, run, itemIndex, 'Getting the folder', 'Folder', async () => await getFolder(run.client, mailbox, ref));
		return [{ json: { ...folder, mailbox } as IDataObject }];
	},
};

export const create: ItemOperation = {
	kind: 'item',
	description: showFor('folder', 'create', [{ ...folderLocator('parentFolder', 'Parent Folder', 'The folder to create the new folder in') }, nameProperty('Name')]),
	async execute(run, itemIndex) {
		const mailbox = run.mailboxOf(itemIndex);
		const parameters = itemParameters(this, itemIndex);
		const parent = parameters.folder('parentFolder', 'Parent Folder');
		const name = parameters.string('displayName', 'Name', { required: true });
		await assertIdsAllowed(this, run, itemIndex, mailbox, folderIdUse(parent, 'Parent Folder'), 'Creating the folder');
		const created = await withField(this, run, itemIndex, 'Creating the folder', (code) => (code === 'ErrorFolderExists' ? 'Name' : 'Parent Folder'), async () => await createFolder(run.client, mailbox, parent, name));
		return [{ json: { ...created, mailbox } }];
	},
};

export const rename: ItemOperation = {
	kind: 'item',
	description: showFor('folder', 'rename', [folderProperty, nameProperty('New Name')]),
	async execute(run, itemIndex) {
		const mailbox = run.mailboxOf(itemIndex);
		const parameters = itemParameters(this, itemIndex);
		const ref = parameters.folder('folder', 'Folder');
		const name = parameters.string('displayName', 'New Name', { required: true });
		await assertIdsAllowed(this, run, itemIndex, mailbox, folderIdUse(ref, 'Folder'), 'Renaming the folder');
		const renamed = await withField(this, run, itemIndex, 'Renaming the folder', (code) => (code === 'ErrorFolderExists' ? 'New Name' : 'Folder'), async () => await renameFolder(run.client, mailbox, ref, name));
		return [{ json: { ...renamed, mailbox } }];
	},
};

export const del: ItemOperation = {
	kind: 'item',
	description: showFor('folder', 'delete', [destructiveFolderProperty('delete'), { ...deleteModeProperty, default: 'moveToDeletedItems' }]),
	async execute(run, itemIndex) {
		const mailbox = run.mailboxOf(itemIndex);
		const parameters = itemParameters(this, itemIndex);
		const ref = parameters.folder('folder', 'Folder');
		const mode: FolderDeleteMode = parameters.option('deleteMode', 'Delete Mode', DELETE_MODES, 'moveToDeletedItems');
		const target = await destructiveTarget(this, run, itemIndex, mailbox, ref, 'Deleting the folder');
		await withField(this, run, itemIndex, 'Deleting the folder', 'Folder', async () => await deleteFolder(run.client, mailbox, { id: target.id }, mode));
		const contents = `${target.totalCount} item(s) and ${target.childFolderCount} subfolder(s)`;
		return [{ json: { ...describe(target, ref, mailbox), deleted: true, deleteMode: mode, summary: `Folder ${nameOf(target)} of ${mailbox} with ${contents} ${DELETE_MODE_WORDS[mode]}` } }];
	},
};

export const empty: ItemOperation = {
	kind: 'item',
	description: showFor('folder', 'empty', [
		destructiveFolderProperty('empty'),
		{ ...deleteModeProperty, default: 'hard' },
		{ displayName: 'Delete Subfolders', name: 'deleteSubFolders', type: 'boolean', default: false, description: 'Whether to delete the folders inside it too' },
	]),
	async execute(run, itemIndex) {
		const mailbox = run.mailboxOf(itemIndex);
		const parameters = itemParameters(this, itemIndex);
		const ref = parameters.folder('folder', 'Folder');
		const mode: FolderDeleteMode = parameters.option('deleteMode', 'Delete Mode', DELETE_MODES, 'hard');
		const deleteSubFolders = parameters.boolean('deleteSubFolders', 'Delete Subfolders', false);
		const target = await destructiveTarget(this, run, itemIndex, mailbox, ref, 'Emptying the folder');
		await withField(this, run, itemIndex, 'Emptying the folder', 'Folder', async () => await emptyFolder(run.client, mailbox, { id: target.id }, mode, deleteSubFolders));
		const subfolders = deleteSubFolders ? `, and its ${target.childFolderCount} subfolder(s) deleted` : '; subfolders kept';
		return [{ json: { ...describe(target, ref, mailbox), emptied: true, deleteMode: mode, deleteSubFolders, summary: `${target.totalCount} item(s) in folder ${nameOf(target)} of ${mailbox} ${DELETE_MODE_WORDS[mode]}${subfolders}` } }];
	},
};

/**
 * The folder Empty or Delete would act on, looked up first, so that its output can say what was
 * done and a well-known folder is never emptied or deleted by accident: a path, an ID or a list pick
 * that lands on one (an expression that evaluates to nothing in "Inbox/…" is the Inbox) is refused;
 * only Well-Known mode with that very name goes ahead. An ID is compared with the distinguished
 * folders of the mailbox it belongs to, and that mailbox must be allowed.
 */
async function destructiveTarget(ctx: IExecuteFunctions, run: RunContext, itemIndex: number, mailbox: string, ref: FolderRef, action: string): Promise<FolderTarget> {
	const owner = 'id' in ref ? await allowedOwnerOf(ctx, run, itemIndex, mailbox, { field: 'Folder', id: ref.id }, action) : mailbox;
	const target = await withField(ctx, run, itemIndex, action, 'Folder', async () => await inspectFolder(run.client, mailbox, ref, owner));
	const pickedAsSuch = 'wellKnown' in ref && ref.wellKnown === target.wellKnownName;
	if (target.wellKnownName && !pickedAsSuch) {
		const how = 'id' in ref ? `ID ${ref.id}` : 'path' in ref ? `path "${ref.path}"` : `well-known name "${ref.wellKnown}"`;
		throw new NodeOperationError(ctx.getNode(), `"Folder" (${how}) is the well-known folder "${target.wellKnownName}" (${target.displayName}) of ${owner}, which Empty and Delete refuse unless it is picked as such`, {
			itemIndex,
			description: `A path, an ID or a list entry can land on a well-known folder by mistake (an empty expression in a path such as "Inbox/" gives the Inbox), so Empty and Delete act on one only when it is picked by its well-known name. To do it on purpose, switch "Folder" to Well-Known mode and enter ${target.wellKnownName}.`,
		});
	}
	return target;
}

function describe(target: FolderTarget, ref: FolderRef, mailbox: string): IDataObject {
	const pickedBy = 'id' in ref ? 'id' : 'path' in ref ? 'path' : 'wellKnown';
	return { ...target, mailbox, pickedBy };
}

const nameOf = (target: FolderTarget) => `"${target.path ?? target.displayName}" (ID ${target.id})`;
