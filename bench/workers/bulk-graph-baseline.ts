/**
 * Bulk baseline on Graph, as n8n's Outlook node does it: one PATCH {isRead} per message, then one
 * POST /move per message, each its own HTTPS request (plain https, keep-alive).
 */
import { measure, readInput, runWorker, type WorkerInput } from './common';
import { plainGraph } from './graph-https';

interface Input extends WorkerInput {
	ids: string[];
	destinationFolderId: string;
}

const ok = (status: number) => status >= 200 && status < 300;

runWorker(async () => {
	const input = await readInput<Input>();
	const call = await plainGraph(input); // the token is fetched before timing, in ours too
	const markRead = await measure(async () => {
		let marked = 0;
		for (const id of input.ids) if (ok(await call('PATCH', `/messages/${id}`, { isRead: true }))) marked++;
		return marked;
	});
	const move = await measure(async () => {
		let moved = 0;
		for (const id of input.ids) if (ok(await call('POST', `/messages/${id}/move`, { destinationId: input.destinationFolderId }))) moved++;
		return moved;
	});
	return { markRead: { ...markRead, value: undefined, ok: markRead.value }, move: { ...move, value: undefined, ok: move.value } };
});
