import type { IDataObject } from 'n8n-workflow';

import type { ItemResult } from '../../../shared/mail/store';
import { updateMessages } from '../../../shared/transport/ews/messages';
import { messageIdProperty } from '../../descriptions/common';
import { itemParameters } from '../../../shared/parameters';
import { showFor, type BatchOperation } from '../types';

export function mark(isRead: boolean): BatchOperation<{ id: string }> {
	return {
		kind: 'batch',
		description: showFor('message', isRead ? 'markAsRead' : 'markAsUnread', [messageIdProperty]),
		action: isRead ? 'Marking the message as read' : 'Marking the message as unread',
		field: 'Message ID',
		prepare(_run, itemIndex) {
			return { key: '', input: { id: itemParameters(this, itemIndex).id('messageId', 'Message ID') } };
		},
		ids: (input) => [{ field: 'Message ID', id: input.id }],
		async run(run, mailbox, inputs) {
			const results = await updateMessages(run.client, mailbox, inputs.map((input) => ({ id: input.id, isRead })));
			return results.map((result, position): ItemResult<IDataObject> => (result.ok ? { ok: true, value: { id: inputs[position].id, changeKey: result.value.changeKey, mailbox, isRead } } : result));
		},
	};
}
