/** The Microsoft Exchange node as the bench workers run it: one execution over N items, app-only. */
import type { IDataObject, INodeExecutionData } from 'n8n-workflow';

import { Exchange } from '../../nodes/Exchange/Exchange.node.ts'; // explicit .ts: "Exchange.node" would resolve to the codex Exchange.node.json
import { loadExchangeAuth } from '../../nodes/shared/auth/exchangeAuth';
import { ewsLibrary } from '../../nodes/shared/transport/ews/library';
import { nodeContext } from './context';
import type { WorkerInput } from './common';

const node = new Exchange();

/**
 * Before timing, as the baselines do: the EWS library is loaded (EWS only; Graph needs none of it) and the
 * token fetched (MSAL caches it in this process).
 */
export async function prepareExchange(input: WorkerInput): Promise<void> {
	if (input.mailboxApi === 'ews') ewsLibrary();
	const warm = nodeContext({ description: node.description, parameters: {}, credentials: { microsoftExchangeAppOnlyApi: input.credential } });
	await (await loadExchangeAuth(warm.context, 'appOnly', 'microsoftExchangeOAuth2Api')).getAccessToken(false);
}

/** One execution of `resource` over `count` items; the number of items that came out without an error. */
export async function executeExchange(input: WorkerInput, resource: string, count: number, parameters: (itemIndex: number) => IDataObject): Promise<number> {
	const test = nodeContext({
		description: node.description,
		parameters: (i) => ({ authentication: 'appOnly', mailbox: input.mailbox, resource, ...parameters(i) }),
		credentials: { microsoftExchangeAppOnlyApi: input.credential },
		items: Array.from({ length: count }, (_, i) => ({ json: { i } })),
		trustedCa: input.ca,
	});
	const [output]: INodeExecutionData[][] = await node.execute.call(test.context);
	return output.filter((item) => item.json.error === undefined).length;
}
