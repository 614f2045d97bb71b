/**
 * Redeliver Until Processed against the sandbox, on both Mailbox APIs: what acknowledges a message
 * (moved out, deleted, a category, the read flag), what is emitted again and when, what happens
 * after the last attempt, the tracking bound and the extra requests a poll costs. The trigger's
 * clock is a test clock (the redelivery time is minutes); everything else is the real sandbox.
 */
import type { IBinaryData, ICredentialDataDecryptedObject, INodeExecutionData, INodeTypeDescription } from 'n8n-workflow';

import { pollFolder, type PollSettings } from '../../nodes/ExchangeTrigger/trigger/poll';
import { CHECKS_PER_POLL, PENDING_LIMIT, refuseConflictingSettings, type RedeliverySettings } from '../../nodes/ExchangeTrigger/trigger/redelivery';
import { initialState, type TriggerState } from '../../nodes/ExchangeTrigger/trigger/state';
import { triggerProperties } from '../../nodes/ExchangeTrigger/trigger/properties';
import { loadExchangeAuth } from '../../nodes/shared/auth/exchangeAuth';
import { openMailStore } from '../../nodes/shared/mail/open';
import type { MailApi } from '../../nodes/shared/mail/store';
import { DEMO, type Sandbox } from '../sandbox';
import { createExecuteContext } from '../support/executeContext';
import { appOnlyCredential } from '../support/sandboxCredentials';
import { useSandbox } from '../support/useSandbox';
import { settingsFor } from './pollHarness';

jest.setTimeout(60_000);

const currentSandbox = useSandbox();
let sandbox: Sandbox;
let folderCount = 0;
beforeAll(() => {
	sandbox = currentSandbox();
});
beforeEach(() => {
	sandbox.ews.reset();
	sandbox.graph.reset();
});

const MINUTE = 60_000;
const SHARED = DEMO.sharedMailbox;

/** A trigger installation with its own clock: static data as JSON between polls, a fresh store per poll. */
class RedeliveryPoller {
	staticData: string;
	warnings: string[] = [];
	clock = Date.now();

	constructor(
		readonly settings: PollSettings,
		readonly api: MailApi,
	) {
		this.staticData = JSON.stringify(initialState('test-cursor', { kind: 'all' }, new Date()));
	}

	get state(): TriggerState {
		return JSON.parse(this.staticData) as TriggerState;
	}

	advance(minutes: number): void {
		this.clock += minutes * MINUTE;
	}

	async poll(): Promise<INodeExecutionData[]> {
		const api: ICredentialDataDecryptedObject = this.api === 'graph' ? { customMailboxApi: 'graph', graphUrl: sandbox.graphUrl, graphResource: 'https://graph.microsoft.com' } : {};
		const test = createExecuteContext({ description: { properties: [] } as unknown as INodeTypeDescription, parameters: {}, credentials: { microsoftExchangeAppOnlyApi: appOnlyCredential(sandbox, api) }, trustedCa: sandbox.ca });
		const store = openMailStore(await loadExchangeAuth(test.context, 'appOnly', 'microsoftExchangeOAuth2Api'), { wait: async () => {} });
		const { items, state } = await pollFolder(
			{
				store,
				now: () => new Date(this.clock),
				warn: (message) => this.warnings.push(message),
				prepareBinary: async (content, fileName, mimeType) => ({ data: content.toString('base64'), fileName, mimeType, fileSize: String(content.length) }) as IBinaryData,
			},
			this.settings,
			this.state,
		);
		this.staticData = JSON.stringify(state);
		return items;
	}
}

function freshFolder(): string {
	const name = `Redeliver${++folderCount}`;
	sandbox.ews.store.createFolder(SHARED, 'inbox', name);
	return `Inbox/${name}`;
}

const store = () => sandbox.ews.store;
const deliver = (folder: string, subject: string, extra: Record<string, unknown> = {}) => store().deliver(SHARED, { from: 'vendor@example.test', to: SHARED, subject, text: `${subject} body`, folder, ...extra });
/** The stored message (shared by both APIs, whose ids differ) with this subject in `folder`. */
const stored = (folder: string, subject: string) => store().listItemsIn(store().folderByPath(SHARED, folder)!.id).find((item) => item.subject === subject);
const subjects = (items: INodeExecutionData[]) => items.map((item) => item.json.subject as string).sort();
const attempts = (items: INodeExecutionData[]) => Object.fromEntries(items.map((item) => [item.json.subject as string, (item.json.redelivery as { attempt: number }).attempt]));

function redeliveryPoller(api: MailApi, redelivery: Partial<RedeliverySettings> = {}, overrides: Partial<PollSettings> = {}) {
	const folder = freshFolder();
	const settings = settingsFor({ folder: { path: folder }, redelivery: { processedWhen: { kind: 'leftFolder' }, afterMs: 15 * MINUTE, maxAttempts: 3, ...redelivery }, ...overrides });
	return { folder, poller: new RedeliveryPoller(settings, api) };
}

describe.each<MailApi>(['ews', 'graph'])('Redeliver Until Processed on %s', (api) => {
	it('emits a message that was not processed again after the redelivery time, with its attempt and first emission', async () => {
		const { folder, poller } = redeliveryPoller(api);
		deliver(folder, 'invoice 1', { attachments: [{ filename: 'a.pdf', content: Buffer.from('%PDF-1') }] });
		const first = await poller.poll();
		const firstEmittedAt = new Date(poller.clock).toISOString();
		expect(first.map((item) => item.json.redelivery)).toEqual([{ attempt: 1, firstEmittedAt }]);

		poller.advance(14);
		expect(await poller.poll()).toEqual([]);
		poller.advance(1);
		const again = await poller.poll();
		expect(subjects(again)).toEqual(['invoice 1']);
		expect(again[0].json.redelivery).toEqual({ attempt: 2, firstEmittedAt });
		// The same message, with the same id (not moved) and the same content as the first time.
		expect(again[0].json.id).toBe(first[0].json.id);
		expect(again[0].json.bodyText).toBe(first[0].json.bodyText);
		poller.advance(15);
		expect(attempts(await poller.poll())).toEqual({ 'invoice 1': 3 });
	});

	it('redelivers with the attachments as binary data, like the first emission', async () => {
		const { folder, poller } = redeliveryPoller(api, {}, { output: { body: 'text', headers: false, eml: false, attachments: { prefix: 'attachment_', includeInline: false, maxBytes: 1 << 20 } } });
		deliver(folder, 'with pdf', { attachments: [{ filename: 'a.pdf', content: Buffer.from('%PDF-bytes') }] });
		await poller.poll();
		poller.advance(15);
		const [again] = await poller.poll();
		expect(Buffer.from((again.binary?.attachment_0 as IBinaryData).data, 'base64').toString()).toBe('%PDF-bytes');
	});

	it('a message moved out of the folder counts as processed; one left in comes again', async () => {
		const { folder, poller } = redeliveryPoller(api);
		deliver(folder, 'done');
		deliver(folder, 'crashed');
		await poller.poll();
		store().moveItem(stored(folder, 'done')!.id, store().folderByPath(SHARED, 'Archive')!.id);
		poller.advance(15);
		expect(attempts(await poller.poll())).toEqual({ crashed: 2 });
		expect(poller.state.redelivery?.pending.map((entry) => entry.attempt)).toEqual([2]);
	});

	it('a deleted message counts as processed (to Deleted Items or purged)', async () => {
		const { folder, poller } = redeliveryPoller(api);
		for (const subject of ['trashed', 'purged', 'kept']) deliver(folder, subject);
		await poller.poll();
		store().deleteItem(stored(folder, 'trashed')!.id, 'MoveToDeletedItems');
		store().deleteItem(stored(folder, 'purged')!.id, 'HardDelete');
		poller.advance(15);
		expect(attempts(await poller.poll())).toEqual({ kept: 2 });
	});

	it('with "Has Category", the category (in any case) marks it processed; another category does not', async () => {
		const { folder, poller } = redeliveryPoller(api, { processedWhen: { kind: 'category', name: 'Processed' } });
		for (const subject of ['tagged', 'other tag', 'moved away']) deliver(folder, subject);
		await poller.poll();
		store().updateItem(stored(folder, 'tagged')!.id, (item) => (item.categories = ['Finance', 'processed']));
		store().updateItem(stored(folder, 'other tag')!.id, (item) => (item.categories = ['Finance']));
		// Out of the folder it cannot be emitted from it again, whatever its categories.
		store().moveItem(stored(folder, 'moved away')!.id, store().folderByPath(SHARED, 'Archive')!.id);
		poller.advance(15);
		expect(attempts(await poller.poll())).toEqual({ 'other tag': 2 });
	});

	it('with "Marked as Read", the read flag marks it processed; a message moved elsewhere is done too', async () => {
		const { folder, poller } = redeliveryPoller(api, { processedWhen: { kind: 'read' } });
		for (const subject of ['read', 'unread']) deliver(folder, subject);
		await poller.poll();
		store().updateItem(stored(folder, 'read')!.id, (item) => (item.isRead = true));
		poller.advance(15);
		expect(attempts(await poller.poll())).toEqual({ unread: 2 });
		// A message that was already read on arrival is emitted (and tracked) as well: it is acknowledged at the first check.
		deliver(folder, 'arrived read', { isRead: true });
		expect(subjects(await poller.poll())).toEqual(['arrived read']);
		poller.advance(15);
		expect(attempts(await poller.poll())).toEqual({ unread: 3 });
	});

	it('after the last attempt: a warning and a move to the dead-letter folder, and it is never emitted again', async () => {
		const deadLetters = freshFolder();
		const { folder, poller } = redeliveryPoller(api, { maxAttempts: 2, deadLetter: { path: deadLetters } });
		deliver(folder, 'poison');
		deliver(folder, 'fine');
		expect((await poller.poll()).length).toBe(2);
		store().moveItem(stored(folder, 'fine')!.id, store().folderByPath(SHARED, 'Archive')!.id);
		poller.advance(15);
		expect(attempts(await poller.poll())).toEqual({ poison: 2 });
		expect(poller.warnings).toEqual([]);
		poller.advance(15);
		expect(await poller.poll()).toEqual([]);
		expect(store().listItemsIn(store().folderByPath(SHARED, deadLetters)!.id).map((item) => item.subject)).toEqual(['poison']);
		expect(poller.warnings).toHaveLength(1);
		expect(poller.warnings[0]).toMatch(new RegExp(`was emitted 2 times since .* and never moved out of the folder or deleted; moved to the dead-letter folder ${deadLetters}`));
		expect(poller.state.redelivery?.pending).toEqual([]);
		poller.advance(60);
		expect(await poller.poll()).toEqual([]);
	});

	it('after the last attempt without a dead-letter folder: a warning, and the message stays where it is', async () => {
		const { folder, poller } = redeliveryPoller(api, { maxAttempts: 1 });
		deliver(folder, 'stuck');
		await poller.poll();
		poller.advance(15);
		expect(await poller.poll()).toEqual([]);
		expect(poller.warnings).toEqual([expect.stringMatching(new RegExp(`emitted 1 times .* it stays in ${folder} and is not emitted again`))]);
		expect(stored(folder, 'stuck')?.folderId).toBe(store().folderByPath(SHARED, folder)!.id);
		expect(poller.state.redelivery?.pending).toEqual([]);
	});

	it('costs one extra batched request per poll with due messages (Graph: one $batch per 20), none without', async () => {
		const { folder, poller } = redeliveryPoller(api);
		const countsOf = () => (api === 'ews' ? sandbox.ews.counts() : sandbox.graph.httpCounts());
		const fresh = () => {
			sandbox.ews.reset();
			sandbox.graph.reset();
		};
		for (let i = 0; i < 20; i++) deliver(folder, `m${i}`);
		await poller.poll();
		poller.advance(5);
		for (let i = 20; i < 30; i++) deliver(folder, `m${i}`);
		await poller.poll();
		// What a poll that finds nothing new costs without redelivery.
		const baseline = new RedeliveryPoller(settingsFor({ folder: { path: folder } }), api);
		await baseline.poll();
		fresh();
		await baseline.poll();
		const without = countsOf();

		// Nothing due: no extra request.
		fresh();
		poller.advance(5);
		await poller.poll();
		expect(countsOf()).toEqual(without);

		// The first 20 due and processed: the check (and, once while messages are pending, the watched folder's id).
		const archive = store().folderByPath(SHARED, 'Archive')!.id;
		for (let i = 0; i < 30; i++) store().moveItem(stored(folder, `m${i}`)!.id, archive);
		poller.advance(5);
		fresh();
		await poller.poll();
		expect(poller.state.redelivery?.pending).toHaveLength(10);
		const check: Record<string, number> = api === 'ews' ? { GetItem: 1 } : { 'POST $batch': 1 };
		expect(countsOf()).toEqual(plus(without, check, api === 'ews' ? { FindFolder: 1, GetFolder: 1 } : { 'GET /mailFolders/{id}/childFolders': 2 }));

		// The other 10: exactly one request more than without redelivery.
		poller.advance(5);
		fresh();
		await poller.poll();
		expect(countsOf()).toEqual(plus(without, check));
		expect(poller.state.redelivery?.pending).toEqual([]);
	});
});

/** Request counts added up per key. */
function plus(...counts: Array<Record<string, number>>): Record<string, number> {
	const sum: Record<string, number> = {};
	for (const entry of counts) for (const [key, count] of Object.entries(entry)) sum[key] = (sum[key] ?? 0) + count;
	return sum;
}

describe('Redeliver Until Processed: bounds', () => {
	it(`checks at most ${CHECKS_PER_POLL} due messages per poll, oldest first; the rest on the next polls`, async () => {
		const { folder, poller } = redeliveryPoller('ews');
		for (let i = 0; i < CHECKS_PER_POLL + 30; i++) deliver(folder, `m${i}`);
		poller.settings.maxMessages = 500;
		await poller.poll();
		poller.advance(15);
		sandbox.ews.reset();
		const again = await poller.poll();
		expect(again).toHaveLength(CHECKS_PER_POLL);
		// One GetItem for the check (100 ids) and two to fetch the 100 messages (50 per call).
		expect(sandbox.ews.counts().GetItem).toBe(3);
		expect(attempts(await poller.poll())).toEqual(Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`m${CHECKS_PER_POLL + i}`, 2])));
	});

	it(`with 10,000 messages never processed, at most ${PENDING_LIMIT} are tracked; the rest wait in the folder (warned), and every message is emitted once all are processed`, async () => {
		const { folder, poller } = redeliveryPoller('ews', { afterMs: MINUTE, maxAttempts: 3 });
		poller.settings.maxMessages = 2000;
		const total = 10_000;
		for (let i = 0; i < total; i++) deliver(folder, `bulk ${i}`);
		const emitted = new Map<string, number>();
		const record = (items: INodeExecutionData[]) => items.forEach((item) => emitted.set(item.json.subject as string, (emitted.get(item.json.subject as string) ?? 0) + 1));

		record(await poller.poll());
		expect(emitted.size).toBe(PENDING_LIMIT);
		expect(poller.state.redelivery?.pending).toHaveLength(PENDING_LIMIT);
		record(await poller.poll());
		expect(emitted.size).toBe(PENDING_LIMIT);
		expect(poller.warnings.at(-1)).toMatch(`${PENDING_LIMIT} emitted messages wait to be marked processed (at most ${PENDING_LIMIT} are tracked); new mail waits in the folder`);
		// Bounded static data: about 200 bytes per pending message.
		expect(poller.staticData.length).toBeLessThan(PENDING_LIMIT * 250);

		// The workflow catches up: it processes what it got (moved out), and the rest comes in.
		const archive = store().folderByPath(SHARED, 'Archive')!.id;
		for (let round = 0; round < 40 && emitted.size < total; round++) {
			for (const item of store().listItemsIn(store().folderByPath(SHARED, folder)!.id)) if (emitted.has(item.subject)) store().moveItem(item.id, archive);
			poller.advance(1);
			for (let check = 0; check < 10 && (poller.state.redelivery?.pending.length ?? 0) >= PENDING_LIMIT; check++) record(await poller.poll());
			record(await poller.poll());
			expect(poller.state.redelivery!.pending.length).toBeLessThanOrEqual(PENDING_LIMIT);
		}
		expect(emitted.size).toBe(total);
		expect([...emitted.values()].every((count) => count === 1)).toBe(true);
	});
});

describe('Redeliver Until Processed: a dead-letter move that fails', () => {
	it('an outage keeps the message pending and the move is tried again on the next poll', async () => {
		const deadLetters = freshFolder();
		const { folder, poller } = redeliveryPoller('ews', { maxAttempts: 1, deadLetter: { path: deadLetters } });
		deliver(folder, 'poison');
		await poller.poll();
		poller.advance(15);
		sandbox.ews.failNext('http503', 20, { operation: 'MoveItem' });
		expect(await poller.poll()).toEqual([]);
		expect(poller.warnings).toEqual([expect.stringMatching(/moving it to the dead-letter folder .* failed \(HTTP503: .*\); tried again on the next poll/)]);
		expect(poller.state.redelivery?.pending).toHaveLength(1);
		sandbox.ews.reset();
		expect(await poller.poll()).toEqual([]);
		expect(store().listItemsIn(store().folderByPath(SHARED, deadLetters)!.id).map((item) => item.subject)).toEqual(['poison']);
		expect(poller.state.redelivery?.pending).toEqual([]);
	});

	it('a dead-letter folder that does not exist: a warning, the message stays, and it is not tried forever', async () => {
		const { folder, poller } = redeliveryPoller('ews', { maxAttempts: 1, deadLetter: { path: 'Inbox/No such folder' } });
		deliver(folder, 'poison');
		await poller.poll();
		poller.advance(15);
		expect(await poller.poll()).toEqual([]);
		expect(poller.warnings).toEqual([expect.stringMatching(new RegExp(`moving it to the dead-letter folder Inbox/No such folder failed \\(ErrorFolderNotFound: .*\\); it stays in ${folder}`))]);
		expect(poller.state.redelivery?.pending).toEqual([]);
		expect(stored(folder, 'poison')).toBeDefined();
	});
});

describe('Redeliver Until Processed: settings that cannot work together', () => {
	const node = { name: 'Trigger', type: 'exchangeTrigger', typeVersion: 1, position: [0, 0] as [number, number], parameters: {}, id: '1' };
	const redelivery = (processedWhen: RedeliverySettings['processedWhen'], deadLetter?: RedeliverySettings['deadLetter']): RedeliverySettings => ({ processedWhen, afterMs: MINUTE, maxAttempts: 3, deadLetter });
	const folder = { path: 'Inbox/Invoices' };

	it.each([
		['move after emitting, any signal', { kind: 'move', folder: { path: 'Inbox/Processed' } }, { kind: 'leftFolder' }, /Move to Folder, which takes every message out of the watched folder/],
		['move after emitting, category signal', { kind: 'move', folder: { path: 'Inbox/Processed' } }, { kind: 'category', name: 'Done' }, /Move to Folder/],
		['mark as read with "Marked as Read"', { kind: 'markRead' }, { kind: 'read' }, /Mark as Read, and "Processed When" is Marked as Read/],
		['the processed category after emitting', { kind: 'category', name: 'DONE' }, { kind: 'category', name: 'done' }, /adds the category "DONE", which is the "Processed Category"/],
	] as const)('refuses %s, naming the fix', (_label, afterEmit, signal, message) => {
		let error: (Error & { description?: string }) | undefined;
		try {
			refuseConflictingSettings(node, { folder, afterEmit, redelivery: redelivery(signal) });
		} catch (caught) {
			error = caught as Error & { description?: string };
		}
		expect(error?.message).toMatch(message);
		expect(error?.description).toMatch(/Set "After Emitting" to Do Nothing/);
	});

	it.each([
		['mark as read with the category signal', { kind: 'markRead' }, { kind: 'category', name: 'Done' }],
		['another category', { kind: 'category', name: 'Seen' }, { kind: 'category', name: 'Done' }],
		['a category with "Marked as Read"', { kind: 'category', name: 'Seen' }, { kind: 'read' }],
		['nothing', { kind: 'nothing' }, { kind: 'leftFolder' }],
	] as const)('accepts %s', (_label, afterEmit, signal) => {
		expect(() => refuseConflictingSettings(node, { folder, afterEmit, redelivery: redelivery(signal) })).not.toThrow();
	});

	it('refuses the watched folder as dead-letter folder, however it is spelled', () => {
		expect(() => refuseConflictingSettings(node, { folder, afterEmit: { kind: 'nothing' }, redelivery: redelivery({ kind: 'leftFolder' }, { path: 'inbox/invoices/' }) })).toThrow('"Dead-Letter Folder" is the watched folder (Inbox/Invoices)');
	});

	it('the editor shows a notice for each refused combination, only when it is chosen', () => {
		const notices = triggerProperties.filter((property) => property.type === 'notice' && property.name.startsWith('redeliver'));
		expect(notices.map((notice) => notice.displayOptions?.show)).toEqual([
			{ redeliver: [true], afterEmit: ['move'] },
			{ redeliver: [true], processedWhen: ['read'], afterEmit: ['markRead'] },
			{ redeliver: [true], processedWhen: ['category'], afterEmit: ['category'] },
		]);
	});
});
