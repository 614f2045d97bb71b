/**
 * Token use: N consecutive executions of the Exchange node (app-only, "Folder → Get" on the inbox),
 * each with a fresh execution context, in one process, within one token lifetime. The parent counts
 * the requests the token endpoint received.
 */
import { Exchange } from '../../nodes/Exchange/Exchange.node.ts'; // explicit .ts: "Exchange.node" would resolve to the codex Exchange.node.json
import { ewsLibrary } from '../../nodes/shared/transport/ews/library';
import { nodeContext } from './context';
import { measure, readInput, runWorker, type WorkerInput } from './common';

interface Input extends WorkerInput {
	executions: number;
}

const node = new Exchange();

runWorker(async () => {
	const input = await readInput<Input>();
	ewsLibrary();
	const measured = await measure(async () => {
		let ok = 0;
		for (let execution = 0; execution < input.executions; execution++) {
			const test = nodeContext({
				description: node.description,
				parameters: { authentication: 'appOnly', mailbox: input.mailbox, resource: 'folder', operation: 'get', folder: { __rl: true, mode: 'wellKnown', value: 'inbox' } },
				credentials: { microsoftExchangeAppOnlyApi: input.credential },
			});
			const [output] = await node.execute.call(test.context);
			if (output.length === 1 && output[0].json.error === undefined) ok++;
		}
		return ok;
	});
	return { ...measured, value: undefined, ok: measured.value };
});
