/**
 * Shared set-up of the Microsoft Exchange node suites (message, folder, attachment, node): the real
 * sandbox (real ews-javascript-api, real HTTPS to the EWS stand-in with schema validation on, real
 * tokens from the Entra stand-in), the node, and contexts for either credential. Nothing is mocked.
 */
import type { ICredentialDataDecryptedObject, IDataObject, INodeExecutionData } from 'n8n-workflow';

import { Exchange } from '../../../nodes/Exchange/Exchange.node';
import { clientOptions } from '../../../nodes/Exchange/actions/router';
import type { Sandbox } from '../../sandbox';
import { createExecuteContext, type TestContext } from '../../support/executeContext';
import { appOnlyCredential, delegatedCredential, EWS_DELEGATED_SCOPE } from '../../support/sandboxCredentials';
import { useSandbox } from '../../support/useSandbox';
import { DEMO } from '../../sandbox';
import type { StoredItem } from '../../sandbox/ews/store';
import { decodeGraphId, graphIdOf, immutableGraphId } from '../../sandbox/graph/ids';

process.env.TZ = 'UTC';

export const node = new Exchange();
export const SHARED = DEMO.sharedMailbox;
/** Throttling back-off waits of the current test, recorded instead of slept. */
export const waits: number[] = [];

let current: Sandbox;

/** Registers the suite's hooks (sandbox, recorded waits, a reset before each test); call once at the top of a test file. */
export function useExchangeSandbox(): () => Sandbox {
	const currentSandbox = useSandbox();
	beforeAll(() => {
		current = currentSandbox();
		clientOptions.wait = async (ms) => {
			waits.push(ms);
		};
	});
	afterAll(() => {
		delete clientOptions.wait;
	});
	beforeEach(() => {
		current.ews.reset();
		current.graph.reset();
		waits.length = 0;
	});
	return () => current;
}

let seq = 0;
export const unique = (label: string) => `${label} #${++seq}-${Date.now().toString(36)}`;

type Params = IDataObject | ((i: number) => IDataObject);

export function appOnly(parameters: Params, extra: Partial<Parameters<typeof createExecuteContext>[0]> = {}): TestContext {
	const withDefaults = typeof parameters === 'function' ? (i: number) => ({ authentication: 'appOnly', mailbox: SHARED, ...parameters(i) }) : { authentication: 'appOnly', mailbox: SHARED, ...parameters };
	return createExecuteContext({
		description: node.description,
		parameters: withDefaults,
		credentials: { microsoftExchangeAppOnlyApi: appOnlyCredential(current) },
		trustedCa: current.ca,
		...extra,
	});
}

export async function delegated(parameters: IDataObject, extra: Partial<Parameters<typeof createExecuteContext>[0]> = {}, overrides: IDataObject = {}): Promise<TestContext> {
	return createExecuteContext({
		description: node.description,
		parameters: { authentication: 'delegated', ...parameters },
		credentials: { microsoftExchangeOAuth2Api: await delegatedCredential(current, overrides as never, EWS_DELEGATED_SCOPE) },
		trustedCa: current.ca,
		...extra,
	});
}

export async function run(test: TestContext): Promise<INodeExecutionData[]> {
	const [output] = await node.execute.call(test.context);
	return output;
}

export async function runExpectingError(test: TestContext): Promise<Error & { description?: string }> {
	try {
		await run(test);
	} catch (error) {
		return error as Error & { description?: string };
	}
	throw new Error('expected the node to throw');
}

export const items = (n: number) => Array.from({ length: n }, (_, i) => ({ json: { i } }));
export const deliver = (mailbox: string, subject: string, extra: Partial<Parameters<Sandbox['ews']['store']['deliver']>[1]> = {}) =>
	current.ews.store.deliver(mailbox, { from: 'Ann Sender <ann@example.com>', to: mailbox, subject, text: `Text of ${subject}`, ...extra });
export const folder = (mode: string, value: string) => ({ __rl: true, mode, value });

const GRAPH_RESOURCE = 'https://graph.microsoft.com';
const GRAPH_DELEGATED_SCOPE = ['Mail.ReadWrite', 'Mail.Send', 'Mail.ReadWrite.Shared', 'Mail.Send.Shared'].map((scope) => `${GRAPH_RESOURCE}/${scope}`).join(' ') + ' offline_access openid';

/**
 * One back end of the conformance suite: a Mailbox API and a credential kind. Where the APIs really
 * differ, the difference is a field here, so each test states it instead of being skipped.
 */
export interface Backend {
	label: string;
	api: 'ews' | 'graph';
	kind: 'appOnly' | 'delegated';
	/** EWS hands out a new item id on a move; Graph (with Prefer: IdType="ImmutableId") keeps it. */
	idChangesOnMove: boolean;
}

export const BACKENDS: Backend[] = [
	{ label: 'EWS, app-only', api: 'ews', kind: 'appOnly', idChangesOnMove: true },
	{ label: 'EWS, delegated', api: 'ews', kind: 'delegated', idChangesOnMove: true },
	{ label: 'Graph, app-only', api: 'graph', kind: 'appOnly', idChangesOnMove: false },
	{ label: 'Graph, delegated', api: 'graph', kind: 'delegated', idChangesOnMove: false },
];

/**
 * A context for the node on `backend`, acting on the shared mailbox (app-only by its application
 * permission, delegated by the demo user's FullAccess), with a credential whose Mailbox API is the back end's.
 */
export function on(backend: Backend): (parameters: Params, extra?: Partial<Parameters<typeof createExecuteContext>[0]>) => Promise<TestContext> {
	return async (parameters, extra = {}) => {
		const withDefaults = typeof parameters === 'function' ? (i: number) => ({ authentication: backend.kind, mailbox: SHARED, ...parameters(i) }) : { authentication: backend.kind, mailbox: SHARED, ...parameters };
		const api: ICredentialDataDecryptedObject = backend.api === 'graph' ? { customMailboxApi: 'graph', graphUrl: current.graphUrl, graphResource: GRAPH_RESOURCE } : {};
		const credentials: Record<string, ICredentialDataDecryptedObject> =
			backend.kind === 'appOnly'
				? { microsoftExchangeAppOnlyApi: appOnlyCredential(current, api) }
				: { microsoftExchangeOAuth2Api: await delegatedCredential(current, api, backend.api === 'graph' ? GRAPH_DELEGATED_SCOPE : EWS_DELEGATED_SCOPE) };
		return createExecuteContext({ description: node.description, parameters: withDefaults, credentials, trustedCa: current.ca, ...extra });
	};
}

/** The id the back end's API gives a message of the shared store (Graph: the item's immutable id, as the node asks for). */
export function messageIdOn(backend: Backend, storeId: string): string {
	if (backend.api === 'ews') return storeId;
	const item = current.ews.store.getItem(storeId);
	if (!item) throw new Error(`no stored item ${storeId}`);
	return immutableGraphId(item.immutableId);
}

/** The stored message an id from the node's output names (whatever the API). */
export function storedMessage(backend: Backend, apiId: unknown): StoredItem | undefined {
	if (backend.api === 'ews') return current.ews.store.getItem(String(apiId));
	const decoded = decodeGraphId(String(apiId), 'item');
	if (decoded?.kind === 'immutable') return current.ews.store.itemByImmutableId(decoded.immutableId);
	return decoded ? current.ews.store.getItem(decoded.ewsId) : undefined;
}

/** The id the back end's API gives a folder of the shared store. */
export function folderIdOn(backend: Backend, storeFolderId: string): string {
	return backend.api === 'ews' ? storeFolderId : graphIdOf(storeFolderId, 'folder');
}

/** The store's id of a folder the node's output names by its API id. */
export function storeFolderId(backend: Backend, apiId: unknown): string | undefined {
	if (backend.api === 'ews') return String(apiId);
	const decoded = decodeGraphId(String(apiId), 'folder');
	return decoded?.kind === 'ews' ? decoded.ewsId : undefined;
}

/** Registers a check after each test of a back end's block: every mailbox call went to its API, none to the other. */
export function expectServedBy(backend: Backend): void {
	afterEach(() => {
		const [used, other] = backend.api === 'graph' ? [current.graph.requests, current.ews.requests] : [current.ews.requests, current.graph.requests];
		expect({ api: backend.api, used: used.length > 0, other: other.length }).toEqual({ api: backend.api, used: true, other: 0 });
	});
}
