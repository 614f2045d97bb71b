import type { IDataObject } from 'n8n-workflow';

import type { ItemResult } from '../../../shared/mail/store';
import { destinationBatch, destinationProperties, type DestinationInput } from '../../helpers/destination';
import { outputsOf, showFor, type BatchOperation } from '../types';

export const operation: BatchOperation<DestinationInput> = {
	...destinationBatch,
	description: showFor('message', 'move', destinationProperties('move')),
	action: 'Moving the message',
	async run(run, mailbox, inputs) {
		// Items of one group share the destination: the router groups by it.
		const results = await run.store.moveMessages(mailbox, inputs.map((input) => input.id), inputs[0].folder);
		const outputs = outputsOf(results, (moved, position) => ({ id: moved.id, sourceId: inputs[position].id, mailbox, moved: true }));
		// Safe to repeat (a redelivered message passes the workflow's last Move again): on EWS a move gives the
		// message a new id, so a message id that no longer resolves (not a missing destination) was moved before; its new id is unknown. EWS cannot
		// tell that from a deletion, so both read as done. A Graph immutable id follows the message: moving it
		// again succeeds where it is, and an id Graph cannot find was deleted, which stays an error.
		if (run.store.api !== 'ews') return outputs;
		return outputs.map((result, position): ItemResult<IDataObject> =>
			!result.ok && result.failure.code === 'ErrorItemNotFound' ? { ok: true, value: { id: null, sourceId: inputs[position].id, mailbox, moved: true, alreadyMoved: true } } : result,
		);
	},
};
