import { messageIdProperty } from '../../descriptions/common';
import { itemParameters } from '../../../shared/parameters';
import { outputsOf, showFor, type BatchOperation } from '../types';

export const operation: BatchOperation<{ id: string }> = {
	kind: 'batch',
	description: showFor('message', 'markAsRead', [messageIdProperty]),
	action: 'Marking the message as read',
	field: 'Message ID',
	prepare(_run, itemIndex) {
		return { key: '', input: { id: itemParameters(this, itemIndex).id('messageId', 'Message ID') } };
	},
	ids: (input) => [{ field: 'Message ID', id: input.id }],
	async run(run, mailbox, inputs) {
		const results = await run.store.updateMessages(mailbox, inputs.map((input) => ({ id: input.id, isRead: true })));
		return outputsOf(results, (updated, position) => ({ id: inputs[position].id, changeKey: updated.changeKey, mailbox, isRead: true }));
	},
};
