import { destinationBatch, destinationProperties, type DestinationInput } from '../../helpers/destination';
import { outputsOf, showFor, type BatchOperation } from '../types';

export const operation: BatchOperation<DestinationInput> = {
	...destinationBatch,
	description: showFor('message', 'move', destinationProperties('move')),
	action: 'Moving the message',
	async run(run, mailbox, inputs) {
		// Items of one group share the destination: the router groups by it.
		const results = await run.store.moveMessages(mailbox, inputs.map((input) => input.id), inputs[0].folder);
		// A repeat (a redelivered message passing the last Move again) is done: `alreadyMoved` says the id no longer resolved.
		return outputsOf(results, (moved, position) => ({ id: moved.id, sourceId: inputs[position].id, mailbox, moved: true, ...(moved.alreadyMoved ? { alreadyMoved: true } : {}) }));
	},
};
