import type { DeleteMode } from '../../../shared/mail/store';
import { DELETE_MODE_WORDS, DELETE_MODES, deleteModeProperty } from '../../descriptions/common';
import { destructiveFolderProperty } from '../../descriptions/folder';
import { describeTarget, destructiveTarget, targetName } from '../../helpers/folderTarget';
import { withField } from '../../helpers/utils';
import { itemParameters } from '../../../shared/parameters';
import { showFor, type ItemOperation } from '../types';

export const operation: ItemOperation = {
	kind: 'item',
	description: showFor('folder', 'delete', [destructiveFolderProperty('delete'), { ...deleteModeProperty, default: 'moveToDeletedItems' }]),
	async execute(run, itemIndex) {
		const mailbox = run.mailboxOf(itemIndex);
		const parameters = itemParameters(this, itemIndex);
		const ref = parameters.folder('folder', 'Folder');
		const mode: DeleteMode = parameters.option('deleteMode', 'Delete Mode', DELETE_MODES, 'moveToDeletedItems');
		const target = await destructiveTarget(this, run, itemIndex, mailbox, ref, 'Deleting the folder');
		await withField(this, run, itemIndex, 'Deleting the folder', 'Folder', async () => await run.store.deleteFolder(mailbox, { id: target.id }, mode));
		const contents = `${target.totalCount} item(s) and ${target.childFolderCount} subfolder(s)`;
		return [{ json: { ...describeTarget(target, ref, mailbox), deleted: true, deleteMode: mode, summary: `Folder ${targetName(target)} of ${mailbox} with ${contents} ${DELETE_MODE_WORDS[mode]}` } }];
	},
};
