import { messageIdProperty } from '../../descriptions/common';
import { itemParameters } from '../../../shared/parameters';
import { assertIdsAllowed } from '../../helpers/idGuard';
import { withField } from '../../helpers/utils';
import { showFor, type ItemOperation } from '../types';

export const operation: ItemOperation = {
	kind: 'item',
	description: showFor('attachment', 'getMany', [messageIdProperty]),
	async execute(run, itemIndex) {
		const mailbox = run.mailboxOf(itemIndex);
		const messageId = itemParameters(this, itemIndex).id('messageId', 'Message ID');
		await assertIdsAllowed(this, run, itemIndex, mailbox, [{ field: 'Message ID', id: messageId }], 'Listing attachments');
		const attachments = await withField(this, run, itemIndex, 'Listing attachments', 'Message ID', async () => await run.store.listAttachments(mailbox, messageId));
		return attachments.map((attachment) => ({ json: { ...attachment, messageId } }));
	},
};
