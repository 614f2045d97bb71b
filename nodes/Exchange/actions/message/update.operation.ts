import { NodeOperationError, type INodeProperties } from 'n8n-workflow';

import type { MessageUpdate } from '../../../shared/mail/store';
import { messageIdProperty } from '../../descriptions/common';
import { itemParameters, valuesOf } from '../../../shared/parameters';
import { outputsOf, showFor, type BatchOperation } from '../types';
import { IMPORTANCE_OPTIONS } from '../../../shared/mail/fields';

const properties: INodeProperties[] = [
	messageIdProperty,
	{
		displayName: 'Update Fields',
		name: 'updateFields',
		type: 'collection',
		placeholder: 'Add field',
		default: {},
		options: [
			{
				displayName: 'Categories',
				name: 'categories',
				type: 'string',
				default: '',
				placeholder: 'Processed, Finance',
				description: 'Categories to set, separated by commas (replaces the existing ones; empty clears them)',
			},
			{
				displayName: 'Flag',
				name: 'flag',
				type: 'options',
				options: [
					{ name: 'Not Flagged', value: 'notFlagged' },
					{ name: 'Flagged', value: 'flagged' },
					{ name: 'Complete', value: 'complete' },
				],
				default: 'flagged',
			},
			{
				displayName: 'Importance',
				name: 'importance',
				type: 'options',
				options: IMPORTANCE_OPTIONS,
				default: 'normal',
			},
			{
				displayName: 'Is Read',
				name: 'isRead',
				type: 'boolean',
				default: true,
				description: 'Whether the message is marked as read',
			},
		],
	},
];

const FLAGS = valuesOf<NonNullable<MessageUpdate['flag']>>((properties[1].options as INodeProperties[]).find((field) => field.name === 'flag')?.options);
const IMPORTANCES = valuesOf<NonNullable<MessageUpdate['importance']>>(IMPORTANCE_OPTIONS);

export const operation: BatchOperation<MessageUpdate> = {
	kind: 'batch',
	description: showFor('message', 'update', properties),
	action: 'Updating the message',
	field: 'Message ID',
	prepare(_run, itemIndex) {
		const parameters = itemParameters(this, itemIndex);
		const id = parameters.id('messageId', 'Message ID');
		// Only the fields the user added are changed; an empty Categories clears them.
		const update: MessageUpdate = { id };
		if (parameters.isSet('updateFields.categories')) update.categories = parameters.list('updateFields.categories', 'Categories');
		const flag = parameters.option('updateFields.flag', 'Flag', FLAGS);
		if (flag) update.flag = flag;
		const importance = parameters.option('updateFields.importance', 'Importance', IMPORTANCES);
		if (importance) update.importance = importance;
		const isRead = parameters.boolean('updateFields.isRead', 'Is Read');
		if (isRead !== undefined) update.isRead = isRead;
		if (Object.keys(update).length === 1) {
			throw new NodeOperationError(this.getNode(), 'Nothing to update: "Update Fields" is empty', { itemIndex, description: 'Add Categories, Flag, Importance or Is Read.' });
		}
		// Every update goes in one UpdateItem call: each id carries its own changes.
		return { key: '', input: update };
	},
	ids: (input) => [{ field: 'Message ID', id: input.id }],
	async run(run, mailbox, inputs) {
		const results = await run.store.updateMessages(mailbox, inputs);
		return outputsOf(results, (updated, position) => {
			const { id, ...changes } = inputs[position];
			return { id, changeKey: updated.changeKey, mailbox, ...changes };
		});
	},
};
