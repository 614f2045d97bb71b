/**
 * The Microsoft Exchange node, Message resource: the same tests on every back end (EWS and Graph,
 * app-only and delegated), checked in the shared sandbox store; then the EWS wire (calls per batch).
 */
import type { IDataObject } from 'n8n-workflow';

import { DEMO } from '../../sandbox';
import { binaryItem } from '../../support/executeContext';
import { appOnly, BACKENDS, deliver, expectServedBy, folder, items, messageIdOn, on, run, runExpectingError, SHARED, storedMessage, unique, useExchangeSandbox } from './setup';

const sandbox = useExchangeSandbox();

describe.each(BACKENDS)('messages on $label', (backend) => {
	const test = on(backend);
	expectServedBy(backend);
	const idOf = (storeId: string) => messageIdOn(backend, storeId);

	it('lists a folder with filters, limit and body/headers options, in the documented shape', async () => {
		const tag = unique('Invoice');
		deliver(SHARED, `${tag} A`, { receivedAt: new Date('2026-01-10T10:00:00Z'), attachments: [{ filename: 'a.pdf', content: Buffer.from('pdf') }] });
		deliver(SHARED, `${tag} B`, { receivedAt: new Date('2026-01-11T10:00:00Z'), isRead: true, html: '<p>Hi <b>B</b></p>' });
		deliver(SHARED, `${tag} C`, { receivedAt: new Date('2026-01-12T10:00:00Z') });
		deliver(SHARED, 'unrelated', { receivedAt: new Date('2026-01-12T11:00:00Z') });

		const unread = await run(await test({ resource: 'message', operation: 'getMany', folder: folder('wellKnown', 'inbox'), returnAll: true, filters: { subjectContains: tag, unreadOnly: true } }));
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
			await test({ resource: 'message', operation: 'getMany', folder: folder('path', 'Inbox'), returnAll: true, filters: { subjectContains: tag, receivedAfter: '2026-01-11T00:00:00Z', receivedBefore: '2026-01-12T00:00:00Z', from: 'ann@example.com' }, options: { body: 'both', includeHeaders: true } }),
		);
		expect(windowed).toHaveLength(1);
		expect(windowed[0].json.subject).toBe(`${tag} B`);
		expect(windowed[0].json.bodyHtml).toContain('<b>B</b>');
		expect(windowed[0].json.bodyText).toBe(`Text of ${tag} B`);
		expect((windowed[0].json.internetHeaders as IDataObject).Subject).toBe(`${tag} B`);

		const withAttachments = await run(await test({ resource: 'message', operation: 'getMany', folder: folder('wellKnown', 'inbox'), returnAll: true, filters: { subjectContains: tag, hasAttachments: true }, options: { body: 'none' } }));
		expect(withAttachments.map((o) => o.json.subject)).toEqual([`${tag} A`]);
		expect(withAttachments[0].json).not.toHaveProperty('bodyText');

		const limited = await run(await test({ resource: 'message', operation: 'getMany', folder: folder('wellKnown', 'inbox'), returnAll: false, limit: 2, filters: { subjectContains: tag } }));
		expect(limited).toHaveLength(2);

		const aqs = await run(await test({ resource: 'message', operation: 'getMany', folder: folder('wellKnown', 'inbox'), returnAll: true, filters: { query: `subject:"${tag} C"` } }));
		expect(aqs.map((o) => o.json.subject)).toEqual([`${tag} C`]);
	});

	it('Get MIME returns the .eml as binary', async () => {
		const id = idOf(deliver(SHARED, unique('Mime')));
		const [output] = await run(await test({ resource: 'message', operation: 'getMime', messageId: id, binaryPropertyName: 'eml' }));
		const eml = Buffer.from(output.binary!.eml.data, 'base64').toString('utf8');
		expect(eml).toMatch(/^Subject: Mime/m);
		expect(output.binary!.eml.mimeType).toBe('message/rfc822');
		expect(output.binary!.eml.fileName).toBe('message.eml');
	});

	it('sends with cc, html and a binary attachment; delivered into the recipient mailbox, copy in Sent Items', async () => {
		const subject = unique('Send');
		const bytes = Buffer.from('%PDF-1.4 \u0000\u0001 attachment', 'latin1');
		const output = await run(
			await test(
				{ resource: 'message', operation: 'send', toEmail: `Alex <${DEMO.user}>`, subject, bodyFormat: 'html', bodyContent: '<p>Hello</p>', options: { ccEmail: DEMO.noreplyMailbox, attachments: 'invoice', importance: 'high' } },
				{ items: [binaryItem({}, { invoice: { data: bytes, fileName: 'invoice.pdf', mimeType: 'application/pdf' } })] },
			),
		);
		expect(output[0].json).toMatchObject({ sent: true, mailbox: SHARED, subject, attachments: ['invoice.pdf'], savedToSentItems: true });
		const received = sandbox().ews.store.listItems(DEMO.user, 'inbox').find((item) => item.subject === subject)!;
		expect(received.from?.email).toBe(SHARED);
		expect(received.html).toContain('<p>Hello</p>');
		expect(received.importance).toBe('High');
		expect(received.attachments).toHaveLength(1);
		expect(Buffer.compare(received.attachments[0].content, bytes)).toBe(0);
		expect(sandbox().ews.store.listItems(DEMO.noreplyMailbox, 'inbox').some((item) => item.subject === subject)).toBe(true);
		expect(sandbox().ews.store.listItems(SHARED, 'sentitems').some((item) => item.subject === subject)).toBe(true);
	});

	it('send only (no copy) when Save to Sent Items is off', async () => {
		const subject = unique('NoCopy');
		await run(await test({ resource: 'message', operation: 'send', toEmail: DEMO.user, subject, bodyContent: 'x', options: { saveToSentItems: false } }));
		expect(sandbox().ews.store.listItems(SHARED, 'sentitems').some((item) => item.subject === subject)).toBe(false);
		expect(sandbox().ews.store.sent.some((sent) => sent.subject === subject)).toBe(true);
	});

	it('reply threads on the original; reply all reaches every recipient but the mailbox itself', async () => {
		const subject = unique('Question');
		const id = idOf(deliver(SHARED, subject, { from: DEMO.user, to: [SHARED], cc: [DEMO.noreplyMailbox], messageId: '<question-1@contoso.test>' }));
		const [output] = await run(await test({ resource: 'message', operation: 'reply', messageId: id, comment: 'Thanks, on it.' }));
		expect(output.json).toMatchObject({ sent: true, kind: 'reply', respondedTo: id });
		const reply = sandbox().ews.store.listItems(DEMO.user, 'inbox').find((item) => item.subject === `RE: ${subject}`)!;
		expect(reply.inReplyTo).toBe('<question-1@contoso.test>');
		// The comment leads the body: plain text on EWS, HTML on Graph (createReply's comment).
		expect(reply.text ?? reply.html).toMatch(/^(<html><body><div>)?Thanks, on it\./);
		expect(sandbox().ews.store.listItems(DEMO.noreplyMailbox, 'inbox').some((item) => item.subject === `RE: ${subject}`)).toBe(false);

		await run(await test({ resource: 'message', operation: 'reply', messageId: id, replyAll: true, comment: 'All', options: { subject: `RE: ${subject} (all)` } }));
		const sent = sandbox().ews.store.sent.find((message) => message.subject === `RE: ${subject} (all)`)!;
		expect(sent.deliveredTo.sort()).toEqual([DEMO.user, DEMO.noreplyMailbox].sort());
	});

	it('forward carries the original attachments plus new ones from binary', async () => {
		const subject = unique('Fwd');
		const original = Buffer.from([1, 2, 3, 4, 5, 0, 255]);
		const extra = Buffer.from('extra file');
		const id = idOf(deliver(SHARED, subject, { attachments: [{ filename: 'orig.bin', content: original }] }));
		await run(
			await test(
				{ resource: 'message', operation: 'forward', messageId: id, toEmail: DEMO.user, comment: '<b>FYI</b>', commentFormat: 'html', options: { attachments: 'data' } },
				{ items: [binaryItem({}, { data: { data: extra, fileName: 'extra.txt', mimeType: 'text/plain' } })] },
			),
		);
		const forwarded = sandbox().ews.store.listItems(DEMO.user, 'inbox').find((item) => item.subject === `FW: ${subject}`)!;
		expect(forwarded.html).toContain('<b>FYI</b>');
		const byName = Object.fromEntries(forwarded.attachments.map((a) => [a.name, a.content]));
		expect(Buffer.compare(byName['orig.bin'], original)).toBe(0);
		expect(Buffer.compare(byName['extra.txt'], extra)).toBe(0);
		expect(sandbox().ews.store.listItems(SHARED, 'drafts').some((item) => item.subject.includes(subject))).toBe(false);
	});

	it('move, copy, mark as read / unread, update and delete (three modes) change the store', async () => {
		const store = sandbox().ews.store;
		const tag = unique('Ops');
		const storeIds = Array.from({ length: 3 }, (_, i) => deliver(SHARED, `${tag} ${i}`));
		const ids = storeIds.map(idOf);
		const each = (parameters: IDataObject) => test((i) => ({ ...parameters, messageId: ids[i] }), { items: items(3) });

		const copied = await run(await each({ resource: 'message', operation: 'copy', destination: folder('wellKnown', 'drafts') }));
		expect(copied.map((o) => o.json.copied)).toEqual([true, true, true]);
		expect(store.listItems(SHARED, 'drafts').filter((item) => item.subject.startsWith(tag))).toHaveLength(3);

		await run(await each({ resource: 'message', operation: 'markAsRead' }));
		expect(ids.map((id) => storedMessage(backend, id)?.isRead)).toEqual([true, true, true]);
		await run(await each({ resource: 'message', operation: 'markAsUnread' }));
		expect(ids.map((id) => storedMessage(backend, id)?.isRead)).toEqual([false, false, false]);

		const updated = await run(await each({ resource: 'message', operation: 'update', updateFields: { categories: 'Processed, Finance', flag: 'flagged', importance: 'high' } }));
		expect(updated[0].json).toMatchObject({ id: ids[0], categories: ['Processed', 'Finance'], flag: 'flagged', importance: 'high' });
		expect(storedMessage(backend, ids[2])).toMatchObject({ categories: ['Processed', 'Finance'], flag: { status: 'Flagged' }, importance: 'High' });

		const [moved] = await run(await test({ resource: 'message', operation: 'move', messageId: ids[0], destination: folder('path', 'Archive') }));
		expect(moved.json).toMatchObject({ sourceId: ids[0], moved: true });
		// The one real difference: EWS gives the moved item a new id; Graph's immutable id stays.
		expect(moved.json.id !== ids[0]).toBe(backend.idChangesOnMove);
		expect(storedMessage(backend, moved.json.id)?.folderId).toBe(store.folderByPath(SHARED, 'Archive')?.id);

		const modes = ['moveToDeletedItems', 'soft', 'hard'];
		const targets = [moved.json.id, ids[1], ids[2]];
		const deleted = await run(await test((i) => ({ resource: 'message', operation: 'delete', messageId: targets[i], deleteMode: modes[i] }), { items: items(3) }));
		expect(deleted.map((o) => o.json.deleted)).toEqual([true, true, true]);
		const left = (folderName: string) => store.listItems(SHARED, folderName).filter((item) => item.subject.startsWith(tag)).map((item) => item.subject);
		expect(left('deleteditems')).toEqual([`${tag} 0`]);
		expect(left('recoverableitemsdeletions')).toEqual([`${tag} 1`]);
		expect(left('recoverableitemspurges')).toEqual([`${tag} 2`]); // hard: purged (kept for single item recovery, out of the user's reach)
		expect([...left('inbox'), ...left('archive')]).toEqual([]);
	});

	it('a bad id fails only its own item (continueOnFail), naming the field; without continueOnFail it throws', async () => {
		const good = [idOf(deliver(SHARED, unique('ok'))), idOf(deliver(SHARED, unique('ok')))];
		const ids = [good[0], 'not-an-exchange-id', good[1]];
		const output = await run(await test((i) => ({ resource: 'message', operation: 'markAsRead', messageId: ids[i] }), { items: items(3), continueOnFail: true }));
		expect(output.map((o) => o.pairedItem)).toEqual([{ item: 0 }, { item: 1 }, { item: 2 }]);
		expect(output[1].json.error).toMatch(/^"Message ID": .*ErrorInvalidIdMalformed/);
		expect(good.map((id) => storedMessage(backend, id)?.isRead)).toEqual([true, true]);

		const goneStoreId = deliver(SHARED, unique('gone'));
		const gone = idOf(goneStoreId);
		sandbox().ews.store.removeItem(goneStoreId);
		const error = await runExpectingError(await test({ resource: 'message', operation: 'get', messageId: gone }));
		expect(error.constructor.name).toBe('NodeApiError');
		expect(error.message).toMatch(/"Message ID": .*ErrorItemNotFound/);
	});

	it('Allowed Mailboxes refuses a mailbox outside the list before any mailbox call', async () => {
		const id = idOf(deliver(SHARED, unique('Guarded')));
		const context = await test({ resource: 'message', operation: 'markAsRead', messageId: id });
		const credentialName = backend.kind === 'appOnly' ? 'microsoftExchangeAppOnlyApi' : 'microsoftExchangeOAuth2Api';
		const credentials = { [credentialName]: { ...(await context.context.getCredentials(credentialName)), allowedMailboxes: DEMO.noreplyMailbox } };
		const error = await runExpectingError(await test({ resource: 'message', operation: 'markAsRead', messageId: id }, { credentials }));
		expect(error.message).toBe(`Mailbox "${SHARED}" in "Mailbox" is not in the credential's Allowed Mailboxes`);
		expect(storedMessage(backend, id)?.isRead).toBe(false);
		// One allowed call afterwards, so the block's served-by check sees this back end's API.
		await run(context);
		expect(storedMessage(backend, id)?.isRead).toBe(true);
	});

	it('sends an attachment over 3 MB (on Graph through an upload session), byte for byte', async () => {
		const subject = unique('Big');
		const bytes = Buffer.alloc(3.5 * 1024 * 1024, 7);
		bytes.write('%PDF-1.4 big', 0, 'latin1');
		await run(await test({ resource: 'message', operation: 'send', toEmail: DEMO.user, subject, bodyContent: 'big one', options: { attachments: 'big' } }, { items: [binaryItem({}, { big: { data: bytes, fileName: 'big.pdf', mimeType: 'application/pdf' } })] }));
		const received = sandbox().ews.store.listItems(DEMO.user, 'inbox').find((item) => item.subject === subject)!;
		expect(Buffer.compare(received.attachments[0].content, bytes)).toBe(0);
		if (backend.api === 'graph') expect(sandbox().graph.requests.map((r) => r.endpoint)).toEqual(expect.arrayContaining([expect.stringMatching(/createUploadSession/)]));
	});
});

describe('EWS wire: paging', () => {
	it('pages through more than one FindItem page with Return All', async () => {
		const tag = unique('Bulk');
		for (let i = 0; i < 260; i++) deliver(SHARED, `${tag} ${i}`, { folder: 'Archive' });
		const output = await run(appOnly({ resource: 'message', operation: 'getMany', folder: folder('path', 'Archive'), returnAll: true, filters: { subjectContains: tag }, options: { body: 'none' } }));
		expect(output).toHaveLength(260);
		expect(sandbox().ews.counts().FindItem).toBe(2); // 250 per restricted page
		expect(sandbox().ews.counts().GetItem).toBe(Math.ceil(260 / 50));
	});
});


describe('batching: N input items → ⌈N / batch⌉ EWS calls, results in input order with pairedItem', () => {
	it('Get: 120 ids in 3 GetItem calls', async () => {
		const ids = Array.from({ length: 120 }, (_, i) => deliver(SHARED, `get ${i}`));
		const output = await run(appOnly((i) => ({ resource: 'message', operation: 'get', messageId: ids[i], options: { body: 'none' } }), { items: items(120) }));
		expect(sandbox().ews.counts()).toEqual({ GetItem: 3 });
		expect(output.map((o) => o.json.id)).toEqual(ids);
		expect(output.map((o) => o.pairedItem)).toEqual(ids.map((_, item) => ({ item })));
	});

	it('Move: 150 ids in 2 MoveItem calls (plus one FindFolder for the path)', async () => {
		const tag = unique('Move');
		const ids = Array.from({ length: 150 }, (_, i) => deliver(SHARED, `${tag} ${i}`));
		const output = await run(appOnly((i) => ({ resource: 'message', operation: 'move', messageId: ids[i], destination: folder('path', 'Archive') }), { items: items(150) }));
		expect(sandbox().ews.counts()).toEqual({ FindFolder: 1, MoveItem: 2 });
		expect(output).toHaveLength(150);
		expect(output.every((o, i) => o.json.sourceId === ids[i] && o.json.moved === true && typeof o.json.id === 'string' && o.json.id !== ids[i])).toBe(true);
		const archived = sandbox().ews.store.listItems(SHARED, 'Archive').filter((item) => item.subject.startsWith(tag));
		expect(archived).toHaveLength(150);
		expect(sandbox().ews.store.getItem(ids[0])).toBeUndefined();
	});

	it('groups by parameter: two destination folders → one MoveItem per folder', async () => {
		const ids = Array.from({ length: 4 }, (_, i) => deliver(SHARED, `split ${i}`));
		await run(appOnly((i) => ({ resource: 'message', operation: 'move', messageId: ids[i], destination: folder('wellKnown', i % 2 ? 'junkemail' : 'drafts') }), { items: items(4) }));
		expect(sandbox().ews.counts()).toEqual({ MoveItem: 2 });
		expect(sandbox().ews.store.listItems(SHARED, 'junkemail').map((item) => item.subject)).toEqual(expect.arrayContaining(['split 1', 'split 3']));
	});

	it('Copy, Mark as Read / Unread, Update and Delete batch too, and change the store', async () => {
		const tag = unique('Batch');
		const ids = Array.from({ length: 3 }, (_, i) => deliver(SHARED, `${tag} ${i}`));
		const each = (parameters: IDataObject) => appOnly((i) => ({ ...parameters, messageId: ids[i] }), { items: items(3) });

		const copied = await run(each({ resource: 'message', operation: 'copy', destination: folder('wellKnown', 'drafts') }));
		expect(copied.map((o) => o.json.copied)).toEqual([true, true, true]);
		expect(sandbox().ews.store.listItems(SHARED, 'drafts').filter((item) => item.subject.startsWith(tag))).toHaveLength(3);

		sandbox().ews.clearRequests();
		await run(each({ resource: 'message', operation: 'markAsRead' }));
		expect(ids.map((id) => sandbox().ews.store.getItem(id)?.isRead)).toEqual([true, true, true]);
		// Marks: one UpdateItem for all three items (no GetItem first).
		expect(sandbox().ews.counts()).toEqual({ UpdateItem: 1 });
		await run(each({ resource: 'message', operation: 'markAsUnread' }));
		expect(ids.map((id) => sandbox().ews.store.getItem(id)?.isRead)).toEqual([false, false, false]);

		const updated = await run(each({ resource: 'message', operation: 'update', updateFields: { categories: 'Processed, Finance', flag: 'flagged', importance: 'high' } }));
		expect(updated[0].json).toMatchObject({ id: ids[0], categories: ['Processed', 'Finance'], flag: 'flagged', importance: 'high' });
		const stored = sandbox().ews.store.getItem(ids[2])!;
		expect(stored.categories).toEqual(['Processed', 'Finance']);
		expect(stored.flag.status).toBe('Flagged');
		expect(stored.importance).toBe('High');

		sandbox().ews.clearRequests();
		await run(appOnly((i) => ({ resource: 'message', operation: 'delete', messageId: ids[i], deleteMode: i === 0 ? 'hard' : 'moveToDeletedItems' }), { items: items(3) }));
		expect(sandbox().ews.counts()).toEqual({ DeleteItem: 2 });
		expect(ids.map((id) => sandbox().ews.store.getItem(id))).toEqual([undefined, undefined, undefined]);
		expect(sandbox().ews.store.listItems(SHARED, 'deleteditems').filter((item) => item.subject.startsWith(tag)).map((item) => item.subject).sort()).toEqual([`${tag} 1`, `${tag} 2`]);
	});

	it('a bad id fails only its own item (continueOnFail), naming the field; the others succeed', async () => {
		const good = [deliver(SHARED, 'ok 1'), deliver(SHARED, 'ok 2')];
		const ids = [good[0], 'not-an-exchange-id', good[1]];
		const output = await run(appOnly((i) => ({ resource: 'message', operation: 'markAsRead', messageId: ids[i] }), { items: items(3), continueOnFail: true }));
		expect(output.map((o) => o.pairedItem)).toEqual([{ item: 0 }, { item: 1 }, { item: 2 }]);
		expect(output[0].json.isRead).toBe(true);
		expect(output[1].json.error).toMatch(/^"Message ID": .*ErrorInvalidIdMalformed/);
		expect(output[2].json.isRead).toBe(true);
		expect(sandbox().ews.counts()).toEqual({ UpdateItem: 1 });
	});

	it('without continueOnFail a bad id throws a NodeApiError for that item', async () => {
		const id = deliver(SHARED, 'gone');
		sandbox().ews.store.removeItem(id);
		const error = await runExpectingError(appOnly({ resource: 'message', operation: 'get', messageId: id }));
		expect(error.constructor.name).toBe('NodeApiError');
		expect(error.message).toMatch(/"Message ID": Getting the message failed: The item was not found .*\(ErrorItemNotFound\)/);
	});
});

