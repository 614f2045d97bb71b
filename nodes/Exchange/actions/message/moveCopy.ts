import type { IDataObject } from 'n8n-workflow';

import type { FolderRef, ItemResult } from '../../../shared/mail/store';
import { copyMessages, moveMessages } from '../../../shared/transport/ews/messages';
import { folderLocator, messageIdProperty } from '../../descriptions/common';
import { itemParameters } from '../../../shared/parameters';
import { folderIdUse } from '../../helpers/idGuard';
import { showFor, type BatchOperation } from '../types';

/** Move and Copy differ only in the transport call. */
export function moveOrCopy(kind: 'move' | 'copy'): BatchOperation<{ id: string; folder: FolderRef }> {
	const transport = kind === 'move' ? moveMessages : copyMessages;
	return {
		kind: 'batch',
		description: showFor('message', kind, [messageIdProperty, folderLocator('destination', 'Destination Folder', `The folder to ${kind} the message to`)]),
		action: kind === 'move' ? 'Moving the message' : 'Copying the message',
		field: 'Message ID',
		callField: 'Destination Folder',
		prepare(_run, itemIndex) {
			const parameters = itemParameters(this, itemIndex);
			const id = parameters.id('messageId', 'Message ID');
			const folder = parameters.folder('destination', 'Destination Folder');
			return { key: JSON.stringify(folder), input: { id, folder } };
		},
		ids: (input) => [{ field: 'Message ID', id: input.id }, ...folderIdUse(input.folder, 'Destination Folder')],
		async run(run, mailbox, inputs) {
			const folder = inputs[0].folder;
			const results = await transport(run.client, mailbox, inputs.map((input) => input.id), folder);
			return results.map((result, position): ItemResult<IDataObject> =>
				result.ok ? { ok: true, value: { id: result.value.id, sourceId: inputs[position].id, mailbox, [kind === 'move' ? 'moved' : 'copied']: true } } : result,
			);
		},
	};
}
