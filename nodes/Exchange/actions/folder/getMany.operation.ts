import { parentFolderProperty } from '../../descriptions/folder';
import { assertIdsAllowed, folderIdUse } from '../../helpers/idGuard';
import { withField } from '../../helpers/utils';
import { itemParameters } from '../../../shared/parameters';
import { showFor, type ItemOperation } from '../types';

export const operation: ItemOperation = {
	kind: 'item',
	description: showFor('folder', 'getMany', [
		{ ...parentFolderProperty('List the folders below this one'), default: { mode: 'wellKnown', value: 'msgfolderroot' } },
		{ displayName: 'Include Subfolders', name: 'deep', type: 'boolean', default: true, description: 'Whether to list the whole tree below the parent folder, not only its direct children' },
	]),
	async execute(run, itemIndex) {
		const mailbox = run.mailboxOf(itemIndex);
		const parameters = itemParameters(this, itemIndex);
		const parent = parameters.folder('parentFolder', 'Parent Folder');
		const deep = parameters.boolean('deep', 'Include Subfolders', true);
		await assertIdsAllowed(this, run, itemIndex, mailbox, folderIdUse(parent, 'Parent Folder'), 'Listing folders');
		const folders = await withField(this, run, itemIndex, 'Listing folders', 'Parent Folder', async () => await run.store.listFolders(mailbox, parent, deep));
		return folders.map((folder) => ({ json: { ...folder, mailbox } }));
	},
};
