/** The trigger's poll against the EWS stand-in: cursor, start points, filters, output, post-actions. */
import { RECENT_LIMIT } from '../../nodes/ExchangeTrigger/trigger/state';
import { DEMO, type Sandbox } from '../sandbox';
import { useSandbox } from '../support/useSandbox';
import { Poller, settingsFor } from './pollHarness';

const currentSandbox = useSandbox();
let sandbox: Sandbox;
let folderCount = 0;
beforeAll(() => {
	sandbox = currentSandbox();
});
beforeEach(() => sandbox.ews.reset());

/** A fresh folder per test, so tests do not see each other's mail. */
function freshFolder(mailbox = DEMO.sharedMailbox): string {
	const name = `Poll${++folderCount}`;
	sandbox.ews.store.createFolder(mailbox, 'inbox', name);
	return `Inbox/${name}`;
}

function deliver(folder: string, subject: string, extra: Record<string, unknown> = {}) {
	return sandbox.ews.store.deliver(DEMO.sharedMailbox, { from: 'vendor@example.test', to: DEMO.sharedMailbox, subject, text: `${subject} body`, folder, ...extra });
}

const subjects = (items: Array<{ json: Record<string, unknown> }>) => items.map((item) => item.json.subject);

describe('cursor', () => {
	it('emits each new message once, across polls', async () => {
		const folder = freshFolder();
		const poller = new Poller(sandbox, settingsFor({ folder: { path: folder } }));
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
		const poller = new Poller(sandbox, settingsFor({ folder: { path: folder } }), { start: { kind: 'newOnly' } });
		expect(await poller.poll()).toEqual([]);
		expect(sandbox.ews.counts().GetItem ?? 0).toBe(0);
		expect(sandbox.ews.counts().SyncFolderItems).toBe(2);
		deliver(folder, 'new');
		expect(subjects(await poller.poll())).toEqual(['new']);
	});

	it('"last N days" emits only mail received in the window', async () => {
		const folder = freshFolder();
		deliver(folder, 'ancient', { receivedAt: new Date(Date.now() - 30 * 86_400_000) });
		deliver(folder, 'recent', { receivedAt: new Date(Date.now() - 2 * 86_400_000) });
		const poller = new Poller(sandbox, settingsFor({ folder: { path: folder } }), { start: { kind: 'recentDays', days: 7 } });
		expect(subjects(await poller.poll())).toEqual(['recent']);
	});

	it('"max messages per poll" leaves the rest for later polls, skipping nothing', async () => {
		const folder = freshFolder();
		for (let i = 0; i < 25; i++) deliver(folder, `m${i}`);
		const poller = new Poller(sandbox, settingsFor({ folder: { path: folder }, maxMessages: 10 }));
		const sizes = [(await poller.poll()).length, (await poller.poll()).length, (await poller.poll()).length, (await poller.poll()).length];
		expect(sizes).toEqual([10, 10, 5, 0]);
	});

	it('a failed poll keeps the cursor: the next poll delivers the same mail', async () => {
		const folder = freshFolder();
		const poller = new Poller(sandbox, settingsFor({ folder: { path: folder } }), { maxAttempts: 1 });
		deliver(folder, 'survivor');
		const before = poller.staticData;
		sandbox.ews.failNext('ErrorServerBusy', 1, { operation: 'GetItem', backOffMs: 1 });
		await expect(poller.poll()).rejects.toMatchObject({ failure: { code: 'ErrorServerBusy' } });
		expect(poller.staticData).toBe(before);
		expect(subjects(await poller.poll())).toEqual(['survivor']);
	});

	it('an invalid sync state resynchronises without emitting anything twice', async () => {
		const folder = freshFolder();
		const poller = new Poller(sandbox, settingsFor({ folder: { path: folder } }));
		deliver(folder, 'first');
		expect(subjects(await poller.poll())).toEqual(['first']);
		deliver(folder, 'second');
		sandbox.ews.failNext('ErrorInvalidSyncStateData', 1);
		expect(subjects(await poller.poll())).toEqual(['second']);
		expect(poller.warnings.join('\n')).toMatch(/ErrorInvalidSyncStateData.*resynchronising/);
		expect(await poller.poll()).toEqual([]);
	});

	it('keeps the de-duplication record bounded', async () => {
		const folder = freshFolder();
		const poller = new Poller(sandbox, settingsFor({ folder: { path: folder }, maxMessages: 500 }));
		for (let i = 0; i < 60; i++) deliver(folder, `n${i}`);
		await poller.poll();
		expect(poller.state.recent.length).toBe(120);
		expect(poller.state.recent.length).toBeLessThanOrEqual(RECENT_LIMIT);
	});
});

describe('filters and output', () => {
	it('filters, and the cursor still moves past filtered-out mail', async () => {
		const folder = freshFolder();
		const poller = new Poller(sandbox, settingsFor({ folder: { path: folder }, filters: { senders: ['billing@vendor.test'], subjectContains: 'invoice' } }));
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
		const poller = new Poller(sandbox, settingsFor({ folder: { path: folder }, output: { body: 'both', headers: true, eml: true, attachments: { prefix: 'attachment_', includeInline: false, maxBytes: 1024 * 1024 } } }));
		const [item] = await poller.poll();
		expect(Buffer.from(item.binary!.attachment_0.data, 'base64').equals(pdf)).toBe(true);
		expect(item.binary!.attachment_0).toMatchObject({ fileName: 'invoice.pdf', mimeType: 'application/pdf' });
		expect(item.binary!.attachment_1).toBeUndefined();
		const attachments = item.json.attachments as Array<Record<string, unknown>>;
		expect(attachments.find((a) => a.name === 'huge.bin')!.skipped).toMatch(/larger than the maximum of 1 MB/);
		expect(Buffer.from(item.binary!.eml.data, 'base64').toString()).toMatch(/^Subject: with files/m);
		expect(item.json.bodyText).toBe('with files body');
	});

	it('fetches the .eml of a whole poll in one GetItem call (besides the message fetch)', async () => {
		const folder = freshFolder();
		for (let i = 0; i < 3; i++) deliver(folder, `eml ${i}`);
		const poller = new Poller(sandbox, settingsFor({ folder: { path: folder }, output: { body: 'none', headers: false, eml: true } }));
		sandbox.ews.clearRequests();
		const items = await poller.poll();
		expect(items.map((item) => Buffer.from(item.binary!.eml.data, 'base64').toString()).every((mime, i) => /^Subject: eml \d/m.test(mime) && i < 3)).toBe(true);
		expect(items).toHaveLength(3);
		expect(sandbox.ews.counts().GetItem).toBe(2);
	});

	it('downloads the attachments of a whole poll in one GetAttachment call', async () => {
		const folder = freshFolder();
		for (let i = 0; i < 4; i++) deliver(folder, `doc ${i}`, { attachments: [{ filename: `doc${i}.pdf`, content: Buffer.from(`pdf ${i}`), contentType: 'application/pdf' }] });
		const poller = new Poller(sandbox, settingsFor({ folder: { path: folder }, output: { body: 'text', headers: false, eml: false, attachments: { prefix: 'file_', includeInline: false, maxBytes: 1024 * 1024 } } }));
		sandbox.ews.clearRequests();
		const items = await poller.poll();
		expect(items.map((item) => Buffer.from(item.binary!.file_0.data, 'base64').toString()).sort()).toEqual(['pdf 0', 'pdf 1', 'pdf 2', 'pdf 3']);
		expect(sandbox.ews.counts().GetAttachment).toBe(1);
	});
});

describe('after emitting', () => {
	it('marks as read, moves (handing out the new id) or adds a category', async () => {
		const folder = freshFolder();
		sandbox.ews.store.createFolder(DEMO.sharedMailbox, 'inbox', `Done${folderCount}`);
		const read = new Poller(sandbox, settingsFor({ folder: { path: folder }, afterEmit: { kind: 'markRead' } }));
		const id = deliver(folder, 'to read');
		await read.poll();
		expect(sandbox.ews.store.getItem(id)!.isRead).toBe(true);

		const folder2 = freshFolder();
		const move = new Poller(sandbox, settingsFor({ folder: { path: folder2 }, afterEmit: { kind: 'move', folder: { path: `Inbox/Done${folderCount - 1}` } } }));
		deliver(folder2, 'to move');
		const [moved] = await move.poll();
		expect(sandbox.ews.store.getItem(String(moved.json.id))!.subject).toBe('to move');
		expect(await move.poll()).toEqual([]);

		const folder3 = freshFolder();
		const tag = new Poller(sandbox, settingsFor({ folder: { path: folder3 }, afterEmit: { kind: 'category', name: 'n8n' } }));
		const tagged = deliver(folder3, 'to tag', { categories: ['Finance'] });
		await tag.poll();
		expect(sandbox.ews.store.getItem(tagged)!.categories).toEqual(['Finance', 'n8n']);
	});

	it('a failing post-action still emits the message and reports the failure', async () => {
		const folder = freshFolder();
		const poller = new Poller(sandbox, settingsFor({ folder: { path: folder }, afterEmit: { kind: 'markRead' } }), { maxAttempts: 1 });
		deliver(folder, 'kept');
		sandbox.ews.failNext('ErrorServerBusy', 2, { operation: 'UpdateItem', backOffMs: 1 });
		const items = await poller.poll();
		expect(subjects(items)).toEqual(['kept']);
		expect(items[0].json.postActionError).toMatch(/markRead failed: ErrorServerBusy/);
		expect(await poller.poll()).toEqual([]);
	});
});
