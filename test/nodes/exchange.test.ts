/**
 * The Microsoft Exchange node against the real sandbox: real ews-javascript-api, real HTTPS to the
 * EWS stand-in (schema validation on), real tokens from the Entra stand-in. Nothing is mocked.
 */
import type { IDataObject, INodeExecutionData } from 'n8n-workflow';

import { Exchange } from '../../nodes/Exchange/Exchange.node';
import { clientOptions } from '../../nodes/Exchange/actions/router';
import { DEMO, type Sandbox } from '../sandbox';
import { binaryItem, createExecuteContext, type TestContext } from '../support/executeContext';
import { appOnlyCredential, delegatedCredential, EWS_DELEGATED_SCOPE } from '../support/sandboxCredentials';
import { useSandbox } from '../support/useSandbox';

process.env.TZ = 'UTC';

const node = new Exchange();
const currentSandbox = useSandbox();
let sandbox: Sandbox;
const waits: number[] = [];
beforeAll(() => {
	sandbox = currentSandbox();
	// Throttling back-off is recorded, not slept.
	clientOptions.wait = async (ms) => {
		waits.push(ms);
	};
});
afterAll(() => {
	delete clientOptions.wait;
});
beforeEach(() => {
	sandbox.ews.reset();
	waits.length = 0;
});

const SHARED = DEMO.sharedMailbox;
let seq = 0;
const unique = (label: string) => `${label} #${++seq}-${Date.now().toString(36)}`;

type Params = IDataObject | ((i: number) => IDataObject);

function appOnly(parameters: Params, extra: Partial<Parameters<typeof createExecuteContext>[0]> = {}): TestContext {
	const withDefaults = typeof parameters === 'function' ? (i: number) => ({ authentication: 'appOnly', mailbox: SHARED, ...parameters(i) }) : { authentication: 'appOnly', mailbox: SHARED, ...parameters };
	return createExecuteContext({
		description: node.description,
		parameters: withDefaults,
		credentials: { microsoftExchangeAppOnlyApi: appOnlyCredential(sandbox) },
		trustedCa: sandbox.ca,
		...extra,
	});
}

async function delegated(parameters: IDataObject, extra: Partial<Parameters<typeof createExecuteContext>[0]> = {}, overrides: IDataObject = {}): Promise<TestContext> {
	return createExecuteContext({
		description: node.description,
		parameters: { authentication: 'delegated', ...parameters },
		credentials: { microsoftExchangeOAuth2Api: await delegatedCredential(sandbox, overrides as never, EWS_DELEGATED_SCOPE) },
		trustedCa: sandbox.ca,
		...extra,
	});
}

async function run(test: TestContext): Promise<INodeExecutionData[]> {
	const [output] = await node.execute.call(test.context);
	return output;
}

async function runExpectingError(test: TestContext): Promise<Error & { description?: string }> {
	try {
		await run(test);
	} catch (error) {
		return error as Error & { description?: string };
	}
	throw new Error('expected the node to throw');
}

const items = (n: number) => Array.from({ length: n }, (_, i) => ({ json: { i } }));
const deliver = (mailbox: string, subject: string, extra: Partial<Parameters<Sandbox['ews']['store']['deliver']>[1]> = {}) =>
	sandbox.ews.store.deliver(mailbox, { from: 'Ann Sender <ann@example.com>', to: mailbox, subject, text: `Text of ${subject}`, ...extra });
const folder = (mode: string, value: string) => ({ __rl: true, mode, value });

describe('message: Get Many', () => {
	it('lists a folder with filters, limit and body/headers options, in the documented shape', async () => {
		const tag = unique('Invoice');
		deliver(SHARED, `${tag} A`, { receivedAt: new Date('2026-01-10T10:00:00Z'), attachments: [{ filename: 'a.pdf', content: Buffer.from('pdf') }] });
		deliver(SHARED, `${tag} B`, { receivedAt: new Date('2026-01-11T10:00:00Z'), isRead: true, html: '<p>Hi <b>B</b></p>' });
		deliver(SHARED, `${tag} C`, { receivedAt: new Date('2026-01-12T10:00:00Z') });
		deliver(SHARED, 'unrelated', { receivedAt: new Date('2026-01-12T11:00:00Z') });

		const unread = await run(appOnly({ resource: 'message', operation: 'getMany', folder: folder('wellKnown', 'inbox'), returnAll: true, filters: { subjectContains: tag, unreadOnly: true } }));
		expect(unread.map((o) => o.json.subject)).toEqual([`${tag} C`, `${tag} A`]);
		expect(unread[1].json).toMatchObject({
			from: { name: 'Ann Sender', address: 'ann@example.com' },
			isRead: false,
			hasAttachments: true,
			importance: 'normal',
			flag: { status: 'notFlagged' },
			bodyText: `Text of ${tag} A`,
			receivedAt: '2026-01-10T10:00:00.000Z',
			attachments: [expect.objectContaining({ name: 'a.pdf', size: 3 })],
		});
		expect(unread[1].json).not.toHaveProperty('bodyHtml');

		const windowed = await run(
			appOnly({ resource: 'message', operation: 'getMany', folder: folder('path', 'Inbox'), returnAll: true, filters: { subjectContains: tag, receivedAfter: '2026-01-11T00:00:00Z', receivedBefore: '2026-01-12T00:00:00Z', from: 'ann@example.com' }, options: { body: 'both', includeHeaders: true } }),
		);
		expect(windowed).toHaveLength(1);
		expect(windowed[0].json.subject).toBe(`${tag} B`);
		expect(windowed[0].json.bodyHtml).toContain('<b>B</b>');
		expect(windowed[0].json.bodyText).toBe(`Text of ${tag} B`);
		expect((windowed[0].json.internetHeaders as IDataObject).Subject).toBe(`${tag} B`);

		const withAttachments = await run(appOnly({ resource: 'message', operation: 'getMany', folder: folder('wellKnown', 'inbox'), returnAll: true, filters: { subjectContains: tag, hasAttachments: true }, options: { body: 'none' } }));
		expect(withAttachments.map((o) => o.json.subject)).toEqual([`${tag} A`]);
		expect(withAttachments[0].json).not.toHaveProperty('bodyText');

		const limited = await run(appOnly({ resource: 'message', operation: 'getMany', folder: folder('wellKnown', 'inbox'), returnAll: false, limit: 2, filters: { subjectContains: tag } }));
		expect(limited).toHaveLength(2);

		const aqs = await run(appOnly({ resource: 'message', operation: 'getMany', folder: folder('wellKnown', 'inbox'), returnAll: true, filters: { query: `subject:"${tag} C"` } }));
		expect(aqs.map((o) => o.json.subject)).toEqual([`${tag} C`]);
	});

	it('pages through more than one FindItem page with Return All', async () => {
		const tag = unique('Bulk');
		for (let i = 0; i < 260; i++) deliver(SHARED, `${tag} ${i}`, { folder: 'Archive' });
		const output = await run(appOnly({ resource: 'message', operation: 'getMany', folder: folder('path', 'Archive'), returnAll: true, filters: { subjectContains: tag }, options: { body: 'none' } }));
		expect(output).toHaveLength(260);
		expect(sandbox.ews.counts().FindItem).toBe(2); // 250 per restricted page
		expect(sandbox.ews.counts().GetItem).toBe(Math.ceil(260 / 50));
	});
});

describe('batching: N input items → ⌈N / batch⌉ EWS calls, results in input order with pairedItem', () => {
	it('Get: 120 ids in 3 GetItem calls', async () => {
		const ids = Array.from({ length: 120 }, (_, i) => deliver(SHARED, `get ${i}`));
		const output = await run(appOnly((i) => ({ resource: 'message', operation: 'get', messageId: ids[i], options: { body: 'none' } }), { items: items(120) }));
		expect(sandbox.ews.counts()).toEqual({ GetItem: 3 });
		expect(output.map((o) => o.json.id)).toEqual(ids);
		expect(output.map((o) => o.pairedItem)).toEqual(ids.map((_, item) => ({ item })));
	});

	it('Move: 150 ids in 2 MoveItem calls (plus one FindFolder for the path)', async () => {
		const tag = unique('Move');
		const ids = Array.from({ length: 150 }, (_, i) => deliver(SHARED, `${tag} ${i}`));
		const output = await run(appOnly((i) => ({ resource: 'message', operation: 'move', messageId: ids[i], destination: folder('path', 'Archive') }), { items: items(150) }));
		expect(sandbox.ews.counts()).toEqual({ FindFolder: 1, MoveItem: 2 });
		expect(output).toHaveLength(150);
		expect(output.every((o, i) => o.json.sourceId === ids[i] && o.json.moved === true && typeof o.json.id === 'string' && o.json.id !== ids[i])).toBe(true);
		const archived = sandbox.ews.store.listItems(SHARED, 'Archive').filter((item) => item.subject.startsWith(tag));
		expect(archived).toHaveLength(150);
		expect(sandbox.ews.store.getItem(ids[0])).toBeUndefined();
	});

	it('groups by parameter: two destination folders → one MoveItem per folder', async () => {
		const ids = Array.from({ length: 4 }, (_, i) => deliver(SHARED, `split ${i}`));
		await run(appOnly((i) => ({ resource: 'message', operation: 'move', messageId: ids[i], destination: folder('wellKnown', i % 2 ? 'junkemail' : 'drafts') }), { items: items(4) }));
		expect(sandbox.ews.counts()).toEqual({ MoveItem: 2 });
		expect(sandbox.ews.store.listItems(SHARED, 'junkemail').map((item) => item.subject)).toEqual(expect.arrayContaining(['split 1', 'split 3']));
	});

	it('Copy, Mark as Read / Unread, Update and Delete batch too, and change the store', async () => {
		const tag = unique('Batch');
		const ids = Array.from({ length: 3 }, (_, i) => deliver(SHARED, `${tag} ${i}`));
		const each = (parameters: IDataObject) => appOnly((i) => ({ ...parameters, messageId: ids[i] }), { items: items(3) });

		const copied = await run(each({ resource: 'message', operation: 'copy', destination: folder('wellKnown', 'drafts') }));
		expect(copied.map((o) => o.json.copied)).toEqual([true, true, true]);
		expect(sandbox.ews.store.listItems(SHARED, 'drafts').filter((item) => item.subject.startsWith(tag))).toHaveLength(3);

		sandbox.ews.clearRequests();
		await run(each({ resource: 'message', operation: 'markAsRead' }));
		expect(ids.map((id) => sandbox.ews.store.getItem(id)?.isRead)).toEqual([true, true, true]);
		// Marks: one UpdateItem for all three items (no GetItem first).
		expect(sandbox.ews.counts()).toEqual({ UpdateItem: 1 });
		await run(each({ resource: 'message', operation: 'markAsUnread' }));
		expect(ids.map((id) => sandbox.ews.store.getItem(id)?.isRead)).toEqual([false, false, false]);

		const updated = await run(each({ resource: 'message', operation: 'update', updateFields: { categories: 'Processed, Finance', flag: 'flagged', importance: 'high' } }));
		expect(updated[0].json).toMatchObject({ id: ids[0], categories: ['Processed', 'Finance'], flag: 'flagged', importance: 'high' });
		const stored = sandbox.ews.store.getItem(ids[2])!;
		expect(stored.categories).toEqual(['Processed', 'Finance']);
		expect(stored.flag.status).toBe('Flagged');
		expect(stored.importance).toBe('High');

		sandbox.ews.clearRequests();
		await run(appOnly((i) => ({ resource: 'message', operation: 'delete', messageId: ids[i], deleteMode: i === 0 ? 'hard' : 'moveToDeletedItems' }), { items: items(3) }));
		expect(sandbox.ews.counts()).toEqual({ DeleteItem: 2 });
		expect(ids.map((id) => sandbox.ews.store.getItem(id))).toEqual([undefined, undefined, undefined]);
		expect(sandbox.ews.store.listItems(SHARED, 'deleteditems').filter((item) => item.subject.startsWith(tag)).map((item) => item.subject).sort()).toEqual([`${tag} 1`, `${tag} 2`]);
	});

	it('a bad id fails only its own item (continueOnFail), naming the field; the others succeed', async () => {
		const good = [deliver(SHARED, 'ok 1'), deliver(SHARED, 'ok 2')];
		const ids = [good[0], 'not-an-exchange-id', good[1]];
		const output = await run(appOnly((i) => ({ resource: 'message', operation: 'markAsRead', messageId: ids[i] }), { items: items(3), continueOnFail: true }));
		expect(output.map((o) => o.pairedItem)).toEqual([{ item: 0 }, { item: 1 }, { item: 2 }]);
		expect(output[0].json.isRead).toBe(true);
		expect(output[1].json.error).toMatch(/^"Message ID": .*ErrorInvalidIdMalformed/);
		expect(output[2].json.isRead).toBe(true);
		expect(sandbox.ews.counts()).toEqual({ UpdateItem: 1 });
	});

	it('without continueOnFail a bad id throws a NodeApiError for that item', async () => {
		const id = deliver(SHARED, 'gone');
		sandbox.ews.store.removeItem(id);
		const error = await runExpectingError(appOnly({ resource: 'message', operation: 'get', messageId: id }));
		expect(error.constructor.name).toBe('NodeApiError');
		expect(error.message).toMatch(/"Message ID": Getting the message failed: The item was not found .*\(ErrorItemNotFound\)/);
	});
});

describe('message: Get MIME, attachments', () => {
	it('Get MIME returns the .eml as binary', async () => {
		const id = deliver(SHARED, unique('Mime'));
		const [output] = await run(appOnly({ resource: 'message', operation: 'getMime', messageId: id, binaryPropertyName: 'eml' }));
		const eml = Buffer.from(output.binary!.eml.data, 'base64').toString('utf8');
		expect(eml).toMatch(/^Subject: Mime/m);
		expect(output.binary!.eml.mimeType).toBe('message/rfc822');
		expect(output.binary!.eml.fileName).toBe('message.eml');
	});

	it('lists attachments and downloads them byte for byte (file and attached message)', async () => {
		const pdf = Buffer.from([0x25, 0x50, 0x44, 0x46, 0, 1, 2, 255, 254]);
		const inner = 'From: a@example.com\r\nSubject: inner\r\n\r\nhello';
		const id = deliver(SHARED, unique('Files'), {
			attachments: [
				{ filename: 'invoice.pdf', content: pdf, contentType: 'application/pdf' },
				{ filename: 'original.eml', content: inner, contentType: 'message/rfc822' },
			],
		});
		const listed = await run(appOnly({ resource: 'attachment', operation: 'getMany', messageId: id }));
		expect(listed.map((o) => o.json.name)).toEqual(['invoice.pdf', 'original.eml']);

		const [one] = await run(appOnly({ resource: 'attachment', operation: 'download', messageId: id, attachmentId: listed[0].json.id }));
		expect(Buffer.compare(Buffer.from(one.binary!.data.data, 'base64'), pdf)).toBe(0);
		expect(one.binary!.data).toMatchObject({ fileName: 'invoice.pdf', mimeType: 'application/pdf' });

		const [all] = await run(appOnly({ resource: 'attachment', operation: 'download', messageId: id, binaryPropertyName: 'file' }));
		expect(Object.keys(all.binary!)).toEqual(['file_0', 'file_1']);
		expect(Buffer.from(all.binary!.file_1.data, 'base64').toString('utf8')).toBe(inner);
		expect(all.binary!.file_1.mimeType).toBe('message/rfc822');
	});
});

describe('message: Send, Reply, Forward', () => {
	it('sends with cc, html and a binary attachment; delivered into the recipient mailbox, copy in Sent Items', async () => {
		const subject = unique('Send');
		const bytes = Buffer.from('%PDF-1.4 \u0000\u0001 attachment', 'latin1');
		const output = await run(
			appOnly(
				{ resource: 'message', operation: 'send', toEmail: `Alex <${DEMO.user}>`, subject, bodyFormat: 'html', bodyContent: '<p>Hello</p>', options: { ccEmail: DEMO.noreplyMailbox, attachments: 'invoice', importance: 'high' } },
				{ items: [binaryItem({}, { invoice: { data: bytes, fileName: 'invoice.pdf', mimeType: 'application/pdf' } })] },
			),
		);
		expect(output[0].json).toMatchObject({ sent: true, mailbox: SHARED, subject, attachments: ['invoice.pdf'], savedToSentItems: true });
		expect(sandbox.ews.counts()).toEqual({ CreateItem: 1 });
		const received = sandbox.ews.store.listItems(DEMO.user, 'inbox').find((item) => item.subject === subject)!;
		expect(received.from?.email).toBe(SHARED);
		expect(received.html).toContain('<p>Hello</p>');
		expect(received.importance).toBe('High');
		expect(received.attachments).toHaveLength(1);
		expect(Buffer.compare(received.attachments[0].content, bytes)).toBe(0);
		expect(sandbox.ews.store.listItems(DEMO.noreplyMailbox, 'inbox').some((item) => item.subject === subject)).toBe(true);
		expect(sandbox.ews.store.listItems(SHARED, 'sentitems').some((item) => item.subject === subject)).toBe(true);
	});

	it('send only (no copy) when Save to Sent Items is off', async () => {
		const subject = unique('NoCopy');
		await run(appOnly({ resource: 'message', operation: 'send', toEmail: DEMO.user, subject, bodyContent: 'x', options: { saveToSentItems: false } }));
		expect(sandbox.ews.store.listItems(SHARED, 'sentitems').some((item) => item.subject === subject)).toBe(false);
		expect(sandbox.ews.store.sent.some((sent) => sent.subject === subject)).toBe(true);
	});

	it('reply threads on the original; reply all reaches every recipient but the mailbox itself', async () => {
		const subject = unique('Question');
		const id = deliver(SHARED, subject, { from: DEMO.user, to: [SHARED], cc: [DEMO.noreplyMailbox], messageId: '<question-1@contoso.test>' });
		const [output] = await run(appOnly({ resource: 'message', operation: 'reply', messageId: id, comment: 'Thanks, on it.' }));
		expect(output.json).toMatchObject({ sent: true, kind: 'reply', respondedTo: id });
		const reply = sandbox.ews.store.listItems(DEMO.user, 'inbox').find((item) => item.subject === `RE: ${subject}`)!;
		expect(reply.inReplyTo).toBe('<question-1@contoso.test>');
		expect(reply.text).toMatch(/^Thanks, on it\./);
		expect(sandbox.ews.store.listItems(DEMO.noreplyMailbox, 'inbox').some((item) => item.subject === `RE: ${subject}`)).toBe(false);

		await run(appOnly({ resource: 'message', operation: 'reply', messageId: id, replyAll: true, comment: 'All', options: { subject: `RE: ${subject} (all)` } }));
		const sent = sandbox.ews.store.sent.find((message) => message.subject === `RE: ${subject} (all)`)!;
		expect(sent.deliveredTo.sort()).toEqual([DEMO.user, DEMO.noreplyMailbox].sort());
	});

	it('forward carries the original attachments plus new ones from binary', async () => {
		const subject = unique('Fwd');
		const original = Buffer.from([1, 2, 3, 4, 5, 0, 255]);
		const extra = Buffer.from('extra file');
		const id = deliver(SHARED, subject, { attachments: [{ filename: 'orig.bin', content: original }] });
		await run(
			appOnly(
				{ resource: 'message', operation: 'forward', messageId: id, toEmail: DEMO.user, comment: '<b>FYI</b>', commentFormat: 'html', options: { attachments: 'data' } },
				{ items: [binaryItem({}, { data: { data: extra, fileName: 'extra.txt', mimeType: 'text/plain' } })] },
			),
		);
		const forwarded = sandbox.ews.store.listItems(DEMO.user, 'inbox').find((item) => item.subject === `FW: ${subject}`)!;
		expect(forwarded.html).toContain('<b>FYI</b>');
		const byName = Object.fromEntries(forwarded.attachments.map((a) => [a.name, a.content]));
		expect(Buffer.compare(byName['orig.bin'], original)).toBe(0);
		expect(Buffer.compare(byName['extra.txt'], extra)).toBe(0);
		expect(sandbox.ews.store.listItems(SHARED, 'drafts').some((item) => item.subject.includes(subject))).toBe(false);
	});
});

describe('folders', () => {
	it('create, get, rename, list with paths, empty and delete', async () => {
		const name = unique('Processed').replace(/[^A-Za-z0-9 -]/g, '');
		const [created] = await run(appOnly({ resource: 'folder', operation: 'create', parentFolder: folder('wellKnown', 'inbox'), displayName: name }));
		expect(created.json).toMatchObject({ displayName: name, mailbox: SHARED });
		expect(sandbox.ews.store.folderByPath(SHARED, `Inbox/${name}`)?.id).toBe(created.json.id);

		deliver(SHARED, 'in folder', { folder: `Inbox/${name}` });
		const [got] = await run(appOnly({ resource: 'folder', operation: 'get', folder: folder('path', `Inbox/${name}`) }));
		expect(got.json).toMatchObject({ id: created.json.id, displayName: name, totalCount: 1, unreadCount: 1 });

		await run(appOnly({ resource: 'folder', operation: 'rename', folder: folder('id', created.json.id as string), displayName: `${name} done` }));
		expect(sandbox.ews.store.folder(created.json.id as string)?.displayName).toBe(`${name} done`);

		const listed = await run(appOnly({ resource: 'folder', operation: 'getMany', parentFolder: folder('wellKnown', 'msgfolderroot'), deep: true }));
		expect(listed.map((o) => o.json.path)).toEqual(expect.arrayContaining(['Inbox', `Inbox/${name} done`, 'Deleted Items']));

		await run(appOnly({ resource: 'folder', operation: 'empty', folder: folder('path', `Inbox/${name} done`), deleteMode: 'hard' }));
		expect(sandbox.ews.store.listItemsIn(created.json.id as string)).toHaveLength(0);

		await run(appOnly({ resource: 'folder', operation: 'delete', folder: folder('path', `inbox/${name} done`), deleteMode: 'hard' }));
		expect(sandbox.ews.store.folder(created.json.id as string)).toBeUndefined();
	});

	it('the folder list search returns folders filtered by the typed text: path as the label, ID as the value', async () => {
		const receipts = sandbox.ews.store.createFolder(SHARED, 'inbox', 'Receipts 2026');
		const test = appOnly({ resource: 'message', operation: 'getMany' });
		const ctx = Object.assign(Object.create(test.context), { getNodeParameter: (name: string, fallback: unknown) => ({ authentication: 'appOnly', mailbox: SHARED })[name] ?? fallback });
		const result = await node.methods.listSearch.searchFolders.call(ctx, 'receipts');
		expect(result.results).toEqual([{ name: 'Inbox/Receipts 2026', value: receipts.id }]);
	});
});

describe('delegated credential', () => {
	it('works on the signed-in user\'s own mailbox without a Mailbox, without impersonation', async () => {
		const subject = unique('Own');
		const id = deliver(DEMO.user, subject);
		const test = await delegated({ resource: 'message', operation: 'getMany', folder: folder('wellKnown', 'inbox'), returnAll: true, filters: { subjectContains: subject } });
		const output = await run(test);
		expect(output.map((o) => o.json.id)).toEqual([id]);
		expect(sandbox.ews.requests.every((r) => r.impersonated === undefined && r.anchorMailbox === DEMO.user && r.status === 200)).toBe(true);
		expect(test.refreshes).toBe(0);
	});

	it('opens a shared mailbox with FullAccess (move, mark, send as the shared mailbox, folders)', async () => {
		const subject = unique('Shared');
		const id = deliver(SHARED, subject);
		await run(await delegated({ resource: 'message', operation: 'markAsRead', mailbox: SHARED, messageId: id }));
		expect(sandbox.ews.store.getItem(id)?.isRead).toBe(true);
		const [moved] = await run(await delegated({ resource: 'message', operation: 'move', mailbox: SHARED, messageId: id, destination: folder('path', 'Archive') }));
		expect(sandbox.ews.store.getItem(moved.json.id as string)?.folderId).toBe(sandbox.ews.store.folderByPath(SHARED, 'Archive')?.id);

		const sendSubject = unique('From shared');
		await run(await delegated({ resource: 'message', operation: 'send', mailbox: SHARED, toEmail: DEMO.noreplyMailbox, subject: sendSubject, bodyContent: 'hi' }));
		const received = sandbox.ews.store.listItems(DEMO.noreplyMailbox, 'inbox').find((item) => item.subject === sendSubject)!;
		expect(received.from?.email).toBe(SHARED);
		expect(sandbox.ews.store.listItems(SHARED, 'sentitems').some((item) => item.subject === sendSubject)).toBe(true);

		const name = unique('Deleg').replace(/[^A-Za-z0-9 -]/g, '');
		await run(await delegated({ resource: 'folder', operation: 'create', mailbox: SHARED, parentFolder: folder('wellKnown', 'inbox'), displayName: name }));
		expect(sandbox.ews.store.folderByPath(SHARED, `Inbox/${name}`)).toBeDefined();
		expect(sandbox.ews.requests.some((r) => r.anchorMismatch)).toBe(false);
	});

	it('replies and downloads attachments in its own mailbox', async () => {
		const subject = unique('Deleg reply');
		const bytes = Buffer.from('delegated bytes');
		const id = deliver(DEMO.user, subject, { from: SHARED, attachments: [{ filename: 'd.txt', content: bytes }] });
		const [download] = await run(await delegated({ resource: 'attachment', operation: 'download', messageId: id }));
		expect(Buffer.compare(Buffer.from(download.binary!.data_0.data, 'base64'), bytes)).toBe(0);
		await run(await delegated({ resource: 'message', operation: 'reply', messageId: id, comment: 'ok' }));
		expect(sandbox.ews.store.listItems(SHARED, 'inbox').some((item) => item.subject === `RE: ${subject}`)).toBe(true);
	});

	it('a mailbox without FullAccess → ErrorAccessDenied with the Add-MailboxPermission fix', async () => {
		const error = await runExpectingError(await delegated({ resource: 'message', operation: 'getMany', mailbox: DEMO.noreplyMailbox, folder: folder('wellKnown', 'inbox'), returnAll: true }));
		expect(error.message).toMatch(/ErrorAccessDenied/);
		expect(error.description).toMatch(/Add-MailboxPermission/);
	});

	it('401 expired token → n8n refreshes once and the call succeeds', async () => {
		const id = deliver(DEMO.user, unique('Refresh'));
		const test = await delegated({ resource: 'message', operation: 'get', messageId: id });
		sandbox.ews.failNext('expiredToken', 1);
		const [output] = await run(test);
		expect(output.json.id).toBe(id);
		expect(test.refreshes).toBe(1);
		expect(sandbox.ews.requests.map((r) => r.status)).toEqual([401, 200]);
	});
});

describe('transport behaviour', () => {
	it('ErrorServerBusy: waits BackOffMilliseconds, then succeeds', async () => {
		const id = deliver(SHARED, unique('Busy'));
		sandbox.ews.failNext('ErrorServerBusy', 2, { backOffMs: 1234 });
		const [output] = await run(appOnly({ resource: 'message', operation: 'get', messageId: id }));
		expect(output.json.id).toBe(id);
		expect(waits).toEqual([1234, 1234]);
		expect(sandbox.ews.requests.map((r) => r.responseCode)).toEqual(['ErrorServerBusy', 'ErrorServerBusy', 'NoError']);
	});

	it('ErrorServerBusy without BackOffMilliseconds and HTTP 503: exponential back-off, then success', async () => {
		const id = deliver(SHARED, unique('Busy2'));
		sandbox.ews.failNext('ErrorServerBusyNoBackOff', 1);
		sandbox.ews.failNext('http503', 1);
		await run(appOnly({ resource: 'message', operation: 'markAsRead', messageId: id }));
		expect(sandbox.ews.store.getItem(id)?.isRead).toBe(true);
		expect(waits).toHaveLength(2);
		expect(waits[0]).toBeGreaterThanOrEqual(250);
		expect(waits[0]).toBeLessThanOrEqual(500);
		expect(waits[1]).toBeGreaterThanOrEqual(500);
		expect(waits[1]).toBeLessThanOrEqual(1000);
	});

	it('a send is not repeated after throttling (it could go out twice): the item fails with the throttling advice', async () => {
		sandbox.ews.failNext('ErrorServerBusy', 1);
		const error = await runExpectingError(appOnly({ resource: 'message', operation: 'send', toEmail: DEMO.user, subject: 'x', bodyContent: 'x' }));
		expect(error.message).toMatch(/ErrorServerBusy/);
		expect(sandbox.ews.counts()).toEqual({ CreateItem: 1 });
		expect(waits).toEqual([]);
	});

	it('401 expired token (app-only): one new token, one retry', async () => {
		const id = deliver(SHARED, unique('401'));
		sandbox.ews.failNext('expiredToken', 1);
		await run(appOnly({ resource: 'message', operation: 'get', messageId: id }));
		expect(sandbox.entra.requests.filter((r) => r.ok)).toHaveLength(2);
		expect(sandbox.ews.requests.map((r) => r.status)).toEqual([401, 200]);
	});

	it('a second 401 is not retried again: the error says the token expired', async () => {
		sandbox.ews.failNext('expiredToken', 2);
		const error = await runExpectingError(appOnly({ resource: 'message', operation: 'get', messageId: deliver(SHARED, 'x') }));
		expect(error.message).toMatch(/HTTP 401 invalid_lifetime/);
		expect(sandbox.ews.requests).toHaveLength(2);
	});
});

describe('mapped errors', () => {
	it('a mailbox outside the app\'s scope → ErrorImpersonateUserDenied with the RBAC / full_access_as_app fix', async () => {
		const error = await runExpectingError(appOnly({ resource: 'message', operation: 'get', mailbox: DEMO.user, messageId: deliver(DEMO.user, 'x') }));
		expect(error.constructor.name).toBe('NodeApiError');
		expect(error.message).toMatch(/not allowed to open this mailbox \(ErrorImpersonateUserDenied\)/);
		expect(error.description).toMatch(/RBAC for Applications/);
	});

	it('an unknown mailbox → ErrorNonExistentMailbox', async () => {
		const error = await runExpectingError(appOnly({ resource: 'folder', operation: 'getMany', mailbox: 'nobody@contoso.test', parentFolder: folder('wellKnown', 'msgfolderroot') }));
		expect(error.message).toMatch(/ErrorNonExistentMailbox/);
		expect(error.description).toMatch(/Check the mailbox address/);
	});

	it('an app without full_access_as_app → 401 invalid_grant naming full_access_as_app', async () => {
		const clientId = '0b1c2d3e-aaaa-4bbb-8ccc-000000000e35';
		sandbox.entra.registerApp({ tenantId: DEMO.tenantId, tenantDomains: [DEMO.tenantDomain], clientId, clientSecret: 'smtp-only-secret', roles: ['SMTP.SendAsApp'], delegatedScopes: [], sendAs: ['*'] });
		const test = appOnly({ resource: 'message', operation: 'getMany', folder: folder('wellKnown', 'inbox') }, { credentials: { microsoftExchangeAppOnlyApi: appOnlyCredential(sandbox, { clientId, clientSecret: 'smtp-only-secret' }) } });
		const error = await runExpectingError(test);
		expect(error.message).toMatch(/does not carry the EWS permission \(HTTP 401 invalid_grant\)/);
		expect(error.description).toMatch(/full_access_as_app/);
		// The 401 was retried once with a fresh token, no more.
		expect(sandbox.ews.requests.map((r) => r.status)).toEqual([401, 401]);
	});
});

describe('Allowed Mailboxes guard', () => {
	it('refuses a mailbox outside the list before any token or EWS request', async () => {
		const test = appOnly({ resource: 'message', operation: 'getMany', folder: folder('wellKnown', 'inbox') }, { credentials: { microsoftExchangeAppOnlyApi: appOnlyCredential(sandbox, { allowedMailboxes: DEMO.noreplyMailbox }) } });
		const error = await runExpectingError(test);
		expect(error.message).toBe(`Mailbox "${SHARED}" in "Mailbox" is not in the credential's Allowed Mailboxes`);
		expect(error.constructor.name).toBe('NodeOperationError');
		expect(sandbox.ews.requests).toHaveLength(0);
		expect(sandbox.entra.requests).toHaveLength(0);
	});

	it('applies per item for batches, and to the delegated user\'s own mailbox too', async () => {
		const id = deliver(SHARED, unique('guard'));
		const test = appOnly((i) => ({ resource: 'message', operation: 'markAsRead', messageId: id, mailbox: i === 0 ? SHARED : DEMO.user }), {
			items: items(2),
			continueOnFail: true,
			credentials: { microsoftExchangeAppOnlyApi: appOnlyCredential(sandbox, { allowedMailboxes: '*@contoso.test' }) },
		});
		const output = await run(test);
		expect(output[0].json.isRead).toBe(true);
		// *@contoso.test allows both; the app's own scope then refuses alex@ (server side).
		expect(output[1].json.error).toMatch(/ErrorImpersonateUserDenied/);

		const restricted = await delegated({ resource: 'message', operation: 'getMany', folder: folder('wellKnown', 'inbox') }, {}, { allowedMailboxes: SHARED });
		const error = await runExpectingError(restricted);
		expect(error.message).toBe(`Mailbox "${DEMO.user}" in "Mailbox" is not in the credential's Allowed Mailboxes`);
		expect(sandbox.ews.requests.filter((r) => r.mailbox === DEMO.user)).toHaveLength(0);
	});
});

describe('bad input names the field', () => {
	it.each([
		['unknown destination folder', { resource: 'message', operation: 'move', messageId: 'x', destination: folder('path', 'Inbox/Does not exist') }, /^"Destination Folder": .*ErrorFolderNotFound/, 'NodeApiError'],
		['unknown well-known folder', { resource: 'message', operation: 'getMany', folder: folder('wellKnown', 'spam') }, /"spam" in "Folder" is not a well-known folder/, 'NodeOperationError'],
		['unknown folder id', { resource: 'folder', operation: 'get', folder: folder('id', 'bogus') }, /^"Folder": .*ErrorInvalidIdMalformed/, 'NodeApiError'],
		['malformed message id', { resource: 'message', operation: 'getMime', messageId: 'AAMk-not-valid' }, /^"Message ID": .*ErrorInvalidIdMalformed/, 'NodeApiError'],
		['empty message id', { resource: 'message', operation: 'delete', messageId: '' }, /^"Message ID" is empty$/, 'NodeOperationError'],
		['invalid To address', { resource: 'message', operation: 'send', toEmail: 'not-an-address', subject: 's' }, /Invalid email address "not-an-address" in "To Email"/, 'NodeOperationError'],
		['invalid CC address', { resource: 'message', operation: 'forward', messageId: 'x', toEmail: 'a@example.com', options: { ccEmail: 'b@' } }, /Invalid email address "b@" in "CC Email"/, 'NodeOperationError'],
		['invalid mailbox', { resource: 'message', operation: 'getMany', mailbox: 'invoices', folder: folder('wellKnown', 'inbox') }, /Invalid email address "invoices" in "Mailbox"/, 'NodeOperationError'],
		['empty mailbox (app-only)', { resource: 'message', operation: 'getMany', mailbox: '', folder: folder('wellKnown', 'inbox') }, /"Mailbox" is empty/, 'NodeOperationError'],
		['bad date', { resource: 'message', operation: 'getMany', folder: folder('wellKnown', 'inbox'), filters: { receivedAfter: 'yesterday-ish' } }, /"yesterday-ish" in "Received After" is not a date/, 'NodeOperationError'],
		['missing binary', { resource: 'message', operation: 'send', toEmail: 'a@example.com', options: { attachments: 'nope' } }, /Binary property "nope" named in "Attachments" does not exist on item 0/, 'NodeOperationError'],
		['nothing to update', { resource: 'message', operation: 'update', messageId: 'x', updateFields: {} }, /Nothing to update/, 'NodeOperationError'],
	])('%s', async (_label, parameters, message, type) => {
		const error = await runExpectingError(appOnly(parameters));
		expect(error.message).toMatch(message);
		expect(error.constructor.name).toBe(type);
		if (type === 'NodeOperationError') expect(sandbox.ews.requests).toHaveLength(0);
	});

	it('bad input of one batch item makes no EWS call when the node stops on it', async () => {
		const id = deliver(SHARED, 'x');
		const ids = [id, ''];
		const error = await runExpectingError(appOnly((i) => ({ resource: 'message', operation: 'markAsRead', messageId: ids[i] }), { items: items(2) }));
		expect(error.message).toBe('"Message ID" is empty');
		expect(sandbox.ews.requests).toHaveLength(0);
		expect(sandbox.ews.store.getItem(id)?.isRead).toBe(false);
	});
});

describe('continueOnFail', () => {
	it('an item-by-item operation reports errors with pairedItem and carries on', async () => {
		const ids = [deliver(SHARED, 'c1'), 'broken-id', deliver(SHARED, 'c3')];
		const output = await run(appOnly((i) => ({ resource: 'attachment', operation: 'getMany', messageId: ids[i] }), { items: items(3), continueOnFail: true }));
		// Messages without attachments give no output items; the broken id gives its error.
		expect(output).toEqual([{ json: expect.objectContaining({ error: expect.stringMatching(/"Message ID": .*ErrorInvalidIdMalformed/) }), pairedItem: { item: 1 } }]);
	});

	it('a credential failure becomes one error per item', async () => {
		const test = appOnly({ resource: 'message', operation: 'get', messageId: 'x' }, { items: items(2), continueOnFail: true, credentials: { microsoftExchangeAppOnlyApi: appOnlyCredential(sandbox, { clientSecret: 'Wrong~Secret~Value~Exchange' }) } });
		const output = await run(test);
		expect(output.map((o) => o.pairedItem)).toEqual([{ item: 0 }, { item: 1 }]);
		expect(output.every((o) => /AADSTS7000215/.test(String(o.json.error)))).toBe(true);
	});
});

describe('credential tests', () => {
	const decrypted = (type: string, data: IDataObject) => ({ id: '1', name: 'test', type, data }) as never;
	const testFn = (name: 'microsoftExchangeAppOnlyApiEwsTest' | 'microsoftExchangeOAuth2ApiTest') => node.methods.credentialTest[name].bind({} as never);

	it('app-only: with a Test Mailbox opens its inbox over EWS', async () => {
		const result = await testFn('microsoftExchangeAppOnlyApiEwsTest')(decrypted('microsoftExchangeAppOnlyApi', appOnlyCredential(sandbox, { testMailbox: SHARED })));
		expect(result).toEqual({ status: 'OK', message: expect.stringMatching(/^Opened the inbox of invoices@contoso\.test at https:\/\/.*Exchange\.asmx \(\d+ messages\) with full_access_as_app and SMTP\.SendAsApp\./) });
		expect(sandbox.ews.counts()).toEqual({ GetFolder: 1 });
	});

	it('app-only: without a Test Mailbox checks the role only', async () => {
		const result = await testFn('microsoftExchangeAppOnlyApiEwsTest')(decrypted('microsoftExchangeAppOnlyApi', appOnlyCredential(sandbox)));
		expect(result.status).toBe('OK');
		expect(result.message).toMatch(/Fill in "Test Mailbox"/);
		expect(sandbox.ews.requests).toHaveLength(0);
	});

	it('app-only: names the missing role, and a mailbox out of scope', async () => {
		const clientId = '0b1c2d3e-aaaa-4bbb-8ccc-000000000e36';
		sandbox.entra.registerApp({ tenantId: DEMO.tenantId, tenantDomains: [DEMO.tenantDomain], clientId, clientSecret: 'smtp-only-secret-2', roles: ['SMTP.SendAsApp'], delegatedScopes: [], sendAs: ['*'] });
		const missing = await testFn('microsoftExchangeAppOnlyApiEwsTest')(decrypted('microsoftExchangeAppOnlyApi', appOnlyCredential(sandbox, { clientId, clientSecret: 'smtp-only-secret-2', testMailbox: SHARED })));
		expect(missing).toEqual({ status: 'Error', message: expect.stringMatching(/lacks the application permission full_access_as_app/) });
		const denied = await testFn('microsoftExchangeAppOnlyApiEwsTest')(decrypted('microsoftExchangeAppOnlyApi', appOnlyCredential(sandbox, { testMailbox: DEMO.user })));
		expect(denied).toEqual({ status: 'Error', message: expect.stringMatching(/\(ErrorImpersonateUserDenied\)\. Grant the application permission full_access_as_app/) });
	});

	it('delegated: opens the signed-in user\'s inbox; an SMTP-only token is named as missing EWS.AccessAsUser.All', async () => {
		const ok = await testFn('microsoftExchangeOAuth2ApiTest')(decrypted('microsoftExchangeOAuth2Api', await delegatedCredential(sandbox, {}, EWS_DELEGATED_SCOPE)));
		expect(ok).toEqual({ status: 'OK', message: expect.stringMatching(/^Signed in as alex@contoso\.test; opened the inbox/) });
		expect(sandbox.ews.requests.map((r) => [r.operation, r.mailbox])).toEqual([['GetFolder', DEMO.user]]);
		const smtpOnly = await testFn('microsoftExchangeOAuth2ApiTest')(decrypted('microsoftExchangeOAuth2Api', await delegatedCredential(sandbox)));
		expect(smtpOnly).toEqual({ status: 'Error', message: expect.stringMatching(/lacks the delegated permission EWS\.AccessAsUser\.All/) });
	});
});

describe('secrets never leak', () => {
	it('no secret or token appears in outputs, errors or logs', async () => {
		const shown: string[] = [];
		const secrets = [DEMO.appOnlyClientSecret, DEMO.delegatedClientSecret, 'Wrong~Secret~Value~Exchange'];
		const id = deliver(SHARED, unique('Secret'));
		const scenarios: Array<() => Promise<TestContext>> = [
			async () => appOnly({ resource: 'message', operation: 'get', messageId: id }),
			async () => appOnly({ resource: 'message', operation: 'get', messageId: id }, { continueOnFail: true, credentials: { microsoftExchangeAppOnlyApi: appOnlyCredential(sandbox, { clientSecret: 'Wrong~Secret~Value~Exchange' }) } }),
			async () => appOnly({ resource: 'message', operation: 'get', mailbox: DEMO.user, messageId: id }, { continueOnFail: true }),
			async () => delegated({ resource: 'message', operation: 'getMany', mailbox: DEMO.noreplyMailbox, folder: folder('wellKnown', 'inbox') }),
			async () => delegated({ resource: 'message', operation: 'get', messageId: deliver(DEMO.user, 'x') }),
		];
		for (const [index, make] of scenarios.entries()) {
			const test = await make();
			for (const credential of Object.values(test.credentials)) {
				const tokenData = credential.oauthTokenData as IDataObject | undefined;
				if (tokenData) secrets.push(String(tokenData.access_token), String(tokenData.refresh_token));
			}
			// Expired-token answers twice: the errors then quote Exchange's 401 diagnostics.
			if (index === 0 || index === 4) sandbox.ews.failNext('expiredToken', 2);
			try {
				shown.push(JSON.stringify(await run(test)));
			} catch (error) {
				const e = error as Error & { description?: string; context?: unknown };
				shown.push(e.message, String(e.description), JSON.stringify(e.context ?? {}), String(e.stack));
			}
			shown.push(...test.logs);
		}
		const text = shown.join('\n');
		expect(text).toMatch(/invalid_lifetime/);
		expect(text).toMatch(/AADSTS7000215/);
		expect(text).toMatch(/ErrorImpersonateUserDenied/);
		for (const secret of secrets) expect(text).not.toContain(secret);
		expect(text).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/);
	});
});
