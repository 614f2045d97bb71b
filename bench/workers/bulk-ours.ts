/**
 * Bulk with the Exchange node: one execution "Mark as Read" over N input items, then one execution
 * "Move" over the same N items, each through the n8n execution-context stand-in. The credential's
 * Mailbox API picks EWS or Graph.
 */
import { executeExchange, prepareExchange } from './exchange';
import { measure, readInput, runWorker, type WorkerInput } from './common';

interface Input extends WorkerInput {
	ids: string[];
	destinationFolderId: string;
}

runWorker(async () => {
	const input = await readInput<Input>();
	await prepareExchange(input);
	const n = input.ids.length;
	const markRead = await measure(async () => await executeExchange(input, 'message', n, (i) => ({ operation: 'markAsRead', messageId: input.ids[i] })));
	const move = await measure(async () => await executeExchange(input, 'message', n, (i) => ({ operation: 'move', messageId: input.ids[i], destination: { __rl: true, mode: 'id', value: input.destinationFolderId } })));
	return { markRead: { ...markRead, value: undefined, ok: markRead.value }, move: { ...move, value: undefined, ok: move.value } };
});
