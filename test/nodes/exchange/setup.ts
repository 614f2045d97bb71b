/**
 * Shared set-up of the Microsoft Exchange node suites (message, folder, attachment, node): the real
 * sandbox (real ews-javascript-api, real HTTPS to the EWS stand-in with schema validation on, real
 * tokens from the Entra stand-in), the node, and contexts for either credential. Nothing is mocked.
 */
import type { IDataObject, INodeExecutionData } from 'n8n-workflow';

import { Exchange } from '../../../nodes/Exchange/Exchange.node';
import { clientOptions } from '../../../nodes/Exchange/actions/router';
import type { Sandbox } from '../../sandbox';
import { createExecuteContext, type TestContext } from '../../support/executeContext';
import { appOnlyCredential, delegatedCredential, EWS_DELEGATED_SCOPE } from '../../support/sandboxCredentials';
import { useSandbox } from '../../support/useSandbox';
import { DEMO } from '../../sandbox';

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
