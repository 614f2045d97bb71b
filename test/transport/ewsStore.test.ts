/**
 * The EWS back end behind the mailbox interface, against the sandbox: which store a credential
 * gets, folder ids as the store hands them out (a well-known name stays a name, no call spent),
 * the change feed over SyncFolderItems, and one ConvertId shared by the Allowed Mailboxes guard
 * and Folder → Empty / Delete within an execution.
 */
import { parseAllowedMailboxes } from '../../nodes/shared/auth/allowedMailboxes';
import { openMailStore } from '../../nodes/shared/mail/open';
import { DEMO, type Sandbox } from '../sandbox';
import { appOnlyAuth, useEwsSandbox } from './ewsSupport';

const currentSandbox = useEwsSandbox();
let sandbox: Sandbox;
beforeAll(() => {
	sandbox = currentSandbox();
});
const MAILBOX = DEMO.sharedMailbox;

it('a credential without a Mailbox API (as saved by 0.1) and one set to EWS both get the EWS store, which reaches the mailbox', async () => {
	for (const mailboxApi of [undefined, 'ews' as const]) {
		const store = openMailStore({ ...(await appOnlyAuth(sandbox)), mailboxApi });
		expect(store.api).toBe('ews');
		expect(await store.getFolder(MAILBOX, { wellKnown: 'inbox' })).toMatchObject({ displayName: 'Inbox' });
	}
});

it('resolveFolderId: a well-known folder is its name (no call), a path its EWS id; both work as the change feed folder', async () => {
	const store = openMailStore(await appOnlyAuth(sandbox));
	const name = `Feed ${Date.now()}`;
	const created = sandbox.ews.store.createFolder(MAILBOX, 'inbox', name);
	sandbox.ews.clearRequests();
	expect(await store.resolveFolderId(MAILBOX, { wellKnown: 'junkemail' })).toBe('junkemail');
	expect(await store.resolveFolderId(MAILBOX, { path: 'Inbox' })).toBe('inbox');
	expect(sandbox.ews.requests).toHaveLength(0);
	const folderId = await store.resolveFolderId(MAILBOX, { path: `Inbox/${name}` });
	expect(folderId).toBe(created.id);

	const first = await store.changes(MAILBOX, folderId, undefined, { maxChanges: 10 });
	expect(first).toMatchObject({ created: [], moreAvailable: false });
	const id = sandbox.ews.store.deliver(MAILBOX, { from: 'a@example.test', to: MAILBOX, subject: 'fed', text: 'x', folder: `Inbox/${name}` });
	const next = await store.changes(MAILBOX, folderId, first.cursor, { maxChanges: 10, withReceivedTime: true });
	expect(next.created).toEqual([{ id, receivedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) }]);
	expect(next.cursor).not.toBe(first.cursor);

	const inbox = await store.changes(MAILBOX, await store.resolveFolderId(MAILBOX, { wellKnown: 'inbox' }), undefined, { maxChanges: 1 });
	expect(inbox.changeCount).toBeLessThanOrEqual(1);
});

it('a stale change-feed cursor fails as invalidCursor (the trigger then resynchronises)', async () => {
	const store = openMailStore(await appOnlyAuth(sandbox));
	await expect(store.changes(MAILBOX, 'inbox', 'bm90IGEgc3luYyBzdGF0ZQ==', { maxChanges: 5 })).rejects.toMatchObject({ failure: { api: 'ews', kind: 'invalidCursor' } });
});

it('the Allowed Mailboxes guard and Folder → Empty / Delete share one ConvertId per id within an execution', async () => {
	const store = openMailStore(await appOnlyAuth(sandbox));
	const folder = sandbox.ews.store.createFolder(MAILBOX, 'inbox', `Owned ${Date.now()}`);
	sandbox.ews.clearRequests();
	const [refusal] = await store.refusedIds(MAILBOX, parseAllowedMailboxes(MAILBOX), [[{ field: 'Folder', id: folder.id }]]);
	expect(refusal).toBeUndefined();
	const target = await store.inspectFolder(MAILBOX, { id: folder.id });
	expect(target).toMatchObject({ id: folder.id, ownerMailbox: MAILBOX });
	expect(target.wellKnownName).toBeUndefined();
	expect(sandbox.ews.counts().ConvertId).toBe(1);

	// The Inbox by ID is still known as the protected folder it is.
	const inboxId = sandbox.ews.store.folderByPath(MAILBOX, 'Inbox')!.id;
	expect(await store.inspectFolder(MAILBOX, { id: inboxId })).toMatchObject({ wellKnownName: 'inbox', ownerMailbox: MAILBOX });
});
