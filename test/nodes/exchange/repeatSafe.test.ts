/**
 * The acknowledging operations a redelivered message passes through a second time (Move, Mark as
 * Read, Update with categories) are safe to repeat on every back end: a repeat is reported as done,
 * changes nothing more, and never fails the item.
 */
import { BACKENDS, deliver, expectServedBy, folder, folderIdOn, items, messageIdOn, on, run, runExpectingError, SHARED, storedMessage, unique, useExchangeSandbox } from './setup';

const sandbox = useExchangeSandbox();

describe.each(BACKENDS)('repeat-safe acknowledgements on $label', (backend) => {
	const test = on(backend);
	expectServedBy(backend);
	const store = () => sandbox().ews.store;
	const inFolder = (path: string, tag: string) => store().listItemsIn(store().folderByPath(SHARED, path)!.id).filter((item) => item.subject.startsWith(tag));

	it('Move a second time with the same id (a redelivered message) is reported as done, and the message is moved once', async () => {
		const tag = unique('Twice');
		const id = messageIdOn(backend, deliver(SHARED, `${tag} a`));
		const move = () => test({ resource: 'message', operation: 'move', messageId: id, destination: folder('path', 'Archive') });
		const [first] = await run(await move());
		const [second] = await run(await move());
		expect(first.json).toMatchObject({ sourceId: id, moved: true });
		expect(first.json.alreadyMoved).toBeUndefined();
		if (backend.idChangesOnMove) {
			// EWS: the old id no longer resolves; the new one is not known from it.
			expect(second.json).toEqual({ id: null, sourceId: id, mailbox: SHARED, moved: true, alreadyMoved: true });
		} else {
			// Graph: the immutable id follows the message, which is already in the folder.
			expect(second.json).toMatchObject({ id, sourceId: id, mailbox: SHARED, moved: true });
		}
		expect(inFolder('Archive', tag).map((item) => item.subject)).toEqual([`${tag} a`]);
		expect(inFolder('Inbox', tag)).toEqual([]);
	});

	it('Move of many items where some were moved already: those are done, the others move, in input order', async () => {
		const tag = unique('Mixed');
		const ids = [0, 1, 2].map((i) => messageIdOn(backend, deliver(SHARED, `${tag} ${i}`)));
		await run(await test({ resource: 'message', operation: 'move', messageId: ids[1], destination: folder('path', 'Archive') }));
		const output = await run(await test((i) => ({ resource: 'message', operation: 'move', messageId: ids[i], destination: folder('path', 'Archive') }), { items: items(3) }));
		expect(output.map((entry) => entry.json.moved)).toEqual([true, true, true]);
		expect(output.map((entry) => entry.json.sourceId)).toEqual(ids);
		expect(output.map((entry) => entry.pairedItem)).toEqual([{ item: 0 }, { item: 1 }, { item: 2 }]);
		expect(output.map((entry) => entry.json.alreadyMoved === true)).toEqual([false, backend.idChangesOnMove, false]);
		expect(inFolder('Archive', tag).map((item) => item.subject).sort()).toEqual([0, 1, 2].map((i) => `${tag} ${i}`));
	});

	it('Move of a message that is already in the target folder is done and leaves it there', async () => {
		const tag = unique('There');
		const id = messageIdOn(backend, deliver(SHARED, `${tag} a`, { folder: 'Archive' } as never));
		const [output] = await run(await test({ resource: 'message', operation: 'move', messageId: id, destination: folder('path', 'Archive') }));
		expect(output.json).toMatchObject({ sourceId: id, moved: true });
		expect(storedMessage(backend, output.json.id)?.folderId).toBe(store().folderByPath(SHARED, 'Archive')!.id);
		expect(inFolder('Archive', tag)).toHaveLength(1);
	});

	it('a destination folder that does not exist stays an error (it is not taken for a message moved before)', async () => {
		const storeId = deliver(SHARED, unique('Nowhere'));
		const gone = store().createFolder(SHARED, 'inbox', unique('Gone folder'));
		const goneId = backend.api === 'ews' ? gone.id : folderIdOn(backend, gone.id);
		store().deleteFolder(gone.id);
		const context = await test({ resource: 'message', operation: 'move', messageId: messageIdOn(backend, storeId), destination: folder('id', goneId) });
		expect((await runExpectingError(context)).message).toMatch(/NotFound/);
		expect(store().getItem(storeId)?.folderId).toBe(store().distinguishedFolder(SHARED, 'inbox')!.id);
	});

	it('Mark as Read and Update (categories) a second time succeed and change nothing more', async () => {
		const tag = unique('Ack');
		const id = messageIdOn(backend, deliver(SHARED, `${tag} a`));
		for (let round = 0; round < 2; round++) {
			const [read] = await run(await test({ resource: 'message', operation: 'markAsRead', messageId: id }));
			expect(read.json).toMatchObject({ id, isRead: true });
			const [updated] = await run(await test({ resource: 'message', operation: 'update', messageId: id, updateFields: { categories: 'Finance, Processed' } }));
			expect(updated.json).toMatchObject({ id, categories: ['Finance', 'Processed'] });
		}
		expect(storedMessage(backend, id)).toMatchObject({ isRead: true, categories: ['Finance', 'Processed'] });
	});

	it('Update → Add Categories keeps the existing ones and adds nothing twice (in any case), so a repeat changes nothing', async () => {
		const tag = unique('AddCategory');
		const ids = [0, 1].map((i) => messageIdOn(backend, deliver(SHARED, `${tag} ${i}`, { categories: i === 0 ? ['Finance'] : ['processed'] })));
		const add = () => test((i) => ({ resource: 'message', operation: 'update', messageId: ids[i], updateFields: { addCategories: 'Processed, Done' } }), { items: items(2) });
		const first = await run(await add());
		expect(first.map((entry) => entry.json.categories)).toEqual([
			['Finance', 'Processed', 'Done'],
			['processed', 'Done'],
		]);
		const second = await run(await add());
		expect(second.map((entry) => entry.json.categories)).toEqual(first.map((entry) => entry.json.categories));
		expect(ids.map((id) => storedMessage(backend, id)?.categories)).toEqual([
			['Finance', 'Processed', 'Done'],
			['processed', 'Done'],
		]);
	});

	it('Update → Add Categories of a message that is gone fails only that item; Categories and Add Categories together are refused', async () => {
		const goneStoreId = deliver(SHARED, unique('GoneCategory'));
		const ids = [messageIdOn(backend, deliver(SHARED, unique('KeptCategory'))), messageIdOn(backend, goneStoreId)];
		store().removeItem(goneStoreId);
		const output = await run(await test((i) => ({ resource: 'message', operation: 'update', messageId: ids[i], updateFields: { addCategories: 'Processed' } }), { items: items(2), continueOnFail: true }));
		expect(output[0].json.categories).toEqual(['Processed']);
		expect(output[1].json.error).toMatch(/^"Message ID": .*ErrorItemNotFound/);
		const both = await runExpectingError(await test({ resource: 'message', operation: 'update', messageId: ids[0], updateFields: { categories: 'A', addCategories: 'B' } }));
		expect(both.message).toBe('"Categories" and "Add Categories" are both set');
	});

	it('a message that was deleted is not reported as moved where the API can tell (Graph); on EWS it is, and says so', async () => {
		const storeId = deliver(SHARED, unique('Gone'));
		const id = messageIdOn(backend, storeId);
		store().removeItem(storeId);
		const context = await test({ resource: 'message', operation: 'move', messageId: id, destination: folder('path', 'Archive') });
		if (backend.idChangesOnMove) {
			const [output] = await run(context);
			expect(output.json).toMatchObject({ id: null, moved: true, alreadyMoved: true });
		} else {
			expect((await runExpectingError(context)).message).toMatch(/"Message ID": .*ErrorItemNotFound/);
		}
	});
});
