import { folderNameProperty, folderProperty } from '../../descriptions/folder';
import { assertIdsAllowed, folderIdUse } from '../../helpers/idGuard';
import { withField } from '../../helpers/utils';
import { itemParameters } from '../../../shared/parameters';
import { showFor, type ItemOperation } from '../types';

export const operation: ItemOperation = {
	kind: 'item',
	description: showFor('folder', 'rename', [folderProperty, folderNameProperty('New Name')]),
	async execute(run, itemIndex) {
		const mailbox = run.mailboxOf(itemIndex);
		const parameters = itemParameters(this, itemIndex);
		const ref = parameters.folder('folder', 'Folder');
		const name = parameters.string('displayName', 'New Name', { required: true });
		await assertIdsAllowed(this, run, itemIndex, mailbox, folderIdUse(ref, 'Folder'), 'Renaming the folder');
		const field = (kind: string) => (kind === 'nameTaken' ? 'New Name' : 'Folder');
		const renamed = await withField(this, run, itemIndex, 'Renaming the folder', field, async () => await run.store.renameFolder(mailbox, ref, name));
		return [{ json: { ...renamed, mailbox } }];
	},
};
