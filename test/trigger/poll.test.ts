/**
 * The trigger's poll on both Mailbox APIs (EWS and Graph stand-ins over one store): cursor, start
 * points, filters, output, post-actions, isolation of bad messages, de-duplication. Where the APIs
 * differ, the difference is a field of TriggerApi (apis.ts), not a skipped test.
 */
import { RECENT_LIMIT } from '../../nodes/ExchangeTrigger/trigger/state';
import { DEMO, type Sandbox } from '../sandbox';
import { useSandbox } from '../support/useSandbox';
import { storeIdOf, TRIGGER_APIS, type TriggerApi } from './apis';
import { Poller, settingsFor, type PollerOptions } from './pollHarness';

// Sandbox round trips on a shared, busy machine: generous, the bench measures speed.
jest.setTimeout(30_000);

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

/** A fresh folder per test, so tests do not see each other's mail. */
function freshFolder(mailbox = DEMO.sharedMailbox): string {
	const name = `Poll${++folderCount}`;
	sandbox.ews.store.createFolder(mailbox, 'inbox', name);
	return `Inbox/${name}`;
}

/**
 * Receive times one second apart, in delivery order: Graph's receive times have whole seconds, so mail
 * received within one second has no order a test could expect (the trigger emits oldest first, to the second).
 */
let clock = Date.now() - 2 * 3_600_000;
function deliver(folder: string, subject: string, extra: Record<string, unknown> = {}) {
	clock = Math.max(clock + 1000, Date.now() - 2 * 3_600_000);
	return sandbox.ews.store.deliver(DEMO.sharedMailbox, { from: 'vendor@example.test', to: DEMO.sharedMailbox, subject, text: `${subject} body`, folder, receivedAt: new Date(clock), ...extra });
}

const subjects = (items: Array<{ json: Record<string, unknown> }>) => items.map((item) => item.json.subject);

describe.each(TRIGGER_APIS)('on $label', (api: TriggerApi) => {
	const newPoller = (settings: ReturnType<typeof settingsFor>, options: PollerOptions = {}) => new Poller(sandbox, settings, { mailboxApi: api.api, ...options });

	describe('cursor', () => {
		it('emits each new message once, across polls', async () => {
			const folder = freshFolder();
			const poller = newPoller(settingsFor({ folder: { path: folder } }));
			deliver(folder, 'a');
			deliver(folder, 'b');
			expect(subjects(await poller.poll()).sort()).toEqual(['a', 'b']);
			expect(await poller.poll()).toEqual([]);
			deliver(folder, 'c');
			expect(subjects(await poller.poll())).toEqual(['c']);
		});

		it('"new mail only" skips what is already there without downloading it', async () => {
			const folder = freshFolder();
			for (let i = 0; i < 600; i++) deliver(folder, `old ${i}`);
			const poller = newPoller(settingsFor({ folder: { path: folder } }), { start: { kind: 'newOnly' } });
			expect(await poller.poll()).toEqual([]);
			expect([api.count(sandbox, 'getMessages'), api.count(sandbox, 'batch')]).toEqual([0, 0]);
			// At most one change-feed page per page cap (a start point "from now" may need fewer).
			expect(api.count(sandbox, 'sync')).toBeGreaterThanOrEqual(1);
			expect(api.count(sandbox, 'sync')).toBeLessThanOrEqual(Math.ceil(600 / api.syncPageCap));
			deliver(folder, 'new');
			expect(subjects(await poller.poll())).toEqual(['new']);
		});

		it.each([{ kind: 'newOnly' as const }, { kind: 'recentDays' as const, days: 1 }])(
			'mail received days ago and moved into the folder after the trigger started is emitted (start: $kind)',
			async (start) => {
				// The case a receivedDateTime window misses (n8n's Outlook Trigger): the change feed sees the move.
				const folder = freshFolder();
				const archive = freshFolder();
				const old = deliver(archive, 'moved in, received 5 days ago', { receivedAt: new Date(Date.now() - 5 * 86_400_000) });
				deliver(folder, 'already there', { receivedAt: new Date(Date.now() - 3 * 86_400_000) });
				const poller = newPoller(settingsFor({ folder: { path: folder } }), { start });
				expect(await poller.poll()).toEqual([]);
				sandbox.ews.store.moveItem(old, sandbox.ews.store.resolveFolder(DEMO.sharedMailbox, folder)!.id);
				const [item, ...rest] = await poller.poll();
				expect(rest).toEqual([]);
				expect(item.json).toMatchObject({ subject: 'moved in, received 5 days ago', receivedAt: expect.stringMatching(/^\d{4}-/) });
				expect(Date.now() - Date.parse(String(item.json.receivedAt))).toBeGreaterThan(4 * 86_400_000);
				expect(await poller.poll()).toEqual([]);
			},
		);

		it('emits a poll\'s mail oldest first (a Graph delta\'s first round lists the folder newest first)', async () => {
			const folder = freshFolder();
			for (const hoursAgo of [3, 2, 1]) deliver(folder, `${hoursAgo}h ago`, { receivedAt: new Date(Date.now() - hoursAgo * 3_600_000) });
			const poller = newPoller(settingsFor({ folder: { path: folder } }));
			expect(subjects(await poller.poll())).toEqual(['3h ago', '2h ago', '1h ago']);
		});

		it('"last N days" emits only mail received in the window', async () => {
			const folder = freshFolder();
			deliver(folder, 'ancient', { receivedAt: new Date(Date.now() - 30 * 86_400_000) });
			deliver(folder, 'recent', { receivedAt: new Date(Date.now() - 2 * 86_400_000) });
			const poller = newPoller(settingsFor({ folder: { path: folder } }), { start: { kind: 'recentDays', days: 7 } });
			expect(subjects(await poller.poll())).toEqual(['recent']);
		});

		it('"max messages per poll" leaves the rest for later polls, skipping nothing', async () => {
			const folder = freshFolder();
			for (let i = 0; i < 25; i++) deliver(folder, `m${i}`);
			const poller = newPoller(settingsFor({ folder: { path: folder }, maxMessages: 10 }));
			const sizes = [(await poller.poll()).length, (await poller.poll()).length, (await poller.poll()).length, (await poller.poll()).length];
			expect(sizes).toEqual([10, 10, 5, 0]);
		});

		it('a failed poll keeps the cursor: the next poll delivers the same mail', async () => {
			const folder = freshFolder();
			const poller = newPoller(settingsFor({ folder: { path: folder } }), { maxAttempts: 1 });
			deliver(folder, 'survivor');
			const before = poller.staticData;
			// The read of the new mail fails: EWS's GetItem after the sync, Graph's delta that carries it.
			api.fail(sandbox, 'throttled', 1, api.feedCarriesMessages ? 'sync' : 'getMessages');
			await expect(poller.poll()).rejects.toMatchObject({ failure: { kind: 'throttled' } });
			expect(poller.staticData).toBe(before);
			expect(subjects(await poller.poll())).toEqual(['survivor']);
		});

		it('an invalid sync state resynchronises without emitting anything twice', async () => {
			const folder = freshFolder();
			const poller = newPoller(settingsFor({ folder: { path: folder } }));
			deliver(folder, 'first');
			expect(subjects(await poller.poll())).toEqual(['first']);
			deliver(folder, 'second');
			api.fail(sandbox, 'invalidCursor', 1);
			expect(subjects(await poller.poll())).toEqual(['second']);
			expect(poller.warnings.join('\n')).toMatch(/(ErrorInvalidSyncStateData|syncStateNotFound).*resynchronising/);
			expect(await poller.poll()).toEqual([]);
		});

		it('keeps the de-duplication record bounded', async () => {
			const folder = freshFolder();
			const poller = newPoller(settingsFor({ folder: { path: folder }, maxMessages: 500 }));
			for (let i = 0; i < 60; i++) deliver(folder, `n${i}`);
			await poller.poll();
			expect(poller.state.recent.length).toBe(120);
			expect(poller.state.recent.length).toBeLessThanOrEqual(RECENT_LIMIT);
		});
	});

	describe('filters and output', () => {
		it('filters, and the cursor still moves past filtered-out mail', async () => {
			const folder = freshFolder();
			const poller = newPoller(settingsFor({ folder: { path: folder }, filters: { senders: ['billing@vendor.test'], subjectContains: 'invoice' } }));
			deliver(folder, 'Invoice 1', { from: 'billing@vendor.test' });
			deliver(folder, 'Invoice 2', { from: 'spam@else.test' });
			deliver(folder, 'Hello', { from: 'billing@vendor.test' });
			expect(subjects(await poller.poll())).toEqual(['Invoice 1']);
			expect(await poller.poll()).toEqual([]);
		});

		it('downloads attachments as binary data, marks oversized ones, adds the .eml', async () => {
			const folder = freshFolder();
			const pdf = Buffer.from('%PDF-1.7 attachment bytes');
			const big = Buffer.alloc(3 * 1024 * 1024, 7);
			deliver(folder, 'with files', { attachments: [{ filename: 'invoice.pdf', content: pdf, contentType: 'application/pdf' }, { filename: 'huge.bin', content: big, contentType: 'application/octet-stream' }] });
			const poller = newPoller(settingsFor({ folder: { path: folder }, output: { body: 'both', headers: true, eml: true, attachments: { prefix: 'attachment_', includeInline: false, maxBytes: 1024 * 1024 } } }));
			const [item] = await poller.poll();
			expect(Buffer.from(item.binary!.attachment_0.data, 'base64').equals(pdf)).toBe(true);
			expect(item.binary!.attachment_0).toMatchObject({ fileName: 'invoice.pdf', mimeType: 'application/pdf' });
			expect(item.binary!.attachment_1).toBeUndefined();
			const attachments = item.json.attachments as Array<Record<string, unknown>>;
			expect(attachments.find((a) => a.name === 'huge.bin')!.skipped).toMatch(/larger than the maximum of 1 MB/);
			expect(Buffer.from(item.binary!.eml.data, 'base64').toString()).toMatch(/^Subject: with files/m);
			expect(item.json.bodyText).toBe('with files body');
		});

		it('fetches the messages of a whole poll in one call, and their .eml in as few as the API allows', async () => {
			const folder = freshFolder();
			for (let i = 0; i < 3; i++) deliver(folder, `eml ${i}`);
			const poller = newPoller(settingsFor({ folder: { path: folder }, output: { body: 'none', headers: false, eml: true } }));
			api.reset(sandbox);
			const items = await poller.poll();
			expect(items.map((item) => Buffer.from(item.binary!.eml.data, 'base64').toString()).every((mime, i) => /^Subject: eml \d/m.test(mime) && i < 3)).toBe(true);
			expect(items).toHaveLength(3);
			// The messages in one call (EWS GetItem; Graph none: the delta carried them); the .eml as the API hands out bytes.
			if (api.api === 'ews') expect(api.count(sandbox, 'getMessages')).toBe(1 + api.mimeRequests(3));
			else expect([api.count(sandbox, 'batch'), api.count(sandbox, 'getMessages'), api.count(sandbox, 'mime')]).toEqual([0, 0, api.mimeRequests(3)]);
		});

		it('downloads the attachments of a whole poll in batched calls', async () => {
			const folder = freshFolder();
			for (let i = 0; i < 4; i++) deliver(folder, `doc ${i}`, { attachments: [{ filename: `doc${i}.pdf`, content: Buffer.from(`pdf ${i}`), contentType: 'application/pdf' }] });
			const poller = newPoller(settingsFor({ folder: { path: folder }, output: { body: 'text', headers: false, eml: false, attachments: { prefix: 'file_', includeInline: false, maxBytes: 1024 * 1024 } } }));
			api.reset(sandbox);
			const items = await poller.poll();
			expect(items.map((item) => Buffer.from(item.binary!.file_0.data, 'base64').toString()).sort()).toEqual(['pdf 0', 'pdf 1', 'pdf 2', 'pdf 3']);
			const attachmentCalls = api.api === 'ews' ? api.count(sandbox, 'attachments') : api.count(sandbox, 'attachments') + api.count(sandbox, 'batch');
			expect(attachmentCalls).toBeGreaterThanOrEqual(1);
			expect(attachmentCalls).toBeLessThanOrEqual(api.attachmentRequestsAtMost(4));
		});
	});

	describe('after emitting', () => {
		it('marks as read, moves (handing out the new id) or adds a category', async () => {
			const folder = freshFolder();
			sandbox.ews.store.createFolder(DEMO.sharedMailbox, 'inbox', `Done${folderCount}`);
			const read = newPoller(settingsFor({ folder: { path: folder }, afterEmit: { kind: 'markRead' } }));
			const id = deliver(folder, 'to read');
			await read.poll();
			expect(sandbox.ews.store.getItem(id)!.isRead).toBe(true);

			const folder2 = freshFolder();
			const move = newPoller(settingsFor({ folder: { path: folder2 }, afterEmit: { kind: 'move', folder: { path: `Inbox/Done${folderCount - 1}` } } }));
			deliver(folder2, 'to move');
			const [moved] = await move.poll();
			expect(sandbox.ews.store.getItem(storeIdOf(sandbox, String(moved.json.id))!)!.subject).toBe('to move');
			expect(await move.poll()).toEqual([]);

			const folder3 = freshFolder();
			const tag = newPoller(settingsFor({ folder: { path: folder3 }, afterEmit: { kind: 'category', name: 'n8n' } }));
			const tagged = deliver(folder3, 'to tag', { categories: ['Finance'] });
			await tag.poll();
			expect(sandbox.ews.store.getItem(tagged)!.categories).toEqual(['Finance', 'n8n']);
		});

		it('a failing post-action still emits the message and reports the failure', async () => {
			const folder = freshFolder();
			const poller = newPoller(settingsFor({ folder: { path: folder }, afterEmit: { kind: 'markRead' } }), { maxAttempts: 1 });
			deliver(folder, 'kept');
			api.fail(sandbox, 'throttled', 2, 'update');
			const items = await poller.poll();
			expect(subjects(items)).toEqual(['kept']);
			expect(items[0].json.postActionError).toMatch(/markRead failed: (ErrorServerBusy|TooManyRequests)/);
			expect(await poller.poll()).toEqual([]);
		});
	});

	describe('a message that cannot be turned into an item never blocks the ones after it', () => {
		it('a damaged message is emitted with an error and what is known; later mail still comes, and the cursor moves on', async () => {
			const folder = freshFolder();
			const poller = newPoller(settingsFor({ folder: { path: folder }, filters: { subjectContains: 'wanted' }, afterEmit: { kind: 'category', name: 'n8n' } }));
			deliver(folder, 'wanted 1');
			const damaged = deliver(folder, 'wanted damaged', { corrupt: true, categories: ['Keep'] });
			deliver(folder, 'wanted 2');
			const items = await poller.poll();
			if (!api.damagedCode) {
				// Graph: no documented answer for a damaged item; the stand-in serves it as stored (apis.ts).
				expect(subjects(items)).toEqual(['wanted 1', 'wanted damaged', 'wanted 2']);
				expect(await poller.poll()).toEqual([]);
				return;
			}
			expect(subjects(items)).toEqual(['wanted 1', '', 'wanted 2']);
			expect(items[1].json).toMatchObject({ id: api.idOf(sandbox, damaged), error: expect.stringMatching(/^The message could not be read \(ErrorCorruptData: .+\); only its id is known$/) });
			expect(Object.keys(items[1].json)[0]).toBe('error');
			// No post-action on what could not be read (the category would overwrite the ones it has).
			expect(sandbox.ews.store.getItem(damaged)!.categories).toEqual(['Keep']);
			expect(await poller.poll()).toEqual([]);
		});

		it('an attachment or .eml that cannot be had marks its message; the others of the poll are complete', async () => {
			const folder = freshFolder();
			const poller = newPoller(settingsFor({ folder: { path: folder }, output: { body: 'none', headers: false, eml: true, attachments: { prefix: 'file_', includeInline: false, maxBytes: 1024 * 1024 } } }));
			deliver(folder, 'good', { attachments: [{ filename: 'a.pdf', content: Buffer.from('a'), contentType: 'application/pdf' }] });
			deliver(folder, 'half', { attachments: [{ filename: 'ok.pdf', content: Buffer.from('ok'), contentType: 'application/pdf' }, { filename: 'bad.pdf', content: Buffer.from('bad'), contentType: 'application/pdf', corrupt: true }] });
			// By subject: both arrive within one second, and Graph's receive times have whole seconds.
			const items = await poller.poll();
			const [good, half] = ['good', 'half'].map((subject) => items.find((item) => item.json.subject === subject)!);
			expect(items).toHaveLength(2);
			expect(good.json.error).toBeUndefined();
			expect(Object.keys(good.binary!).sort()).toEqual(['eml', 'file_0']);
			if (!api.damagedCode) {
				// Graph: the damaged attachment is served as stored (apis.ts); both come out whole.
				expect(half.json.error).toBeUndefined();
				expect(Object.keys(half.binary!).sort()).toEqual(['eml', 'file_0', 'file_1']);
				expect(await poller.poll()).toEqual([]);
				return;
			}
			expect(half.json.error).toMatch(/^Attachment "bad.pdf" could not be downloaded \(ErrorCorruptData: /);
			expect(Buffer.from(half.binary!.file_0.data, 'base64').toString()).toBe('ok');
			expect(half.binary!.eml).toBeDefined();
			expect((half.json.attachments as Array<Record<string, unknown>>).map((a) => [a.name, a.binaryProperty ?? a.error])).toEqual([
				['ok.pdf', 'file_0'],
				['bad.pdf', expect.stringMatching(/^ErrorCorruptData/)],
			]);
			expect(await poller.poll()).toEqual([]);
		});

		it('a refusal that is not an outage ends up on the one id it belongs to (EWS: the call is split until it stands alone)', async () => {
			const folder = freshFolder();
			if (api.api === 'graph') {
				// Graph: each message is its own request inside the $batch, so a refusal that belongs to one
				// id is that member's answer: it stands alone without splitting, in the one $batch. (Messages
				// are read only after a feed of ids: here New Mail Only, with the mail arriving after the start.)
				const fromNow = newPoller(settingsFor({ folder: { path: folder } }), { start: { kind: 'newOnly' } });
				expect(await fromNow.poll()).toEqual([]);
				const ids = ['q1', 'q2', 'q3', 'q4'].map((subject) => deliver(folder, subject));
				api.reset(sandbox);
				sandbox.graph.failNext('error', 1, { endpoint: 'GET /messages/{id}', status: 400, code: 'ErrorInvalidIdMalformed', message: 'Id is malformed.' });
				const items = await fromNow.poll();
				expect(items.map((item) => item.json.id).sort()).toEqual(ids.map((id) => api.idOf(sandbox, id)).sort());
				// Whichever member drew the refusal: that message alone is emitted with the error, the others whole.
				const [refused, ...others] = [...items].sort((a, b) => Number(Boolean(b.json.error)) - Number(Boolean(a.json.error)));
				expect(refused.json).toMatchObject({ subject: '', error: expect.stringMatching(/could not be read \(ErrorInvalidIdMalformed/) });
				const refusedSubject = sandbox.ews.store.getItem(storeIdOf(sandbox, String(refused.json.id))!)!.subject;
				expect(subjects(others).sort()).toEqual(['q1', 'q2', 'q3', 'q4'].filter((subject) => subject !== refusedSubject));
				expect(others.every((item) => item.json.error === undefined)).toBe(true);
				expect(api.count(sandbox, 'batch')).toBe(1);
				return;
			}
			const poller = newPoller(settingsFor({ folder: { path: folder } }));
			const ids = ['q1', 'q2', 'q3', 'q4'].map((subject) => deliver(folder, subject));
			// Three GetItem answers in a row that do not fit the request: 4 ids, then 2, then 1.
			sandbox.ews.failNext('ErrorInvalidSyncStateData', 3, { operation: 'GetItem' });
			const items = await poller.poll();
			expect(items.map((item) => item.json.id)).toEqual(ids);
			expect(items[0].json.error).toMatch(/could not be read \(ErrorInvalidSyncStateData/);
			expect(subjects(items.slice(1))).toEqual(['q2', 'q3', 'q4']);
			// 4 ids (refused), 2 (refused), 1 (refused: that id's result), then its neighbour and the other half.
			expect(sandbox.ews.requests.filter((r) => r.operation === 'GetItem').map((r) => [r.responseCode, r.itemCount])).toEqual([
				['ErrorInvalidSyncStateData', undefined],
				['ErrorInvalidSyncStateData', undefined],
				['ErrorInvalidSyncStateData', undefined],
				['NoError', 1],
				['NoError', 2],
			]);
		});

		it('an outage is not taken for a bad message: the poll fails and the next one delivers everything', async () => {
			const folder = freshFolder();
			const poller = newPoller(settingsFor({ folder: { path: folder }, output: { body: 'none', headers: false, eml: false, attachments: { prefix: 'file_', includeInline: false, maxBytes: 4 * 1024 * 1024 } } }), { maxAttempts: 1 });
			// Large enough for its own request on Graph too (/$value; smaller ones come inside a $batch).
			deliver(folder, 'survives', { attachments: [{ filename: 'a.pdf', content: Buffer.alloc(1536 * 1024, 97), contentType: 'application/pdf' }] });
			api.fail(sandbox, 'unavailable', 1, 'attachments');
			await expect(poller.poll()).rejects.toMatchObject({ failure: { httpStatus: 503 } });
			const [item] = await poller.poll();
			expect(item.json.error).toBeUndefined();
			expect(item.binary!.file_0).toBeDefined();
		});
	});

	describe('de-duplication: the ItemId is the key, the Internet Message-ID only guards a resynchronisation', () => {
		it('a different message reusing a Message-ID is emitted again with a warning; a message moved out and back in too where its id changed (EWS)', async () => {
			const folder = freshFolder();
			const elsewhere = freshFolder();
			const poller = newPoller(settingsFor({ folder: { path: folder } }));
			const first = deliver(folder, 'original', { messageId: '<reused@vendor.test>' });
			expect(subjects(await poller.poll())).toEqual(['original']);
			deliver(folder, 'impostor', { messageId: '<reused@vendor.test>' });
			expect(subjects(await poller.poll())).toEqual(['impostor']);
			const away = sandbox.ews.store.moveItem(first, sandbox.ews.store.resolveFolder(DEMO.sharedMailbox, elsewhere)!.id);
			sandbox.ews.store.moveItem(away.id, sandbox.ews.store.resolveFolder(DEMO.sharedMailbox, folder)!.id);
			// EWS: a new ItemId, so new to the trigger; Graph: the same immutable id, so the same message (apis.ts).
			expect(subjects(await poller.poll())).toEqual(api.idChangesOnMove ? ['original'] : []);
			expect(poller.warnings).toEqual([
				expect.stringMatching(/message "impostor" \(<reused@vendor.test>, ItemId .+\) is emitted although a message with this Internet Message-ID was emitted before/),
				...(api.idChangesOnMove ? [expect.stringMatching(/message "original" \(<reused@vendor.test>, ItemId .+\) is emitted although/)] : []),
			]);
			expect(await poller.poll()).toEqual([]);
		});

		it('during a resynchronisation a new ItemId with an emitted Message-ID is skipped, with a warning', async () => {
			const folder = freshFolder();
			const poller = newPoller(settingsFor({ folder: { path: folder } }));
			const first = deliver(folder, 'seen', { messageId: '<seen@vendor.test>' });
			expect(subjects(await poller.poll())).toEqual(['seen']);
			// The same message comes back under a new ItemId (restored from a backup, say) while the cursor is rebuilt.
			sandbox.ews.store.removeItem(first);
			deliver(folder, 'seen', { messageId: '<seen@vendor.test>' });
			deliver(folder, 'new one');
			api.fail(sandbox, 'invalidCursor', 1);
			expect(subjects(await poller.poll())).toEqual(['new one']);
			expect(poller.warnings.filter((warning) => /was not emitted: a message with this Internet Message-ID was emitted before and the folder is being resynchronised/.test(warning))).toHaveLength(1);
		});
	});
});

describe('a credential moved between EWS and Graph (same workflow, same static data)', () => {
	it('goes on from the other API: the old cursor is never followed, mail after the move comes once, nothing before it again', async () => {
		const folder = freshFolder();
		const poller = new Poller(sandbox, settingsFor({ folder: { path: folder } }), { mailboxApi: 'ews' });
		deliver(folder, 'before 1');
		deliver(folder, 'before 2');
		expect(subjects(await poller.poll()).sort()).toEqual(['before 1', 'before 2']);

		// The admin switches the credential to Graph: the saved cursor is an EWS SyncState.
		poller.options.mailboxApi = 'graph';
		deliver(folder, 'after graph');
		expect(subjects(await poller.poll())).toEqual(['after graph']);
		expect(poller.state.syncState).toMatch(/^graph-delta:/);
		expect(await poller.poll()).toEqual([]);

		// And back (an on-premises move, or a rollback): the saved cursor is Graph's.
		poller.options.mailboxApi = 'ews';
		deliver(folder, 'after ews');
		expect(subjects(await poller.poll())).toEqual(['after ews']);
		expect(poller.state.syncState).not.toMatch(/^graph-delta:/);
		expect(await poller.poll()).toEqual([]);
		expect(poller.warnings.filter((warning) => /resynchronising/.test(warning))).toHaveLength(2);
	});
});
