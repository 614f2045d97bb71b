/** The Exchange Trigger node as n8n calls it, on both Mailbox APIs: poll() with parameters, credentials and static data. */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';

import type { ICredentialDataDecryptedObject, IDataObject } from 'n8n-workflow';

import { ExchangeTrigger } from '../../nodes/ExchangeTrigger/ExchangeTrigger.node';
import { loadExchangeAuth } from '../../nodes/shared/auth/exchangeAuth';
import { EwsClient } from '../../nodes/shared/transport/ews/client';
import { resolveFolder } from '../../nodes/shared/transport/ews/folders';
import { syncFolderItems } from '../../nodes/shared/transport/ews/sync';
import { DEMO, type Sandbox } from '../sandbox';
import { createExecuteContext } from '../support/executeContext';
import { createPollContext } from '../support/pollContext';
import { appOnlyCredential, delegatedCredential, EWS_DELEGATED_SCOPE } from '../support/sandboxCredentials';
import { CACHE_ROOT } from '../e2e/harness';
import { useSandbox } from '../support/useSandbox';
import { EWS, TRIGGER_APIS, type TriggerApi } from './apis';

const node = new ExchangeTrigger();
const currentSandbox = useSandbox();
let sandbox: Sandbox;
let folders = 0;
beforeAll(() => {
	sandbox = currentSandbox();
});

/** The credential fields that make a credential talk to `api`. */
const apiFields = (api: TriggerApi): ICredentialDataDecryptedObject => (api.api === 'graph' ? { customMailboxApi: 'graph', graphUrl: sandbox.graphUrl, graphResource: 'https://graph.microsoft.com' } : {});

function setup(api: TriggerApi, parameters: IDataObject = {}, credentialOverrides: ICredentialDataDecryptedObject = {}) {
	const name = `Trigger${++folders}`;
	sandbox.ews.store.createFolder(DEMO.sharedMailbox, 'inbox', name);
	const staticData: IDataObject = {};
	const context = (mode: 'manual' | 'trigger' = 'trigger', extra: IDataObject = {}) =>
		createPollContext({
			description: node.description,
			parameters: { authentication: 'appOnly', mailbox: DEMO.sharedMailbox, folder: { __rl: true, mode: 'path', value: `Inbox/${name}` }, startFrom: 'all', ...parameters, ...extra },
			credentials: { microsoftExchangeAppOnlyApi: appOnlyCredential(sandbox, { ...apiFields(api), ...credentialOverrides }) },
			credentialIds: { microsoftExchangeAppOnlyApi: 'cred-1' },
			trustedCa: sandbox.ca,
			staticData,
			mode,
		}).context;
	const deliver = (subject: string, receivedAt = new Date()) =>
		sandbox.ews.store.deliver(DEMO.sharedMailbox, { from: 'vendor@example.test', to: DEMO.sharedMailbox, subject, text: subject, folder: `Inbox/${name}`, receivedAt });
	return { context, deliver, staticData, folder: `Inbox/${name}` };
}

/**
 * How n8n 2.40.7 itself classifies the error for its poll back-off (poll-backoff-policy.js of the
 * installed n8n, see test/e2e/install-n8n.sh). Without that install, the same reading written out
 * from its source: the declared `failure` first (actionable → permanent, timed → transient with its wait).
 */
async function n8nReading(error: unknown): Promise<unknown> {
	const policy = path.join(CACHE_ROOT, 'n8n-2.40.7', 'n8n-app', 'node_modules', 'n8n', 'dist', 'workflows', 'triggers', 'poll-backoff-policy.js');
	if (existsSync(policy)) {
		const { pollFailureFromError } = (await import(policy)) as { pollFailureFromError: (error: unknown, now: Date) => unknown };
		return pollFailureFromError(error, new Date());
	}
	const failure = (error as { failure?: { cause: string; retryAfterMs?: number } } | undefined)?.failure;
	if (!failure) return undefined;
	const permanent = ['credential-invalid', 'configuration-invalid', 'node-defect'].includes(failure.cause);
	return { type: permanent ? 'permanent' : 'transient', retryAfterMs: permanent ? null : (failure.retryAfterMs ?? null), cause: failure.cause };
}

const subjectsOf = (result: Awaited<ReturnType<ExchangeTrigger['poll']>>) => (result?.[0] ?? []).map((item) => item.json.subject);

describe.each(TRIGGER_APIS)('on $label', (api) => {
	it('emits new mail once and returns null when there is nothing new', async () => {
		const { context, deliver } = setup(api, );
		deliver('one');
		expect(subjectsOf(await node.poll.call(context()))).toEqual(['one']);
		expect(await node.poll.call(context())).toBeNull();
	});

	it('"Fetch test event" shows the newest message and leaves the cursor alone', async () => {
		const { context, deliver, staticData } = setup(api, );
		deliver('older', new Date(Date.now() - 60_000));
		deliver('newest');
		expect(subjectsOf(await node.poll.call(context('manual')))).toEqual(['newest']);
		expect(staticData).toEqual({});
		expect(subjectsOf(await node.poll.call(context())).sort()).toEqual(['newest', 'older']);
	});

	it('"Fetch test event" on an empty folder says what to do', async () => {
		const { context } = setup(api, );
		await expect(node.poll.call(context('manual'))).rejects.toThrow('The folder has no mail to show yet');
	});

	it('changing the folder starts the cursor over on purpose', async () => {
		const { context, deliver } = setup(api, { startFrom: 'newOnly' });
		deliver('before activation');
		expect(await node.poll.call(context())).toBeNull();
		const other = `Other${folders}`;
		sandbox.ews.store.createFolder(DEMO.sharedMailbox, 'inbox', other);
		sandbox.ews.store.deliver(DEMO.sharedMailbox, { from: 'a@example.test', to: DEMO.sharedMailbox, subject: 'in other', text: 'x', folder: `Inbox/${other}` });
		// New folder, start "all": its mail is emitted from the beginning.
		expect(subjectsOf(await node.poll.call(context('trigger', { startFrom: 'all', folder: { __rl: true, mode: 'path', value: `Inbox/${other}` } })))).toEqual(['in other']);
	});

	it('refuses a mailbox outside Allowed Mailboxes before any mailbox call', async () => {
		const { context } = setup(api, {}, { allowedMailboxes: DEMO.noreplyMailbox });
		sandbox.ews.clearRequests();
		sandbox.graph.clearRequests();
		await expect(node.poll.call(context())).rejects.toThrow(`Mailbox "${DEMO.sharedMailbox}" in "Mailbox" is not in the credential's Allowed Mailboxes`);
		expect([sandbox.ews.requests, sandbox.graph.requests]).toEqual([[], []]);
	});

	it('a failing poll throws an actionable error and keeps the stored cursor', async () => {
		const { context, deliver, staticData } = setup(api, );
		deliver('first');
		await node.poll.call(context());
		const saved = JSON.stringify(staticData);
		deliver('second');
		api.fail(sandbox, 'unavailable', 10);
		await expect(node.poll.call(context())).rejects.toThrow(/HTTP 503/);
		expect(JSON.stringify(staticData)).toBe(saved);
		api.reset(sandbox);
		expect(subjectsOf(await node.poll.call(context()))).toEqual(['second']);
	}, 60_000);

	describe("the failure cause n8n's poll back-off reads (n8n-workflow errors/failure)", () => {
		/** Polls once after `inject`, expecting the poll to fail and the cursor to stay where it was. */
		async function failedPoll(inject: () => void) {
			const { context, deliver, staticData } = setup(api);
			deliver('first');
			await node.poll.call(context());
			const saved = JSON.stringify(staticData);
			deliver('second');
			inject();
			const error = await node.poll.call(context()).then(
				() => undefined,
				(thrown: unknown) => thrown as Error & { failure?: unknown },
			);
			expect(JSON.stringify(staticData)).toBe(saved);
			api.reset(sandbox);
			expect(subjectsOf(await node.poll.call(context()))).toEqual(['second']);
			return error;
		}

		it('throttled beyond the retries: rate-limited, with the wait the server asked for', async () => {
			const error = await failedPoll(() => api.fail(sandbox, 'throttled', 20, 'sync', 30));
			expect(error?.failure).toEqual({ cause: 'rate-limited', retryAfterMs: 30 });
			expect(await n8nReading(error)).toEqual({ type: 'transient', retryAfterMs: 30, cause: 'rate-limited' });
		}, 60_000);

		it('throttled without a wait: rate-limited, and n8n picks the wait', async () => {
			const error = await failedPoll(() => api.fail(sandbox, 'throttled', 20, 'sync', null));
			expect(error?.failure).toEqual({ cause: 'rate-limited' });
			expect(await n8nReading(error)).toEqual({ type: 'transient', retryAfterMs: null, cause: 'rate-limited' });
		}, 60_000);

		it('the token refused again after one refresh: credential-invalid', async () => {
			const error = await failedPoll(() => api.fail(sandbox, 'expiredToken', 2, 'sync'));
			expect(error?.failure).toEqual({ cause: 'credential-invalid' });
			expect(await n8nReading(error)).toEqual({ type: 'permanent', retryAfterMs: null, cause: 'credential-invalid' });
		}, 60_000);

		it('the server unavailable beyond the retries: temporarily-unavailable', async () => {
			const error = await failedPoll(() => api.fail(sandbox, 'unavailable', 20, 'sync', 1));
			expect(error?.failure).toMatchObject({ cause: 'temporarily-unavailable' });
			expect(await n8nReading(error)).toMatchObject({ type: 'transient', cause: 'temporarily-unavailable' });
		}, 60_000);

		it.each([
			['a mailbox outside Allowed Mailboxes', {}, { allowedMailboxes: DEMO.noreplyMailbox }],
			['"Move To" the watched folder', { afterEmit: 'move', moveTo: { __rl: true, mode: 'path', value: 'Inbox' }, folder: { __rl: true, mode: 'path', value: 'Inbox' } }, {}],
			['a field that is out of range', { maxMessages: 0 }, {}],
		] as Array<[string, IDataObject, ICredentialDataDecryptedObject]>)('%s: configuration-invalid', async (_label, parameters, credential) => {
			const { context } = setup(api, parameters, credential);
			const error = (await node.poll.call(context()).catch((thrown: unknown) => thrown)) as Error & { failure?: unknown };
			expect(error.failure).toEqual({ cause: 'configuration-invalid' });
			expect(await n8nReading(error)).toEqual({ type: 'permanent', retryAfterMs: null, cause: 'configuration-invalid' });
			// Fetch Test Event is no poll: nothing for the back-off to read.
			const manual = (await node.poll.call(context('manual')).catch((thrown: unknown) => thrown)) as Error & { failure?: unknown };
			expect([manual.message, manual.failure]).toEqual([error.message, undefined]);
		});

		it('the watched folder gone: configuration-invalid', async () => {
			const { context, staticData } = setup(api, { folder: { __rl: true, mode: 'path', value: 'Inbox/No Such Folder' } });
			const error = (await node.poll.call(context()).catch((thrown: unknown) => thrown)) as Error & { failure?: unknown };
			expect(error.message).toMatch(/"Folder"/);
			expect(error.failure).toEqual({ cause: 'configuration-invalid' });
			expect(await n8nReading(error)).toEqual({ type: 'permanent', retryAfterMs: null, cause: 'configuration-invalid' });
			expect(staticData).toEqual({});
		});
	});
});

it('works with the delegated credential on the signed-in user\'s own mailbox (no Mailbox, no impersonation)', async () => {
	const name = `Delegated${++folders}`;
	sandbox.ews.store.createFolder(DEMO.user, 'inbox', name);
	const credential = await delegatedCredential(sandbox, {}, EWS_DELEGATED_SCOPE);
	const staticData: IDataObject = {};
	const context = () =>
		createPollContext({
			description: node.description,
			parameters: { authentication: 'delegated', mailbox: '', folder: { __rl: true, mode: 'path', value: `Inbox/${name}` }, startFrom: 'all' },
			credentials: { microsoftExchangeOAuth2Api: credential },
			credentialIds: { microsoftExchangeOAuth2Api: 'cred-2' },
			trustedCa: sandbox.ca,
			staticData,
		}).context;
	sandbox.ews.store.deliver(DEMO.user, { from: 'colleague@contoso.test', to: DEMO.user, subject: 'for alex', text: 'hi', folder: `Inbox/${name}` });
	sandbox.ews.clearRequests();
	expect(subjectsOf(await node.poll.call(context()))).toEqual(['for alex']);
	expect(sandbox.ews.requests.every((r) => !r.impersonated && r.mailbox === DEMO.user)).toBe(true);
	expect(await node.poll.call(context())).toBeNull();
});

// Version 0.1 spoke EWS only: its saved cursors are EWS SyncStates.
it('continues from a cursor saved by version 0.1 (an EWS SyncState in static data), emitting only what is new', async () => {
	const { context, deliver, staticData, folder } = setup(EWS);
	deliver('seen by 0.1');
	// What 0.1 stored: its cursor key of (credential, kind, mailbox, folder reference) and the raw SyncState of SyncFolderItems.
	const test = createExecuteContext({ description: node.description, parameters: {}, credentials: { microsoftExchangeAppOnlyApi: appOnlyCredential(sandbox) }, trustedCa: sandbox.ca });
	const client = new EwsClient(await loadExchangeAuth(test.context, 'appOnly', 'microsoftExchangeOAuth2Api'), { ewsUrl: sandbox.ews.url });
	const folderId = await resolveFolder(client, DEMO.sharedMailbox, { path: folder });
	const sync = await syncFolderItems(client, DEMO.sharedMailbox, folderId, undefined);
	expect(sync.created).toHaveLength(1);
	const cursorKey = createHash('sha256').update(JSON.stringify(['cred-1', 'appOnly', DEMO.sharedMailbox.toLowerCase(), JSON.stringify({ path: folder })])).digest('base64url').slice(0, 22);
	const saved = { version: 1, cursorKey, syncState: sync.cursor, highWater: new Date().toISOString(), recent: [] as string[] };
	staticData.exchangeTrigger = JSON.parse(JSON.stringify(saved)) as IDataObject;

	deliver('new after the upgrade');
	expect(subjectsOf(await node.poll.call(context()))).toEqual(['new after the upgrade']);
	const stored = staticData.exchangeTrigger as typeof saved;
	expect(stored).toMatchObject({ version: 1, cursorKey });
	expect(stored.syncState).not.toBe(saved.syncState);
	expect(await node.poll.call(context())).toBeNull();
});
