import type { INodeProperties } from 'n8n-workflow';

import type { BodyChoice } from '../../../shared/mail/messageShape';
import { getMessages } from '../../../shared/transport/ews/messages';
import { messageIdProperty } from '../../descriptions/common';
import { readOptions } from '../../descriptions/message';
import { requiredString } from '../../helpers/utils';
import { showFor, type BatchOperation } from '../types';

export const messageOutputOptions: INodeProperties = {
	displayName: 'Options',
	name: 'options',
	type: 'collection',
	placeholder: 'Add option',
	default: {},
	options: readOptions,
};

export const operation: BatchOperation<{ id: string; body: BodyChoice; headers: boolean }> = {
	kind: 'batch',
	description: showFor('message', 'get', [messageIdProperty, messageOutputOptions]),
	action: 'Getting the message',
	field: 'Message ID',
	prepare(_run, itemIndex) {
		const id = requiredString(this, 'messageId', 'Message ID', itemIndex);
		const body = this.getNodeParameter('options.body', itemIndex, 'text') as BodyChoice;
		const headers = this.getNodeParameter('options.includeHeaders', itemIndex, false) as boolean;
		return { key: `${body}/${headers}`, input: { id, body, headers } };
	},
	ids: (input) => [{ field: 'Message ID', id: input.id }],
	async run(run, mailbox, inputs) {
		return await getMessages(run.client, mailbox, inputs.map((input) => input.id), { body: inputs[0].body, headers: inputs[0].headers });
	},
};
