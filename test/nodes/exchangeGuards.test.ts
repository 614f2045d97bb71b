/**
 * Guards of the Exchange node against the real sandbox (real ews-javascript-api, schema-checked EWS):
 * ids from another mailbox (Exchange's rights of the acting user, and Allowed Mailboxes on top),
 * well-known folders under Folder → Empty / Delete, what destructive operations report, and the
 * folder picker (IDs as values, unambiguous paths as labels).
 */
import type { ICredentialDataDecryptedObject, IDataObject, INodeExecutionData } from 'n8n-workflow';

import { Exchange } from '../../nodes/Exchange/Exchange.node';
import { ExchangeTrigger } from '../../nodes/ExchangeTrigger/ExchangeTrigger.node';
import { loadExchangeAuth } from '../../nodes/shared/auth/exchangeAuth';
import { EwsClient } from '../../nodes/shared/transport/ews/client';
import { owningMailboxes } from '../../nodes/shared/transport/ews/ownership';
import { PROTECTED_FOLDERS } from '../../nodes/shared/transport/ews/folders';
import { DEMO, type Sandbox } from '../sandbox';
import { createExecuteContext, type TestContext } from '../support/executeContext';
import { createPollContext } from '../support/pollContext';
import { appOnlyCredential, delegatedCredential, EWS_DELEGATED_SCOPE } from '../support/sandboxCredentials';
import { useSandbox } from '../support/useSandbox';

jest.setTimeout(60_000);

const node = new Exchange();
const currentSandbox = useSandbox();
let sandbox: Sandbox;
beforeAll(() => {
	sandbox = currentSandbox();
	// An app whose Exchange scope covers alex@ too, so it can impersonate the demo user.
	sandbox.entra.registerApp({ tenantId: DEMO.tenantId, tenantDomains: [DEMO.tenantDomain], clientId: WIDE_APP.clientId, clientSecret: WIDE_APP.clientSecret, roles: ['full_access_as_app'], delegatedScopes: [], sendAs: [DEMO.user, DEMO.sharedMailbox, DEMO.noreplyMailbox] });
});
beforeEach(() => sandbox.ews.reset());

const WIDE_APP = { clientId: '5e6f7a8b-1111-4c2d-9e3f-00000000a11e', clientSecret: 'wide-app-secret-not-real' };
const SHARED = DEMO.sharedMailbox;
const USER = DEMO.user;
let seq = 0;
const unique = (label: string) => `${label} ${++seq} ${Date.now().toString(36)}`;
const folder = (mode: string, value: string) => ({ __rl: true, mode, value });
const deliver = (mailbox: string, subject: string, extra: IDataObject = {}) =>
	sandbox.ews.store.deliver(mailbox, { from: 'ann@example.com', to: mailbox, subject, text: subject, ...extra });

type Kind = 'appOnly' | 'delegated';

async function context(kind: Kind, parameters: IDataObject, credential: IDataObject = {}, extra: Partial<Parameters<typeof createExecuteContext>[0]> = {}): Promise<TestContext> {
	const credentials: Record<string, ICredentialDataDecryptedObject> =
		kind === 'appOnly'
			? { microsoftExchangeAppOnlyApi: appOnlyCredential(sandbox, credential as never) }
			: { microsoftExchangeOAuth2Api: await delegatedCredential(sandbox, credential as never, EWS_DELEGATED_SCOPE) };
	return createExecuteContext({ description: node.description, parameters: { authentication: kind, ...parameters }, credentials, trustedCa: sandbox.ca, ...extra });
}

async function run(test: TestContext): Promise<INodeExecutionData[]> {
	const [output] = await node.execute.call(test.context);
	return output;
}

async function failure(test: TestContext): Promise<Error & { description?: string }> {
	try {
		await run(test);
	} catch (error) {
		return error as Error & { description?: string };
	}
	throw new Error('expected the node to fail');
}

/** A message with an attachment and a folder with mail in `mailbox`: what a workflow could get ids of. */
function fixture(mailbox: string) {
	const tag = unique('Fixture');
	const store = sandbox.ews.store;
	const folderId = store.createFolder(mailbox, 'inbox', tag).id;
	deliver(mailbox, `${tag} in folder`, { folder: folderId });
	const messageId = deliver(mailbox, tag, { attachments: [{ filename: 'secret.txt', content: Buffer.from('secret') }] });
	const attachmentId = store.getItem(messageId)!.attachments[0].id;
	const snapshot = () => ({
		message: store.getItem(messageId) && { folder: store.getItem(messageId)!.folderId, read: store.getItem(messageId)!.isRead, categories: store.getItem(messageId)!.categories.join() },
		folder: store.folder(folderId) && { name: store.folder(folderId)!.displayName, items: store.listItemsIn(folderId).length, children: store.childFolders(folderId).length },
	});
	return { messageId, folderId, attachmentId, snapshot };
}

/** Every operation that takes a message, folder or attachment id, with the foreign id in `field`. */
function idCases(foreign: ReturnType<typeof fixture>, own: ReturnType<typeof fixture>): Array<[string, IDataObject, string]> {
	const m = foreign.messageId;
	const f = folder('id', foreign.folderId);
	return [
		['message get', { resource: 'message', operation: 'get', messageId: m }, 'Message ID'],
		['message get MIME', { resource: 'message', operation: 'getMime', messageId: m }, 'Message ID'],
		['message delete', { resource: 'message', operation: 'delete', messageId: m, deleteMode: 'hard' }, 'Message ID'],
		['message move', { resource: 'message', operation: 'move', messageId: m, destination: folder('wellKnown', 'deleteditems') }, 'Message ID'],
		['message move into a foreign folder', { resource: 'message', operation: 'move', messageId: own.messageId, destination: f }, 'Destination Folder'],
		['message copy', { resource: 'message', operation: 'copy', messageId: m, destination: folder('wellKnown', 'inbox') }, 'Message ID'],
		['message mark as read', { resource: 'message', operation: 'markAsRead', messageId: m }, 'Message ID'],
		['message mark as unread', { resource: 'message', operation: 'markAsUnread', messageId: m }, 'Message ID'],
		['message update', { resource: 'message', operation: 'update', messageId: m, updateFields: { categories: 'Stolen' } }, 'Message ID'],
		['message reply', { resource: 'message', operation: 'reply', messageId: m, comment: 'x' }, 'Message ID'],
		['message forward', { resource: 'message', operation: 'forward', messageId: m, toEmail: 'thief@example.com' }, 'Message ID'],
		['message get many in a foreign folder', { resource: 'message', operation: 'getMany', folder: f, returnAll: true }, 'Folder'],
		['attachment get many', { resource: 'attachment', operation: 'getMany', messageId: m }, 'Message ID'],
		['attachment download', { resource: 'attachment', operation: 'download', messageId: m }, 'Message ID'],
		['attachment download by a foreign attachment id', { resource: 'attachment', operation: 'download', messageId: own.messageId, attachmentId: foreign.attachmentId }, 'Attachment ID'],
		['folder get', { resource: 'folder', operation: 'get', folder: f }, 'Folder'],
		['folder get many', { resource: 'folder', operation: 'getMany', parentFolder: f }, 'Parent Folder'],
		['folder create', { resource: 'folder', operation: 'create', parentFolder: f, displayName: 'Planted' }, 'Parent Folder'],
		['folder rename', { resource: 'folder', operation: 'rename', folder: f, displayName: 'Renamed' }, 'Folder'],
		['folder empty', { resource: 'folder', operation: 'empty', folder: f, deleteMode: 'hard', deleteSubFolders: true }, 'Folder'],
		['folder delete', { resource: 'folder', operation: 'delete', folder: f, deleteMode: 'hard' }, 'Folder'],
	];
}

const CASE_COUNT = idCases({ messageId: '', folderId: '', attachmentId: '', snapshot: () => ({}) } as never, {} as never).length;

describe('the sandbox applies the acting user\'s rights to ids of other mailboxes, as Exchange does', () => {
	// App-only impersonating invoices@ (the app's scope includes noreply@ too): invoices@ has no rights on noreply@.
	// Delegated as alex@ (FullAccess on invoices@ only): no rights on noreply@.
	it.each(['appOnly', 'delegated'] as Kind[])('%s: every id-taking operation on a noreply@ id is refused by Exchange, and noreply@ is unchanged', async (kind) => {
		const acting = kind === 'appOnly' ? SHARED : USER;
		for (let index = 0; index < CASE_COUNT; index++) {
			const foreign = fixture(DEMO.noreplyMailbox);
			const own = fixture(acting);
			const [label, parameters, field] = idCases(foreign, own)[index];
			const before = foreign.snapshot();
			const error = await failure(await context(kind, { mailbox: acting, ...parameters }));
			// Reached Exchange (no Allowed Mailboxes here) and refused there; the attachment case is refused by GetAttachment.
			expect([label, error.message]).toEqual([label, expect.stringMatching(field === 'Attachment ID' ? /ErrorAccessDenied|ErrorItemNotFound/ : /ErrorAccessDenied/)]);
			expect([label, foreign.snapshot()]).toEqual([label, before]);
		}
		expect(sandbox.ews.store.sent.some((message) => message.to.some((to) => to.email === 'thief@example.com'))).toBe(false);
	});

	it('an impersonated user with FullAccess on another mailbox may use its ids (so only Allowed Mailboxes stands in the way)', async () => {
		const foreign = fixture(SHARED);
		const [output] = await run(await context('appOnly', { mailbox: USER, resource: 'message', operation: 'markAsRead', messageId: foreign.messageId }, WIDE_APP));
		expect(output.json.isRead).toBe(true);
		expect(sandbox.ews.store.getItem(foreign.messageId)?.isRead).toBe(true);
	});

	it('ConvertId (EwsId → EwsId) names the mailbox of item and folder ids, batched; a malformed id fails alone', async () => {
		const inShared = fixture(SHARED);
		const inUser = fixture(USER);
		const test = await context('appOnly', {}, WIDE_APP);
		const auth = await loadExchangeAuth(test.context, 'appOnly', 'microsoftExchangeOAuth2Api');
		const owners = await owningMailboxes(new EwsClient(auth, { ewsUrl: sandbox.ews.url }), USER, [inShared.messageId, inShared.folderId, inUser.messageId, 'AAMk-not-an-id']);
		expect(Object.fromEntries([...owners].map(([id, result]) => [id, result.ok ? result.value : result.failure.code]))).toEqual({
			[inShared.messageId]: SHARED,
			[inShared.folderId]: SHARED,
			[inUser.messageId]: USER,
			'AAMk-not-an-id': 'ErrorInvalidIdMalformed',
		});
		expect(sandbox.ews.counts()).toEqual({ ConvertId: 1 });
	});
});

describe('Allowed Mailboxes holds for ids where Exchange would allow them', () => {
	// alex@ may open invoices@ (FullAccess); the credential allows only alex@.
	const credentials: Record<Kind, IDataObject> = { appOnly: { ...WIDE_APP, allowedMailboxes: USER }, delegated: { allowedMailboxes: USER } };
	it.each(['appOnly', 'delegated'] as Kind[])('%s: every id-taking operation refuses an invoices@ id, naming the field, before acting', async (kind) => {
		for (let index = 0; index < CASE_COUNT; index++) {
			const foreign = fixture(SHARED);
			const own = fixture(USER);
			const [label, parameters, field] = idCases(foreign, own)[index];
			const before = foreign.snapshot();
			sandbox.ews.reset();
			const error = await failure(await context(kind, { mailbox: USER, ...parameters }, credentials[kind]));
			const expected = field === 'Attachment ID' ? 'The ID in "Attachment ID" is not an attachment of the message in "Message ID"' : `The ID in "${field}" belongs to mailbox "${SHARED}", which is not in the credential's Allowed Mailboxes`;
			expect([label, error.constructor.name, error.message]).toEqual([label, 'NodeOperationError', expected]);
			// Nothing but the look-ups ran: ConvertId (and, for an attachment id, the listing of the own message).
			expect([label, sandbox.ews.requests.filter((r) => !['ConvertId', 'GetItem'].includes(r.operation)).map((r) => r.operation)]).toEqual([label, []]);
			expect([label, foreign.snapshot()]).toEqual([label, before]);
		}
	});

	it('costs one ConvertId per batch of 100 ids, and none without Allowed Mailboxes', async () => {
		const ids = Array.from({ length: 150 }, (_, i) => deliver(SHARED, `batch ${i}`));
		const items = ids.map((id) => ({ json: { id } }));
		const parameters = (i: number) => ({ authentication: 'appOnly', mailbox: USER, resource: 'message', operation: 'markAsRead', messageId: ids[i] });
		const allowed = createExecuteContext({ description: node.description, parameters, items, credentials: { microsoftExchangeAppOnlyApi: appOnlyCredential(sandbox, { ...WIDE_APP, allowedMailboxes: `${USER}, ${SHARED}` }) }, trustedCa: sandbox.ca });
		expect((await run(allowed)).every((o) => o.json.isRead === true)).toBe(true);
		expect(sandbox.ews.counts()).toEqual({ ConvertId: 2, UpdateItem: 2 });
		sandbox.ews.reset();
		const open = createExecuteContext({ description: node.description, parameters, items, credentials: { microsoftExchangeAppOnlyApi: appOnlyCredential(sandbox, WIDE_APP) }, trustedCa: sandbox.ca });
		await run(open);
		expect(sandbox.ews.counts()).toEqual({ UpdateItem: 2 });
	});

	it('refuses only the foreign items of a batch with Continue On Fail; without it, nothing is done in any group', async () => {
		const own = deliver(USER, unique('own'));
		const foreign = deliver(SHARED, unique('foreign'));
		const ids = [own, foreign];
		const options = (continueOnFail: boolean) => ({
			description: node.description,
			// Two delete modes: two groups, the own message's group first.
			parameters: (i: number) => ({ authentication: 'appOnly', mailbox: USER, resource: 'message', operation: 'delete', deleteMode: i === 0 ? 'hard' : 'soft', messageId: ids[i] }),
			items: [{ json: {} }, { json: {} }],
			continueOnFail,
			credentials: { microsoftExchangeAppOnlyApi: appOnlyCredential(sandbox, { ...WIDE_APP, allowedMailboxes: USER }) },
			trustedCa: sandbox.ca,
		});
		const stopped = await failure(createExecuteContext(options(false)));
		expect(stopped.message).toMatch(/^The ID in "Message ID" belongs to mailbox "invoices@contoso\.test"/);
		expect(sandbox.ews.counts()).toEqual({ ConvertId: 2 });
		expect(sandbox.ews.store.getItem(own)).toBeDefined();

		const output = await run(createExecuteContext(options(true)));
		expect(output[0].json).toMatchObject({ id: own, deleted: true, summary: `Message ${own} of ${USER} permanently deleted` });
		expect(output[1]).toMatchObject({ json: { error: expect.stringMatching(/belongs to mailbox "invoices@contoso\.test"/) }, pairedItem: { item: 1 } });
		expect(sandbox.ews.store.getItem(own)).toBeUndefined();
		expect(sandbox.ews.store.getItem(foreign)).toBeDefined();
	});

	it('the trigger refuses a watched or Move To folder given by the ID of a mailbox outside the list', async () => {
		const trigger = new ExchangeTrigger();
		const foreign = fixture(SHARED);
		const poll = (parameters: IDataObject) =>
			createPollContext({
				description: trigger.description,
				parameters: { authentication: 'appOnly', mailbox: USER, startFrom: 'all', folder: folder('wellKnown', 'inbox'), ...parameters },
				credentials: { microsoftExchangeAppOnlyApi: appOnlyCredential(sandbox, { ...WIDE_APP, allowedMailboxes: USER }) },
				credentialIds: { microsoftExchangeAppOnlyApi: 'cred-guard' },
				trustedCa: sandbox.ca,
				staticData: {},
				mode: 'trigger',
			}).context;
		await expect(trigger.poll.call(poll({ folder: folder('id', foreign.folderId) }))).rejects.toThrow(`The ID in "Folder" belongs to mailbox "${SHARED}"`);
		await expect(trigger.poll.call(poll({ afterEmit: 'move', moveTo: folder('id', foreign.folderId) }))).rejects.toThrow(`The ID in "Move To" belongs to mailbox "${SHARED}"`);
		expect(sandbox.ews.requests.map((r) => r.operation)).toEqual(['ConvertId', 'ConvertId']);
	});

	it('the credential Test opens no mailbox outside the list', async () => {
		const decrypted = (type: string, data: IDataObject) => ({ id: '1', name: 'test', type, data }) as never;
		sandbox.entra.clearRequests();
		const appOnly = await node.methods.credentialTest.microsoftExchangeAppOnlyApiEwsTest.call({} as never, decrypted('microsoftExchangeAppOnlyApi', appOnlyCredential(sandbox, { testMailbox: SHARED, allowedMailboxes: DEMO.noreplyMailbox })));
		expect(appOnly).toEqual({ status: 'Error', message: expect.stringMatching(/^"Test Mailbox" invoices@contoso\.test is not in the credential's Allowed Mailboxes \(noreply@contoso\.test\)/) });
		expect(sandbox.entra.requests).toHaveLength(0);
		const delegated = await node.methods.credentialTest.microsoftExchangeOAuth2ApiTest.call({} as never, decrypted('microsoftExchangeOAuth2Api', await delegatedCredential(sandbox, { allowedMailboxes: SHARED }, EWS_DELEGATED_SCOPE)));
		expect(delegated).toEqual({ status: 'OK', message: expect.stringMatching(/^Signed in as alex@contoso\.test .* so the test opened no mailbox/) });
		expect(sandbox.ews.requests).toHaveLength(0);
	});
});

describe('Folder → Empty / Delete and well-known folders', () => {
	const appOnly = (parameters: IDataObject) => context('appOnly', { mailbox: SHARED, ...parameters });

	it('refuses a well-known folder reached by path, ID or list, for Empty and Delete, before acting', async () => {
		const store = sandbox.ews.store;
		deliver(SHARED, unique('keep me'));
		const box = store.mailbox(SHARED)!;
		// Every distinguished folder the sandbox has and EWS 2016 names (its "archive" folder has no schema name there).
		const distinguished = [...box.distinguished.entries()].filter(([name]) => (PROTECTED_FOLDERS as readonly string[]).includes(name));
		expect(distinguished.length).toBeGreaterThanOrEqual(7);
		const refs: Array<[string, IDataObject]> = [
			['path Inbox', folder('path', 'Inbox')],
			['path inbox', folder('path', 'inbox')],
			['path Deleted Items', folder('path', 'Deleted Items')],
			['list entry saved as a path', folder('list', 'Sent Items')],
			['list entry (ID) of the Inbox', folder('list', box.distinguished.get('inbox')!)],
			['ID of the root', folder('id', box.rootId)],
			...distinguished.map(([name, id]): [string, IDataObject] => [`ID of ${name}`, folder('id', id)]),
		];
		for (const operation of ['empty', 'delete']) {
			for (const [label, ref] of refs) {
				const counts = () => store.listMailboxes().map((mailbox) => store.descendantFolders(mailbox.rootId).map((f) => `${f.id}:${store.listItemsIn(f.id).length}`).join());
				const before = counts();
				sandbox.ews.reset();
				const error = await failure(await appOnly({ resource: 'folder', operation, folder: ref, deleteMode: 'hard', deleteSubFolders: true }));
				expect([operation, label, error.message]).toEqual([operation, label, expect.stringMatching(/^"Folder" \(.*\) is the well-known folder "[a-z]+" \(.*\) of invoices@contoso\.test, which Empty and Delete refuse unless it is picked as such$/)]);
				expect(error.description).toMatch(/switch "Folder" to Well-Known mode and enter [a-z]+\./);
				expect([label, sandbox.ews.requests.filter((r) => ['EmptyFolder', 'DeleteFolder'].includes(r.operation))]).toEqual([label, []]);
				expect(counts()).toEqual(before);
			}
		}
	});

	it('Well-Known mode empties that folder on purpose, and the output says what was done', async () => {
		const store = sandbox.ews.store;
		const junk = store.distinguishedFolder(SHARED, 'junkemail')!;
		for (const i of [1, 2, 3]) deliver(SHARED, `junk ${i}`, { folder: 'junkemail' });
		const count = store.listItemsIn(junk.id).length;
		const [output] = await run(await appOnly({ resource: 'folder', operation: 'empty', folder: folder('wellKnown', 'junkemail'), deleteMode: 'soft' }));
		expect(output.json).toMatchObject({
			id: junk.id,
			displayName: 'Junk Email',
			wellKnownName: 'junkemail',
			pickedBy: 'wellKnown',
			mailbox: SHARED,
			emptied: true,
			deleteMode: 'soft',
			deleteSubFolders: false,
			totalCount: count,
			summary: `${count} item(s) in folder "Junk Email" (ID ${junk.id}) of ${SHARED} soft-deleted (recoverable with "Recover deleted items"); subfolders kept`,
		});
		expect(store.listItemsIn(junk.id)).toHaveLength(0);
		// One GetFolder answers for the folder and every distinguished folder it is compared with.
		expect(sandbox.ews.counts()).toEqual({ GetFolder: 1, EmptyFolder: 1 });
	});

	it('an ordinary folder is emptied or deleted by path or ID, with what was done in the output', async () => {
		const store = sandbox.ews.store;
		const name = unique('Old').replace(/[^A-Za-z0-9 ]/g, '');
		const target = store.createFolder(SHARED, 'inbox', name);
		store.createFolder(SHARED, target.id, 'Sub');
		for (const i of [1, 2]) deliver(SHARED, `old ${i}`, { folder: target.id });
		const [emptied] = await run(await appOnly({ resource: 'folder', operation: 'empty', folder: folder('path', `Inbox/${name}`), deleteMode: 'hard', deleteSubFolders: true }));
		expect(emptied.json).toMatchObject({ id: target.id, path: `Inbox/${name}`, pickedBy: 'path', totalCount: 2, childFolderCount: 1, summary: `2 item(s) in folder "Inbox/${name}" (ID ${target.id}) of ${SHARED} permanently deleted, and its 1 subfolder(s) deleted` });
		expect(emptied.json).not.toHaveProperty('wellKnownName');
		expect(store.listItemsIn(target.id)).toHaveLength(0);
		expect(store.childFolders(target.id)).toHaveLength(0);

		deliver(SHARED, 'last', { folder: target.id });
		const [deleted] = await run(await appOnly({ resource: 'folder', operation: 'delete', folder: folder('id', target.id), deleteMode: 'moveToDeletedItems' }));
		expect(deleted.json).toMatchObject({ id: target.id, displayName: name, pickedBy: 'id', deleted: true, summary: `Folder "${name}" (ID ${target.id}) of ${SHARED} with 1 item(s) and 0 subfolder(s) moved to Deleted Items` });
		expect(store.folder(target.id)?.parentId).toBe(store.distinguishedFolder(SHARED, 'deleteditems')!.id);
	});

	it('Message → Delete says what it did', async () => {
		const id = deliver(SHARED, unique('bye'));
		const [output] = await run(await appOnly({ resource: 'message', operation: 'delete', messageId: id }));
		expect(output.json).toEqual({ id, mailbox: SHARED, deleted: true, deleteMode: 'moveToDeletedItems', summary: `Message ${id} of ${SHARED} moved to Deleted Items` });
	});
});

describe('folder picker', () => {
	async function search(parameters: IDataObject, filter?: string) {
		const test = await context('appOnly', {});
		const ctx = Object.assign(Object.create(test.context), { getNodeParameter: (name: string, fallback: unknown) => ({ authentication: 'appOnly', ...parameters })[name] ?? fallback });
		return await node.methods.listSearch.searchFolders.call(ctx, filter);
	}

	it('lists IDs as values and paths as labels; look-alike paths print differently and picking one moves mail into that one', async () => {
		const store = sandbox.ews.store;
		const top = unique('Clients').replace(/[^A-Za-z0-9]/g, '');
		const named = store.createFolder(SHARED, 'inbox', `${top}/Acme`);
		const parent = store.createFolder(SHARED, 'inbox', top);
		const nested = store.createFolder(SHARED, parent.id, 'Acme');
		const { results } = await search({ mailbox: SHARED }, top.toLowerCase());
		expect(results).toHaveLength(3);
		expect(results).toEqual(
			expect.arrayContaining([
				{ name: `Inbox/${top}`, value: parent.id },
				{ name: `Inbox/${top}/Acme`, value: nested.id },
				{ name: `Inbox/${top}\\/Acme`, value: named.id },
			]),
		);

		for (const target of [named, nested]) {
			const id = deliver(SHARED, unique('to move'));
			const [moved] = await run(await context('appOnly', { mailbox: SHARED, resource: 'message', operation: 'move', messageId: id, destination: folder('list', results.find((r) => r.value === target.id)!.value as string) }));
			expect(store.getItem(moved.json.id as string)?.folderId).toBe(target.id);
		}
		// A workflow saved when the list stored paths keeps working (the path means the nested folder).
		const id = deliver(SHARED, unique('old workflow'));
		const [moved] = await run(await context('appOnly', { mailbox: SHARED, resource: 'message', operation: 'move', messageId: id, destination: folder('list', `Inbox/${top}/Acme`) }));
		expect(store.getItem(moved.json.id as string)?.folderId).toBe(nested.id);
	});

	it('says "Fill in Mailbox first" when app-only has no mailbox, before any request', async () => {
		sandbox.entra.clearRequests();
		await expect(search({ mailbox: '' })).rejects.toMatchObject({ message: 'Fill in "Mailbox" first', description: expect.stringMatching(/App-only access has no mailbox of its own/) });
		expect(sandbox.ews.requests).toHaveLength(0);
	});
});
