// Graph stand-in: every mail endpoint over the shared store, called over HTTPS with Graph tokens.
import { DEMO, type Sandbox } from '../index';
import { errorCode, graphClient, graphUserToken, SHARED, type GraphClient, type Json } from './test-client';
import { withGraphSandbox } from '../../support/useGraphSandbox';

let sandbox: Sandbox;
let graph: GraphClient;
withGraphSandbox((started, client) => {
	sandbox = started;
	graph = client;
});

let counter = 0;
/** A fresh folder below the shared mailbox's Inbox (Graph id), so tests don't see each other's mail. */
async function freshFolder(): Promise<string> {
	const reply = await graph('POST', `${SHARED}/mailFolders/inbox/childFolders`, { body: { displayName: `g${++counter}` } });
	expect(reply.status).toBe(201);
	return reply.json<Json>().id as string;
}
const deliverTo = (folderName: string, input: Partial<Parameters<Sandbox['ews']['store']['deliver']>[1]> & { subject: string }) =>
	sandbox.ews.store.deliver(DEMO.sharedMailbox, { from: 'sender@fabrikam.test', to: DEMO.sharedMailbox, folder: `Inbox/${folderName}`, ...input });
const values = (reply: { json: <T = Json>() => T }) => reply.json<Json>().value as Json[];

describe('mailFolders', () => {
	test('root children exclude hidden folders unless includeHiddenFolders=true; well-known names; childFolders', async () => {
		const hidden = await graph('POST', `${SHARED}/mailFolders`, { body: { displayName: 'Hidden one', isHidden: true } });
		expect(hidden.status).toBe(201);
		expect(hidden.json<Json>()).toMatchObject({ displayName: 'Hidden one', isHidden: true });
		const names = values(await graph('GET', `${SHARED}/mailFolders?$top=100`)).map((folder) => folder.displayName);
		expect(names).toEqual(expect.arrayContaining(['Inbox', 'Sent Items', 'Deleted Items', 'Drafts', 'Junk Email', 'Archive', 'Outbox']));
		expect(names).not.toContain('Calendar');
		expect(names).not.toContain('Hidden one');
		const withHidden = values(await graph('GET', `${SHARED}/mailFolders?includeHiddenFolders=true&$top=100`)).map((folder) => folder.displayName);
		expect(withHidden).toContain('Hidden one');

		const inbox = await graph('GET', `${SHARED}/mailFolders/INBOX`);
		expect(inbox.json<Json>()).toMatchObject({ displayName: 'Inbox', isHidden: false, childFolderCount: expect.any(Number) });
		const child = await freshFolder();
		const children = values(await graph('GET', `${SHARED}/mailFolders/inbox/childFolders?$top=1000`));
		expect(children.map((folder) => folder.id)).toContain(child);
	});

	test('list pages with $top and @odata.nextLink', async () => {
		const first = await graph('GET', `${SHARED}/mailFolders?$top=3`);
		expect(values(first)).toHaveLength(3);
		const next = first.json<Json>()['@odata.nextLink'] as string;
		expect(next).toMatch(/^https:\/\/.*\/v1\.0\/users\/.*\/mailFolders\?/);
		const second = await graph('GET', next);
		expect(values(second).map((folder) => folder.id)).not.toContain(values(first)[0].id);
	});

	test('create (duplicate name refused), rename, move, copy with messages, delete to Deleted Items then for good', async () => {
		const parent = await freshFolder();
		const created = await graph('POST', `${SHARED}/mailFolders/${parent}/childFolders`, { body: { displayName: 'Projects' } });
		expect(created.status).toBe(201);
		const id = created.json<Json>().id as string;
		expect(errorCode(await graph('POST', `${SHARED}/mailFolders/${parent}/childFolders`, { body: { displayName: 'projects' } }))).toBe('ErrorFolderExists');

		const renamed = await graph('PATCH', `${SHARED}/mailFolders/${id}`, { body: { displayName: 'Projects 2026' } });
		expect(renamed.json<Json>()).toMatchObject({ id, displayName: 'Projects 2026' });

		sandbox.ews.store.deliver(DEMO.sharedMailbox, { from: 'a@b.test', to: DEMO.sharedMailbox, subject: 'inside', folder: `Inbox/g${counter}/Projects 2026` });
		const copy = await graph('POST', `${SHARED}/mailFolders/${id}/copy`, { body: { destinationId: 'archive' } });
		expect(copy.status).toBe(201);
		expect(copy.json<Json>()).toMatchObject({ displayName: 'Projects 2026', totalItemCount: 1 });
		expect(copy.json<Json>().id).not.toBe(id);

		const moved = await graph('POST', `${SHARED}/mailFolders/${id}/move`, { body: { destinationId: 'msgfolderroot' } });
		expect(moved.status).toBe(201);
		expect(moved.json<Json>().id).toBe(id); // folder ids never change
		const root = await graph('GET', `${SHARED}/mailFolders/msgfolderroot`);
		expect(moved.json<Json>().parentFolderId).toBe(root.json<Json>().id);

		expect((await graph('DELETE', `${SHARED}/mailFolders/${id}`)).status).toBe(204);
		const deletedItems = (await graph('GET', `${SHARED}/mailFolders/deleteditems`)).json<Json>().id;
		expect((await graph('GET', `${SHARED}/mailFolders/${id}`)).json<Json>().parentFolderId).toBe(deletedItems);
		expect((await graph('DELETE', `${SHARED}/mailFolders/${id}`)).status).toBe(204);
		expect(errorCode(await graph('GET', `${SHARED}/mailFolders/${id}`))).toBe('ErrorItemNotFound');
	});

	test('$filter on displayName; permanentDelete of a folder', async () => {
		const parent = await freshFolder();
		for (const name of ['Alpha', 'Beta', 'Alphabet']) await graph('POST', `${SHARED}/mailFolders/${parent}/childFolders`, { body: { displayName: name } });
		const starts = values(await graph('GET', `${SHARED}/mailFolders/${parent}/childFolders?$filter=${encodeURIComponent("startswith(displayName,'alpha')")}`));
		expect(starts.map((folder) => folder.displayName).sort()).toEqual(['Alpha', 'Alphabet']);
		const [beta] = values(await graph('GET', `${SHARED}/mailFolders/${parent}/childFolders?$filter=${encodeURIComponent("displayName eq 'Beta'")}`));
		expect(errorCode(await graph('GET', `${SHARED}/mailFolders/${parent}/childFolders?$filter=${encodeURIComponent("colour eq 'x'")}`))).toBe('RequestBroker--ParseUri');
		expect((await graph('POST', `${SHARED}/mailFolders/${beta.id}/permanentDelete`)).status).toBe(204);
		expect(errorCode(await graph('GET', `${SHARED}/mailFolders/${beta.id}`))).toBe('ErrorItemNotFound');
	});

	test('well-known folders cannot be deleted, renamed or moved', async () => {
		expect(errorCode(await graph('DELETE', `${SHARED}/mailFolders/inbox`))).toBe('ErrorDeleteDistinguishedFolder');
		expect(errorCode(await graph('PATCH', `${SHARED}/mailFolders/inbox`, { body: { displayName: 'x' } }))).toBe('ErrorCannotRenameDistinguishedFolder');
		expect(errorCode(await graph('POST', `${SHARED}/mailFolders/inbox/move`, { body: { destinationId: 'archive' } }))).toBe('ErrorMoveDistinguishedFolder');
	});
});

describe('messages: list', () => {
	let folder: string;
	let folderName: string;
	const base = new Date('2026-03-01T10:00:00Z').getTime();
	beforeAll(async () => {
		folder = await freshFolder();
		folderName = `g${counter}`;
		for (let i = 0; i < 12; i++) {
			deliverTo(folderName, {
				subject: `List ${String(i).padStart(2, '0')}${i % 3 === 0 ? ' invoice' : ''}`,
				from: i % 2 ? 'odd@fabrikam.test' : 'even@northwind.test',
				receivedAt: new Date(base + i * 3600_000),
				isRead: i % 4 === 0,
				attachments: i === 5 ? [{ filename: 'a.txt', content: 'x' }] : [],
				text: i === 7 ? 'the secret word is pineapple' : 'plain',
			});
		}
	});
	const subjects = (reply: { json: <T = Json>() => T }) => values(reply).map((message) => message.subject as string);

	test('default: 10 newest first, then nextLink with the rest', async () => {
		const first = await graph('GET', `${SHARED}/mailFolders/${folder}/messages`);
		expect(subjects(first)).toHaveLength(10);
		expect(subjects(first)[0]).toBe('List 11');
		const second = await graph('GET', first.json<Json>()['@odata.nextLink']);
		expect(subjects(second)).toEqual(['List 01', 'List 00 invoice']);
		expect(second.json<Json>()['@odata.nextLink']).toBeUndefined();
	});

	test('$select returns only id, @odata.etag and the selected properties', async () => {
		const reply = await graph('GET', `${SHARED}/mailFolders/${folder}/messages?$select=subject,from&$top=1`);
		expect(Object.keys(values(reply)[0]).sort()).toEqual(['@odata.etag', 'from', 'id', 'subject']);
	});

	test.each([
		['isRead eq true', ['List 00 invoice', 'List 04', 'List 08']],
		['hasAttachments eq true', ['List 05']],
		["from/emailAddress/address eq 'ODD@fabrikam.test' and receivedDateTime ge 2026-03-01T18:00:00Z", ['List 09 invoice', 'List 11']],
		["contains(subject,'invoice') and not (isRead eq true)", ['List 03 invoice', 'List 06 invoice', 'List 09 invoice']],
		["startswith(subject,'List 1') or receivedDateTime lt 2026-03-01T11:00:00Z", ['List 00 invoice', 'List 10', 'List 11']],
	])('$filter=%s', async (filter, expected) => {
		const reply = await graph('GET', `${SHARED}/mailFolders/${folder}/messages?$filter=${encodeURIComponent(filter)}&$top=50`);
		expect(reply.status).toBe(200);
		expect(subjects(reply).sort()).toEqual(expected);
	});

	test('$orderby with a matching $filter; $top bounds', async () => {
		const reply = await graph('GET', `${SHARED}/mailFolders/${folder}/messages?$filter=${encodeURIComponent('receivedDateTime ge 2026-03-01T00:00:00Z')}&$orderby=receivedDateTime asc&$top=2`);
		expect(subjects(reply)).toEqual(['List 00 invoice', 'List 01']);
		expect(subjects(await graph('GET', `${SHARED}/mailFolders/${folder}/messages?$orderby=subject desc&$top=1`))).toEqual(['List 11']);
		expect(subjects(await graph('GET', `${SHARED}/mailFolders/${folder}/messages?$top=1000`))).toHaveLength(12);
		for (const top of ['0', '1001', 'x']) expect((await graph('GET', `${SHARED}/mailFolders/${folder}/messages?$top=${top}`)).status).toBe(400);
	});

	test('$search finds words in subject, body and sender', async () => {
		expect(subjects(await graph('GET', `${SHARED}/mailFolders/${folder}/messages?$search="pineapple"`))).toEqual(['List 07']);
		expect(subjects(await graph('GET', `${SHARED}/mailFolders/${folder}/messages?$search="from:northwind subject:invoice"&$top=50`)).sort()).toEqual(['List 00 invoice', 'List 06 invoice']);
	});

	test('$expand=attachments (with its own $select), $count=true, $orderBy in any case; unknown options refused', async () => {
		const reply = await graph('GET', `${SHARED}/mailFolders/${folder}/messages?$filter=hasAttachments%20eq%20true&$expand=attachments($select=name,size)&$select=subject&$count=true`);
		expect(reply.json<Json>()['@odata.count']).toBe(1);
		expect(values(reply)[0].attachments).toEqual([{ '@odata.type': '#microsoft.graph.fileAttachment', id: expect.any(String), name: 'a.txt', size: 1 }]);
		expect(subjects(await graph('GET', `${SHARED}/mailFolders/${folder}/messages?$orderBy=subject%20asc&$top=1`))).toEqual(['List 00 invoice']);
		expect(errorCode(await graph('GET', `${SHARED}/mailFolders/${folder}/messages?$expand=singleValueExtendedProperties`))).toBe('BadRequest');
		expect(errorCode(await graph('GET', `${SHARED}/mailFolders/${folder}/messages?$expand=nothing`))).toBe('RequestBroker--ParseUri');
		expect(errorCode(await graph('GET', `${SHARED}/mailFolders/${folder}/messages?$levels=2`))).toBe('BadRequest');
	});

	test('the whole mailbox (/messages) spans folders but not Recoverable Items', async () => {
		const reply = await graph('GET', `${SHARED}/messages?$filter=${encodeURIComponent("startswith(subject,'List 0')")}&$top=100`);
		expect(subjects(reply)).toHaveLength(10);
	});
});

describe('messages: one message', () => {
	test('get (default shape), Prefer text body, $value MIME, patch flags, delete to Deleted Items', async () => {
		const folder = await freshFolder();
		deliverTo(`g${counter}`, { subject: 'One', html: '<p>Hello <b>there</b></p>', categories: ['Blue'] });
		const [listed] = values(await graph('GET', `${SHARED}/mailFolders/${folder}/messages`));
		const id = listed.id as string;

		const got = await graph('GET', `${SHARED}/messages/${id}`);
		expect(got.json<Json>()).toMatchObject({ id, subject: 'One', isRead: false, importance: 'normal', categories: ['Blue'], body: { contentType: 'html' }, flag: { flagStatus: 'notFlagged' }, parentFolderId: folder });
		const text = await graph('GET', `${SHARED}/messages/${id}`, { headers: { Prefer: 'outlook.body-content-type="text"' } });
		expect(text.json<Json>().body).toEqual({ contentType: 'text', content: expect.stringContaining('Hello there') });
		expect(text.headers['preference-applied']).toBe('outlook.body-content-type="text"');

		const mime = await graph('GET', `${SHARED}/messages/${id}/$value`);
		expect(mime.headers['content-type']).toMatch(/^text\/plain/);
		expect(mime.text).toMatch(/^Subject: One/m);

		const patched = await graph('PATCH', `${SHARED}/messages/${id}`, {
			body: { isRead: true, categories: ['Red', 'Green'], importance: 'high', flag: { flagStatus: 'flagged', dueDateTime: { dateTime: '2026-04-01T00:00:00', timeZone: 'UTC' } } },
		});
		expect(patched.status).toBe(200);
		expect(patched.json<Json>()).toMatchObject({ isRead: true, categories: ['Red', 'Green'], importance: 'high', flag: { flagStatus: 'flagged', dueDateTime: { timeZone: 'UTC' } } });
		expect(errorCode(await graph('PATCH', `${SHARED}/messages/${id}`, { body: { subject: 'changed' } }))).toBe('ErrorInvalidPropertyUpdateSentMessage');

		const copy = await graph('POST', `${SHARED}/messages/${id}/copy`, { body: { destinationId: 'archive' } });
		expect(copy.status).toBe(201);
		expect(copy.json<Json>().subject).toBe('One');

		expect((await graph('DELETE', `${SHARED}/messages/${id}`)).status).toBe(204);
		const deleted = values(await graph('GET', `${SHARED}/mailFolders/deleteditems/messages?$top=1000`));
		expect(deleted.map((message) => message.subject)).toContain('One');
	});

	test('permanentDelete purges a message (not in Deleted Items, not reachable)', async () => {
		const folder = await freshFolder();
		const ewsId = deliverTo(`g${counter}`, { subject: 'Purge me' });
		const [message] = values(await graph('GET', `${SHARED}/mailFolders/${folder}/messages`));
		expect((await graph('POST', `${SHARED}/messages/${message.id}/permanentDelete`)).status).toBe(204);
		expect(errorCode(await graph('GET', `${SHARED}/messages/${message.id}`))).toBe('ErrorItemNotFound');
		expect(sandbox.ews.store.getItem(ewsId)).toBeUndefined();
		expect(sandbox.ews.store.listItems(DEMO.sharedMailbox, 'recoverableitemspurges').map((item) => item.subject)).toContain('Purge me');
	});

	test('translateExchangeIds: ewsId ↔ restId ↔ restImmutableEntryId; ids of another mailbox get errorDetails', async () => {
		const ewsId = sandbox.ews.store.deliver(DEMO.sharedMailbox, { from: 'a@b.test', to: DEMO.sharedMailbox, subject: 'Translate me' });
		const otherMailbox = sandbox.ews.store.deliver(DEMO.user, { from: 'a@b.test', to: DEMO.user, subject: 'elsewhere' });
		const translate = async (inputIds: string[], sourceIdType: string, targetIdType: string) =>
			values(await graph('POST', `${SHARED}/translateExchangeIds`, { body: { inputIds, sourceIdType, targetIdType } }));
		const [rest, foreign] = await translate([ewsId, otherMailbox], 'ewsId', 'restId');
		expect(foreign).toMatchObject({ sourceId: otherMailbox, errorDetails: { code: 'ErrorItemNotFound' } });
		expect((await graph('GET', `${SHARED}/messages/${rest.targetId}?$select=subject`)).json<Json>().subject).toBe('Translate me');
		const [immutable] = await translate([rest.targetId], 'restId', 'restImmutableEntryId');
		const [back] = await translate([immutable.targetId], 'restImmutableEntryId', 'ewsId');
		expect(back.targetId).toBe(ewsId);
		expect((await graph('POST', `${SHARED}/translateExchangeIds`, { body: { inputIds: [ewsId], sourceIdType: 'entryId', targetIdType: 'restId' } })).status).toBe(400);
	});

	test('a regular id changes on a move; an immutable id (Prefer: IdType="ImmutableId") survives it', async () => {
		const folder = await freshFolder();
		deliverTo(`g${counter}`, { subject: 'Mover' });
		const immutable = { Prefer: 'IdType="ImmutableId"' };
		const [regular] = values(await graph('GET', `${SHARED}/mailFolders/${folder}/messages`));
		const [stable] = values(await graph('GET', `${SHARED}/mailFolders/${folder}/messages`, { headers: immutable }));
		expect(stable.id).not.toBe(regular.id);
		const moved = await graph('POST', `${SHARED}/messages/${stable.id}/move`, { body: { destinationId: 'archive' }, headers: immutable });
		expect(moved.json<Json>().id).toBe(stable.id);
		expect((await graph('GET', `${SHARED}/messages/${stable.id}`, { headers: immutable })).json<Json>().subject).toBe('Mover');
		expect(errorCode(await graph('GET', `${SHARED}/messages/${regular.id}`))).toBe('ErrorItemNotFound');
		const movedRegular = (await graph('GET', `${SHARED}/messages/${stable.id}`)).json<Json>().id;
		expect(movedRegular).not.toBe(regular.id);
	});
});

describe('sending', () => {
	const inboxSubjects = (mailbox: string) => sandbox.ews.store.listItems(mailbox, 'inbox').map((item) => item.subject);
	const sentSubjects = (mailbox: string) => sandbox.ews.store.listItems(mailbox, 'sentitems').map((item) => item.subject);

	test('sendMail (JSON) delivers, keeps a copy in Sent Items, or not with saveToSentItems=false', async () => {
		const message = (subject: string) => ({ subject, body: { contentType: 'Text', content: 'hi' }, toRecipients: [{ emailAddress: { address: DEMO.user } }], attachments: [{ '@odata.type': '#microsoft.graph.fileAttachment', name: 'a.txt', contentType: 'text/plain', contentBytes: Buffer.from('abc').toString('base64') }] });
		expect((await graph('POST', `${SHARED}/sendMail`, { body: { message: message('Sent by Graph') } })).status).toBe(202);
		expect(inboxSubjects(DEMO.user)).toContain('Sent by Graph');
		expect(sentSubjects(DEMO.sharedMailbox)).toContain('Sent by Graph');
		const delivered = sandbox.ews.store.listItems(DEMO.user, 'inbox').find((item) => item.subject === 'Sent by Graph');
		expect(delivered?.attachments.map((attachment) => attachment.content.toString())).toEqual(['abc']);

		expect((await graph('POST', `${SHARED}/sendMail`, { body: { message: message('Not saved'), saveToSentItems: 'false' } })).status).toBe(202);
		expect(inboxSubjects(DEMO.user)).toContain('Not saved');
		expect(sentSubjects(DEMO.sharedMailbox)).not.toContain('Not saved');
		expect(errorCode(await graph('POST', `${SHARED}/sendMail`, { body: { message: { subject: 'nobody' } } }))).toBe('ErrorInvalidRecipients');
		expect(errorCode(await graph('POST', `${SHARED}/sendMail`, { body: { message: { ...message('as'), from: { emailAddress: { address: 'ceo@contoso.test' } } } } }))).toBe('ErrorSendAsDenied');
	});

	test('sendMail with base64 MIME (text/plain); malformed base64 is ErrorMimeContentInvalidBase64String', async () => {
		const mime = `From: ${DEMO.sharedMailbox}\r\nTo: ${DEMO.user}\r\nSubject: MIME by Graph\r\nContent-Type: text/plain\r\n\r\nbody\r\n`;
		const sent = await graph('POST', `${SHARED}/sendMail`, { rawBody: Buffer.from(mime).toString('base64'), headers: { 'Content-Type': 'text/plain' } });
		expect(sent.status).toBe(202);
		expect(inboxSubjects(DEMO.user)).toContain('MIME by Graph');
		const bad = await graph('POST', `${SHARED}/sendMail`, { rawBody: 'not base64!!', headers: { 'Content-Type': 'text/plain' } });
		expect(bad.status).toBe(400);
		expect(errorCode(bad)).toBe('ErrorMimeContentInvalidBase64String');
	});

	test('createReply / createReplyAll / createForward make drafts; reply / replyAll / forward send', async () => {
		const original = sandbox.ews.store.deliver(DEMO.sharedMailbox, { from: DEMO.user, to: [DEMO.sharedMailbox, 'bob@contoso.test'], cc: 'carol@fabrikam.test', subject: 'Question' });
		const [message] = values(await graph('GET', `${SHARED}/messages?$filter=${encodeURIComponent("subject eq 'Question'")}`));
		expect(original).toBeDefined();
		const draft = await graph('POST', `${SHARED}/messages/${message.id}/createReply`, { body: { comment: 'Draft answer' } });
		expect(draft.status).toBe(201);
		expect(draft.json<Json>()).toMatchObject({ subject: 'RE: Question', isDraft: true, toRecipients: [{ emailAddress: { address: DEMO.user } }] });
		const all = await graph('POST', `${SHARED}/messages/${message.id}/createReplyAll`);
		expect(all.json<Json>().toRecipients.map((r: Json) => r.emailAddress.address)).toEqual([DEMO.user, 'bob@contoso.test']);
		expect(all.json<Json>().ccRecipients.map((r: Json) => r.emailAddress.address)).toEqual(['carol@fabrikam.test']);
		const forward = await graph('POST', `${SHARED}/messages/${message.id}/createForward`, { body: { toRecipients: [{ emailAddress: { address: 'dan@fabrikam.test' } }] } });
		expect(forward.json<Json>().subject).toBe('FW: Question');

		expect((await graph('POST', `${SHARED}/messages/${message.id}/reply`, { body: { comment: 'Yes.' } })).status).toBe(202);
		expect(inboxSubjects(DEMO.user)).toContain('RE: Question');
		expect((await graph('POST', `${SHARED}/messages/${message.id}/forward`, { body: { comment: 'FYI', toRecipients: [{ emailAddress: { address: DEMO.user } }] } })).status).toBe(202);
		expect(inboxSubjects(DEMO.user)).toContain('FW: Question');
		expect(errorCode(await graph('POST', `${SHARED}/messages/${message.id}/forward`, { body: { comment: 'to nobody' } }))).toBe('ErrorInvalidRecipients');
		expect((await graph('POST', `${SHARED}/messages/${draft.json<Json>().id}/send`)).status).toBe(202);
		expect(sandbox.ews.store.sent.filter((sent) => sent.subject === 'RE: Question')).toHaveLength(2);
	});

	test('drafts: create, update content, send', async () => {
		const draft = await graph('POST', `${SHARED}/messages`, { body: { subject: 'Draft 1', toRecipients: [{ emailAddress: { address: DEMO.user } }] } });
		expect(draft.status).toBe(201);
		const id = draft.json<Json>().id;
		expect((await graph('PATCH', `${SHARED}/messages/${id}`, { body: { subject: 'Draft 1 final', body: { contentType: 'text', content: 'done' } } })).json<Json>().subject).toBe('Draft 1 final');
		expect((await graph('POST', `${SHARED}/messages/${id}/send`)).status).toBe(202);
		expect(inboxSubjects(DEMO.user)).toContain('Draft 1 final');
		expect(errorCode(await graph('GET', `${SHARED}/messages/${id}`))).toBe('ErrorItemNotFound');
	});
});

describe('attachments', () => {
	test('list, get, $value, add under 3 MB (3 MB or more refused), delete', async () => {
		const folder = await freshFolder();
		deliverTo(`g${counter}`, { subject: 'With files', attachments: [{ filename: 'report.pdf', content: Buffer.from('%PDF-1.4 fake'), contentType: 'application/pdf' }] });
		const [message] = values(await graph('GET', `${SHARED}/mailFolders/${folder}/messages`));
		const list = values(await graph('GET', `${SHARED}/messages/${message.id}/attachments`));
		expect(list).toEqual([expect.objectContaining({ '@odata.type': '#microsoft.graph.fileAttachment', name: 'report.pdf', size: 13, contentType: 'application/pdf', isInline: false })]);
		const one = await graph('GET', `${SHARED}/messages/${message.id}/attachments/${list[0].id}`);
		expect(Buffer.from(one.json<Json>().contentBytes, 'base64').toString()).toBe('%PDF-1.4 fake');
		const raw = await graph('GET', `${SHARED}/messages/${message.id}/attachments/${list[0].id}/$value`);
		expect(raw.text).toBe('%PDF-1.4 fake');
		expect(raw.headers['content-type']).toBe('application/pdf');

		const added = await graph('POST', `${SHARED}/messages/${message.id}/attachments`, { body: { '@odata.type': '#microsoft.graph.fileAttachment', name: 'b.txt', contentBytes: Buffer.from('bee').toString('base64') } });
		expect(added.status).toBe(201);
		const big = Buffer.alloc(3 * 1024 * 1024, 1).toString('base64');
		expect((await graph('POST', `${SHARED}/messages/${message.id}/attachments`, { body: { '@odata.type': '#microsoft.graph.fileAttachment', name: 'big.bin', contentBytes: big } })).status).toBe(413);
		expect((await graph('DELETE', `${SHARED}/messages/${message.id}/attachments/${added.json<Json>().id}`)).status).toBe(204);
		expect(values(await graph('GET', `${SHARED}/messages/${message.id}/attachments`))).toHaveLength(1);
	});

	test('upload session: ranges in order to a URL that refuses an Authorization header; final 201 with Location', async () => {
		const draft = (await graph('POST', `${SHARED}/messages`, { body: { subject: 'Big one', toRecipients: [{ emailAddress: { address: DEMO.user } }] } })).json<Json>();
		const size = 5 * 1024 * 1024;
		expect(errorCode(await graph('POST', `${SHARED}/messages/${draft.id}/attachments/createUploadSession`, { body: { AttachmentItem: { attachmentType: 'file', name: 'small.bin', size: 1000 } } }))).toBe('ErrorAttachmentSizeShouldNotBeLessThanMinimumSize');
		const session = await graph('POST', `${SHARED}/messages/${draft.id}/attachments/createUploadSession`, { body: { AttachmentItem: { attachmentType: 'file', name: 'big.bin', size } } });
		expect(session.status).toBe(201);
		expect(session.json<Json>()).toMatchObject({ uploadUrl: expect.stringMatching(/^https:/), nextExpectedRanges: ['0-'] });
		const url = session.json<Json>().uploadUrl as string;
		const content = Buffer.alloc(size, 7);
		const put = (start: number, end: number, withAuth = false) =>
			graph('PUT', url, { token: withAuth ? undefined : null, rawBody: content.subarray(start, end + 1).toString('latin1'), headers: { 'Content-Type': 'application/octet-stream', 'Content-Range': `bytes ${start}-${end}/${size}` } });
		const range = 10 * 320 * 1024;
		expect((await put(0, range - 1, true)).status).toBe(401);
		expect(errorCode(await put(0, 3 * 1024 * 1024 - 1))).toBe('invalidRange'); // not a multiple of 320 KiB
		const first = await put(0, range - 1);
		expect(first.status).toBe(200);
		expect(first.json<Json>().nextExpectedRanges).toEqual([`${range}-${size - 1}`]);
		expect((await put(0, 10)).status).toBe(416);
		const last = await put(range, size - 1);
		expect(last.status).toBe(201);
		expect(last.headers.location).toMatch(/Attachments\('/);
		const attachments = values(await graph('GET', `${SHARED}/messages/${draft.id}/attachments?$select=name,size`));
		expect(attachments).toEqual([expect.objectContaining({ name: 'big.bin', size })]);
	});
});

describe('delegated /me', () => {
	test('the signed-in user reaches their own mailbox and a shared one with .Shared scopes and FullAccess', async () => {
		const me = graphClient(sandbox, () => graphUserToken(sandbox));
		expect((await me('GET', '/me/mailFolders/inbox')).status).toBe(200);
		expect((await me('GET', `${SHARED}/mailFolders/inbox`)).status).toBe(200);
	});
});
