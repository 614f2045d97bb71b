/**
 * Bulk baseline: one EWS call per item with the library directly. Mark as read is an UpdateItem on
 * an unbound message object carrying only the id (no GetItem first); move is a MoveItem per id.
 */
import type { EmailMessage, ExchangeService } from 'ews-javascript-api';

import { measure, readInput, runWorker, type WorkerInput } from './common';
import { baselineService, loadEws, type Ews } from './ews-service';

interface Input extends WorkerInput {
	ids: string[];
	destinationFolderId: string;
}

/** A message object that only knows its id: enough for UpdateItem with AlwaysOverwrite. */
function unboundMessage(ews: Ews, service: ExchangeService, id: string): EmailMessage {
	const message = new ews.EmailMessage(service);
	// PropertyBag is internal to the library (not in its typings); setting the id there does not mark it as changed.
	(message as unknown as { PropertyBag: { properties: { set(key: unknown, value: unknown): void } } }).PropertyBag.properties.set(ews.ItemSchema.Id, new ews.ItemId(id));
	return message;
}

runWorker(async () => {
	const input = await readInput<Input>();
	const ews = loadEws();
	const service = await baselineService(ews, input); // the token is fetched before timing, in ours too
	const markRead = await measure(async () => {
		for (const id of input.ids) {
			const message = unboundMessage(ews, service, id);
			message.IsRead = true;
			await service.UpdateItems([message], null as never, ews.ConflictResolutionMode.AlwaysOverwrite, ews.MessageDisposition.SaveOnly, ews.SendInvitationsOrCancellationsMode.SendToNone);
		}
		return input.ids.length;
	});
	const destination = new ews.FolderId(input.destinationFolderId);
	const move = await measure(async () => {
		let moved = 0;
		for (const id of input.ids) {
			const responses = await service.MoveItems([new ews.ItemId(id)], destination);
			if (responses.Responses[0].Result !== ews.ServiceResult.Error) moved++;
		}
		return moved;
	});
	return { markRead: { ...markRead, value: undefined, ok: markRead.value }, move: { ...move, value: undefined, ok: move.value } };
});
