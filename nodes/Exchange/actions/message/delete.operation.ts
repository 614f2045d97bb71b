import type { IDataObject, INodeProperties } from 'n8n-workflow';

import type { DeleteMode, ItemResult } from '../../../shared/mail/store';
import { deleteMessages } from '../../../shared/transport/ews/messages';
import { messageIdProperty } from '../../descriptions/common';
import { itemParameters, valuesOf } from '../../../shared/parameters';
import { showFor, type BatchOperation } from '../types';

export const deleteModeProperty: INodeProperties = {
	displayName: 'Delete Mode',
	name: 'deleteMode',
	type: 'options',
	options: [
		{ name: 'Move to Deleted Items', value: 'moveToDeletedItems', description: 'Recoverable from the Deleted Items folder' },
		{ name: 'Soft Delete', value: 'soft', description: 'Gone from the folders, recoverable by an admin or "Recover deleted items"' },
		{ name: 'Hard Delete', value: 'hard', description: 'Permanently deleted' },
	],
	default: 'moveToDeletedItems',
};

/** What a delete did, in words, for the output (a destructive operation says what it did). Shared with Folder → Empty / Delete. */
export const DELETE_MODE_WORDS: Record<DeleteMode, string> = {
	moveToDeletedItems: 'moved to Deleted Items',
	soft: 'soft-deleted (recoverable with "Recover deleted items")',
	hard: 'permanently deleted',
};

export const DELETE_MODES = valuesOf<DeleteMode>(deleteModeProperty.options);

export const operation: BatchOperation<{ id: string; mode: DeleteMode }> = {
	kind: 'batch',
	description: showFor('message', 'delete', [messageIdProperty, deleteModeProperty]),
	action: 'Deleting the message',
	field: 'Message ID',
	prepare(_run, itemIndex) {
		const parameters = itemParameters(this, itemIndex);
		const id = parameters.id('messageId', 'Message ID');
		const mode = parameters.option('deleteMode', 'Delete Mode', DELETE_MODES, 'moveToDeletedItems');
		return { key: mode, input: { id, mode } };
	},
	ids: (input) => [{ field: 'Message ID', id: input.id }],
	async run(run, mailbox, inputs) {
		// Items of one group share the delete mode: the router groups by it.
		const mode = inputs[0].mode;
		const results = await deleteMessages(run.client, mailbox, inputs.map((input) => input.id), mode);
		return results.map((result, position): ItemResult<IDataObject> =>
			result.ok ? { ok: true, value: { id: inputs[position].id, mailbox, deleted: true, deleteMode: mode, summary: `Message ${inputs[position].id} of ${mailbox} ${DELETE_MODE_WORDS[mode]}` } } : result,
		);
	},
};
