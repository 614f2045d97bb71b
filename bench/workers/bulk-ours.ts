/**
 * Bulk with the Exchange node: one execution "Mark as Read" over N input items, then one execution
 * "Move" over the same N items, each through the n8n execution-context stand-in.
 */
import type { IDataObject, INodeExecutionData } from 'n8n-workflow';

import { Exchange } from '../../nodes/Exchange/Exchange.node.ts'; // explicit .ts: "Exchange.node" would resolve to the codex Exchange.node.json
import { loadExchangeAuth } from '../../nodes/shared/auth/exchangeAuth';
import { ewsLibrary } from '../../nodes/shared/transport/ews/library';
import { nodeContext } from './context';
import { measure, readInput, runWorker, type WorkerInput } from './common';

interface Input extends WorkerInput {
	ids: string[];
	destinationFolderId: string;
}

const node = new Exchange();

async function execute(input: Input, parameters: (itemIndex: number) => IDataObject): Promise<INodeExecutionData[]> {
	const items = input.ids.map((_, i) => ({ json: { i } }));
	const test = nodeContext({
		description: node.description,
		parameters: (i) => ({ authentication: 'appOnly', mailbox: input.mailbox, resource: 'message', ...parameters(i) }),
		credentials: { microsoftExchangeAppOnlyApi: input.credential },
		items,
		trustedCa: input.ca,
	});
	const [output] = await node.execute.call(test.context);
	return output;
}

const succeeded = (output: INodeExecutionData[]) => output.filter((item) => item.json.error === undefined).length;

runWorker(async () => {
	const input = await readInput<Input>();
	ewsLibrary();
	// The token is fetched before timing (MSAL caches it in this process), in the baseline too.
	const warm = nodeContext({ description: node.description, parameters: {}, credentials: { microsoftExchangeAppOnlyApi: input.credential } });
	await (await loadExchangeAuth(warm.context, 'appOnly', 'microsoftExchangeOAuth2Api')).getAccessToken(false);

	const markRead = await measure(async () => succeeded(await execute(input, (i) => ({ operation: 'markAsRead', messageId: input.ids[i] }))));
	const move = await measure(async () =>
		succeeded(await execute(input, (i) => ({ operation: 'move', messageId: input.ids[i], destination: { __rl: true, mode: 'id', value: input.destinationFolderId } }))),
	);
	return { markRead: { ...markRead, value: undefined, ok: markRead.value }, move: { ...move, value: undefined, ok: move.value } };
});
