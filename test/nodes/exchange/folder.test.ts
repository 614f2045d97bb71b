/** The Microsoft Exchange node, Folder resource (and the folder list search), against the real sandbox. */
import { appOnly, deliver, folder, node, run, SHARED, unique, useExchangeSandbox } from './setup';

const sandbox = useExchangeSandbox();

describe('folders', () => {
	it('create, get, rename, list with paths, empty and delete', async () => {
		const name = unique('Processed').replace(/[^A-Za-z0-9 -]/g, '');
		const [created] = await run(appOnly({ resource: 'folder', operation: 'create', parentFolder: folder('wellKnown', 'inbox'), displayName: name }));
		expect(created.json).toMatchObject({ displayName: name, mailbox: SHARED });
		expect(sandbox().ews.store.folderByPath(SHARED, `Inbox/${name}`)?.id).toBe(created.json.id);

		deliver(SHARED, 'in folder', { folder: `Inbox/${name}` });
		const [got] = await run(appOnly({ resource: 'folder', operation: 'get', folder: folder('path', `Inbox/${name}`) }));
		expect(got.json).toMatchObject({ id: created.json.id, displayName: name, totalCount: 1, unreadCount: 1 });

		await run(appOnly({ resource: 'folder', operation: 'rename', folder: folder('id', created.json.id as string), displayName: `${name} done` }));
		expect(sandbox().ews.store.folder(created.json.id as string)?.displayName).toBe(`${name} done`);

		const listed = await run(appOnly({ resource: 'folder', operation: 'getMany', parentFolder: folder('wellKnown', 'msgfolderroot'), deep: true }));
		expect(listed.map((o) => o.json.path)).toEqual(expect.arrayContaining(['Inbox', `Inbox/${name} done`, 'Deleted Items']));

		await run(appOnly({ resource: 'folder', operation: 'empty', folder: folder('path', `Inbox/${name} done`), deleteMode: 'hard' }));
		expect(sandbox().ews.store.listItemsIn(created.json.id as string)).toHaveLength(0);

		await run(appOnly({ resource: 'folder', operation: 'delete', folder: folder('path', `inbox/${name} done`), deleteMode: 'hard' }));
		expect(sandbox().ews.store.folder(created.json.id as string)).toBeUndefined();
	});

	it('the folder list search returns folders filtered by the typed text: path as the label, ID as the value', async () => {
		const receipts = sandbox().ews.store.createFolder(SHARED, 'inbox', 'Receipts 2026');
		const test = appOnly({ resource: 'message', operation: 'getMany' });
		const ctx = Object.assign(Object.create(test.context), { getNodeParameter: (name: string, fallback: unknown) => ({ authentication: 'appOnly', mailbox: SHARED })[name] ?? fallback });
		const result = await node.methods.listSearch.searchFolders.call(ctx, 'receipts');
		expect(result.results).toEqual([{ name: 'Inbox/Receipts 2026', value: receipts.id }]);
	});
});
