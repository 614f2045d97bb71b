/** What the EWS transport tests share: an app-only auth and a client against the sandbox's EWS stand-in. */
import type { INodeTypeDescription } from 'n8n-workflow';

import { loadExchangeAuth, type ExchangeAuth } from '../../nodes/shared/auth/exchangeAuth';
import { EwsClient, type EwsClientOptions } from '../../nodes/shared/transport/ews/client';
import type { Sandbox } from '../sandbox';
import { useSandbox } from '../support/useSandbox';
import { createExecuteContext } from '../support/executeContext';
import { appOnlyCredential, delegatedCredential, delegatedTokenData } from '../support/sandboxCredentials';

export const noParameters = { properties: [] } as unknown as INodeTypeDescription;

export async function appOnlyAuth(sandbox: Sandbox, overrides = {}): Promise<ExchangeAuth> {
	const test = createExecuteContext({ description: noParameters, parameters: {}, credentials: { microsoftExchangeAppOnlyApi: appOnlyCredential(sandbox, overrides) }, trustedCa: sandbox.ca });
	return await loadExchangeAuth(test.context, 'appOnly', 'microsoftExchangeOAuth2Api');
}

const EWS_SCOPE = 'https://outlook.office365.com/EWS.AccessAsUser.All offline_access';

/** A delegated auth (the demo user's EWS token, no impersonation). */
export async function delegatedAuth(sandbox: Sandbox): Promise<ExchangeAuth> {
	const credential = await delegatedCredential(sandbox);
	credential.oauthTokenData = await delegatedTokenData(sandbox, EWS_SCOPE);
	const test = createExecuteContext({ description: noParameters, parameters: {}, credentials: { microsoftExchangeOAuth2Api: credential }, trustedCa: sandbox.ca });
	return await loadExchangeAuth(test.context, 'delegated', 'microsoftExchangeOAuth2Api');
}

/** A client on the sandbox whose back-off waits are recorded in `waits` instead of slept. */
export function clientOn(sandbox: Sandbox, auth: ExchangeAuth, waits: number[] = [], options: Partial<EwsClientOptions> = {}): EwsClient {
	return new EwsClient(auth, { ewsUrl: sandbox.ews.url, wait: async (ms) => void waits.push(ms), ...options });
}

/** One sandbox for the file (test/support/useSandbox) with the EWS stand-in's requests and faults cleared before each test. */
export function useEwsSandbox(): () => Sandbox {
	// The first call of a file loads ews-javascript-api and gets a token: seconds on a loaded machine.
	jest.setTimeout(30_000);
	const currentSandbox = useSandbox();
	beforeEach(() => {
		currentSandbox().ews.reset();
	});
	return currentSandbox;
}

/** EWS ResponseCodes the fault tests use: the catalogue's, the retryable ones, and one no catalogue knows. */
export const EWS_FAULT_CODES = [
	'ErrorServerBusy',
	'ErrorSendAsDenied',
	'ErrorMessageSizeExceeded',
	'ErrorQuotaExceeded',
	'ErrorInternalServerTransientError',
	'ErrorTimeoutExpired',
	'ErrorInternalServerError',
	'ErrorMailboxStoreUnavailable',
	'ErrorImpersonateUserDenied',
	'ErrorNonExistentMailbox',
	'ErrorAccessDenied',
	'ErrorItemNotFound',
	'ErrorFolderNotFound',
	'ErrorInvalidIdMalformed',
	'ErrorCodeNobodyHasSeenYet',
];
