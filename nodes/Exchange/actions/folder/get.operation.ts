import type { IDataObject } from 'n8n-workflow';

import { folderProperty } from '../../descriptions/folder';
import { assertIdsAllowed, folderIdUse } from '../../helpers/idGuard';
import { withField } from '../../helpers/utils';
import { itemParameters } from '../../../shared/parameters';
import { showFor, type ItemOperation } from '../types';

export const operation: ItemOperation = {
	kind: 'item',
	description: showFor('folder', 'get', [folderProperty]),
	async execute(run, itemIndex) {
		const mailbox = run.mailboxOf(itemIndex);
		const ref = itemParameters(this, itemIndex).folder('folder', 'Folder');
		await assertIdsAllowed(this, run, itemIndex, mailbox, folderIdUse(ref, 'Folder'), 'Getting the folder');
		const folder = await withField(this, run, itemIndex, 'Getting the folder', 'Folder', async () => await run.store.getFolder(mailbox, ref));
		return [{ json: { ...folder, mailbox } as IDataObject }];
	},
};
