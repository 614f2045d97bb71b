/**
 * The EWS transport (nodes/shared/transport/ews) against the sandbox's EWS stand-in: real
 * ews-javascript-api, real HTTPS, every request validated against the official EWS schema.
 */
import type { ExchangeAuth } from '../../nodes/shared/auth/exchangeAuth';
import { diagnose } from '../../nodes/shared/errors/nodeErrors';
import { MailError } from '../../nodes/shared/mail/store';
import { listFolders, resolveFolder } from '../../nodes/shared/transport/ews/folders';
import { copyMessages, deleteMessages, findMessageIds, getMessages, getMime, moveMessages, updateMessages } from '../../nodes/shared/transport/ews/messages';
import { DEMO, type Sandbox } from '../sandbox';
import { appOnlyAuth as appOnlyAuthOn, clientOn, delegatedAuth as delegatedAuthOn, useEwsSandbox } from './ewsSupport';

const currentSandbox = useEwsSandbox();
let sandbox: Sandbox;
beforeAll(() => {
	sandbox = currentSandbox();
});

const appOnlyAuth = async (overrides = {}) => await appOnlyAuthOn(sandbox, overrides);
const delegatedAuth = async () => await delegatedAuthOn(sandbox);

const clientFor = (auth: ExchangeAuth, waits: number[] = []) => clientOn(sandbox, auth, waits);

function deliverMany(mailbox: string, count: number, extra: Partial<Parameters<Sandbox['ews']['store']['deliver']>[1]> = {}) {
	return Array.from({ length: count }, (_, i) =>
		sandbox.ews.store.deliver(mailbox, { from: 'vendor@example.test', to: mailbox, subject: `Message ${i}`, text: `Body ${i}`, receivedAt: new Date(Date.UTC(2026, 0, 1, 0, i)), ...extra }),
	);
}

describe('batched item operations', () => {
	it('gets 120 messages in ⌈120/50⌉ GetItem calls, one result per id in order, failures per id', async () => {
		const mailbox = DEMO.sharedMailbox;
		const ids = deliverMany(mailbox, 120);
		const client = clientFor(await appOnlyAuth());
		const gone = ids[5];
		sandbox.ews.store.removeItem(gone);
		const results = await getMessages(client, mailbox, [...ids, 'AAMkNotAnId'], { body: 'text' });
		expect(sandbox.ews.counts().GetItem).toBe(3);
		expect(results).toHaveLength(121);
		expect(results[0]).toMatchObject({ ok: true, value: { subject: 'Message 0', bodyText: 'Body 0', from: { address: 'vendor@example.test' }, isRead: false } });
		expect(results[5]).toMatchObject({ ok: false, failure: { code: 'ErrorItemNotFound' } });
		expect(results[120]).toMatchObject({ ok: false, failure: { code: expect.stringMatching(/ErrorInvalidIdMalformed|ErrorItemNotFound/) } });
		expect(results.filter((r) => r.ok)).toHaveLength(119);
		// App-only: impersonation and the anchor mailbox on every call.
		expect(sandbox.ews.requests.every((r) => r.impersonated === mailbox && r.anchorMailbox === mailbox && !r.anchorMismatch)).toBe(true);
	});

	it('moves 150 messages in 2 MoveItem calls and returns their new ids', async () => {
		const mailbox = DEMO.sharedMailbox;
		const ids = deliverMany(mailbox, 150);
		sandbox.ews.store.createFolder(mailbox, 'inbox', 'Processed');
		const results = await moveMessages(clientFor(await appOnlyAuth()), mailbox, ids, { path: 'inbox/Processed' });
		expect(sandbox.ews.counts().MoveItem).toBe(2);
		expect(results.every((r) => r.ok && r.value.id)).toBe(true);
		expect(sandbox.ews.store.listItems(mailbox, 'Inbox/Processed')).toHaveLength(150);
	});

	it('copies and deletes in batches; delete modes are honoured', async () => {
		const mailbox = DEMO.sharedMailbox;
		const [a, b, c] = deliverMany(mailbox, 3);
		const client = clientFor(await appOnlyAuth());
		const copies = await copyMessages(client, mailbox, [a], { wellKnown: 'drafts' });
		expect(copies[0].ok).toBe(true);
		expect(sandbox.ews.store.listItems(mailbox, 'drafts')).toHaveLength(1);
		await deleteMessages(client, mailbox, [a], 'moveToDeletedItems');
		await deleteMessages(client, mailbox, [b, c], 'hard');
		expect(sandbox.ews.store.listItems(mailbox, 'deleteditems').map((item) => item.subject)).toEqual(['Message 0']);
		expect(sandbox.ews.store.getItem(b)).toBeUndefined();
		expect(sandbox.ews.counts().DeleteItem).toBe(2);
	});

	it('updates read state, categories, flag and importance with one UpdateItem per batch (no GetItem)', async () => {
		const mailbox = DEMO.sharedMailbox;
		const ids = deliverMany(mailbox, 3);
		const results = await updateMessages(clientFor(await appOnlyAuth()), mailbox, [
			{ id: ids[0], isRead: true },
			{ id: ids[1], categories: ['R&D <team>', 'Finance'], flag: 'flagged', importance: 'high' },
			{ id: 'AAMkGone', isRead: true },
		]);
		expect(results.map((r) => r.ok)).toEqual([true, true, false]);
		expect(sandbox.ews.counts()).toEqual({ UpdateItem: 1 });
		expect(sandbox.ews.store.getItem(ids[0])!.isRead).toBe(true);
		const second = sandbox.ews.store.getItem(ids[1])!;
		// The '&' and '<' reach Exchange escaped (the schema check would refuse raw ones) and come back intact.
		expect(second.categories).toEqual(['R&D <team>', 'Finance']);
		expect(second.importance).toMatch(/high/i);
	});
});

describe('finding messages', () => {
	it('filters on the server and pages at 250 for restricted searches', async () => {
		const mailbox = DEMO.sharedMailbox;
		deliverMany(mailbox, 600, { subject: 'Invoice & receipt' });
		deliverMany(mailbox, 5, { subject: 'Newsletter' });
		const ids = await findMessageIds(clientFor(await appOnlyAuth()), mailbox, { wellKnown: 'inbox' }, { subjectContains: 'invoice & RECEIPT' });
		expect(ids).toHaveLength(600);
		expect(sandbox.ews.counts().FindItem).toBe(3);
	});

	it('stops at the limit, newest first', async () => {
		const mailbox = DEMO.sharedMailbox;
		sandbox.ews.store.createFolder(mailbox, 'inbox', 'Limit');
		const ids = deliverMany(mailbox, 30, { folder: 'Inbox/Limit' });
		const found = await findMessageIds(clientFor(await appOnlyAuth()), mailbox, { path: 'Inbox/Limit' }, {}, 5);
		expect(found).toEqual(ids.slice(-5).reverse());
		expect(sandbox.ews.counts().FindItem).toBe(1);
	});
});

describe('folders', () => {
	it('resolves paths and lists the tree with paths', async () => {
		const mailbox = DEMO.noreplyMailbox;
		const processed = sandbox.ews.store.createFolder(mailbox, 'inbox', 'Processed');
		sandbox.ews.store.createFolder(mailbox, processed.id, '2026');
		const client = clientFor(await appOnlyAuth());
		const id = await resolveFolder(client, mailbox, { path: 'Inbox/Processed/2026' });
		expect(id.UniqueId).toBe(sandbox.ews.store.folderByPath(mailbox, 'Inbox/Processed/2026')!.id);
		const paths = (await listFolders(client, mailbox)).map((folder) => folder.path);
		expect(paths).toEqual(expect.arrayContaining(['Inbox', 'Inbox/Processed', 'Inbox/Processed/2026', 'Sent Items']));
		await expect(resolveFolder(client, mailbox, { path: 'Inbox/Nope' })).rejects.toMatchObject({ failure: { code: 'ErrorFolderNotFound' } });
	});
});

describe('resilience', () => {
	it('honours BackOffMilliseconds on ErrorServerBusy, and backs off exponentially without it', async () => {
		const mailbox = DEMO.sharedMailbox;
		const [id] = deliverMany(mailbox, 1);
		const waits: number[] = [];
		const client = clientFor(await appOnlyAuth(), waits);
		sandbox.ews.failNext('ErrorServerBusy', 1, { backOffMs: 1234 });
		sandbox.ews.failNext('ErrorServerBusyNoBackOff', 1);
		sandbox.ews.failNext('http503', 1);
		const [result] = await getMessages(client, mailbox, [id], { body: 'none' });
		expect(result.ok).toBe(true);
		expect(waits[0]).toBe(1234);
		expect(waits[1]).toBeGreaterThanOrEqual(500);
		expect(waits[2]).toBeGreaterThanOrEqual(1000);
		expect(waits).toHaveLength(3);
	});

	it('gives up after the retry budget with the throttling message', async () => {
		const [id] = deliverMany(DEMO.sharedMailbox, 1);
		sandbox.ews.failNext('ErrorServerBusy', 10, { backOffMs: 10 });
		const error = await getMessages(clientFor(await appOnlyAuth()), DEMO.sharedMailbox, [id], { body: 'none' }).catch((e: unknown) => e);
		expect(error).toBeInstanceOf(MailError);
		expect(diagnose(error)!.message).toMatch(/throttling/);
		expect(sandbox.ews.counts().GetItem).toBe(5);
	});

	it('does not repeat a call that is not safe to repeat (copy)', async () => {
		const [id] = deliverMany(DEMO.sharedMailbox, 1);
		sandbox.ews.failNext('ErrorServerBusy', 1, { backOffMs: 10 });
		await expect(copyMessages(clientFor(await appOnlyAuth()), DEMO.sharedMailbox, [id], { wellKnown: 'drafts' })).rejects.toMatchObject({ failure: { code: 'ErrorServerBusy' } });
		expect(sandbox.ews.counts().CopyItem).toBe(1);
	});

	it('refreshes the token once on HTTP 401 and retries', async () => {
		const [id] = deliverMany(DEMO.sharedMailbox, 1);
		const auth = await appOnlyAuth();
		const client = clientFor(auth);
		await getMessages(client, DEMO.sharedMailbox, [id], { body: 'none' });
		const tokenRequests = sandbox.entra.requests.length;
		sandbox.ews.failNext('expiredToken', 1);
		const [result] = await getMessages(client, DEMO.sharedMailbox, [id], { body: 'none' });
		expect(result.ok).toBe(true);
		expect(sandbox.entra.requests.length).toBe(tokenRequests + 1);
	});

	it('a second 401 is final and explained', async () => {
		const [id] = deliverMany(DEMO.sharedMailbox, 1);
		sandbox.ews.failNext('expiredToken', 2);
		const error = await getMessages(clientFor(await appOnlyAuth()), DEMO.sharedMailbox, [id], { body: 'none' }).catch((e: unknown) => e);
		expect(diagnose(error)!.code).toBe('HTTP 401 invalid_lifetime');
	});
});

describe('access rules and their messages', () => {
	it('app-only outside the app\'s mailbox scope → ErrorImpersonateUserDenied with the RBAC fix', async () => {
		sandbox.ews.store.addMailbox('ceo@contoso.test');
		const error = await findMessageIds(clientFor(await appOnlyAuth()), 'ceo@contoso.test', { wellKnown: 'inbox' }, {}).catch((e: unknown) => e);
		const diagnosis = diagnose(error)!;
		expect(diagnosis.code).toBe('ErrorImpersonateUserDenied');
		expect(diagnosis.fix).toMatch(/full_access_as_app/);
	});

	it('an app without full_access_as_app → 401 invalid_grant naming the permission', async () => {
		const clientId = '4a4b4c4d-1111-4222-8333-444455556666';
		sandbox.entra.registerApp({ tenantId: DEMO.tenantId, clientId, clientSecret: 'smtp-only-secret', roles: ['SMTP.SendAsApp'], delegatedScopes: [], sendAs: ['*'] });
		const error = await findMessageIds(clientFor(await appOnlyAuth({ clientId, clientSecret: 'smtp-only-secret' })), DEMO.sharedMailbox, { wellKnown: 'inbox' }, {}).catch((e: unknown) => e);
		expect(diagnose(error)).toMatchObject({ code: 'HTTP 401 invalid_grant', fix: expect.stringMatching(/full_access_as_app/) });
	});

	it('delegated: own mailbox and a shared mailbox with FullAccess work, without impersonation', async () => {
		const auth = await delegatedAuth();
		deliverMany(DEMO.user, 2);
		deliverMany(DEMO.sharedMailbox, 3);
		const client = clientFor(auth);
		expect((await findMessageIds(client, DEMO.user, { wellKnown: 'inbox' }, {})).sort()).toEqual(sandbox.ews.store.listItems(DEMO.user, 'inbox').map((item) => item.id).sort());
		expect((await findMessageIds(client, DEMO.sharedMailbox, { wellKnown: 'inbox' }, {})).sort()).toEqual(sandbox.ews.store.listItems(DEMO.sharedMailbox, 'inbox').map((item) => item.id).sort());
		expect(sandbox.ews.requests.every((r) => !r.impersonated)).toBe(true);
	});

	it('delegated on a mailbox without FullAccess → ErrorAccessDenied with the Add-MailboxPermission fix', async () => {
		const error = await findMessageIds(clientFor(await delegatedAuth()), DEMO.noreplyMailbox, { wellKnown: 'inbox' }, {}).catch((e: unknown) => e);
		expect(diagnose(error)).toMatchObject({ code: 'ErrorAccessDenied', fix: expect.stringMatching(/Add-MailboxPermission/) });
	});

	it('a token for another resource (e.g. Graph) → 401 invalid_resource telling to check Cloud and Resource', async () => {
		const appOnly = await appOnlyAuth();
		const graphToken = sandbox.entra.issueToken({ tenantId: DEMO.tenantId, clientId: DEMO.appOnlyClientId, roles: ['full_access_as_app'], audience: 'https://graph.microsoft.com' });
		const wrongAudience: ExchangeAuth = { ...appOnly, getAccessToken: async () => graphToken };
		const error = await findMessageIds(clientFor(wrongAudience), DEMO.sharedMailbox, { wellKnown: 'inbox' }, {}).catch((e: unknown) => e);
		expect(diagnose(error)).toMatchObject({ code: 'HTTP 401 invalid_resource', fix: expect.stringMatching(/Cloud.*Resource/) });
	});

	it('an untrusted EWS certificate is a TLS error', async () => {
		const error = await findMessageIds(clientFor(await appOnlyAuth({ caCertificate: '' })), DEMO.sharedMailbox, { wellKnown: 'inbox' }, {}).catch((e: unknown) => e);
		// The token request fails first on the same CA: either way the admin is told how to trust it.
		expect(diagnose(error)!.fix).toMatch(/Trusted CA Certificates/);
	});
});

it('returns the MIME of a message as bytes', async () => {
	const [id] = deliverMany(DEMO.sharedMailbox, 1, { subject: 'MIME check' });
	const mime = await getMime(clientFor(await appOnlyAuth()), DEMO.sharedMailbox, id);
	expect(mime.toString('utf8')).toMatch(/^Subject: MIME check/m);
});
