import type { IDataObject, INodeProperties } from 'n8n-workflow';

import { createFolder, deleteFolder, emptyFolder, getFolder, listFolders, renameFolder, type FolderDeleteMode } from '../../../shared/transport/ews/folders';
import { folderLocator } from '../../descriptions/common';
import { itemParameters } from '../../../shared/parameters';
import { withField } from '../../helpers/utils';
import { DELETE_MODES, deleteModeProperty } from '../message/delete.operation';
import { showFor, type ItemOperation } from '../types';

const folderProperty = folderLocator('folder', 'Folder', 'The folder to work on');
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
		const renamed = await withField(this, run, itemIndex, 'Renaming the folder', (code) => (code === 'ErrorFolderExists' ? 'New Name' : 'Folder'), async () => await renameFolder(run.client, mailbox, ref, name));
		return [{ json: { ...renamed, mailbox } }];
	},
};

export const del: ItemOperation = {
	kind: 'item',
	description: showFor('folder', 'delete', [folderProperty, { ...deleteModeProperty, default: 'moveToDeletedItems' }]),
	async execute(run, itemIndex) {
		const mailbox = run.mailboxOf(itemIndex);
		const parameters = itemParameters(this, itemIndex);
		const ref = parameters.folder('folder', 'Folder');
		const mode: FolderDeleteMode = parameters.option('deleteMode', 'Delete Mode', DELETE_MODES, 'moveToDeletedItems');
		const deleted = await withField(this, run, itemIndex, 'Deleting the folder', 'Folder', async () => await deleteFolder(run.client, mailbox, ref, mode));
		return [{ json: { ...deleted, mailbox, deleted: true, deleteMode: mode } }];
	},
};

export const empty: ItemOperation = {
	kind: 'item',
	description: showFor('folder', 'empty', [
		folderProperty,
		{ ...deleteModeProperty, default: 'hard' },
		{ displayName: 'Delete Subfolders', name: 'deleteSubFolders', type: 'boolean', default: false, description: 'Whether to delete the folders inside it too' },
	]),
	async execute(run, itemIndex) {
		const mailbox = run.mailboxOf(itemIndex);
		const parameters = itemParameters(this, itemIndex);
		const ref = parameters.folder('folder', 'Folder');
		const mode: FolderDeleteMode = parameters.option('deleteMode', 'Delete Mode', DELETE_MODES, 'hard');
		const deleteSubFolders = parameters.boolean('deleteSubFolders', 'Delete Subfolders', false);
		const emptied = await withField(this, run, itemIndex, 'Emptying the folder', 'Folder', async () => await emptyFolder(run.client, mailbox, ref, mode, deleteSubFolders));
		return [{ json: { ...emptied, mailbox, emptied: true, deleteMode: mode, deleteSubFolders } }];
	},
};
