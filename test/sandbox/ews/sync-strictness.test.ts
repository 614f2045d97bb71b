// SyncFolderItems as strict as Exchange: Microsoft's documented error answer, a SyncState that changes on every
// successful call, and changes collapsed over the whole window (a sync from scratch returns only creates).
import { DEMO, startSandbox, type Sandbox } from '../index';
import type { ExchangeService } from 'ews-javascript-api';
import { appToken, ews, exchangeService, impersonationHeader, postSoap, soapEnvelope } from './test-client';

process.env.TZ = 'UTC';
// Sandbox start-up and round trips on a shared, busy machine: generous (speed is the bench's business).
jest.setTimeout(30_000);

let sandbox: Sandbox;
let app: ExchangeService;
let folders = 0;

beforeAll(async () => {
	sandbox = await startSandbox();
	app = exchangeService(sandbox, { token: appToken(sandbox), impersonate: DEMO.sharedMailbox }).svc;
});

afterAll(async () => {
	await sandbox?.stop();
});

const freshFolder = () => sandbox.ews.store.createFolder(DEMO.sharedMailbox, 'inbox', `sync${++folders}`);
const deliver = (folderId: string, subject: string) => sandbox.ews.store.deliver(DEMO.sharedMailbox, { from: 'a@example.test', to: DEMO.sharedMailbox, subject, folder: folderId });

const sync = (folderId: string, state: string | null, max = 512) => {
	const { PropertySet, BasePropertySet, SyncFolderItemsScope, FolderId } = ews();
	return app.SyncFolderItems(new FolderId(folderId), new PropertySet(BasePropertySet.IdOnly), null as never, max, SyncFolderItemsScope.NormalItems, state as string);
};
type Changes = Awaited<ReturnType<typeof sync>>;
const summary = (changes: Changes) => changes.GetEnumerator().map((change) => [ews().ChangeType[change.ChangeType], change.ItemId?.UniqueId]);

/** Every page from `state` until the window is read. */
async function syncAll(folderId: string, state: string | null, max: number) {
	const pages: Changes[] = [];
	for (let i = 0; i < 100; i++) {
		const page = await sync(folderId, state, max);
		pages.push(page);
		state = page.SyncState;
		if (!page.MoreChangesAvailable) break;
	}
	return { pages, state, changes: pages.flatMap(summary) };
}

test('an error answer carries an empty SyncState and IncludesLastItemInRange, as Microsoft documents', async () => {
	const folder = freshFolder();
	const reply = await postSoap(
		sandbox,
		soapEnvelope(
			`<m:SyncFolderItems><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape></m:ItemShape><m:SyncFolderId><t:FolderId Id="${folder.id}"/></m:SyncFolderId><m:SyncState>bm90IGEgc3RhdGU=</m:SyncState><m:MaxChangesReturned>10</m:MaxChangesReturned></m:SyncFolderItems>`,
			impersonationHeader(DEMO.sharedMailbox),
		),
		appToken(sandbox),
		{ 'X-AnchorMailbox': DEMO.sharedMailbox },
	);
	expect(reply.status).toBe(200);
	expect(reply.text).toMatch(
		/<m:SyncFolderItemsResponseMessage ResponseClass="Error"><m:MessageText>Synchronization state data is corrupt or otherwise invalid\.<\/m:MessageText><m:ResponseCode>ErrorInvalidSyncStateData<\/m:ResponseCode><m:DescriptiveLinkKey>0<\/m:DescriptiveLinkKey><m:SyncState\/><m:IncludesLastItemInRange>true<\/m:IncludesLastItemInRange><\/m:SyncFolderItemsResponseMessage>/,
	);
	// The injected fault answers the same way.
	sandbox.ews.failNext('ErrorInvalidSyncStateData', 1);
	await expect(sync(folder.id, null)).rejects.toMatchObject({ ErrorCode: ews().ServiceError.ErrorInvalidSyncStateData });
});

test('the SyncState changes on every successful call, also without changes, and every one stays usable', async () => {
	const folder = freshFolder();
	const states = [(await sync(folder.id, null)).SyncState];
	for (let i = 0; i < 3; i++) {
		const page = await sync(folder.id, states.at(-1)!);
		expect(page.Count).toBe(0);
		states.push(page.SyncState);
	}
	expect(new Set(states).size).toBe(states.length);
	const id = deliver(folder.id, 'late');
	for (const state of states) expect(summary(await sync(folder.id, state))).toEqual([['Create', id]]);
});

test('a sync from scratch returns only creates, whatever happened before and between its pages', async () => {
	const folder = freshFolder();
	const other = freshFolder();
	const ids = Array.from({ length: 7 }, (_, i) => deliver(folder.id, `m${i}`));
	sandbox.ews.store.updateItem(ids[0], (item) => (item.isRead = true));
	sandbox.ews.store.updateItem(ids[1], (item) => (item.categories = ['x']));
	sandbox.ews.store.removeItem(ids[2]);
	sandbox.ews.store.moveItem(ids[3], other.id);

	const first = await sync(folder.id, null, 2);
	expect(summary(first)).toEqual([
		['Create', ids[0]],
		['Create', ids[1]],
	]);
	// Changes to what the first page reported, and to what it has not reached yet, while paging.
	sandbox.ews.store.updateItem(ids[5], (item) => (item.categories = ['later']));
	sandbox.ews.store.updateItem(ids[6], (item) => (item.isRead = true));
	const rest = await syncAll(folder.id, first.SyncState, 2);
	expect(rest.changes).toEqual([
		['Create', ids[4]],
		['Create', ids[5]],
		['Create', ids[6]],
	]);

	// After the window: a change to a reported item is an update, once.
	sandbox.ews.store.updateItem(ids[0], (item) => (item.categories = ['after']));
	const after = await syncAll(folder.id, rest.state, 1);
	expect(after.changes).toEqual([['Update', ids[0]]]);
	expect(summary(await sync(folder.id, after.state))).toEqual([]);
});

test('a window with more changes than a page: each item once, in the order of its first change, nothing lost', async () => {
	const folder = freshFolder();
	const start = (await sync(folder.id, null)).SyncState;
	const ids = Array.from({ length: 9 }, (_, i) => deliver(folder.id, `w${i}`));
	sandbox.ews.store.updateItem(ids[0], (item) => (item.categories = ['y']));
	sandbox.ews.store.removeItem(ids[1]);
	const { changes, state } = await syncAll(folder.id, start, 3);
	expect(changes).toEqual(ids.filter((id) => id !== ids[1]).map((id) => ['Create', id]));
	expect(summary(await sync(folder.id, state))).toEqual([]);
});
