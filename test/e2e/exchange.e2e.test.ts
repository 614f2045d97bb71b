// End to end: the Microsoft Exchange node, installed as a community package into a pinned n8n (2.40.7, and
// 1.123.81 in the e2e-n8n1 project), on both Mailbox APIs: the sandbox's EWS and Graph stand-ins over one mailbox
// store. Workflows run headless (`n8n execute`), each a chain of Exchange nodes; results are checked in the
// sandbox's store, not only in n8n's run data. The same workflows run for each API and credential kind; on 1.123.81
// Graph runs with the delegated credential only (its sign-in and refresh go through n8n's OAuth2 helpers, the part
// that differs between the lines), to keep that line's time.
//
// Needs `npm run build` beforehand. KEEP_E2E_FOLDER=1 keeps the n8n user folder.
import { randomBytes, randomUUID } from 'node:crypto';
import * as fs from 'node:fs/promises';

import { DEMO, type Sandbox } from '../sandbox';
import * as h from './harness';
import * as wf from './exchange-workflows';

jest.setTimeout(15 * 60_000);

const REDIRECT_URI = 'http://localhost:5678/rest/oauth2-credential/callback';
const MAILBOX = DEMO.sharedMailbox; // invoices@contoso.test: app-only may open it, alex has FullAccess
const VENDOR = 'billing@vendor.test';

interface Seeded {
	nonce: string;
	target: { id: string; subject: string; files: Array<{ name: string; mime: string; bytes: Buffer }> };
	others: Record<'read' | 'otherSender' | 'otherSubject' | 'noAttachment', { id: string; subject: string }>;
	extra: { name: string; mime: string; bytes: Buffer };
}

interface RecordedRun {
	label: string;
	res: h.ExecuteResult;
}

type BinaryMeta = { data?: string; id?: string; fileName?: string; mimeType?: string; fileSize?: string | number };

type CredentialSet = Record<'app' | 'delegated' | 'appGuarded' | 'delegatedGuarded' | 'appNoMail', wf.CredentialRef>;

/** The suite's credentials for one Mailbox API (ids of at most 16 characters, one set per API). */
function credentialSet(api: wf.MailboxApi): CredentialSet {
	const tag = api === 'graph' ? 'Gr' : 'Ew';
	const label = api === 'graph' ? 'Graph' : 'EWS';
	return {
		app: { type: wf.APP_ONLY_TYPE, id: `e2eEx${tag}AppOnly1`, name: `E2E ${label} app-only` },
		delegated: { type: wf.DELEGATED_TYPE, id: `e2eEx${tag}Delegat1`, name: `E2E ${label} delegated (alex)` },
		appGuarded: { type: wf.APP_ONLY_TYPE, id: `e2eEx${tag}AppGuard`, name: `E2E ${label} app-only (only invoices@)` },
		delegatedGuarded: { type: wf.DELEGATED_TYPE, id: `e2eEx${tag}DelGuard`, name: `E2E ${label} delegated (only invoices@)` },
		appNoMail: { type: wf.APP_ONLY_TYPE, id: `e2eEx${tag}AppNoMai`, name: `E2E ${label} app-only without mailbox permissions` },
	};
}

/** What a token without mailbox permissions lacks, per API, as the run data must name it. */
const MISSING_PERMISSION: Record<wf.MailboxApi, string> = { ews: 'full_access_as_app', graph: 'Mail.ReadWrite' };

/** Which credential kinds run the operations on each API (see the header: Graph on 1.x with delegated only). */
const onN8n1 = h.n8nLine().version.startsWith('1.');
const KINDS: Record<wf.MailboxApi, Array<'app' | 'delegated'>> = { ews: ['app', 'delegated'], graph: onN8n1 ? ['delegated'] : ['app', 'delegated'] };

describe(h.onN8n('Microsoft Exchange node (EWS and Graph) against the sandbox'), () => {
	let sandbox: Sandbox;
	let userFolder = '';
	const delegatedTokens = {} as Record<wf.MailboxApi, h.OAuthTokenData>;
	const noMailAppSecret = `no-mail~${randomBytes(12).toString('hex')}`;
	const noMailClientId = randomUUID();
	const runs: RecordedRun[] = [];
	const credsOf = { ews: credentialSet('ews'), graph: credentialSet('graph') };

	async function runAndRecord(label: string, workflowId: string): Promise<h.ExecuteResult> {
		const res = await h.executeWorkflow(userFolder, workflowId);
		runs.push({ label, res });
		return res;
	}

	/** Five messages in invoices@'s Inbox; only `target` matches every Get Many filter of the test. */
	function seed(label: string): Seeded {
		const nonce = `${label}-${randomBytes(4).toString('hex')}`;
		const store = sandbox.ews.store;
		// Bytes that are not valid UTF-8, so any re-encoding would show; over 1 MB, so Download on Graph hands
		// n8n's prepareBinaryData a stream from $value (BATCHED_CONTENT_LIMIT) and n8n writes it to its store.
		const pdf = Buffer.concat([Buffer.from(`%PDF-1.4 ${nonce}\n`), randomBytes(1100 * 1024), Buffer.from([0, 0xff, 0xfe])]);
		const csv = Buffer.from(`line;amount\n1;42.00\n${nonce};ä\n`, 'utf8');
		const files = [
			{ name: `invoice-${nonce}.pdf`, mime: 'application/pdf', bytes: pdf },
			{ name: `lines-${nonce}.csv`, mime: 'text/csv', bytes: csv },
		];
		const deliver = (subject: string, o: { from?: string; isRead?: boolean; attach?: boolean } = {}) => ({
			subject,
			id: store.deliver(MAILBOX, {
				from: { name: 'Vendor Billing', email: o.from ?? VENDOR },
				to: MAILBOX,
				subject,
				text: `Please find attached. ${nonce}`,
				isRead: o.isRead ?? false,
				attachments: o.attach === false ? [] : files.map((f) => ({ filename: f.name, content: f.bytes, contentType: f.mime })),
			}),
		});
		const target = deliver(`Invoice ${nonce} A`);
		return {
			nonce,
			target: { ...target, files },
			others: {
				read: deliver(`Invoice ${nonce} B`, { isRead: true }),
				otherSender: deliver(`Invoice ${nonce} C`, { from: 'someone@elsewhere.test' }),
				otherSubject: deliver(`Statement ${nonce} D`),
				noAttachment: deliver(`Invoice ${nonce} E`, { attach: false }),
			},
			extra: { name: `remittance-${nonce}.bin`, mime: 'application/octet-stream', bytes: Buffer.concat([randomBytes(700), Buffer.from([0x80, 0])]) },
		};
	}

	/** The store's id of a message or folder id in the node's output. */
	const storeId = (api: wf.MailboxApi, id: unknown, kind: 'item' | 'folder' = 'item') => wf.storeIdOf(sandbox, api, id, kind);

	/** The whole operation set in one workflow: folders, Get Many with filters, Download, Forward, Reply, Mark as Read, Move. */
	function operationsWorkflow(workflowId: string, cred: wf.CredentialRef, s: Seeded): object {
		const n = s.nonce;
		const byId = (expr: string) => wf.folderRl('id', expr);
		const nodes = [
			wf.manualTrigger(),
			wf.exchangeNode('Create Folder', cred, MAILBOX, 'folder', 'create', { parentFolder: wf.folderRl('wellKnown', 'inbox'), displayName: `Processed ${n}` }),
			wf.exchangeNode('Rename Folder', cred, MAILBOX, 'folder', 'rename', { folder: byId('={{ $json.id }}'), displayName: `Done ${n}` }),
			wf.exchangeNode('Create Scratch', cred, MAILBOX, 'folder', 'create', { parentFolder: wf.folderRl('path', 'Inbox'), displayName: `Scratch ${n}` }),
			wf.exchangeNode('Delete Scratch', cred, MAILBOX, 'folder', 'delete', { folder: byId('={{ $json.id }}'), deleteMode: 'hard' }),
			wf.exchangeNode('Get Many', cred, MAILBOX, 'message', 'getMany', {
				folder: wf.folderRl('wellKnown', 'inbox'),
				returnAll: false,
				limit: 10,
				filters: { from: VENDOR, subjectContains: `Invoice ${n}`, unreadOnly: true, hasAttachments: true },
			}),
			wf.exchangeNode('Download', cred, MAILBOX, 'attachment', 'download', { messageId: '={{ $json.id }}', attachmentId: '', binaryPropertyName: 'data' }),
			// The downloaded files go on as attachments of the reply (its copy in Sent Items carries the bytes).
			wf.exchangeNode('Reply', cred, MAILBOX, 'message', 'reply', {
				messageId: "={{ $('Get Many').item.json.id }}",
				replyAll: false,
				comment: `Thanks, received ${n}`,
				commentFormat: 'text',
				options: { attachments: 'data_0, data_1' },
			}),
			...wf.makeFileNodes('Extra', { base64: s.extra.bytes.toString('base64'), fileName: s.extra.name, mimeType: s.extra.mime, property: 'extra' }),
			wf.exchangeNode('Forward', cred, MAILBOX, 'message', 'forward', {
				messageId: "={{ $('Get Many').item.json.id }}",
				toEmail: DEMO.user,
				comment: `Forwarded by the e2e test ${n}`,
				commentFormat: 'text',
				options: { attachments: 'extra', subject: `FW ${n}` },
			}),
			wf.exchangeNode('Mark as Read', cred, MAILBOX, 'message', 'markAsRead', { messageId: "={{ $('Get Many').item.json.id }}" }),
			wf.exchangeNode('Move', cred, MAILBOX, 'message', 'move', { messageId: "={{ $('Get Many').item.json.id }}", destination: byId("={{ $('Create Folder').item.json.id }}") }),
		];
		return wf.chainWorkflow(workflowId, `e2e exchange operations ${n}`, nodes);
	}

	async function expectOperationsWork(api: wf.MailboxApi, label: string, cred: wf.CredentialRef) {
		const store = sandbox.ews.store;
		const s = seed(label);
		const workflowId = `e2eExOps${label}`.slice(0, 20);
		await h.importWorkflow(userFolder, operationsWorkflow(workflowId, cred, s));
		const sentBefore = store.sent.length;
		const res = await runAndRecord(label, workflowId);
		expect({ ok: res.ok, run: res.ok ? 'ok' : h.describeRun(res) }).toEqual({ ok: true, run: 'ok' });

		// Folders: created, renamed, a second one created and deleted.
		const [created] = h.nodeOutput(res.execution, 'Create Folder');
		const [renamed] = h.nodeOutput(res.execution, 'Rename Folder');
		const [scratch] = h.nodeOutput(res.execution, 'Create Scratch');
		const done = store.folderByPath(MAILBOX, `Inbox/Done ${s.nonce}`);
		expect(done).toBeDefined();
		expect(done!.id).toBe(storeId(api, created.id, 'folder'));
		expect(renamed.displayName).toBe(`Done ${s.nonce}`);
		expect(store.folderByPath(MAILBOX, `Inbox/Processed ${s.nonce}`)).toBeUndefined();
		expect(typeof scratch.id).toBe('string');
		const scratchId = String(storeId(api, scratch.id, 'folder'));
		expect(store.folderIncludingDeleted(scratchId)?.displayName).toBe(`Scratch ${s.nonce}`);
		expect(store.folder(scratchId)).toBeUndefined();
		expect(store.folderByPath(MAILBOX, `Inbox/Scratch ${s.nonce}`)).toBeUndefined();

		// Get Many with from + subject + unread + has-attachments filters: only the target message.
		const listed = h.nodeOutput(res.execution, 'Get Many');
		expect(listed.map((m) => m.subject)).toEqual([s.target.subject]);
		// EWS hands out the store's id of the moment (it changes on the Move below); Graph's immutable id is checked after the Move.
		if (api === 'ews') expect(listed[0].id).toBe(s.target.id);

		// Download: every attachment as binary, with names, types and sizes (n8n keeps the bytes in its
		// filesystem binary store; they are checked below through the reply that carries them on).
		const downloadRun = res.execution!.data.resultData.runData.Download[0];
		const item = downloadRun.data!.main![0]![0];
		const binary = (item.binary ?? {}) as Record<string, BinaryMeta>;
		expect(Object.keys(binary).sort()).toEqual(['data_0', 'data_1']);
		expect(
			Object.values(binary)
				.map((b) => ({ name: b.fileName, mime: b.mimeType, size: Number(String(b.fileSize).replace(/[^0-9.]/g, '')) }))
				.sort((a, b) => String(a.name).localeCompare(String(b.name))),
		).toEqual(
			s.target.files
				.map((f) => ({ name: f.name, mime: f.mime, size: expect.any(Number) }))
				.sort((a, b) => a.name.localeCompare(b.name)),
		);
		expect((item.json.attachments as unknown[]).length).toBe(2);

		const sent = store.sent.slice(sentBefore);
		// Forward with a binary made in the workflow: arrives in alex's inbox with the original attachments plus ours.
		const forwardSent = sent.filter((m) => m.subject === `FW ${s.nonce}`);
		expect(forwardSent).toHaveLength(1);
		expect(forwardSent[0].mailbox).toBe(MAILBOX);
		expect(forwardSent[0].to.map((a) => a.email.toLowerCase())).toEqual([DEMO.user]);
		const forwarded = store.listItems(DEMO.user, 'inbox').filter((m) => m.subject === `FW ${s.nonce}`);
		expect(forwarded).toHaveLength(1);
		const fwdAttachments = forwarded[0].attachments;
		const ours = fwdAttachments.find((a) => a.name === s.extra.name);
		expect(ours).toBeDefined();
		expect(ours!.content.equals(s.extra.bytes)).toBe(true);
		for (const file of s.target.files) expect(fwdAttachments.find((a) => a.name === file.name)?.content.equals(file.bytes)).toBe(true);
		expect(`${forwarded[0].text ?? ''}${forwarded[0].html ?? ''}`).toContain(`Forwarded by the e2e test ${s.nonce}`);

		// Reply: to the vendor only, "RE:" subject, kept in Sent Items with the downloaded files, byte for byte.
		const replies = sent.filter((m) => m.subject === `RE: ${s.target.subject}`);
		expect(replies).toHaveLength(1);
		expect(replies[0].to.map((a) => a.email.toLowerCase())).toEqual([VENDOR]);
		const replyCopies = store.listItems(MAILBOX, 'sentitems').filter((m) => m.subject === `RE: ${s.target.subject}`);
		expect(replyCopies).toHaveLength(1);
		expect(`${replyCopies[0].text ?? ''}${replyCopies[0].html ?? ''}`).toContain(`Thanks, received ${s.nonce}`);
		expect(replyCopies[0].attachments.map((a) => a.name).sort()).toEqual(s.target.files.map((f) => f.name).sort());
		for (const file of s.target.files) {
			const copy = replyCopies[0].attachments.find((a) => a.name === file.name)!;
			expect(copy.contentType).toBe(file.mime);
			expect(copy.content.equals(file.bytes)).toBe(true);
		}
		expect(sent).toHaveLength(2);

		// Mark as Read + Move: the target sits read in the created (renamed) folder, gone from the Inbox.
		const moved = store.listItemsIn(done!.id);
		expect(moved.map((m) => m.subject)).toEqual([s.target.subject]);
		expect(moved[0].isRead).toBe(true);
		// Graph: the id Get Many returned still names the message after the Move (Prefer: IdType="ImmutableId").
		if (api === 'graph') expect(storeId(api, listed[0].id)).toBe(moved[0].id);
		expect(h.nodeOutput(res.execution, 'Move')[0].moved).toBe(true);
		const inbox = store.listItems(MAILBOX, 'inbox');
		expect(inbox.some((m) => m.subject === s.target.subject)).toBe(false);
		// The non-matching messages were not touched.
		for (const other of Object.values(s.others)) expect(store.getItem(other.id)?.folderId).toBe(store.distinguishedFolder(MAILBOX, 'inbox')!.id);
		expect(store.getItem(s.others.otherSender.id)!.isRead).toBe(false);
		return res;
	}

	beforeAll(async () => {
		({ sandbox, userFolder } = await wf.sandboxAndInstalledN8n());

		// An app-only app that holds SMTP.SendAsApp but neither full_access_as_app nor Graph's Mail.* roles.
		sandbox.entra.registerApp({
			tenantId: DEMO.tenantId,
			tenantDomains: [DEMO.tenantDomain],
			clientId: noMailClientId,
			clientSecret: noMailAppSecret,
			displayName: 'n8n e2e app-only without mailbox permissions',
			roles: ['SMTP.SendAsApp'],
			delegatedScopes: [],
			sendAs: [MAILBOX],
		});

		// Delegated token data per Mailbox API, as the credential's Connect button would store it (one resource a token).
		for (const api of wf.MAILBOX_APIS) delegatedTokens[api] = await wf.signIn(sandbox, REDIRECT_URI, api);
		expect(String(delegatedTokens.ews.scope ?? '')).toContain('EWS.AccessAsUser.All');
		expect(String(delegatedTokens.graph.scope ?? '')).toContain('Mail.ReadWrite.Shared');

		await h.importCredentials(
			userFolder,
			wf.MAILBOX_APIS.flatMap((api) => {
				const creds = credsOf[api];
				const tokens = delegatedTokens[api];
				return [
					wf.appOnlyCredential(sandbox, { ...creds.app, api }),
					wf.delegatedCredential(sandbox, { ...creds.delegated, tokens, api }),
					wf.appOnlyCredential(sandbox, { ...creds.appGuarded, allowedMailboxes: MAILBOX, api }),
					wf.delegatedCredential(sandbox, { ...creds.delegatedGuarded, tokens, allowedMailboxes: MAILBOX, api }),
					wf.appOnlyCredential(sandbox, { ...creds.appNoMail, clientId: noMailClientId, clientSecret: noMailAppSecret, api }),
				];
			}),
		);
	});

	afterAll(async () => {
		await sandbox?.stop();
		if (userFolder && !process.env.KEEP_E2E_FOLDER) await fs.rm(userFolder, { recursive: true, force: true });
		else if (userFolder) console.log(`n8n user folder kept: ${userFolder}`);
	});

	/** The requests each stand-in saw from now until the returned function is called. */
	function requestsSince() {
		const at = { ews: sandbox.ews.requests.length, graph: sandbox.graph.requests.length, entra: sandbox.entra.requests.length };
		return () => ({ ews: sandbox.ews.requests.slice(at.ews), graph: sandbox.graph.requests.slice(at.graph), entra: sandbox.entra.requests.length - at.entra });
	}

	describe.each(wf.MAILBOX_APIS)('Mailbox API %s', (api) => {
		const creds = credsOf[api];
		const kinds = KINDS[api];

		test.each(kinds)('(a/b) %s: folders, Get Many with filters, Download, Forward with attachment, Reply, Mark as Read, Move', async (kind) => {
			const since = requestsSince();
			await expectOperationsWork(api, `${api}${kind}`, creds[kind]);
			const calls = since();
			if (api === 'ews') {
				expect(calls.graph).toEqual([]);
				expect(calls.ews.length).toBeGreaterThan(5);
				expect(calls.ews.every((r) => r.status === 200)).toBe(true);
				// App-only impersonates invoices@ with the app's token; alex (FullAccess on invoices@) names the mailbox.
				if (kind === 'app') expect(calls.ews.every((r) => r.impersonated === MAILBOX)).toBe(true);
				else {
					expect(calls.ews.every((r) => r.impersonated === undefined)).toBe(true);
					expect(calls.ews.some((r) => r.mailbox === MAILBOX)).toBe(true);
				}
			} else {
				// Graph only: every call answered 2xx and addressed invoices@ (/users/invoices@…, app-only and delegated alike),
				// except Delete's protected-folder check: one $batch of GETs by well-known name, where names this mailbox
				// lacks answer 404.
				expect(calls.ews).toEqual([]);
				expect(calls.graph.length).toBeGreaterThan(5);
				const wellKnownProbe = (r: (typeof calls.graph)[number]) => r.inBatch && r.method === 'GET' && r.status === 404 && /\/mailFolders\/[a-z]+(\?|$)/.test(r.path);
				expect(calls.graph.filter((r) => (r.status < 200 || r.status > 299) && !wellKnownProbe(r)).map((r) => `${r.endpoint} ${r.path} ${r.status} ${r.code ?? ''}`)).toEqual([]);
				const mailboxes = new Set(calls.graph.filter((r) => r.mailbox).map((r) => r.mailbox!.toLowerCase()));
				expect([...mailboxes]).toEqual([MAILBOX]);
			}
		});

		test('(c) Allowed Mailboxes: a mailbox outside the list is refused before any mailbox request', async () => {
			const blocked = { app: DEMO.noreplyMailbox, delegated: DEMO.user };
			const workflowId = `e2eExGuard${api}`;
			await h.importWorkflow(
				userFolder,
				wf.chainWorkflow(workflowId, `e2e exchange allowed mailboxes ${api}`, [
					wf.manualTrigger(),
					wf.exchangeNode('Delegated Outside', creds.delegatedGuarded, blocked.delegated, 'message', 'getMany', { folder: wf.folderRl('wellKnown', 'inbox'), limit: 5 }, { onError: 'continueRegularOutput' }),
					wf.exchangeNode('App Outside', creds.appGuarded, blocked.app, 'message', 'getMany', { folder: wf.folderRl('wellKnown', 'inbox'), limit: 5 }),
				]),
			);
			const since = requestsSince();
			const res = await runAndRecord(`guard-${api}`, workflowId);
			expect(res.ok).toBe(false);
			expect(res.execution).toBeDefined();

			const appError = h.nodeError(res.execution, 'App Outside');
			const appText = `${appError?.message ?? ''}\n${appError?.description ?? ''}`;
			expect(appText).toContain(blocked.app);
			expect(appText).toContain('Allowed Mailboxes');
			expect(appText).toContain('"Mailbox"');

			// continueRegularOutput: the delegated node's refusal is its output item.
			const [delegatedItem] = h.nodeOutput(res.execution, 'Delegated Outside');
			const delegatedText = `${String(delegatedItem?.error ?? '')}\n${String(delegatedItem?.description ?? '')}`;
			expect(delegatedText).toContain(blocked.delegated);
			expect(delegatedText).toContain('Allowed Mailboxes');

			// Nothing went to EWS or Graph, nor to Entra for a token.
			expect(since()).toEqual({ ews: [], graph: [], entra: 0 });
		});

		test(`(d) app-only token without mailbox permissions: the run data names ${MISSING_PERMISSION[api]}`, async () => {
			const workflowId = `e2eExNoMail${api}`;
			await h.importWorkflow(
				userFolder,
				wf.chainWorkflow(workflowId, `e2e exchange without mailbox permissions ${api}`, [
					wf.manualTrigger(),
					wf.exchangeNode('List Inbox', creds.appNoMail, MAILBOX, 'message', 'getMany', { folder: wf.folderRl('wellKnown', 'inbox'), limit: 5 }),
				]),
			);
			const since = requestsSince();
			const res = await runAndRecord(`noMailPermission-${api}`, workflowId);
			expect(res.ok).toBe(false);
			const err = h.nodeError(res.execution, 'List Inbox') ?? res.execution?.data.resultData.error;
			const text = `${err?.message ?? ''}\n${err?.description ?? ''}`;
			expect(text).toContain(MISSING_PERMISSION[api]);
			expect(text).toMatch(/admin consent/i);
			// The stand-in really refused the token (not a local short-cut): EWS with 401, Graph with 403.
			const calls = since();
			if (api === 'ews') expect(calls.ews.some((r) => r.status === 401)).toBe(true);
			else expect(calls.graph.some((r) => r.status === 403 && r.code === 'ErrorAccessDenied')).toBe(true);
		});
	});

	test('(e) no secret or token appears in n8n output or run data', () => {
		const expected = wf.MAILBOX_APIS.flatMap((api) => [...KINDS[api].map((kind) => `${api}${kind}`), `guard-${api}`, `noMailPermission-${api}`]);
		expect(runs.map((r) => r.label)).toEqual(expect.arrayContaining(expected));
		const texts = h.runTexts(runs);
		const secrets: Record<string, string | undefined> = {
			'app-only client secret': DEMO.appOnlyClientSecret,
			'no-mail app client secret': noMailAppSecret,
			'delegated client secret': DEMO.delegatedClientSecret,
		};
		for (const api of wf.MAILBOX_APIS) {
			const tokens = delegatedTokens[api];
			secrets[`delegated ${api} access token`] = tokens.access_token;
			secrets[`delegated ${api} refresh token`] = tokens.refresh_token;
			secrets[`delegated ${api} id token`] = typeof tokens.id_token === 'string' ? tokens.id_token : undefined;
		}
		expect(h.findLeaks(texts, secrets)).toEqual([]);
	});
});
