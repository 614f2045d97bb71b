import type { IDataObject } from 'n8n-workflow';

import { itemParameters } from '../../../shared/parameters';
import { assertIdsAllowed } from '../../helpers/idGuard';
import { responseInput, responseProperties } from '../../helpers/respond';
import { withField } from '../../helpers/utils';
import { showFor, type ItemOperation } from '../types';

const replyAllProperty = {
	displayName: 'Reply to All',
	name: 'replyAll',
	type: 'boolean' as const,
	default: false,
	description: 'Whether to answer every recipient of the original (except the mailbox itself), not only its sender',
};

const additionalToOption = { displayName: 'Additional To Email', name: 'toEmail', type: 'string' as const, default: '', description: 'More recipients besides the ones Exchange picks, separated by commas' };

export const operation: ItemOperation = {
	kind: 'item',
	description: showFor('message', 'reply', responseProperties(replyAllProperty, [additionalToOption])),
	async execute(run, itemIndex) {
		const mailbox = run.mailboxOf(itemIndex);
		const parameters = itemParameters(this, itemIndex);
		const id = parameters.id('messageId', 'Message ID');
		const to = parameters.addresses('options.toEmail', 'Additional To Email');
		const kind = parameters.boolean('replyAll', 'Reply to All', false) ? 'replyAll' : 'reply';
		const input = await responseInput(this, parameters, kind, to);
		await assertIdsAllowed(this, run, itemIndex, mailbox, [{ field: 'Message ID', id }], 'Replying to the message');
		const summary = await withField(this, run, itemIndex, 'Replying to the message', 'Message ID', async () => await run.store.respondToMessage(mailbox, id, input));
		return [{ json: { sent: true, ...summary } as unknown as IDataObject }];
	},
};
