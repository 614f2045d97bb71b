import type { IDataObject } from 'n8n-workflow';

import { itemParameters } from '../../../shared/parameters';
import { assertIdsAllowed } from '../../helpers/idGuard';
import { responseInput, responseProperties } from '../../helpers/respond';
import { withField } from '../../helpers/utils';
import { showFor, type ItemOperation } from '../types';

const toProperty = {
	displayName: 'To Email',
	name: 'toEmail',
	type: 'string' as const,
	default: '',
	required: true,
	placeholder: 'someone@example.com',
	description: 'Recipients of the forward, separated by commas',
};

export const operation: ItemOperation = {
	kind: 'item',
	description: showFor('message', 'forward', responseProperties(toProperty, [])),
	async execute(run, itemIndex) {
		const mailbox = run.mailboxOf(itemIndex);
		const parameters = itemParameters(this, itemIndex);
		const id = parameters.id('messageId', 'Message ID');
		const to = parameters.addresses('toEmail', 'To Email', { required: true });
		const input = await responseInput(this, parameters, 'forward', to);
		await assertIdsAllowed(this, run, itemIndex, mailbox, [{ field: 'Message ID', id }], 'Forwarding the message');
		const summary = await withField(this, run, itemIndex, 'Forwarding the message', 'Message ID', async () => await run.store.respondToMessage(mailbox, id, input));
		return [{ json: { sent: true, ...summary } as unknown as IDataObject }];
	},
};
