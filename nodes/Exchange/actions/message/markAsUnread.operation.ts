import { messageIdProperty } from '../../descriptions/common';
import { messageIdBatch } from '../../helpers/messageIdBatch';
import { outputsOf, showFor, type BatchOperation } from '../types';

export const operation: BatchOperation<{ id: string }> = {
	...messageIdBatch,
	description: showFor('message', 'markAsUnread', [messageIdProperty]),
	action: 'Marking the message as unread',
	async run(run, mailbox, inputs) {
		const results = await run.store.updateMessages(mailbox, inputs.map((input) => ({ id: input.id, isRead: false })));
		return outputsOf(results, (updated, position) => ({ id: inputs[position].id, changeKey: updated.changeKey, mailbox, isRead: false }));
	},
};
