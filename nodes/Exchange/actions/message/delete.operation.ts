import type { DeleteMode } from '../../../shared/mail/store';
import { DELETE_MODE_WORDS, DELETE_MODES, deleteModeProperty, messageIdProperty } from '../../descriptions/common';
import { itemParameters } from '../../../shared/parameters';
import { outputsOf, showFor, type BatchOperation } from '../types';

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
		const results = await run.store.deleteMessages(mailbox, inputs.map((input) => input.id), mode);
		return outputsOf(results, (_deleted, position) => ({ id: inputs[position].id, mailbox, deleted: true, deleteMode: mode, summary: `Message ${inputs[position].id} of ${mailbox} ${DELETE_MODE_WORDS[mode]}` }));
	},
};
