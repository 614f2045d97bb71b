import type { ExchangeAuth } from '../auth/exchangeAuth';
import { EwsClient, type EwsClientOptions } from '../transport/ews/client';
import { EwsMailStore } from '../transport/ews/store';
import { GraphClient } from '../transport/graph/client';
import { GraphMailStore } from '../transport/graph/store';
import type { MailStore } from './store';

/** Transport settings an execution may tune (tests: a wait recorder instead of real sleeps, short timeouts). */
export type MailStoreOptions = Pick<EwsClientOptions, 'wait' | 'timeoutMs' | 'deadlineMs' | 'maxAttempts'>;

/**
 * The mailbox of one execution, over the API the credential chose (its Mailbox API field). A
 * credential saved before that field existed has none and keeps EWS, as in 0.1.
 */
export function openMailStore(auth: ExchangeAuth, options: MailStoreOptions = {}): MailStore {
	const api = auth.mailboxApi ?? 'ews';
	if (api === 'graph') return new GraphMailStore(new GraphClient(auth, { graphUrl: auth.endpoints.graphUrl, wait: options.wait, deadlineMs: options.deadlineMs, maxAttempts: options.maxAttempts }));
	return new EwsMailStore(new EwsClient(auth, { ewsUrl: auth.endpoints.ewsUrl ?? '', ...options }));
}
