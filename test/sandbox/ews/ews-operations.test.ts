// EWS stand-in driven by the real ews-javascript-api 0.15.3: folders, search, items, sending, attachments, sync.
import { DEMO, startSandbox, type Sandbox } from '../index';
import type { ExchangeService } from 'ews-javascript-api';
import { appToken, escapeXml, ews, exchangeService, rejection, userToken } from './test-client';

process.env.TZ = 'UTC'; // ews-javascript-api sends TimeZoneContext from TZ

let sandbox: Sandbox;
let app: ExchangeService; // app-only, impersonating the shared mailbox
let user: ExchangeService; // delegated, Alex's own mailbox

beforeAll(async () => {
	sandbox = await startSandbox({ log: (line) => process.env.EWS_DEBUG && console.log(line) });
	app = exchangeService(sandbox, { token: appToken(sandbox), impersonate: DEMO.sharedMailbox }).svc;
	user = exchangeService(sandbox, { token: userToken(sandbox) }).svc;
});

afterAll(async () => {
	await sandbox?.stop();
});

beforeEach(() => sandbox.ews.reset());

let folderCounter = 0;
/** A fresh folder below the shared mailbox's Inbox, so tests don't see each other's mail. */
function freshFolder(mailbox: string = DEMO.sharedMailbox) {
	return sandbox.ews.store.createFolder(mailbox, 'inbox', `t${++folderCounter}`);
}

const folderId = (id: string) => new (ews().FolderId)(id);
const itemId = (id: string) => new (ews().ItemId)(id);

describe('folders', () => {
	test('GetFolder: distinguished inbox (own and via <t:Mailbox>) with counts, and by FolderId', async () => {
		const { Folder, WellKnownFolderName, FolderId, Mailbox } = ews();
		const inbox = sandbox.ews.store.distinguishedFolder(DEMO.sharedMailbox, 'inbox');
		sandbox.ews.store.deliver(DEMO.sharedMailbox, { from: 'x@example.test', to: DEMO.sharedMailbox, subject: 'count me' });
		const expectedTotal = sandbox.ews.store.listItems(DEMO.sharedMailbox, 'inbox').length;
		const expectedUnread = sandbox.ews.store.listItems(DEMO.sharedMailbox, 'inbox').filter((item) => !item.isRead).length;

		const bound = await Folder.Bind(app, WellKnownFolderName.Inbox);
		expect(bound.DisplayName).toBe('Inbox');
		expect(bound.TotalCount).toBe(expectedTotal);
		expect(bound.UnreadCount).toBe(expectedUnread);
		expect(bound.ChildFolderCount).toBe(sandbox.ews.store.childFolders(inbox!.id).length);
		expect(bound.Id.UniqueId).toBe(inbox!.id);

		// Delegated user with FullAccess opens the shared mailbox's inbox explicitly.
		const shared = await Folder.Bind(user, new FolderId(WellKnownFolderName.Inbox, new Mailbox(DEMO.sharedMailbox)));
		expect(shared.Id.UniqueId).toBe(inbox!.id);

		const byId = await Folder.Bind(app, folderId(inbox!.id));
		expect(byId.DisplayName).toBe('Inbox');
		expect(sandbox.ews.counts().GetFolder).toBe(3);
	});

	test('GetFolder: unknown and malformed folder ids answer per-message errors', async () => {
		const { Folder } = ews();
		const missing = await rejection<{ ErrorCode: number }>(Folder.Bind(app, folderId(Buffer.alloc(36, 7).toString('base64'))));
		expect(ews().ServiceError[missing.ErrorCode]).toBe('ErrorInvalidIdMalformed');
		const doomed = freshFolder();
		sandbox.ews.store.deleteFolder(doomed.id);
		const gone = await rejection<{ ErrorCode: number }>(Folder.Bind(app, folderId(doomed.id)));
		expect(ews().ServiceError[gone.ErrorCode]).toBe('ErrorFolderNotFound');
	});

	test('FindFolder: shallow vs deep traversal and paging', async () => {
		const { FolderView, FolderTraversal } = ews();
		const parent = freshFolder();
		for (const name of ['a', 'b', 'c']) sandbox.ews.store.createFolder(DEMO.sharedMailbox, parent.id, name);
		sandbox.ews.store.createFolder(DEMO.sharedMailbox, sandbox.ews.store.folderByPath(DEMO.sharedMailbox, `Inbox/${parent.displayName}/a`)!.id, 'deep');

		const shallow = await app.FindFolders(folderId(parent.id), new FolderView(10));
		expect(shallow.Folders.map((folder) => folder.DisplayName).sort()).toEqual(['a', 'b', 'c']);

		const deepView = new FolderView(10);
		deepView.Traversal = FolderTraversal.Deep;
		const deep = await app.FindFolders(folderId(parent.id), deepView);
		expect(deep.TotalCount).toBe(4);

		const firstPage = await app.FindFolders(folderId(parent.id), new FolderView(2));
		expect(firstPage.Folders).toHaveLength(2);
		expect(firstPage.MoreAvailable).toBe(true);
		// ews-javascript-api 0.15.3 never copies IndexedPagingOffset into FindFoldersResults.NextPageOffset: page by count.
		expect(firstPage.NextPageOffset).toBeNull();
		const secondPage = await app.FindFolders(folderId(parent.id), new FolderView(2, 2));
		expect(secondPage.Folders).toHaveLength(1);
		expect(secondPage.MoreAvailable).toBe(false);
	});

	test('CreateFolder, UpdateFolder (rename), EmptyFolder (with subfolders), DeleteFolder', async () => {
		const { Folder, DeleteMode } = ews();
		const parent = freshFolder();
		const created = new Folder(app);
		created.DisplayName = 'Processed';
		await created.Save(folderId(parent.id));
		const stored = sandbox.ews.store.folderByPath(DEMO.sharedMailbox, `Inbox/${parent.displayName}/Processed`);
		expect(stored?.id).toBe(created.Id.UniqueId);

		const duplicate = new Folder(app);
		duplicate.DisplayName = 'processed';
		const exists = await rejection<{ ErrorCode: number }>(duplicate.Save(folderId(parent.id)));
		expect(ews().ServiceError[exists.ErrorCode]).toBe('ErrorFolderExists');

		created.DisplayName = 'Done';
		await created.Update();
		expect(sandbox.ews.store.folder(created.Id.UniqueId)?.displayName).toBe('Done');

		sandbox.ews.store.deliver(DEMO.sharedMailbox, { from: 'a@example.test', to: DEMO.sharedMailbox, subject: 'x', folder: created.Id.UniqueId });
		sandbox.ews.store.createFolder(DEMO.sharedMailbox, created.Id.UniqueId, 'Sub');
		await created.Empty(DeleteMode.HardDelete, true);
		expect(sandbox.ews.store.listItemsIn(created.Id.UniqueId)).toHaveLength(0);
		expect(sandbox.ews.store.childFolders(created.Id.UniqueId)).toHaveLength(0);

		await created.Delete(DeleteMode.HardDelete);
		expect(sandbox.ews.store.folder(created.Id.UniqueId)).toBeUndefined();

		const inbox = await Folder.Bind(app, ews().WellKnownFolderName.Inbox);
		const refused = await rejection<{ ErrorCode: number }>(inbox.Delete(DeleteMode.HardDelete));
		expect(ews().ServiceError[refused.ErrorCode]).toBe('ErrorDeleteDistinguishedFolder');
	});
});

describe('FindItem', () => {
	function seed(count: number, folder = freshFolder()) {
		const base = Date.parse('2026-01-01T00:00:00Z');
		for (let i = 0; i < count; i++) {
			sandbox.ews.store.deliver(DEMO.sharedMailbox, {
				from: i % 2 ? 'Billing <billing@vendor.test>' : 'news@letters.test',
				to: DEMO.sharedMailbox,
				subject: i % 3 === 0 ? `Invoice ${i}` : `Newsletter ${i}`,
				text: `message ${i}`,
				receivedAt: new Date(base + i * 60_000),
				isRead: i % 4 === 0,
				importance: i === 5 ? 'High' : 'Normal',
				attachments: i === 7 ? [{ filename: 'a.pdf', content: Buffer.from('%PDF'), contentType: 'application/pdf' }] : [],
				folder: folder.id,
			});
		}
		return folder;
	}

	test('paging: IndexedPagingOffset / MoreAvailable / IncludesLastItemInRange, newest first by default', async () => {
		const { ItemView, OffsetBasePoint } = ews();
		const folder = seed(7);
		const first = await app.FindItems(folderId(folder.id), new ItemView(3));
		expect(first.TotalCount).toBe(7);
		expect(first.Items).toHaveLength(3);
		expect(first.MoreAvailable).toBe(true);
		expect(first.NextPageOffset).toBe(3);
		expect(first.Items[0].Subject).toBe('Invoice 6');
		const last = await app.FindItems(folderId(folder.id), new ItemView(3, 6, OffsetBasePoint.Beginning));
		expect(last.Items).toHaveLength(1);
		expect(last.MoreAvailable).toBe(false);
	});

	test('restrictions: IsRead, Contains (IgnoreCase substring), From, DateTimeReceived, HasAttachments, Importance, And/Or/Not', async () => {
		const { ItemView, SearchFilter, EmailMessageSchema, ItemSchema, ContainmentMode, ComparisonMode, LogicalOperator, DateTime, Importance } = ews();
		const folder = seed(12);
		const find = async (filter: InstanceType<ReturnType<typeof ews>['SearchFilter']>) =>
			(await app.FindItems(folderId(folder.id), filter, new ItemView(100))).Items.map((item) => item.Subject).sort();

		expect(await find(new SearchFilter.IsEqualTo(EmailMessageSchema.IsRead, false))).toHaveLength(9);
		expect(await find(new SearchFilter.ContainsSubstring(ItemSchema.Subject, 'INVOICE', ContainmentMode.Substring, ComparisonMode.IgnoreCase))).toEqual(
			['Invoice 0', 'Invoice 3', 'Invoice 6', 'Invoice 9'],
		);
		expect(await find(new SearchFilter.ContainsSubstring(ItemSchema.Subject, 'INVOICE', ContainmentMode.Substring, ComparisonMode.Exact))).toEqual([]);
		expect(await find(new SearchFilter.IsEqualTo(EmailMessageSchema.From, 'billing@vendor.test'))).toHaveLength(6);
		expect(
			await find(new SearchFilter.IsGreaterThanOrEqualTo(ItemSchema.DateTimeReceived, new DateTime(Date.parse('2026-01-01T00:10:00Z')))),
		).toEqual(['Newsletter 10', 'Newsletter 11']);
		expect(await find(new SearchFilter.IsEqualTo(ItemSchema.HasAttachments, true))).toEqual(['Newsletter 7']);
		expect(await find(new SearchFilter.IsEqualTo(ItemSchema.Importance, Importance.High))).toEqual(['Newsletter 5']);
		const unreadInvoices = new SearchFilter.SearchFilterCollection(LogicalOperator.And, [
			new SearchFilter.ContainsSubstring(ItemSchema.Subject, 'Invoice'),
			new SearchFilter.Not(new SearchFilter.IsEqualTo(EmailMessageSchema.IsRead, true)),
		]);
		expect(await find(unreadInvoices)).toEqual(['Invoice 3', 'Invoice 6', 'Invoice 9']);
		const either = new SearchFilter.SearchFilterCollection(LogicalOperator.Or, [
			new SearchFilter.IsEqualTo(ItemSchema.Subject, 'Invoice 0'),
			new SearchFilter.IsLessThan(ItemSchema.DateTimeReceived, new DateTime(Date.parse('2026-01-01T00:01:00Z'))),
		]);
		expect(await find(either)).toEqual(['Invoice 0']);
	});

	test('SortOrder ascending by DateTimeReceived and QueryString (subject:, from:, free text)', async () => {
		const { ItemView, ItemSchema, SortDirection } = ews();
		const folder = seed(6);
		const view = new ItemView(10);
		view.OrderBy.Add(ItemSchema.DateTimeReceived, SortDirection.Ascending);
		const sorted = await app.FindItems(folderId(folder.id), view);
		expect(sorted.Items.map((item) => item.Subject)[0]).toBe('Invoice 0');

		const bySubject = await app.FindItems(folderId(folder.id), 'subject:invoice', new ItemView(10));
		expect(bySubject.Items.map((item) => item.Subject).sort()).toEqual(['Invoice 0', 'Invoice 3']);
		const byFrom = await app.FindItems(folderId(folder.id), 'from:billing', new ItemView(10));
		expect(byFrom.TotalCount).toBe(3);
		const freeText = await app.FindItems(folderId(folder.id), '"message 4"', new ItemView(10));
		expect(freeText.Items.map((item) => item.Subject)).toEqual(['Newsletter 4']);
	});

	test('EWSFindCountLimit: pages are cut at 1000, or 250 with a restriction/QueryString (truncated, not refused)', async () => {
		const { ItemView, SearchFilter, ItemSchema } = ews();
		const folder = freshFolder();
		for (let i = 0; i < 1005; i++) sandbox.ews.store.deliver(DEMO.sharedMailbox, { from: 'bulk@example.test', to: DEMO.sharedMailbox, subject: `bulk ${i}`, folder: folder.id });
		const plain = await app.FindItems(folderId(folder.id), new ItemView(1005));
		expect(plain.Items).toHaveLength(1000);
		expect(plain.MoreAvailable).toBe(true);
		const restricted = await app.FindItems(folderId(folder.id), new SearchFilter.ContainsSubstring(ItemSchema.Subject, 'bulk'), new ItemView(1000));
		expect(restricted.Items).toHaveLength(250);
		expect(restricted.TotalCount).toBe(1005);
		expect(restricted.MoreAvailable).toBe(true);
		expect(restricted.NextPageOffset).toBe(250);
		const aqs = await app.FindItems(folderId(folder.id), 'subject:bulk', new ItemView(300));
		expect(aqs.Items).toHaveLength(250);
	}, 30_000);
});

describe('GetItem', () => {
	test('several ids per call: one response per id, in order, with per-id errors', async () => {
		const { PropertySet, BasePropertySet, ServiceResult, ServiceError } = ews();
		const folder = freshFolder();
		const a = sandbox.ews.store.deliver(DEMO.sharedMailbox, { from: 'a@example.test', to: DEMO.sharedMailbox, subject: 'A', folder: folder.id });
		const b = sandbox.ews.store.deliver(DEMO.sharedMailbox, { from: 'b@example.test', to: DEMO.sharedMailbox, subject: 'B', folder: folder.id });
		const gone = sandbox.ews.store.deliver(DEMO.sharedMailbox, { from: 'c@example.test', to: DEMO.sharedMailbox, subject: 'C', folder: folder.id });
		sandbox.ews.store.removeItem(gone);
		const responses = await app.BindToItems([itemId(b), itemId(gone), itemId('not-an-id'), itemId(a)], new PropertySet(BasePropertySet.FirstClassProperties));
		expect(responses.Count).toBe(4);
		const results = responses.Responses.map((response) => [ServiceResult[response.Result], response.Result === ServiceResult.Success ? response.Item.Subject : ServiceError[response.ErrorCode]]);
		expect(results).toEqual([
			['Success', 'B'],
			['Error', 'ErrorItemNotFound'],
			['Error', 'ErrorInvalidIdMalformed'],
			['Success', 'A'],
		]);
		expect(sandbox.ews.requests.at(-1)).toMatchObject({ operation: 'GetItem', itemCount: 4, responseCode: 'ErrorItemNotFound' });
	});

	test('shapes: IdOnly, FirstClassProperties (body, recipients, attachments), BodyType Text, MIME and headers', async () => {
		const { EmailMessage, PropertySet, BasePropertySet, ItemSchema, EmailMessageSchema, BodyType } = ews();
		const id = sandbox.ews.store.deliver(DEMO.sharedMailbox, {
			from: 'Vendor <vendor@example.test>',
			to: [DEMO.sharedMailbox],
			cc: 'boss@example.test',
			subject: 'Invoice 42',
			html: '<p>Please <b>pay</b></p>',
			attachments: [{ filename: 'invoice.pdf', content: Buffer.from('%PDF-1.4 test'), contentType: 'application/pdf' }],
			categories: ['Finance'],
		});
		const idOnly = await EmailMessage.Bind(app, itemId(id), new PropertySet(BasePropertySet.IdOnly));
		expect(idOnly.Id.UniqueId).toBe(id);
		expect(() => idOnly.Subject).toThrow();

		const full = await EmailMessage.Bind(app, itemId(id), new PropertySet(BasePropertySet.FirstClassProperties));
		expect(full.Subject).toBe('Invoice 42');
		expect(full.From.Address).toBe('vendor@example.test');
		expect(full.From.Name).toBe('Vendor');
		expect(full.CcRecipients.GetEnumerator().map((address) => address.Address)).toEqual(['boss@example.test']);
		expect(full.Body.BodyType).toBe(BodyType.HTML);
		expect(full.Body.Text).toContain('<b>pay</b>');
		expect(full.HasAttachments).toBe(true);
		expect(full.Attachments.Count).toBe(1);
		expect(full.IsRead).toBe(false);

		const textShape = new PropertySet(BasePropertySet.IdOnly, [ItemSchema.Body, ItemSchema.Categories, EmailMessageSchema.InternetMessageId]);
		textShape.RequestedBodyType = BodyType.Text;
		const asText = await EmailMessage.Bind(app, itemId(id), textShape);
		expect(asText.Body.BodyType).toBe(BodyType.Text);
		expect(asText.Body.Text).toBe('Please pay');
		expect(asText.Categories.GetEnumerator()).toEqual(['Finance']);
		expect(asText.InternetMessageId).toBe(sandbox.ews.store.getItem(id)?.internetMessageId);

		const withMime = await EmailMessage.Bind(app, itemId(id), new PropertySet(BasePropertySet.IdOnly, [ItemSchema.MimeContent, ItemSchema.InternetMessageHeaders]));
		const mime = Buffer.from(withMime.MimeContent.Content, 'base64').toString('utf8');
		expect(mime).toMatch(/^Subject: Invoice 42/m);
		expect(mime).toContain('invoice.pdf');
		const headers = withMime.InternetMessageHeaders.GetEnumerator().map((header) => header.Name);
		expect(headers).toEqual(expect.arrayContaining(['From', 'To', 'Subject', 'Message-ID']));
	});
});

describe('MoveItem, CopyItem, DeleteItem', () => {
	test('MoveItem gives new ids (like EXO); CopyItem keeps the original; many ids per call', async () => {
		const folder = freshFolder();
		const target = freshFolder();
		const ids = [0, 1, 2].map((i) => sandbox.ews.store.deliver(DEMO.sharedMailbox, { from: 'a@example.test', to: DEMO.sharedMailbox, subject: `m${i}`, folder: folder.id }));
		const moved = await app.MoveItems(ids.slice(0, 2).map(itemId), folderId(target.id));
		expect(moved.Count).toBe(2);
		const newIds = moved.Responses.map((response) => response.Item.Id.UniqueId);
		for (const [i, newId] of newIds.entries()) expect(newId).not.toBe(ids[i]);
		expect(sandbox.ews.store.listItemsIn(target.id).map((item) => item.id).sort()).toEqual([...newIds].sort());
		expect(sandbox.ews.store.getItem(ids[0])).toBeUndefined();

		const copied = await app.CopyItems([itemId(ids[2])], folderId(target.id));
		expect(copied.Responses[0].Item.Id.UniqueId).not.toBe(ids[2]);
		expect(sandbox.ews.store.getItem(ids[2])?.folderId).toBe(folder.id);
		expect(sandbox.ews.store.listItemsIn(target.id)).toHaveLength(3);
		expect(sandbox.ews.requests.map((request) => [request.operation, request.itemCount])).toEqual([
			['MoveItem', 2],
			['CopyItem', 1],
		]);
	});

	test('DeleteItem: HardDelete removes, MoveToDeletedItems moves to Deleted Items, SoftDelete hides', async () => {
		const { DeleteMode, SendCancellationsMode, AffectedTaskOccurrence } = ews();
		const folder = freshFolder();
		const [hard, moved, soft] = ['hard', 'moved', 'soft'].map((subject) =>
			sandbox.ews.store.deliver(DEMO.sharedMailbox, { from: 'a@example.test', to: DEMO.sharedMailbox, subject, folder: folder.id }),
		);
		const deletedBefore = sandbox.ews.store.listItems(DEMO.sharedMailbox, 'deleteditems').length;
		const del = (id: string, mode: number) => app.DeleteItems([itemId(id)], mode, SendCancellationsMode.SendToNone, AffectedTaskOccurrence.AllOccurrences);
		await del(hard, DeleteMode.HardDelete);
		await del(moved, DeleteMode.MoveToDeletedItems);
		await del(soft, DeleteMode.SoftDelete);
		expect(sandbox.ews.store.listItemsIn(folder.id)).toHaveLength(0);
		const deletedItems = sandbox.ews.store.listItems(DEMO.sharedMailbox, 'deleteditems');
		expect(deletedItems).toHaveLength(deletedBefore + 1);
		expect(deletedItems.at(-1)?.subject).toBe('moved');
	});
});

describe('UpdateItem', () => {
	test('IsRead, Categories, Flag and Importance; every update returns a new ChangeKey', async () => {
		const { EmailMessage, PropertySet, BasePropertySet, ConflictResolutionMode, StringList, Flag, ItemFlagStatus, Importance, DateTime } = ews();
		const id = sandbox.ews.store.deliver(DEMO.sharedMailbox, { from: 'a@example.test', to: DEMO.sharedMailbox, subject: 'update me' });
		const message = await EmailMessage.Bind(app, itemId(id), new PropertySet(BasePropertySet.FirstClassProperties));
		const firstKey = message.Id.ChangeKey;

		message.IsRead = true;
		await message.Update(ConflictResolutionMode.AutoResolve);
		expect(sandbox.ews.store.getItem(id)?.isRead).toBe(true);
		const secondKey = sandbox.ews.store.getItem(id)?.changeKey;
		expect(secondKey).not.toBe(firstKey);

		const fresh = await EmailMessage.Bind(app, itemId(id), new PropertySet(BasePropertySet.FirstClassProperties));
		fresh.Categories = new StringList(['Processed', 'n8n']);
		fresh.Importance = Importance.High;
		const flag = new Flag();
		flag.FlagStatus = ItemFlagStatus.Flagged;
		flag.StartDate = new DateTime(Date.parse('2026-02-01T00:00:00Z'));
		flag.DueDate = new DateTime(Date.parse('2026-02-03T00:00:00Z'));
		fresh.Flag = flag;
		await fresh.Update(ConflictResolutionMode.AlwaysOverwrite);
		const stored = sandbox.ews.store.getItem(id);
		expect(stored?.categories).toEqual(['Processed', 'n8n']);
		expect(stored?.importance).toBe('High');
		expect(stored?.flag.status).toBe('Flagged');
		expect(stored?.flag.dueDate?.toISOString()).toBe('2026-02-03T00:00:00.000Z');
		expect(stored?.changeKey).not.toBe(secondKey);
	});

	test('a stale ChangeKey: AutoResolve applies the change, NeverOverwrite is an ErrorIrresolvableConflict and changes nothing', async () => {
		const { EmailMessage, PropertySet, BasePropertySet, ConflictResolutionMode, ServiceError } = ews();
		const id = sandbox.ews.store.deliver(DEMO.sharedMailbox, { from: 'a@example.test', to: DEMO.sharedMailbox, subject: 'conflict' });
		const never = await EmailMessage.Bind(app, itemId(id), new PropertySet(BasePropertySet.FirstClassProperties));
		const auto = await EmailMessage.Bind(app, itemId(id), new PropertySet(BasePropertySet.FirstClassProperties));
		sandbox.ews.store.updateItem(id, (item) => (item.subject = 'changed elsewhere'));
		never.IsRead = true;
		const error = await rejection<{ ErrorCode: number }>(never.Update(ConflictResolutionMode.NeverOverwrite));
		expect(ServiceError[error.ErrorCode]).toBe('ErrorIrresolvableConflict');
		expect(sandbox.ews.store.getItem(id)?.isRead).toBe(false);

		auto.IsRead = true;
		await auto.Update(ConflictResolutionMode.AutoResolve);
		expect(sandbox.ews.store.getItem(id)).toMatchObject({ isRead: true, subject: 'changed elsewhere' });
	});
});

describe('CreateItem: send, save, reply, forward', () => {
	test('SendAndSaveCopy delivers to sandbox recipients, keeps a copy in Sent Items and logs external ones', async () => {
		const { EmailMessage, MessageBody, BodyType } = ews();
		const sentBefore = sandbox.ews.store.listItems(DEMO.sharedMailbox, 'sentitems').length;
		const message = new EmailMessage(app);
		message.Subject = 'Payment run';
		// ews-javascript-api writes values without XML escaping: the caller must escape (see the schema test).
		message.Body = new MessageBody(BodyType.HTML, escapeXml('<p>Done</p>'));
		message.ToRecipients.Add(DEMO.user);
		message.CcRecipients.Add('auditor@external.test');
		message.BccRecipients.Add(DEMO.noreplyMailbox);
		await message.SendAndSaveCopy();

		const inAlex = sandbox.ews.store.listItems(DEMO.user, 'inbox').find((item) => item.subject === 'Payment run');
		expect(inAlex).toMatchObject({ isRead: false, html: '<p>Done</p>', from: { email: DEMO.sharedMailbox }, bcc: [] });
		expect(sandbox.ews.store.listItems(DEMO.noreplyMailbox, 'inbox').some((item) => item.subject === 'Payment run')).toBe(true);
		const sent = sandbox.ews.store.listItems(DEMO.sharedMailbox, 'sentitems');
		expect(sent).toHaveLength(sentBefore + 1);
		expect(sent.at(-1)?.internetMessageId).toBe(inAlex?.internetMessageId);
		expect(sandbox.ews.store.sent.at(-1)).toMatchObject({
			mailbox: DEMO.sharedMailbox,
			cc: [{ email: 'auditor@external.test' }],
			deliveredTo: [DEMO.user, DEMO.noreplyMailbox],
		});
	});

	test('Send (SendOnly) keeps no copy; Save (SaveOnly) creates a draft; no recipients → ErrorInvalidRecipients', async () => {
		const { EmailMessage, MessageBody, WellKnownFolderName, ServiceError } = ews();
		const sentBefore = sandbox.ews.store.listItems(DEMO.sharedMailbox, 'sentitems').length;
		const message = new EmailMessage(app);
		message.Subject = 'Only send';
		message.Body = new MessageBody('text body');
		message.ToRecipients.Add('someone@external.test');
		await message.Send();
		expect(sandbox.ews.store.listItems(DEMO.sharedMailbox, 'sentitems')).toHaveLength(sentBefore);
		expect(sandbox.ews.store.sent.at(-1)?.subject).toBe('Only send');

		const draft = new EmailMessage(app);
		draft.Subject = 'Draft';
		await draft.Save(WellKnownFolderName.Drafts);
		expect(sandbox.ews.store.getItem(draft.Id.UniqueId)).toMatchObject({ subject: 'Draft', isDraft: true });

		const nobody = new EmailMessage(app);
		nobody.Subject = 'nobody';
		const error = await rejection<{ ErrorCode: number }>(nobody.Send());
		expect(ServiceError[error.ErrorCode]).toBe('ErrorInvalidRecipients');
	});

	test('a message with attachments: CreateItem + CreateAttachment + SendItem, recipient gets the bytes', async () => {
		const { EmailMessage, MessageBody } = ews();
		const message = new EmailMessage(app);
		message.Subject = 'With attachment';
		message.Body = new MessageBody('see attached');
		message.ToRecipients.Add(DEMO.user);
		message.Attachments.AddFileAttachment('report.csv', Buffer.from('a,b\n1,2\n').toString('base64'));
		await message.SendAndSaveCopy();
		const received = sandbox.ews.store.listItems(DEMO.user, 'inbox').find((item) => item.subject === 'With attachment');
		// ews-javascript-api 0.15.3 puts the attachment inline in CreateItem AND sends CreateAttachment afterwards; Exchange
		// accepts both, so the message ends up with the file twice (unverified against EXO). Callers should attach one way.
		expect(received?.attachments.map((attachment) => [attachment.name, attachment.content.toString()])).toEqual([
			['report.csv', 'a,b\n1,2\n'],
			['report.csv', 'a,b\n1,2\n'],
		]);
		expect(sandbox.ews.counts()).toMatchObject({ CreateItem: 1, CreateAttachment: 1, SendItem: 1 });
		expect(sandbox.ews.store.listItems(DEMO.sharedMailbox, 'drafts').some((item) => item.subject === 'With attachment')).toBe(false);
	});

	test('MimeContent: the raw message is stored and delivered as sent', async () => {
		const { EmailMessage, MimeContent } = ews();
		const raw = 'From: invoices@contoso.test\r\nTo: alex@contoso.test\r\nSubject: Raw MIME\r\nMessage-ID: <raw-1@contoso.test>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHello from MIME\r\n';
		const message = new EmailMessage(app);
		message.MimeContent = new MimeContent('UTF-8', Buffer.from(raw).toString('base64'));
		await message.SendAndSaveCopy();
		const received = sandbox.ews.store.listItems(DEMO.user, 'inbox').find((item) => item.subject === 'Raw MIME');
		expect(received?.internetMessageId).toBe('<raw-1@contoso.test>');
		expect(received?.text?.trim()).toBe('Hello from MIME');
	});

	test('Reply, ReplyAll and Forward quote the original, thread it and add recipients', async () => {
		const { EmailMessage, PropertySet, BasePropertySet, MessageBody, EmailAddress } = ews();
		const id = sandbox.ews.store.deliver(DEMO.sharedMailbox, {
			from: 'Vendor <vendor@example.test>',
			to: [DEMO.sharedMailbox, 'colleague@example.test'],
			cc: DEMO.user,
			subject: 'Question',
			text: 'Original text',
			attachments: [{ filename: 'q.txt', content: Buffer.from('q'), contentType: 'text/plain' }],
		});
		const original = await EmailMessage.Bind(app, itemId(id), new PropertySet(BasePropertySet.FirstClassProperties));
		const originalMessageId = sandbox.ews.store.getItem(id)?.internetMessageId;

		await original.Reply(new MessageBody('Thanks!'), false);
		const reply = sandbox.ews.store.sent.at(-1);
		expect(reply).toMatchObject({ subject: 'RE: Question', to: [{ email: 'vendor@example.test' }], cc: [] });
		const replyCopy = sandbox.ews.store.listItems(DEMO.sharedMailbox, 'sentitems').at(-1);
		expect(replyCopy?.inReplyTo).toBe(originalMessageId);
		expect(replyCopy?.text ?? replyCopy?.html).toMatch(/Thanks![\s\S]*Original text/);

		await original.Reply(new MessageBody('All of you'), true);
		const replyAll = sandbox.ews.store.sent.at(-1);
		expect(replyAll?.to.map((address) => address.email)).toEqual(['vendor@example.test', 'colleague@example.test']);
		expect(replyAll?.deliveredTo).toEqual([DEMO.user]);

		await original.Forward(new MessageBody('FYI'), [new EmailAddress(DEMO.user)]);
		const forwarded = sandbox.ews.store.listItems(DEMO.user, 'inbox').find((item) => item.subject === 'FW: Question');
		expect(forwarded?.attachments.map((attachment) => attachment.name)).toEqual(['q.txt']);
	});
});

describe('attachments and names', () => {
	test('GetAttachment: file content as base64, item attachment as MIME; malformed id → ErrorInvalidIdMalformed', async () => {
		const { EmailMessage, PropertySet, BasePropertySet, ServiceError, ServiceResult, BodyType } = ews();
		const inner = 'From: a@example.test\r\nSubject: Inner\r\n\r\ninner body\r\n';
		const id = sandbox.ews.store.deliver(DEMO.sharedMailbox, {
			from: 'a@example.test',
			to: DEMO.sharedMailbox,
			subject: 'Attachments',
			attachments: [
				{ filename: 'data.bin', content: Buffer.from([0, 1, 2, 255]), contentType: 'application/octet-stream' },
				{ filename: 'inner.eml', content: Buffer.from(inner), contentType: 'message/rfc822' },
			],
		});
		const message = await EmailMessage.Bind(app, itemId(id), new PropertySet(BasePropertySet.FirstClassProperties));
		const [file] = message.Attachments.GetEnumerator() as unknown as { Load(): Promise<void>; Base64Content: string; Name: string }[];
		await file.Load();
		expect(file.Name).toBe('data.bin');
		expect(Buffer.from(file.Base64Content, 'base64')).toEqual(Buffer.from([0, 1, 2, 255]));

		const itemAttachmentId = sandbox.ews.store.getItem(id)!.attachments[1].id;
		const responses = await app.GetAttachments([itemAttachmentId, 'bm90LWFuLWlk'], BodyType.Text, []);
		expect(ServiceResult[responses.Responses[0].Result]).toBe('Success');
		const raw = await import('./test-client').then(({ postSoap, soapEnvelope, impersonationHeader, appToken: token }) =>
			postSoap(
				sandbox,
				soapEnvelope(`<m:GetAttachment><m:AttachmentShape><t:IncludeMimeContent>true</t:IncludeMimeContent></m:AttachmentShape><m:AttachmentIds><t:AttachmentId Id="${itemAttachmentId}"/></m:AttachmentIds></m:GetAttachment>`, impersonationHeader(DEMO.sharedMailbox)),
				token(sandbox),
			),
		);
		const mime = /<t:MimeContent[^>]*>([^<]+)</.exec(raw.text)?.[1];
		expect(Buffer.from(mime ?? '', 'base64').toString()).toBe(inner);
		expect(ServiceError[responses.Responses[1].ErrorCode]).toBe('ErrorInvalidIdMalformed');
	});

	test('CreateAttachment adds a file to an existing message and changes its ChangeKey', async () => {
		const { EmailMessage, PropertySet, BasePropertySet } = ews();
		const id = sandbox.ews.store.deliver(DEMO.sharedMailbox, { from: 'a@example.test', to: DEMO.sharedMailbox, subject: 'attach here' });
		const before = sandbox.ews.store.getItem(id)!.changeKey;
		const message = await EmailMessage.Bind(app, itemId(id), new PropertySet(BasePropertySet.FirstClassProperties));
		message.Attachments.AddFileAttachment('note.txt', Buffer.from('note').toString('base64'));
		await message.Update(ews().ConflictResolutionMode.AlwaysOverwrite);
		const stored = sandbox.ews.store.getItem(id)!;
		expect(stored.attachments.map((attachment) => [attachment.name, attachment.content.toString()])).toEqual([['note.txt', 'note']]);
		expect(stored.changeKey).not.toBe(before);
		expect(sandbox.ews.counts().CreateAttachment).toBe(1);
	});

	test('ResolveNames finds sandbox mailboxes; no match → ErrorNameResolutionNoResults', async () => {
		const resolved = await app.ResolveName('invoices');
		expect(resolved.Count).toBe(1);
		expect(resolved._getItem(0).Mailbox.Address).toBe(DEMO.sharedMailbox);
		// The library turns ErrorNameResolutionNoResults into an empty collection.
		const none = await app.ResolveName('nobody-here');
		expect(none.Count).toBe(0);
		expect(sandbox.ews.requests.at(-1)).toMatchObject({ operation: 'ResolveNames', responseCode: 'ErrorNameResolutionNoResults' });
		const several = await app.ResolveName('contoso');
		expect(several.Count).toBe(3);
		expect(sandbox.ews.requests.at(-1)?.responseCode).toBe('ErrorNameResolutionMultipleResults');
	});
});

describe('SyncFolderItems', () => {
	const sync = (folder: string, state: string | null, max = 512) => {
		const { PropertySet, BasePropertySet, SyncFolderItemsScope } = ews();
		return app.SyncFolderItems(folderId(folder), new PropertySet(BasePropertySet.IdOnly), null as never, max, SyncFolderItemsScope.NormalItems, state as string);
	};
	const summary = (changes: Awaited<ReturnType<typeof sync>>) =>
		changes.GetEnumerator().map((change) => [ews().ChangeType[change.ChangeType], change.ItemId?.UniqueId ?? change.Id?.UniqueId]);

	test('creates, read-flag changes, updates and deletes since a SyncState; paging with MaxChangesReturned', async () => {
		const folder = freshFolder();
		const ids = [0, 1, 2].map((i) => sandbox.ews.store.deliver(DEMO.sharedMailbox, { from: 'a@example.test', to: DEMO.sharedMailbox, subject: `s${i}`, folder: folder.id }));

		const first = await sync(folder.id, null, 2);
		expect(summary(first)).toEqual([
			['Create', ids[0]],
			['Create', ids[1]],
		]);
		expect(first.MoreChangesAvailable).toBe(true);
		const second = await sync(folder.id, first.SyncState, 2);
		expect(summary(second)).toEqual([['Create', ids[2]]]);
		expect(second.MoreChangesAvailable).toBe(false);

		const empty = await sync(folder.id, second.SyncState);
		expect(empty.Count).toBe(0);

		sandbox.ews.store.updateItem(ids[0], (item) => (item.isRead = true));
		sandbox.ews.store.updateItem(ids[1], (item) => (item.categories = ['x']));
		sandbox.ews.store.removeItem(ids[2]);
		const created = sandbox.ews.store.deliver(DEMO.sharedMailbox, { from: 'a@example.test', to: DEMO.sharedMailbox, subject: 'new', folder: folder.id });
		const later = await sync(folder.id, empty.SyncState);
		expect(summary(later)).toEqual([
			['ReadFlagChange', ids[0]],
			['Update', ids[1]],
			['Delete', ids[2]],
			['Create', created],
		]);
		expect(later.GetEnumerator()[0].IsRead).toBe(true);
	});

	test('items moved out are deletes; created-then-deleted items never show; invalid or foreign state → ErrorInvalidSyncStateData', async () => {
		const folder = freshFolder();
		const other = freshFolder();
		const start = await sync(folder.id, null);
		const moved = sandbox.ews.store.deliver(DEMO.sharedMailbox, { from: 'a@example.test', to: DEMO.sharedMailbox, subject: 'm', folder: folder.id });
		const base = await sync(folder.id, start.SyncState);
		const transient = sandbox.ews.store.deliver(DEMO.sharedMailbox, { from: 'a@example.test', to: DEMO.sharedMailbox, subject: 't', folder: folder.id });
		sandbox.ews.store.removeItem(transient);
		sandbox.ews.store.moveItem(moved, other.id);
		expect(summary(await sync(folder.id, base.SyncState))).toEqual([['Delete', moved]]);

		const { ServiceError } = ews();
		for (const bad of ['garbage!!', Buffer.from('nope').toString('base64'), (await sync(other.id, null)).SyncState]) {
			const error = await rejection<{ ErrorCode: number }>(sync(folder.id, bad));
			expect(ServiceError[error.ErrorCode]).toBe('ErrorInvalidSyncStateData');
		}
	});

	test('a deleted folder → ErrorSyncFolderNotFound', async () => {
		const folder = freshFolder();
		const state = await sync(folder.id, null);
		sandbox.ews.store.deleteFolder(folder.id);
		const error = await rejection<{ ErrorCode: number }>(sync(folder.id, state.SyncState));
		expect(ews().ServiceError[error.ErrorCode]).toBe('ErrorSyncFolderNotFound');
	});
});
