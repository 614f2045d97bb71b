import type { DeleteMode } from '../../../shared/mail/store';
import { DELETE_MODE_WORDS, DELETE_MODES, deleteModeProperty } from '../../descriptions/common';
import { destructiveFolderProperty } from '../../descriptions/folder';
import { describeTarget, destructiveTarget, targetName } from '../../helpers/folderTarget';
import { withField } from '../../helpers/utils';
import { itemParameters } from '../../../shared/parameters';
import { showFor, type ItemOperation } from '../types';

export const operation: ItemOperation = {
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
		const mode: DeleteMode = parameters.option('deleteMode', 'Delete Mode', DELETE_MODES, 'hard');
		const deleteSubFolders = parameters.boolean('deleteSubFolders', 'Delete Subfolders', false);
		const target = await destructiveTarget(this, run, itemIndex, mailbox, ref, 'Emptying the folder');
		await withField(this, run, itemIndex, 'Emptying the folder', 'Folder', async () => await run.store.emptyFolder(mailbox, { id: target.id }, mode, deleteSubFolders));
		const subfolders = deleteSubFolders ? `, and its ${target.childFolderCount} subfolder(s) deleted` : '; subfolders kept';
		return [{ json: { ...describeTarget(target, ref, mailbox), emptied: true, deleteMode: mode, deleteSubFolders, summary: `${target.totalCount} item(s) in folder ${targetName(target)} of ${mailbox} ${DELETE_MODE_WORDS[mode]}${subfolders}` } }];
	},
};
