// End to end: the Microsoft Exchange node (EWS), installed as a community package into a pinned n8n
// (2.40.7, and 1.123.81 in the e2e-n8n1 project), against the sandbox's EWS stand-in. Workflows run headless (`n8n execute`), each a chain of
// Exchange nodes; results are checked in the sandbox's mailbox store, not only in n8n's run data.
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

describe(h.onN8n('Microsoft Exchange node (EWS) against the sandbox'), () => {
	let sandbox: Sandbox;
	let userFolder = '';
	let delegatedTokens: h.OAuthTokenData;
	const noEwsAppSecret = `no-ews~${randomBytes(12).toString('hex')}`;
	const noEwsClientId = randomUUID();
	const runs: RecordedRun[] = [];

	const creds = {
		app: { type: wf.APP_ONLY_TYPE, id: 'e2eExAppOnly01', name: 'E2E EWS app-only' },
		delegated: { type: wf.DELEGATED_TYPE, id: 'e2eExDelegat01', name: 'E2E EWS delegated (alex)' },
		appGuarded: { type: wf.APP_ONLY_TYPE, id: 'e2eExAppGuard1', name: 'E2E EWS app-only (only invoices@)' },
		delegatedGuarded: { type: wf.DELEGATED_TYPE, id: 'e2eExDelGuard1', name: 'E2E EWS delegated (only invoices@)' },
		appNoEws: { type: wf.APP_ONLY_TYPE, id: 'e2eExAppNoEws1', name: 'E2E app-only without full_access_as_app' },
	} satisfies Record<string, wf.CredentialRef>;

	async function runAndRecord(label: string, workflowId: string): Promise<h.ExecuteResult> {
		const res = await h.executeWorkflow(userFolder, workflowId);
		runs.push({ label, res });
		return res;
	}

	/** Five messages in invoices@'s Inbox; only `target` matches every Get Many filter of the test. */
	function seed(label: string): Seeded {
		const nonce = `${label}-${randomBytes(4).toString('hex')}`;
		const store = sandbox.ews.store;
		// Bytes that are not valid UTF-8, so any re-encoding would show.
		const pdf = Buffer.concat([Buffer.from(`%PDF-1.4 ${nonce}\n`), randomBytes(2500), Buffer.from([0, 0xff, 0xfe])]);
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

	async function expectOperationsWork(label: string, cred: wf.CredentialRef) {
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
		expect(done!.id).toBe(created.id);
		expect(renamed.displayName).toBe(`Done ${s.nonce}`);
		expect(store.folderByPath(MAILBOX, `Inbox/Processed ${s.nonce}`)).toBeUndefined();
		expect(typeof scratch.id).toBe('string');
		expect(store.folderIncludingDeleted(String(scratch.id))?.displayName).toBe(`Scratch ${s.nonce}`);
		expect(store.folder(String(scratch.id))).toBeUndefined();
		expect(store.folderByPath(MAILBOX, `Inbox/Scratch ${s.nonce}`)).toBeUndefined();

		// Get Many with from + subject + unread + has-attachments filters: only the target message.
		const listed = h.nodeOutput(res.execution, 'Get Many');
		expect(listed.map((m) => m.subject)).toEqual([s.target.subject]);
		expect(listed[0].id).toBe(s.target.id);

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

		// An app-only app that holds SMTP.SendAsApp but not full_access_as_app.
		sandbox.entra.registerApp({
			tenantId: DEMO.tenantId,
			tenantDomains: [DEMO.tenantDomain],
			clientId: noEwsClientId,
			clientSecret: noEwsAppSecret,
			displayName: 'n8n e2e app-only without EWS',
			roles: ['SMTP.SendAsApp'],
			delegatedScopes: [],
			sendAs: [MAILBOX],
		});

		// Delegated token data for EWS, as the credential's Connect button would store it.
		delegatedTokens = await wf.ewsSignIn(sandbox, REDIRECT_URI);
		expect(String(delegatedTokens.scope ?? '')).toContain('EWS.AccessAsUser.All');

		await h.importCredentials(userFolder, [
			wf.appOnlyCredential(sandbox, creds.app),
			wf.delegatedCredential(sandbox, { ...creds.delegated, tokens: delegatedTokens }),
			wf.appOnlyCredential(sandbox, { ...creds.appGuarded, allowedMailboxes: MAILBOX }),
			wf.delegatedCredential(sandbox, { ...creds.delegatedGuarded, tokens: delegatedTokens, allowedMailboxes: MAILBOX }),
			wf.appOnlyCredential(sandbox, { ...creds.appNoEws, clientId: noEwsClientId, clientSecret: noEwsAppSecret }),
		]);
	});

	afterAll(async () => {
		await sandbox?.stop();
		if (userFolder && !process.env.KEEP_E2E_FOLDER) await fs.rm(userFolder, { recursive: true, force: true });
		else if (userFolder) console.log(`n8n user folder kept: ${userFolder}`);
	});

	test('(a) app-only: folders, Get Many with filters, Download, Forward with attachment, Reply, Mark as Read, Move', async () => {
		const before = sandbox.ews.requests.length;
		await expectOperationsWork('app', creds.app);
		// Every call impersonated invoices@ with the app's token.
		const calls = sandbox.ews.requests.slice(before);
		expect(calls.length).toBeGreaterThan(5);
		expect(calls.every((r) => r.status === 200 && r.impersonated === MAILBOX)).toBe(true);
	});

	test('(b) delegated (alex, FullAccess on invoices@): the same operations', async () => {
		const before = sandbox.ews.requests.length;
		await expectOperationsWork('delegated', creds.delegated);
		const calls = sandbox.ews.requests.slice(before);
		expect(calls.length).toBeGreaterThan(5);
		expect(calls.every((r) => r.status === 200 && r.impersonated === undefined)).toBe(true);
		expect(calls.some((r) => r.mailbox === MAILBOX)).toBe(true);
	});

	test('(c) Allowed Mailboxes: a mailbox outside the list is refused before any EWS request', async () => {
		const blocked = { app: DEMO.noreplyMailbox, delegated: DEMO.user };
		const workflowId = 'e2eExGuard01';
		await h.importWorkflow(
			userFolder,
			wf.chainWorkflow(workflowId, 'e2e exchange allowed mailboxes', [
				wf.manualTrigger(),
				wf.exchangeNode('Delegated Outside', creds.delegatedGuarded, blocked.delegated, 'message', 'getMany', { folder: wf.folderRl('wellKnown', 'inbox'), limit: 5 }, { onError: 'continueRegularOutput' }),
				wf.exchangeNode('App Outside', creds.appGuarded, blocked.app, 'message', 'getMany', { folder: wf.folderRl('wellKnown', 'inbox'), limit: 5 }),
			]),
		);
		const before = sandbox.ews.requests.length;
		const tokensBefore = sandbox.entra.requests.length;
		const res = await runAndRecord('guard', workflowId);
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

		// Nothing went to EWS, nor to Entra for a token.
		const calls = sandbox.ews.requests.slice(before);
		expect(calls.filter((r) => r.mailbox === blocked.app || r.mailbox === blocked.delegated)).toEqual([]);
		expect(calls).toEqual([]);
		expect(sandbox.entra.requests.length).toBe(tokensBefore);
	});

	test('(d) app-only token without full_access_as_app: the run data names the missing permission', async () => {
		const workflowId = 'e2eExNoEws01';
		await h.importWorkflow(
			userFolder,
			wf.chainWorkflow(workflowId, 'e2e exchange without full_access_as_app', [
				wf.manualTrigger(),
				wf.exchangeNode('List Inbox', creds.appNoEws, MAILBOX, 'message', 'getMany', { folder: wf.folderRl('wellKnown', 'inbox'), limit: 5 }),
			]),
		);
		const before = sandbox.ews.requests.length;
		const res = await runAndRecord('noFullAccess', workflowId);
		expect(res.ok).toBe(false);
		const err = h.nodeError(res.execution, 'List Inbox') ?? res.execution?.data.resultData.error;
		const text = `${err?.message ?? ''}\n${err?.description ?? ''}`;
		expect(text).toContain('full_access_as_app');
		expect(text).toMatch(/admin consent/i);
		// The sandbox really refused the token (not a local short-cut).
		expect(sandbox.ews.requests.slice(before).some((r) => r.status === 401)).toBe(true);
	});

	test('(e) no secret or token appears in n8n output or run data', () => {
		expect(runs.map((r) => r.label)).toEqual(expect.arrayContaining(['app', 'delegated', 'guard', 'noFullAccess']));
		const texts = h.runTexts(runs);
		const secrets: Record<string, string | undefined> = {
			'app-only client secret': DEMO.appOnlyClientSecret,
			'no-EWS app client secret': noEwsAppSecret,
			'delegated client secret': DEMO.delegatedClientSecret,
			'delegated access token': delegatedTokens.access_token,
			'delegated refresh token': delegatedTokens.refresh_token,
			'delegated id token': typeof delegatedTokens.id_token === 'string' ? delegatedTokens.id_token : undefined,
		};
		expect(h.findLeaks(texts, secrets)).toEqual([]);
	});
});
