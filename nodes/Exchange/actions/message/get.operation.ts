import type { INodeProperties } from 'n8n-workflow';

import type { BodyChoice } from '../../../shared/mail/messageShape';
import { messageIdProperty } from '../../descriptions/common';
import { readOptions } from '../../descriptions/message';
import { itemParameters, ParameterReader, valuesOf } from '../../../shared/parameters';
import { showFor, type BatchOperation } from '../types';

export const messageOutputOptions: INodeProperties = {
	displayName: 'Options',
	name: 'options',
	type: 'collection',
	placeholder: 'Add option',
	default: {},
	options: readOptions,
};

const BODY_CHOICES = valuesOf<BodyChoice>(readOptions[0].options);

/** Options → Body and Include Internet Headers (Get, Get Many). */
export function outputOptions(parameters: ParameterReader): { body: BodyChoice; headers: boolean } {
	return {
		body: parameters.option('options.body', 'Body', BODY_CHOICES, 'text'),
		headers: parameters.boolean('options.includeHeaders', 'Include Internet Headers', false),
	};
}

export const operation: BatchOperation<{ id: string; body: BodyChoice; headers: boolean }> = {
	kind: 'batch',
	description: showFor('message', 'get', [messageIdProperty, messageOutputOptions]),
	action: 'Getting the message',
	field: 'Message ID',
	prepare(_run, itemIndex) {
		const parameters = itemParameters(this, itemIndex);
		const id = parameters.id('messageId', 'Message ID');
		const { body, headers } = outputOptions(parameters);
		return { key: `${body}/${headers}`, input: { id, body, headers } };
	},
	ids: (input) => [{ field: 'Message ID', id: input.id }],
	async run(run, mailbox, inputs) {
		return await run.store.getMessages(mailbox, inputs.map((input) => input.id), { body: inputs[0].body, headers: inputs[0].headers });
	},
};
