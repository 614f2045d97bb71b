/** What the Graph store tests share: the sandbox (its Graph stand-in over the shared mailbox store) and a store on it. */
import type { ExchangeAuth } from '../../../nodes/shared/auth/exchangeAuth';
import { GraphClient, type GraphClientOptions } from '../../../nodes/shared/transport/graph/client';
import { GraphMailStore } from '../../../nodes/shared/transport/graph/store';
import { DEMO, type Sandbox } from '../../sandbox';
import { graphAppToken } from '../../sandbox/graph/test-client';
import { useSandbox } from '../../support/useSandbox';

/**
 * An app-only auth whose tokens the sandbox's Entra stand-in mints for the Graph resource (the
 * credential's own Graph token path is the credentials' tests' subject).
 */
export function graphAuth(sandbox: Sandbox, roles?: string[]): ExchangeAuth & { tokenCalls: number } {
	const auth = {
		kind: 'appOnly' as const,
		mailboxApi: 'graph' as const,
		endpoints: { authorityHost: new URL(sandbox.graphUrl).host, ewsUrl: sandbox.ews.url, smtpHost: '', smtpPort: 587, smtpSecurity: 'starttls' as const, resource: 'https://outlook.office365.com', graphUrl: sandbox.graphUrl, graphResource: 'https://graph.microsoft.com' },
		tls: { caCertificate: sandbox.ca },
		secrets: [] as string[],
		clientId: DEMO.appOnlyClientId,
		tenantId: DEMO.tenantId,
		mailboxPolicy: { patterns: [] },
		assertMailboxAllowed() {},
		tokenCalls: 0,
		async getAccessToken() {
			auth.tokenCalls++;
			return graphAppToken(sandbox, roles);
		},
	};
	return auth;
}

export function graphStoreOn(sandbox: Sandbox, waits: number[] = [], options: Partial<GraphClientOptions> = {}, roles?: string[]): { store: GraphMailStore; client: GraphClient } {
	const client = new GraphClient(graphAuth(sandbox, roles), { graphUrl: sandbox.graphUrl, wait: async (ms) => void waits.push(ms), ...options });
	return { store: new GraphMailStore(client), client };
}

/** One sandbox for the file, with the Graph stand-in's requests and faults cleared before each test. */
export function useGraphSandbox(): () => Sandbox {
	const current = useSandbox();
	beforeEach(() => current().graph.reset());
	return current;
}
