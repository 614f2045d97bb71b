/**
 * GraphMailStore against the sandbox's Graph stand-in (real HTTPS, tokens for the Graph resource,
 * the same mailbox store as the EWS stand-in): every MailStore method, the request counts of the
 * batched calls, and the message shape compared with what the EWS back end gives for the same message.
 */
import { getMessages as ewsGetMessages } from '../../../nodes/shared/transport/ews/messages';
import { DEMO } from '../../sandbox';
import { decodeGraphId } from '../../sandbox/graph/ids';
import { contentOf } from '../../support/binaryContent';
import { appOnlyAuth, clientOn } from '../ewsSupport';
import { graphStoreOn, useGraphSandbox } from './graphSandbox';
import { failureOf } from './graphTestServer';

const sandbox = useGraphSandbox();
const MAILBOX = DEMO.sharedMailbox;
let serial = 0;

function deliver(overrides: Partial<Parameters<ReturnType<typeof sandbox>['ews']['store']['deliver']>[1]> = {}): string {
	serial++;
	return sandbox().ews.store.deliver(MAILBOX, { from: { name: 'Ann Sender', email: 'ann@fabrikam.test' }, to: MAILBOX, subject: `Graph store ${serial}`, text: `body ${serial}`, receivedAt: new Date(Date.UTC(2026, 10, 1, 8, serial)), ...overrides });
}


/** Graph ids of the messages in a folder with this subject. */
async function idsWithSubject(subject: string, folder = 'inbox'): Promise<string[]> {
	const { store } = graphStoreOn(sandbox());
	const ids = await store.findMessageIds(MAILBOX, { wellKnown: folder as 'inbox' }, {});
	const messages = await store.getMessages(MAILBOX, ids, { body: 'none' });
	return ids.filter((_, index) => {
		const result = messages[index];
		return result.ok && result.value.subject === subject;
	});
}

describe('folders', () => {
	it('resolves well-known names and paths, lists with paths, renames, inspects and deletes', async () => {
		const { store } = graphStoreOn(sandbox());
		const inboxId = await store.resolveFolderId(MAILBOX, { wellKnown: 'inbox' });
		expect(inboxId).toBeTruthy();
		const name = `Graph Projects ${Date.now()}`;
		const created = await store.createFolder(MAILBOX, { wellKnown: 'inbox' }, name);
		expect(created).toMatchObject({ displayName: name, changeKey: '' });
		const child = await store.createFolder(MAILBOX, { id: created.id }, 'A/B');
		expect(await store.resolveFolderId(MAILBOX, { path: `Inbox/${name}` })).toBe(created.id);
		expect(await store.resolveFolderId(MAILBOX, { path: `inbox/${name}/A\\/B` })).toBe(child.id);

		const all = await store.listFolders(MAILBOX, { wellKnown: 'msgfolderroot' }, true);
		expect(all.find((folder) => folder.id === child.id)).toMatchObject({ path: `Inbox/${name}/A\\/B`, parentId: created.id, displayName: 'A/B' });
		const below = await store.listFolders(MAILBOX, { wellKnown: 'inbox' }, false);
		expect(below.find((folder) => folder.id === created.id)).toMatchObject({ path: name, childFolderCount: 1 });
		expect(below.some((folder) => folder.id === child.id)).toBe(false);

		const renamed = await store.renameFolder(MAILBOX, { id: child.id }, 'C');
		expect(renamed).toMatchObject({ id: child.id, displayName: 'C' });
		expect(await store.getFolder(MAILBOX, { path: `Inbox/${name}/C` })).toMatchObject({ id: child.id, path: `Inbox/${name}/C`, totalCount: 0, unreadCount: 0 });

		expect(await store.inspectFolder(MAILBOX, { id: inboxId })).toMatchObject({ id: inboxId, wellKnownName: 'inbox', ownerMailbox: MAILBOX });
		expect((await store.inspectFolder(MAILBOX, { id: created.id })).wellKnownName).toBeUndefined();

		expect(await failureOf(store.createFolder(MAILBOX, { wellKnown: 'inbox' }, name))).toMatchObject({ kind: 'nameTaken', api: 'graph' });
		expect(await failureOf(store.resolveFolderId(MAILBOX, { path: 'Inbox/No such folder' }))).toMatchObject({ kind: 'notFound', code: 'ErrorFolderNotFound' });
		expect(await failureOf(store.resolveFolderId(MAILBOX, { wellKnown: 'archiveinbox' }))).toMatchObject({ code: 'GraphNoArchiveMailbox' });

		sandbox().graph.clearRequests();
		expect(await store.resolveFolderId(MAILBOX, { path: `Inbox/${name}/C` })).toBe(child.id);
		// One filtered listing per level below the top.
		expect(sandbox().graph.httpCounts()).toEqual({ 'GET /mailFolders/{id}/childFolders': 3 });
		expect(await store.deleteFolder(MAILBOX, { id: child.id }, 'hard')).toEqual({ id: null });
		expect(await failureOf(store.getFolder(MAILBOX, { id: child.id }))).toMatchObject({ kind: 'notFound' });
		const moved = await store.deleteFolder(MAILBOX, { id: created.id }, 'moveToDeletedItems');
		expect((await store.getFolder(MAILBOX, { id: moved.id as string })).parentId).toBe(await store.resolveFolderId(MAILBOX, { wellKnown: 'deleteditems' }));
	});
});

describe('messages', () => {
	it('finds ids newest first with server-side filters and a limit', async () => {
		const { store } = graphStoreOn(sandbox());
		const tag = `Filter ${Date.now()}`;
		deliver({ subject: `${tag} old`, receivedAt: new Date(Date.UTC(2026, 0, 1)) });
		deliver({ subject: `${tag} read`, isRead: true, receivedAt: new Date(Date.UTC(2026, 0, 2)) });
		deliver({ subject: `${tag} new`, from: 'bob@fabrikam.test', receivedAt: new Date(Date.UTC(2026, 0, 3)) });
		const subjects = async (ids: string[]) => (await store.getMessages(MAILBOX, ids, { body: 'none' })).map((result) => (result.ok ? result.value.subject : 'failed'));
		const inbox = { wellKnown: 'inbox' as const };
		const mine = (await subjects(await store.findMessageIds(MAILBOX, inbox, { subjectContains: tag }))).filter((subject) => subject.startsWith(tag));
		expect(mine).toEqual([`${tag} new`, `${tag} read`, `${tag} old`]);
		expect(await subjects(await store.findMessageIds(MAILBOX, inbox, { subjectContains: tag, unreadOnly: true }))).toEqual([`${tag} new`, `${tag} old`]);
		expect(await subjects(await store.findMessageIds(MAILBOX, inbox, { subjectContains: tag, from: 'bob@fabrikam.test' }))).toEqual([`${tag} new`]);
		expect(await subjects(await store.findMessageIds(MAILBOX, inbox, { subjectContains: tag, receivedAfter: '2026-01-02T00:00:00Z', receivedBefore: '2026-01-03T00:00:00Z' }))).toEqual([`${tag} read`]);
		expect(await store.findMessageIds(MAILBOX, inbox, { subjectContains: tag }, 2)).toHaveLength(2);
		expect(await failureOf(store.findMessageIds(MAILBOX, inbox, { query: 'x', unreadOnly: true }))).toMatchObject({ code: 'ErrorInvalidRequest' });
	});

	it('searches with $search (KQL) and pages through nextLink past 1000 messages', async () => {
		const { store } = graphStoreOn(sandbox());
		const folder = await store.createFolder(MAILBOX, { wellKnown: 'msgfolderroot' }, `Paging ${Date.now()}`);
		const path = (await store.getFolder(MAILBOX, { id: folder.id })).displayName;
		for (let index = 0; index < 1003; index++) sandbox().ews.store.deliver(MAILBOX, { from: 'bulk@fabrikam.test', to: MAILBOX, subject: `Page ${index}`, text: 'x', folder: path, receivedAt: new Date(Date.UTC(2026, 0, 1, 0, 0, index)) });
		sandbox().graph.clearRequests();
		const ids = await store.findMessageIds(MAILBOX, { id: folder.id }, {});
		expect(ids).toHaveLength(1003);
		expect(new Set(ids).size).toBe(1003);
		expect(sandbox().graph.httpCounts()).toMatchObject({ 'GET /mailFolders/{id}/messages': 2 });
		const [newest] = await store.getMessages(MAILBOX, [ids[0]], { body: 'none' });
		expect(newest.ok && newest.value.subject).toBe('Page 1002');
		expect(await store.findMessageIds(MAILBOX, { id: folder.id }, {}, 1001)).toHaveLength(1001);

		const word = `kql${Date.now()}`;
		deliver({ subject: `Search ${word}` });
		const found = await store.findMessageIds(MAILBOX, { wellKnown: 'inbox' }, { query: word });
		const [hit] = await store.getMessages(MAILBOX, found, { body: 'none' });
		expect(found).toHaveLength(1);
		expect(hit.ok && hit.value.subject).toBe(`Search ${word}`);
	});

	it('gives the same message shape as the EWS back end for the same message', async () => {
		const subject = `Shape ${Date.now()}`;
		deliver({ subject, html: '<p>Hello <b>there</b></p>', cc: ['carl@fabrikam.test'], categories: ['Blue'], importance: 'High', attachments: [{ filename: 'a.txt', content: 'abc', contentType: 'text/plain' }, { filename: 'logo.png', content: Buffer.from('png'), contentType: 'image/png', cid: 'logo', inline: true }] });
		const [graphId] = await idsWithSubject(subject);
		const { store } = graphStoreOn(sandbox());
		const ewsClient = clientOn(sandbox(), await appOnlyAuth(sandbox()));
		const ewsIds = sandbox().ews.store.listItems(MAILBOX, 'inbox').filter((item) => item.subject === subject).map((item) => item.id);
		for (const body of ['none', 'text', 'html', 'both'] as const) {
			const [graph] = await store.getMessages(MAILBOX, [graphId], { body, headers: true });
			const [ews] = await ewsGetMessages(ewsClient, MAILBOX, ewsIds, { body, headers: true });
			if (!graph.ok || !ews.ok) throw new Error(`read failed: ${JSON.stringify([graph, ews])}`);
			// Same fields in the same order; the same values except the API's ids.
			expect(Object.keys(graph.value)).toEqual(Object.keys(ews.value));
			const comparable = (shape: Record<string, unknown>) => {
				const { id: _id, changeKey: _changeKey, conversationId: _conversationId, attachments, internetHeaders, bodyText, ...rest } = shape;
				return { ...rest, attachments: (attachments as Array<Record<string, unknown>>).map(({ id: _attachmentId, ...attachment }) => attachment), headerNames: Object.keys(internetHeaders as object).sort(), bodyText: typeof bodyText === 'string' ? bodyText.trim() : bodyText };
			};
			expect(comparable(graph.value)).toEqual(comparable(ews.value));
			expect(graph.value.changeKey).toBeTruthy();
		}
	});

	it('reads, updates, moves (the immutable id stays), copies and deletes many messages in $batch calls of 20', async () => {
		const subject = `Bulk ${Date.now()}`;
		for (let index = 0; index < 45; index++) deliver({ subject });
		const ids = await idsWithSubject(subject);
		expect(ids).toHaveLength(45);
		const { store } = graphStoreOn(sandbox());
		sandbox().graph.clearRequests();
		const updated = await store.updateMessages(MAILBOX, ids.map((id) => ({ id, isRead: true, categories: ['Done'], flag: 'flagged' as const, importance: 'low' as const })));
		expect(updated.every((result) => result.ok && result.value.changeKey)).toBe(true);
		expect(sandbox().graph.httpCounts()).toEqual({ 'POST $batch': 3 });
		const [read] = await store.getMessages(MAILBOX, [ids[0]], { body: 'none' });
		expect(read).toMatchObject({ ok: true, value: { isRead: true, categories: ['Done'], flag: { status: 'flagged' }, importance: 'low' } });

		sandbox().graph.clearRequests();
		const moved = await store.moveMessages(MAILBOX, ids, { wellKnown: 'archive' as 'inbox' });
		expect(moved.map((result) => result.ok && result.value.id)).toEqual(ids);
		expect(sandbox().graph.httpCounts()['POST $batch']).toBe(3);
		const copied = await store.copyMessages(MAILBOX, ids.slice(0, 2), { wellKnown: 'inbox' });
		expect(copied.every((result) => result.ok && result.value.id && !ids.includes(result.value.id))).toBe(true);

		const deleted = await store.deleteMessages(MAILBOX, [ids[0], 'AAMkAGI2NGVhZTVlLTI1OGMtNDI4My1iZmE5LTA5OGJiZGEzMzAxMwBGAAAAAAAAAA=='], 'moveToDeletedItems');
		expect(deleted[0].ok).toBe(true);
		expect(deleted[1]).toMatchObject({ ok: false, failure: { api: 'graph' } });
		expect(['notFound', 'invalidId']).toContain(!deleted[1].ok && deleted[1].failure.kind);
		const soft = await store.deleteMessages(MAILBOX, [ids[1]], 'soft');
		expect(soft[0].ok).toBe(true);
		const folderOf = (id: string) => {
			const decoded = decodeGraphId(id, 'item');
			return decoded?.kind === 'immutable' ? sandbox().ews.store.itemByImmutableId(decoded.immutableId)?.folderId : undefined;
		};
		expect(folderOf(ids[0])).toBe(sandbox().ews.store.distinguishedFolder(MAILBOX, 'deleteditems')?.id);
		expect(folderOf(ids[1])).toBe(sandbox().ews.store.distinguishedFolder(MAILBOX, 'recoverableitemsdeletions')?.id);
		const [purged] = await store.deleteMessages(MAILBOX, [ids[2]], 'hard');
		expect(purged.ok).toBe(true);
		expect([undefined, sandbox().ews.store.distinguishedFolder(MAILBOX, 'recoverableitemspurges')?.id]).toContain(folderOf(ids[2]));
		const [unreachable] = await store.getMessages(MAILBOX, [ids[2]], { body: 'none' });
		expect(unreachable).toMatchObject({ ok: false, failure: { kind: 'notFound' } });
	});

	it('gets MIME through $value, as streams fetched when read (an id Graph refuses fails its own stream)', async () => {
		const subject = `Mime ${Date.now()}`;
		deliver({ subject, text: 'mime body' });
		const [id] = await idsWithSubject(subject);
		const { store } = graphStoreOn(sandbox());
		sandbox().graph.clearRequests();
		const [mime, missing] = await store.getMimes(MAILBOX, [id, 'AAMkAGI2NGVhZTVlLTI1OGMtNDI4My1iZmE5LTA5OGJiZGEzMzAxMwBGAAAAAAAAAA==']);
		expect(sandbox().graph.requests).toEqual([]);
		expect(mime.ok && (await contentOf(mime.value)).toString('utf8')).toMatch(new RegExp(`Subject: ${subject}`));
		await expect(missing.ok && contentOf(missing.value)).rejects.toMatchObject({ failure: { kind: 'invalidId', httpStatus: 400 } });
	});
});

describe('Allowed Mailboxes and ids of another mailbox', () => {
	it('refuses nothing ahead (every request names the mailbox), and Graph does not act on an id of another mailbox', async () => {
		const { store } = graphStoreOn(sandbox());
		expect(await store.refusedIds(MAILBOX, { patterns: [MAILBOX] }, [[{ field: 'Message ID', id: 'x' }], []])).toEqual([undefined, undefined]);
		const subject = `Foreign ${Date.now()}`;
		sandbox().ews.store.deliver(DEMO.noreplyMailbox, { from: 'ann@fabrikam.test', to: DEMO.noreplyMailbox, subject, text: 'not yours' });
		const [foreignId] = await store.findMessageIds(DEMO.noreplyMailbox, { wellKnown: 'inbox' }, { subjectContains: subject });
		expect(foreignId).toBeTruthy();
		const [update] = await store.updateMessages(MAILBOX, [{ id: foreignId, isRead: true }]);
		expect(update.ok).toBe(false);
		const [still] = await store.getMessages(DEMO.noreplyMailbox, [foreignId], { body: 'none' });
		expect(still).toMatchObject({ ok: true, value: { isRead: false } });
	});
});

describe('more of the interface', () => {
	it('empties a folder (messages and, when asked, subfolders) and keeps the folder', async () => {
		const { store } = graphStoreOn(sandbox());
		const folder = await store.createFolder(MAILBOX, { wellKnown: 'msgfolderroot' }, `Empty me ${Date.now()}`);
		await store.createFolder(MAILBOX, { id: folder.id }, 'Sub');
		for (let index = 0; index < 3; index++) sandbox().ews.store.deliver(MAILBOX, { from: 'ann@fabrikam.test', to: MAILBOX, subject: `E ${index}`, text: 'x', folder: folder.displayName });
		expect(await store.emptyFolder(MAILBOX, { id: folder.id }, 'moveToDeletedItems', true)).toEqual({ id: folder.id });
		expect(await store.getFolder(MAILBOX, { id: folder.id })).toMatchObject({ totalCount: 0, childFolderCount: 0 });
		expect(sandbox().ews.store.listItems(MAILBOX, 'deleteditems').filter((item) => /^E \d$/.test(item.subject))).toHaveLength(3);
	});

	it('retries the requests throttled inside a $batch by the sandbox, with its Retry-After', async () => {
		const subject = `Throttled ${Date.now()}`;
		for (let index = 0; index < 5; index++) deliver({ subject });
		const ids = await idsWithSubject(subject);
		const waits: number[] = [];
		const { store } = graphStoreOn(sandbox(), waits);
		sandbox().graph.clearRequests();
		sandbox().graph.failNext('throttled', 2, { endpoint: 'PATCH /messages/{id}', retryAfter: '0.5' });
		const results = await store.updateMessages(MAILBOX, ids.map((id) => ({ id, isRead: true })));
		expect(results.every((result) => result.ok)).toBe(true);
		expect(waits).toEqual([500]);
		expect(sandbox().graph.httpCounts()['POST $batch']).toBe(2);
	});

	it('reads an HTML message as text with the text preference', async () => {
		const subject = `Prefer text ${Date.now()}`;
		deliver({ subject, text: undefined, html: '<p>Only <b>HTML</b></p>' });
		const [id] = await idsWithSubject(subject);
		const { store } = graphStoreOn(sandbox());
		const [text] = await store.getMessages(MAILBOX, [id], { body: 'text' });
		expect(text.ok && text.value.bodyHtml).toBeUndefined();
		expect(text.ok && text.value.bodyText).toMatch(/Only HTML/);
	});

	it('reports a mailbox outside the app\'s scope as accessDenied, a Graph-disabled one as mailboxUnavailable', async () => {
		const { store } = graphStoreOn(sandbox());
		sandbox().graph.setAppScope(DEMO.appOnlyClientId, { mailboxes: [DEMO.noreplyMailbox], via: 'rbac' });
		try {
			expect(await failureOf(store.resolveFolderId(MAILBOX, { wellKnown: 'inbox' }))).toMatchObject({ kind: 'accessDenied', mailbox: MAILBOX, clientId: DEMO.appOnlyClientId, tenantId: DEMO.tenantId });
		} finally {
			sandbox().graph.setAppScope(DEMO.appOnlyClientId, undefined);
		}
		sandbox().graph.disableRest(MAILBOX);
		try {
			expect(await failureOf(store.resolveFolderId(MAILBOX, { wellKnown: 'inbox' }))).toMatchObject({ kind: 'mailboxUnavailable', code: 'MailboxNotEnabledForRESTAPI' });
		} finally {
			sandbox().graph.disableRest(MAILBOX, false);
		}
	});

	it('refuses a folder id of another mailbox', async () => {
		const { store } = graphStoreOn(sandbox());
		const foreignInbox = await store.resolveFolderId(DEMO.noreplyMailbox, { wellKnown: 'inbox' });
		const failure = await failureOf(store.findMessageIds(MAILBOX, { id: foreignInbox }, {}));
		expect(['notFound', 'invalidId']).toContain(failure.kind);
	});
});

describe('opening the store', () => {
	it('openMailStore gives the Graph store for Mailbox API Graph, on the cloud\'s Graph URL', async () => {
		const { openMailStore } = await import('../../../nodes/shared/mail/open');
		const { graphAuth } = await import('./graphSandbox');
		const auth = graphAuth(sandbox());
		const store = openMailStore({ ...auth, endpoints: { ...auth.endpoints, graphUrl: sandbox().graphUrl } as typeof auth.endpoints }, { wait: async () => undefined });
		expect(store.api).toBe('graph');
		expect(await store.resolveFolderId(MAILBOX, { wellKnown: 'inbox' })).toBeTruthy();
		expect(sandbox().graph.requests.length).toBeGreaterThan(0);
	});

	it('works with a delegated token: the signed-in user\'s own mailbox through /users/{address}', async () => {
		const { GraphClient } = await import('../../../nodes/shared/transport/graph/client');
		const { GraphMailStore } = await import('../../../nodes/shared/transport/graph/store');
		const { graphAuth } = await import('./graphSandbox');
		const { graphUserToken } = await import('../../sandbox/graph/test-client');
		const auth = { ...graphAuth(sandbox()), kind: 'delegated' as const, getAccessToken: async () => graphUserToken(sandbox()) };
		const store = new GraphMailStore(new GraphClient(auth, { graphUrl: sandbox().graphUrl }));
		const subject = `Delegated ${Date.now()}`;
		sandbox().ews.store.deliver(DEMO.user, { from: 'ann@fabrikam.test', to: DEMO.user, subject, text: 'x' });
		const ids = await store.findMessageIds(DEMO.user, { wellKnown: 'inbox' }, { subjectContains: subject });
		expect(ids).toHaveLength(1);
	});
});
