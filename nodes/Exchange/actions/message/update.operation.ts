import { NodeOperationError, type IDataObject, type INodeProperties } from 'n8n-workflow';

import type { ItemResult, MessageUpdate } from '../../../shared/mail/store';
import { messageIdProperty } from '../../descriptions/common';
import { itemParameters, valuesOf } from '../../../shared/parameters';
import { showFor, type BatchOperation } from '../types';
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
				displayName: 'Add Categories',
				name: 'addCategories',
				type: 'string',
				default: '',
				placeholder: 'Processed',
				description: 'Categories to add, separated by commas; the existing ones are kept. Adding a category the message has already changes nothing, so this is safe to repeat.',
			},
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

/** An update as the node reads it: categories to add are merged with the message's own before the write. */
type UpdateInput = MessageUpdate & { addCategories?: string[] };

const FLAGS = valuesOf<NonNullable<MessageUpdate['flag']>>((properties[1].options as INodeProperties[]).find((field) => field.name === 'flag')?.options);
const IMPORTANCES = valuesOf<NonNullable<MessageUpdate['importance']>>(IMPORTANCE_OPTIONS);

export const operation: BatchOperation<UpdateInput> = {
	kind: 'batch',
	description: showFor('message', 'update', properties),
	action: 'Updating the message',
	field: 'Message ID',
	prepare(_run, itemIndex) {
		const parameters = itemParameters(this, itemIndex);
		const id = parameters.id('messageId', 'Message ID');
		// Only the fields the user added are changed; an empty Categories clears them.
		const update: UpdateInput = { id };
		if (parameters.isSet('updateFields.categories')) update.categories = parameters.list('updateFields.categories', 'Categories');
		if (parameters.isSet('updateFields.addCategories')) {
			const added = parameters.list('updateFields.addCategories', 'Add Categories');
			if (update.categories) throw parameters.error('"Categories" and "Add Categories" are both set', 'Use "Categories" to replace the list, or "Add Categories" to keep the existing ones and add to them, not both.');
			if (added.length === 0) throw parameters.error('"Add Categories" is empty', 'Enter the categories to add, separated by commas, or remove the field.');
			update.addCategories = added;
		}
		const flag = parameters.option('updateFields.flag', 'Flag', FLAGS);
		if (flag) update.flag = flag;
		const importance = parameters.option('updateFields.importance', 'Importance', IMPORTANCES);
		if (importance) update.importance = importance;
		const isRead = parameters.boolean('updateFields.isRead', 'Is Read');
		if (isRead !== undefined) update.isRead = isRead;
		if (Object.keys(update).length === 1) {
			throw new NodeOperationError(this.getNode(), 'Nothing to update: "Update Fields" is empty', { itemIndex, description: 'Add a field to change: Categories, Add Categories, Flag, Importance or Is Read.' });
		}
		// Every update goes in one UpdateItem call: each id carries its own changes.
		return { key: '', input: update };
	},
	ids: (input) => [{ field: 'Message ID', id: input.id }],
	async run(run, mailbox, inputs) {
		// Categories to add need the message's own: one batched read for all of them (messageStates).
		const adding = inputs.filter((input) => input.addCategories);
		const states = adding.length ? await run.store.messageStates(mailbox, adding.map((input) => input.id)) : [];
		const stateOf = new Map(adding.map((input, index) => [input, states[index]]));
		const updates: Array<ItemResult<MessageUpdate>> = inputs.map((input) => {
			const { addCategories, ...update } = input;
			const state = stateOf.get(input);
			if (!addCategories || !state) return { ok: true, value: update };
			if (!state.ok) return state;
			// Exchange compares categories case-insensitively: one already there (in any case) is not added again.
			const categories = [...state.value.categories];
			for (const category of addCategories) if (!categories.some((existing) => existing.toLowerCase() === category.toLowerCase())) categories.push(category);
			return { ok: true, value: { ...update, categories } };
		});
		const writable = updates.flatMap((update) => (update.ok ? [update.value] : []));
		const written = writable.length ? await run.store.updateMessages(mailbox, writable) : [];
		let next = 0;
		return updates.map((update): ItemResult<IDataObject> => {
			if (!update.ok) return update;
			const result = written[next++];
			if (!result.ok) return result;
			const { id, ...changes } = update.value;
			return { ok: true, value: { id, changeKey: result.value.changeKey, mailbox, ...changes } };
		});
	},
};
