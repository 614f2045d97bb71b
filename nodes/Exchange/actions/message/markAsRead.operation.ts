import { messageIdProperty } from '../../descriptions/common';
import { messageIdBatch } from '../../helpers/messageIdBatch';
import { outputsOf, showFor, type BatchOperation } from '../types';

export const operation: BatchOperation<{ id: string }> = {
	...messageIdBatch,
	description: showFor('message', 'markAsRead', [messageIdProperty]),
	action: 'Marking the message as read',
	async run(run, mailbox, inputs) {
		const results = await run.store.updateMessages(mailbox, inputs.map((input) => ({ id: input.id, isRead: true })));
		return outputsOf(results, (updated, position) => ({ id: inputs[position].id, changeKey: updated.changeKey, mailbox, isRead: true }));
	},
};
