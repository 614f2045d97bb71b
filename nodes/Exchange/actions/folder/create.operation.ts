import { folderNameProperty, parentFolderProperty } from '../../descriptions/folder';
import { assertIdsAllowed, folderIdUse } from '../../helpers/idGuard';
import { withField } from '../../helpers/utils';
import { itemParameters } from '../../../shared/parameters';
import { showFor, type ItemOperation } from '../types';

export const operation: ItemOperation = {
	kind: 'item',
	description: showFor('folder', 'create', [parentFolderProperty('The folder to create the new folder in'), folderNameProperty('Name')]),
	async execute(run, itemIndex) {
		const mailbox = run.mailboxOf(itemIndex);
		const parameters = itemParameters(this, itemIndex);
		const parent = parameters.folder('parentFolder', 'Parent Folder');
		const name = parameters.string('displayName', 'Name', { required: true });
		await assertIdsAllowed(this, run, itemIndex, mailbox, folderIdUse(parent, 'Parent Folder'), 'Creating the folder');
		const field = (kind: string) => (kind === 'nameTaken' ? 'Name' : 'Parent Folder');
		const created = await withField(this, run, itemIndex, 'Creating the folder', field, async () => await run.store.createFolder(mailbox, parent, name));
		return [{ json: { ...created, mailbox } }];
	},
};
