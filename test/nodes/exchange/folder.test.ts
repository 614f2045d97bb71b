/** The Microsoft Exchange node, Folder resource (and the folder list search): the same tests on every back end. */
import { BACKENDS, deliver, expectServedBy, folder, folderIdOn, node, on, run, runExpectingError, SHARED, storeFolderId, unique, useExchangeSandbox } from './setup';

const sandbox = useExchangeSandbox();

describe.each(BACKENDS)('folders on $label', (backend) => {
	const test = on(backend);
	expectServedBy(backend);

	it('create, get, rename, list with paths, empty and delete', async () => {
		const store = sandbox().ews.store;
		const name = unique('Processed').replace(/[^A-Za-z0-9 -]/g, '');
		const [created] = await run(await test({ resource: 'folder', operation: 'create', parentFolder: folder('wellKnown', 'inbox'), displayName: name }));
		expect(created.json).toMatchObject({ displayName: name, mailbox: SHARED });
		const storeId = storeFolderId(backend, created.json.id)!;
		expect(store.folderByPath(SHARED, `Inbox/${name}`)?.id).toBe(storeId);

		deliver(SHARED, 'in folder', { folder: `Inbox/${name}` });
		const [got] = await run(await test({ resource: 'folder', operation: 'get', folder: folder('path', `Inbox/${name}`) }));
		expect(got.json).toMatchObject({ id: created.json.id, displayName: name, totalCount: 1, unreadCount: 1 });

		await run(await test({ resource: 'folder', operation: 'rename', folder: folder('id', created.json.id as string), displayName: `${name} done` }));
		expect(store.folder(storeId)?.displayName).toBe(`${name} done`);

		const listed = await run(await test({ resource: 'folder', operation: 'getMany', parentFolder: folder('wellKnown', 'msgfolderroot'), deep: true }));
		expect(listed.map((o) => o.json.path)).toEqual(expect.arrayContaining(['Inbox', `Inbox/${name} done`, 'Deleted Items']));

		await run(await test({ resource: 'folder', operation: 'empty', folder: folder('path', `Inbox/${name} done`), deleteMode: 'hard' }));
		expect(store.listItemsIn(storeId)).toHaveLength(0);

		await run(await test({ resource: 'folder', operation: 'delete', folder: folder('path', `inbox/${name} done`), deleteMode: 'hard' }));
		expect(store.folder(storeId)).toBeUndefined();
	});

	it('a folder picked from the list (its ID in list mode) is taken as an ID, not a path', async () => {
		// An id with the characters that tell base64 alphabets apart ("-" "_" on Graph, "+" "/" on EWS): the class that was read as a path.
		const create = () => sandbox().ews.store.createFolder(SHARED, 'inbox', unique('Picked').replace(/[^A-Za-z0-9 -]/g, ''));
		let picked = create();
		for (let tries = 0; tries < 50 && !/[-_+/]/.test(folderIdOn(backend, picked.id)); tries++) picked = create();
		deliver(SHARED, 'picked one', { folder: `Inbox/${picked.displayName}` });
		const [got] = await run(await test({ resource: 'folder', operation: 'get', folder: folder('list', folderIdOn(backend, picked.id)) }));
		expect(got.json).toMatchObject({ id: folderIdOn(backend, picked.id), displayName: picked.displayName, totalCount: 1 });
	});

	it('the folder list search returns folders filtered by the typed text: path as the label, ID as the value', async () => {
		const receipts = sandbox().ews.store.createFolder(SHARED, 'inbox', unique('Receipts').replace(/[^A-Za-z0-9 -]/g, ''));
		const context = (await test({ resource: 'message', operation: 'getMany' })).context;
		const ctx = Object.assign(Object.create(context), { getNodeParameter: (name: string, fallback: unknown) => ({ authentication: backend.kind, mailbox: SHARED })[name] ?? fallback });
		const result = await node.methods.listSearch.searchFolders.call(ctx, receipts.displayName.toLowerCase());
		expect(result.results).toEqual([{ name: `Inbox/${receipts.displayName}`, value: folderIdOn(backend, receipts.id) }]);
	});

	it('Empty and Delete refuse a well-known folder; a bad folder id names the field', async () => {
		deliver(SHARED, unique('Keep me'));
		const before = sandbox().ews.store.listItems(SHARED, 'inbox').length;
		const empty = await runExpectingError(await test({ resource: 'folder', operation: 'empty', folder: folder('path', 'Inbox'), deleteMode: 'hard' }));
		expect(empty.message).toMatch(/Inbox|well-known/i);
		expect(sandbox().ews.store.listItems(SHARED, 'inbox')).toHaveLength(before);
		const bad = await runExpectingError(await test({ resource: 'folder', operation: 'get', folder: folder('id', 'not-a-folder-id') }));
		expect(bad.message).toMatch(/"Folder"/);
	});
});
