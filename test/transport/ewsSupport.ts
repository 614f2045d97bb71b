/** What the EWS transport tests share: an app-only auth and a client against the sandbox's EWS stand-in. */
import type { INodeTypeDescription } from 'n8n-workflow';

import { loadExchangeAuth, type ExchangeAuth } from '../../nodes/shared/auth/exchangeAuth';
import { EwsClient, type EwsClientOptions } from '../../nodes/shared/transport/ews/client';
import type { Sandbox } from '../sandbox';
import { createExecuteContext } from '../support/executeContext';
import { appOnlyCredential } from '../support/sandboxCredentials';

export const noParameters = { properties: [] } as unknown as INodeTypeDescription;

export async function appOnlyAuth(sandbox: Sandbox, overrides = {}): Promise<ExchangeAuth> {
	const test = createExecuteContext({ description: noParameters, parameters: {}, credentials: { microsoftExchangeAppOnlyApi: appOnlyCredential(sandbox, overrides) }, trustedCa: sandbox.ca });
	return await loadExchangeAuth(test.context, 'appOnly', 'microsoftExchangeOAuth2Api');
}

/** A client on the sandbox whose back-off waits are recorded in `waits` instead of slept. */
export function clientOn(sandbox: Sandbox, auth: ExchangeAuth, waits: number[] = [], options: Partial<EwsClientOptions> = {}): EwsClient {
	return new EwsClient(auth, { ewsUrl: sandbox.ews.url, wait: async (ms) => void waits.push(ms), ...options });
}
