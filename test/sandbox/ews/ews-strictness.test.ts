// The EWS stand-in answers like Exchange where a lenient emulator would let a client's mistake pass: each rule
// here is driven through the real ews-javascript-api (raw SOAP only where the library can't say it).
import { DEMO, startSandbox, type Sandbox } from '../index';
import type { ExchangeService } from 'ews-javascript-api';
import { appToken, ews, exchangeService, impersonationHeader, postSoap, rejection, soapEnvelope } from './test-client';

process.env.TZ = 'UTC';
jest.setTimeout(30_000); // a shared 2-core machine; nothing here is timed

let sandbox: Sandbox;
let app: ExchangeService;

beforeAll(async () => {
	sandbox = await startSandbox({ log: (line) => process.env.EWS_DEBUG && console.log(line) });
	app = exchangeService(sandbox, { token: appToken(sandbox), impersonate: DEMO.sharedMailbox }).svc;
});

afterAll(async () => {
	await sandbox?.stop();
});

beforeEach(() => sandbox.ews.reset());

let folderCounter = 0;
const freshFolder = () => sandbox.ews.store.createFolder(DEMO.sharedMailbox, 'inbox', `strict${++folderCounter}`);
const itemId = (id: string) => new (ews().ItemId)(id);
const folderId = (id: string) => new (ews().FolderId)(id);
const deliver = (subject: string, folder?: string) => sandbox.ews.store.deliver(DEMO.sharedMailbox, { from: 'a@example.test', to: DEMO.sharedMailbox, subject, text: `${subject} body`, folder });
const raw = (body: string) => postSoap(sandbox, soapEnvelope(body, impersonationHeader(DEMO.sharedMailbox)), appToken(sandbox));
const codeOf = (error: { ErrorCode?: number }) => ews().ServiceError[error.ErrorCode ?? -1];
const lastRecord = () => sandbox.ews.requests.at(-1);

describe('large requests are validated, not refused', () => {
	test('a 12 MB attachment (one base64 text node over libxml2 10 MB default) is saved and comes back intact', async () => {
		const { EmailMessage, WellKnownFolderName, FolderId, PropertySet, BasePropertySet } = ews();
		const folder = freshFolder();
		const bytes = Buffer.alloc(9_000_000);
		for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7919) % 251;
		const message = new EmailMessage(app);
		message.Subject = 'big attachment';
		message.Attachments.AddFileAttachment('big.bin', bytes.toString('base64'));
		await message.Save(new FolderId(WellKnownFolderName.Drafts));
		expect(sandbox.ews.requests.map((request) => [request.operation, request.responseCode])).toEqual([
			['CreateItem', 'NoError'],
			['CreateAttachment', 'NoError'],
		]);
		const stored = sandbox.ews.store.getItem(message.Id.UniqueId);
		expect(stored?.attachments[0].content.equals(bytes)).toBe(true);
		const bound = await EmailMessage.Bind(app, itemId(stored!.id), new PropertySet(BasePropertySet.FirstClassProperties));
		const [attachment] = bound.Attachments.GetEnumerator() as unknown as { Load(): Promise<void>; Base64Content: string }[];
		await attachment.Load();
		expect(Buffer.from(attachment.Base64Content, 'base64').equals(bytes)).toBe(true);
		void folder;
	}, 120_000);
});

describe('refusals and failures answer as Exchange does, in SOAP', () => {
	test('a restriction on a property the stand-in cannot search is an EWS error (HTTP 200), also on an empty folder', async () => {
		const { ItemView, SearchFilter, ItemSchema, EmailMessageSchema } = ews();
		const empty = freshFolder();
		for (const filter of [new SearchFilter.IsGreaterThan(ItemSchema.Size, 10), new SearchFilter.IsEqualTo(EmailMessageSchema.IsDeliveryReceiptRequested, true)]) {
			const error = await rejection<{ ErrorCode: number; message?: string }>(app.FindItems(folderId(empty.id), filter, new ItemView(10)));
			expect(codeOf(error)).toBe('ErrorUnsupportedPathForQuery');
			expect(lastRecord()).toMatchObject({ operation: 'FindItem', status: 200, responseCode: 'ErrorUnsupportedPathForQuery' });
		}
		// A sort order on such a property too, and a folder search below a folder without subfolders.
		const view = new ItemView(10);
		view.OrderBy.Add(ItemSchema.Size, ews().SortDirection.Ascending);
		expect(codeOf(await rejection(app.FindItems(folderId(empty.id), view)))).toBe('ErrorUnsupportedPathForQuery');
		const { FolderView, FolderSchema } = ews();
		const folderFilter = new SearchFilter.SearchFilterCollection(ews().LogicalOperator.Or, [new SearchFilter.IsEqualTo(FolderSchema.DisplayName, 'x'), new SearchFilter.IsGreaterThan(FolderSchema.TotalCount, 0)]);
		expect(codeOf(await rejection(app.FindFolders(folderId(empty.id), folderFilter, new FolderView(10))))).toBe('ErrorUnsupportedPathForQuery');
	});

	test('comparing two properties (FieldURIOrConstant without a Constant) is ErrorUnsupportedQueryFilter, not a match on ""', async () => {
		const folder = freshFolder();
		deliver('', folder.id);
		const answer = await raw(
			`<m:FindItem Traversal="Shallow"><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape></m:ItemShape><m:Restriction><t:IsEqualTo><t:FieldURI FieldURI="item:Subject"/><t:FieldURIOrConstant><t:FieldURI FieldURI="item:Body"/></t:FieldURIOrConstant></t:IsEqualTo></m:Restriction><m:ParentFolderIds><t:FolderId Id="${folder.id}"/></m:ParentFolderIds></m:FindItem>`,
		);
		expect(answer.status).toBe(200);
		expect(answer.text).toMatch(/<m:FindItemResponseMessage ResponseClass="Error">.*<m:ResponseCode>ErrorUnsupportedQueryFilter<\/m:ResponseCode>/);
	});

	test('a failure inside the stand-in is a SOAP fault ErrorInternalServerError, never a bare HTTP 500', async () => {
		const { ItemView, SearchFilter, ItemSchema } = ews();
		const folder = freshFolder();
		const id = deliver('poisoned', folder.id);
		// Corrupt the store the way a stand-in defect would: serializing the item then throws a TypeError in the handler.
		sandbox.ews.store.updateItem(id, (item) => Object.assign(item, { attachments: null }));
		try {
			// ews-javascript-api reads a SOAP fault into ResponseCode (ErrorCode stays NoError).
			const error = await rejection<{ ResponseCode: number }>(app.FindItems(folderId(folder.id), new SearchFilter.ContainsSubstring(ItemSchema.Subject, 'poison'), new ItemView(10)));
			expect(ews().ServiceError[error.ResponseCode]).toBe('ErrorInternalServerError');
			expect(lastRecord()).toMatchObject({ status: 500, responseCode: 'ErrorInternalServerError' });
			const answer = await raw(
				`<m:FindItem Traversal="Shallow"><m:ItemShape><t:BaseShape>Default</t:BaseShape></m:ItemShape><m:Restriction><t:Contains ContainmentMode="Substring" ContainmentComparison="IgnoreCase"><t:FieldURI FieldURI="item:Subject"/><t:Constant Value="poison"/></t:Contains></m:Restriction><m:ParentFolderIds><t:FolderId Id="${folder.id}"/></m:ParentFolderIds></m:FindItem>`,
			);
			expect(answer.status).toBe(500);
			expect(answer.headers['content-type']).toMatch(/^text\/xml/);
			expect(answer.text).toMatch(/<faultcode xmlns:a="[^"]+">a:ErrorInternalServerError<\/faultcode>/);
		} finally {
			sandbox.ews.store.removeItem(id); // the poisoned item would break every later request that meets it
		}
	});
});

describe('ConflictResolution with a stale ChangeKey', () => {
	const updateIsRead = (id: string, changeKey: string, resolution: string) =>
		raw(
			`<m:UpdateItem ConflictResolution="${resolution}" MessageDisposition="SaveOnly"><m:ItemChanges><t:ItemChange><t:ItemId Id="${id}" ChangeKey="${changeKey}"/><t:Updates><t:SetItemField><t:FieldURI FieldURI="item:Subject"/><t:Message><t:Subject>mine</t:Subject></t:Message></t:SetItemField></t:Updates></t:ItemChange></m:ItemChanges></m:UpdateItem>`,
		);

	test('AutoResolve and AlwaysOverwrite apply the change (AutoResolve counts the conflict); NeverOverwrite refuses; a malformed key is ErrorInvalidChangeKey', async () => {
		const id = deliver('theirs');
		const stale = sandbox.ews.store.getItem(id)!.changeKey;
		sandbox.ews.store.updateItem(id, (item) => (item.subject = 'changed elsewhere'), ['item:Subject']);

		const never = await updateIsRead(id, stale, 'NeverOverwrite');
		expect(never.text).toContain('<m:ResponseCode>ErrorIrresolvableConflict</m:ResponseCode>');
		expect(sandbox.ews.store.getItem(id)?.subject).toBe('changed elsewhere');

		const auto = await updateIsRead(id, stale, 'AutoResolve');
		expect(auto.text).toContain('<m:ResponseCode>NoError</m:ResponseCode>');
		expect(auto.text).toContain('<m:ConflictResults><t:Count>1</t:Count></m:ConflictResults>');
		expect(sandbox.ews.store.getItem(id)?.subject).toBe('mine');

		// A stale key whose later changes touched other fields: no conflicting property, still resolved.
		const second = sandbox.ews.store.getItem(id)!.changeKey;
		sandbox.ews.store.updateItem(id, (item) => (item.importance = 'High'), ['item:Importance']);
		expect((await updateIsRead(id, second, 'AutoResolve')).text).toContain('<m:ConflictResults><t:Count>0</t:Count></m:ConflictResults>');
		expect((await updateIsRead(id, stale, 'AlwaysOverwrite')).text).toContain('<m:ResponseCode>NoError</m:ResponseCode>');
		expect((await updateIsRead(id, 'not a change key!', 'AutoResolve')).text).toContain('<m:ResponseCode>ErrorInvalidChangeKey</m:ResponseCode>');
	});

	test('through the library: Update(AutoResolve) on a stale copy succeeds; a folder rename with a stale key is resolved', async () => {
		const { EmailMessage, Folder, PropertySet, BasePropertySet, ConflictResolutionMode } = ews();
		const id = deliver('library');
		const copy = await EmailMessage.Bind(app, itemId(id), new PropertySet(BasePropertySet.FirstClassProperties));
		sandbox.ews.store.updateItem(id, (item) => (item.categories = ['elsewhere']), ['item:Categories']);
		copy.IsRead = true;
		await copy.Update(ConflictResolutionMode.AutoResolve);
		expect(sandbox.ews.store.getItem(id)).toMatchObject({ isRead: true, categories: ['elsewhere'] });

		const folder = freshFolder();
		const name = folder.displayName;
		const first = await Folder.Bind(app, folderId(folder.id));
		const second = await Folder.Bind(app, folderId(folder.id));
		first.DisplayName = `${name}-a`;
		await first.Update();
		second.DisplayName = `${name}-b`;
		await second.Update(); // its ChangeKey is the one from before the first rename
		expect(sandbox.ews.store.folder(folder.id)?.displayName).toBe(`${name}-b`);
	});
});

describe('item attachments are kept', () => {
	const mimeOf = async (attachmentId: string) => {
		const { ItemSchema, BodyType } = ews();
		const responses = await app.GetAttachments([attachmentId], BodyType.Text, [ItemSchema.MimeContent]);
		const attachment = responses.Responses[0].Attachment as unknown as { Item?: { MimeContent?: { Content?: string } } };
		return Buffer.from(attachment.Item?.MimeContent?.Content ?? '', 'base64').toString('utf8');
	};

	test('CreateItem with an ItemAttachment (with its own file attachment) keeps it; GetItem lists it, GetAttachment returns it', async () => {
		const { EmailMessage, PropertySet, BasePropertySet } = ews();
		const answer = await raw(
			`<m:CreateItem MessageDisposition="SaveOnly"><m:SavedItemFolderId><t:DistinguishedFolderId Id="drafts"/></m:SavedItemFolderId><m:Items><t:Message><t:Subject>outer</t:Subject><t:Attachments><t:ItemAttachment><t:Name>forwarded.eml</t:Name><t:Message><t:Subject>inner subject</t:Subject><t:Body BodyType="Text">inner body</t:Body><t:Attachments><t:FileAttachment><t:Name>nested.txt</t:Name><t:Content>${Buffer.from('nested bytes').toString('base64')}</t:Content></t:FileAttachment></t:Attachments><t:ToRecipients><t:Mailbox><t:EmailAddress>x@example.test</t:EmailAddress></t:Mailbox></t:ToRecipients></t:Message></t:ItemAttachment></t:Attachments></t:Message></m:Items></m:CreateItem>`,
		);
		const id = /<t:ItemId Id="([^"]+)"/.exec(answer.text)?.[1] ?? '';
		const bound = await EmailMessage.Bind(app, itemId(id), new PropertySet(BasePropertySet.FirstClassProperties));
		const [attachment] = bound.Attachments.GetEnumerator() as unknown as { Id: string; Name: string; constructor: { name: string } }[];
		expect(bound.HasAttachments).toBe(true);
		expect([attachment?.constructor.name, attachment?.Name]).toEqual(['ItemAttachment', 'forwarded.eml']);
		const mime = await mimeOf(attachment.Id);
		expect(mime).toMatch(/^Subject: inner subject$/m);
		expect(mime).toContain('inner body');
		expect(mime).toMatch(/filename=nested\.txt/);
		// MIME only when the shape asks for it, as Exchange does.
		const plain = await raw(`<m:GetAttachment><m:AttachmentIds><t:AttachmentId Id="${attachment.Id}"/></m:AttachmentIds></m:GetAttachment>`);
		expect(plain.text).toContain('<t:ItemAttachment>');
		expect(plain.text).not.toContain('MimeContent');
	});

	test('the library adds an item attachment to an existing message with CreateAttachment; it is kept too', async () => {
		const { EmailMessage, PropertySet, BasePropertySet, ConflictResolutionMode } = ews();
		// (A new message saved with an item attachment is sent twice by ews-javascript-api 0.15.3: inside CreateItem and
		// again with CreateAttachment; Exchange keeps both, and so does the stand-in. The package never does that.)
		const id = deliver('carrier');
		const message = await EmailMessage.Bind(app, itemId(id), new PropertySet(BasePropertySet.FirstClassProperties));
		const attached = message.Attachments.AddItemAttachment(EmailMessage as never, 'Message') as unknown as { Name: string; Item: { Subject: string } };
		attached.Name = 'attached message';
		attached.Item.Subject = 'attached subject';
		await message.Update(ConflictResolutionMode.AlwaysOverwrite);
		expect(sandbox.ews.requests.map((request) => [request.operation, request.responseCode])).toContainEqual(['CreateAttachment', 'NoError']);
		const stored = sandbox.ews.store.getItem(id)!;
		expect(stored.attachments.map((attachment) => [attachment.kind, attachment.name])).toEqual([['item', 'attached message']]);
		expect(await mimeOf(stored.attachments[0].id)).toMatch(/^Subject: attached subject$/m);
	});
});

describe('requested properties the stand-in does not return are refused, not dropped', () => {
	test('items: an unmodelled FieldURI or an extended property is ErrorInvalidPropertyRequest naming it', async () => {
		const { EmailMessage, PropertySet, BasePropertySet, ItemSchema, EmailMessageSchema, ExtendedPropertyDefinition, MapiPropertyType } = ews();
		const id = deliver('props');
		for (const [property, named] of [
			[ItemSchema.ReminderDueBy, 'item:ReminderDueBy'],
			[EmailMessageSchema.IsDeliveryReceiptRequested, 'message:IsDeliveryReceiptRequested'],
			[new ExtendedPropertyDefinition(0x007d, MapiPropertyType.String), 'PropertyTag=125'],
		] as const) {
			const error = await rejection<{ ErrorCode: number; message?: string; Message?: string }>(EmailMessage.Bind(app, itemId(id), new PropertySet(BasePropertySet.IdOnly, [property])));
			expect(codeOf(error)).toBe('ErrorInvalidPropertyRequest');
			expect(String(error.Message ?? error.message)).toContain(named);
		}
		// What the stand-in models still comes back.
		const known = await EmailMessage.Bind(app, itemId(id), new PropertySet(BasePropertySet.IdOnly, [ItemSchema.Subject, EmailMessageSchema.InternetMessageId]));
		expect(known.Subject).toBe('props');
	});

	test('folders: an unmodelled folder property is ErrorInvalidPropertyRequest', async () => {
		const { Folder, PropertySet, BasePropertySet, FolderSchema, WellKnownFolderName } = ews();
		const error = await rejection<{ ErrorCode: number }>(Folder.Bind(app, WellKnownFolderName.Inbox, new PropertySet(BasePropertySet.IdOnly, [FolderSchema.EffectiveRights])));
		expect(codeOf(error)).toBe('ErrorInvalidPropertyRequest');
	});
});

describe('well-known folders and Recoverable Items', () => {
	test('every well-known folder binds with its FolderClass and element type; Recoverable Items is outside the IPM tree', async () => {
		const { Folder, WellKnownFolderName, FolderView, FolderTraversal } = ews();
		const expected: [keyof typeof WellKnownFolderName, string | null, string][] = [
			['Calendar', 'IPF.Appointment', 'CalendarFolder'],
			['Contacts', 'IPF.Contact', 'ContactsFolder'],
			['Tasks', 'IPF.Task', 'TasksFolder'],
			['Notes', 'IPF.StickyNote', 'Folder'],
			['Journal', 'IPF.Journal', 'Folder'],
			['SyncIssues', 'IPF.Note', 'Folder'],
			['Conflicts', 'IPF.Note', 'Folder'],
			['ConversationHistory', 'IPF.Note', 'Folder'],
			['RecoverableItemsRoot', null, 'Folder'],
			['RecoverableItemsDeletions', null, 'Folder'],
			['RecoverableItemsPurges', null, 'Folder'],
			['RecoverableItemsVersions', null, 'Folder'],
		];
		for (const [name, folderClass, type] of expected) {
			const folder = await Folder.Bind(app, WellKnownFolderName[name] as never);
			expect([name, folder.FolderClass ?? null, folder.constructor.name]).toEqual([name, folderClass, type]);
		}
		const view = new FolderView(1000);
		view.Traversal = FolderTraversal.Deep;
		const ipm = await app.FindFolders(WellKnownFolderName.MsgFolderRoot, view);
		const names = ipm.Folders.map((folder) => folder.DisplayName);
		expect(names).toEqual(expect.arrayContaining(['Calendar', 'Contacts', 'Tasks', 'Inbox']));
		expect(names).not.toContain('Recoverable Items');
		expect(names).not.toContain('Deletions');
	});

	test('SoftDelete lands in Deletions, HardDelete in Purges, deleting from Deleted Items in Deletions; a hard delete in Purges is final', async () => {
		const { DeleteMode, ItemView, WellKnownFolderName } = ews();
		const folder = freshFolder();
		const subjects = async (name: keyof typeof WellKnownFolderName) => (await app.FindItems(WellKnownFolderName[name] as never, new ItemView(1000))).Items.map((item) => item.Subject);
		const soft = deliver(`soft ${folder.displayName}`, folder.id);
		const hard = deliver(`hard ${folder.displayName}`, folder.id);
		const twice = deliver(`twice ${folder.displayName}`, folder.id);
		await app.DeleteItems([itemId(soft)], DeleteMode.SoftDelete, null as never, null as never);
		await app.DeleteItems([itemId(hard)], DeleteMode.HardDelete, null as never, null as never);
		await app.DeleteItems([itemId(twice)], DeleteMode.MoveToDeletedItems, null as never, null as never);
		expect(await subjects('DeletedItems')).toContain(`twice ${folder.displayName}`);
		const inDeleted = sandbox.ews.store.listItems(DEMO.sharedMailbox, 'deleteditems').find((item) => item.subject === `twice ${folder.displayName}`)!;
		await app.DeleteItems([itemId(inDeleted.id)], DeleteMode.MoveToDeletedItems, null as never, null as never);

		expect(sandbox.ews.store.listItemsIn(folder.id)).toHaveLength(0);
		expect(await subjects('RecoverableItemsDeletions')).toEqual(expect.arrayContaining([`soft ${folder.displayName}`, `twice ${folder.displayName}`]));
		expect(await subjects('RecoverableItemsPurges')).toContain(`hard ${folder.displayName}`);
		expect(await subjects('DeletedItems')).not.toContain(`twice ${folder.displayName}`);

		const purged = sandbox.ews.store.listItems(DEMO.sharedMailbox, 'recoverableitemspurges').find((item) => item.subject === `hard ${folder.displayName}`)!;
		await app.DeleteItems([itemId(purged.id)], DeleteMode.HardDelete, null as never, null as never);
		expect(await subjects('RecoverableItemsPurges')).not.toContain(`hard ${folder.displayName}`);
		expect(sandbox.ews.store.getItem(purged.id)).toBeUndefined();
	});

	test('EmptyFolder and DeleteFolder take the folder items to Recoverable Items', async () => {
		const { DeleteMode, Folder } = ews();
		const emptied = freshFolder();
		deliver(`emptied ${emptied.displayName}`, emptied.id);
		await (await Folder.Bind(app, folderId(emptied.id))).Empty(DeleteMode.SoftDelete, false);
		const doomed = freshFolder();
		deliver(`doomed ${doomed.displayName}`, doomed.id);
		await (await Folder.Bind(app, folderId(doomed.id))).Delete(DeleteMode.HardDelete);
		const subjects = (name: string) => sandbox.ews.store.listItems(DEMO.sharedMailbox, name).map((item) => item.subject);
		expect(subjects('recoverableitemsdeletions')).toContain(`emptied ${emptied.displayName}`);
		expect(subjects('recoverableitemspurges')).toContain(`doomed ${doomed.displayName}`);
	});
});
