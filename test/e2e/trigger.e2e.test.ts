// End to end: the Microsoft Exchange Trigger in an ACTIVE workflow under `n8n start` (pinned 2.40.7,
// and 1.123.81 in the e2e-n8n1 project),
// polling invoices@contoso.test in the sandbox. Mail is delivered into the sandbox store after
// activation; the executions the trigger started are read back through n8n's REST API (list, run
// data, binary data), then a second batch proves nothing is emitted twice.
//
// Activation: `n8n import:workflow` imports everything inactive (outside queue mode), so the workflow is
// marked active the line's way (h.activateWorkflow) before `n8n start`, which activates it.
// Poll interval: n8n refuses any Poll Times entry that fires more than once a minute ("The polling
// interval is too short"), but checks each entry alone; four custom crons at seconds 0/15/30/45 give a
// poll every 15 s and keep this test short. Users get "Every Minute" at best.
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs/promises';

import { DEMO, type Sandbox } from '../sandbox';
import * as h from './harness';
import * as wf from './exchange-workflows';

jest.setTimeout(10 * 60_000);

const MAILBOX = DEMO.sharedMailbox;
const WORKFLOW_ID = 'e2eTrigInvoices1';
const TRIGGER = 'Exchange Trigger';
const POLL_SECONDS = 15;
const OWNER: h.OwnerAccount = { email: 'owner@e2e.test', firstName: 'E2E', lastName: 'Owner', password: `E2e-${randomBytes(6).toString('hex')}-Pw1` };

interface Mail {
	subject: string;
	file: { name: string; mime: string; bytes: Buffer };
}

interface Emitted {
	executionId: string;
	mode: string;
	status: string;
	json: Record<string, unknown>;
	binary: Record<string, { id?: string; data?: string; fileName?: string; mimeType?: string; fileSize?: string | number }>;
}

describe(h.onN8n('Microsoft Exchange Trigger: an active workflow under n8n start'), () => {
	let sandbox: Sandbox;
	let userFolder = '';
	let n8n: h.RunningN8n | undefined;
	let session: h.RestSession;
	const nonce = randomBytes(4).toString('hex');
	const oldSubject = `Old invoice ${nonce} (before activation)`;
	const t0 = Date.now();
	const elapsed = () => `${((Date.now() - t0) / 1000).toFixed(1)} s`;

	function deliver(label: string): Mail {
		const bytes = Buffer.concat([Buffer.from(`%PDF-1.4 ${label} ${nonce}\n`), randomBytes(4000), Buffer.from([0, 0xff])]);
		const mail: Mail = { subject: `Invoice ${label} ${nonce}`, file: { name: `invoice-${label}-${nonce}.pdf`, mime: 'application/pdf', bytes } };
		sandbox.ews.store.deliver(MAILBOX, {
			from: { name: 'Vendor Billing', email: 'billing@vendor.test' },
			to: MAILBOX,
			subject: mail.subject,
			text: `Invoice ${label} attached.`,
			attachments: [{ filename: mail.file.name, content: bytes, contentType: mail.file.mime }],
		});
		return mail;
	}

	/** Every item the trigger emitted, across all executions of the workflow, read through the REST API. */
	async function emitted(): Promise<Emitted[]> {
		const out: Emitted[] = [];
		for (const summary of await h.listExecutions(session, WORKFLOW_ID)) {
			if (summary.status === 'running' || summary.status === 'new') continue;
			const execution = await h.getExecution(session, summary.id);
			const items = execution.data.resultData.runData[TRIGGER]?.[0]?.data?.main?.[0] ?? [];
			for (const item of items) {
				out.push({ executionId: summary.id, mode: summary.mode, status: summary.status, json: item.json, binary: (item.binary ?? {}) as Emitted['binary'] });
			}
		}
		return out;
	}

	async function waitForSubjects(subjects: string[], timeoutMs: number): Promise<Emitted[]> {
		return await h.waitFor(
			`executions carrying ${subjects.join(', ')}`,
			async () => {
				const all = await emitted();
				return subjects.every((s) => all.some((e) => e.json.subject === s)) ? all : undefined;
			},
			timeoutMs,
			2000,
		);
	}

	async function expectAttachment(e: Emitted, mail: Mail) {
		expect(e.mode).toBe('trigger');
		expect(e.status).toBe('success');
		const attachments = e.json.attachments as Array<{ name: string; size: number; binaryProperty?: string }>;
		expect(attachments.map((a) => a.name)).toEqual([mail.file.name]);
		expect(attachments[0].size).toBe(mail.file.bytes.length);
		const property = attachments[0].binaryProperty ?? 'attachment_0';
		const binary = e.binary[property];
		expect(binary).toBeDefined();
		expect(binary.fileName).toBe(mail.file.name);
		expect(binary.mimeType).toBe(mail.file.mime);
		// filesystem mode (n8n's default outside queue mode): the run data holds an id, the bytes come from n8n.
		const bytes = binary.id ? await h.downloadBinaryData(session, binary.id) : Buffer.from(binary.data ?? '', 'base64');
		expect(bytes.length).toBe(mail.file.bytes.length);
		expect(bytes.equals(mail.file.bytes)).toBe(true);
	}

	let credential: h.CredentialExport;

	/** Output of n8n processes that were stopped (restart test), for the secret scan. */
	const earlierOutput: string[] = [];

	beforeAll(async () => {
		({ sandbox, userFolder } = await wf.sandboxAndInstalledN8n());

		const cred = { type: wf.APP_ONLY_TYPE, id: 'e2eTrigAppOnly1', name: 'E2E trigger app-only' } as const;
		credential = wf.appOnlyCredential(sandbox, { ...cred, allowedMailboxes: MAILBOX, testMailbox: MAILBOX });
		await h.importCredentials(userFolder, [credential]);
		await h.importWorkflow(
			userFolder,
			wf.chainWorkflow(WORKFLOW_ID, 'e2e invoice trigger', [
				{
					id: '0b6f3a52-7d1e-4c61-9a0e-1f2d3c4b5a61',
					name: TRIGGER,
					type: wf.TRIGGER_NODE,
					typeVersion: 1,
					position: [0, 0],
					parameters: {
						authentication: 'appOnly',
						mailbox: MAILBOX,
						event: 'messageReceived',
						folder: wf.folderRl('wellKnown', 'inbox'),
						startFrom: 'newOnly',
						maxMessages: 100,
						filters: {},
						output: 'simple',
						afterEmit: 'nothing',
						options: { downloadAttachments: true },
						pollTimes: wf.pollEverySeconds(POLL_SECONDS),
					},
					credentials: { [cred.type]: { id: cred.id, name: cred.name } },
				},
				{ id: '0b6f3a52-7d1e-4c61-9a0e-1f2d3c4b5a62', name: 'Done', type: 'n8n-nodes-base.noOp', typeVersion: 1, position: [0, 0], parameters: {} },
			]),
		);
		await h.activateWorkflow(userFolder, WORKFLOW_ID);

		// Mail that is already there: "New Mail Only" must never emit it.
		sandbox.ews.store.deliver(MAILBOX, { from: 'billing@vendor.test', to: MAILBOX, subject: oldSubject, text: 'old' });

		n8n = await h.startN8n(userFolder);
		session = await h.ownerSession(n8n.baseUrl, OWNER);
		console.log(`trigger e2e: n8n up at ${elapsed()}`);
	});

	afterAll(async () => {
		await n8n?.stop();
		await sandbox?.stop();
		if (userFolder && !process.env.KEEP_E2E_FOLDER) await fs.rm(userFolder, { recursive: true, force: true });
		else if (userFolder) console.log(`n8n user folder kept: ${userFolder}`);
	});

	test('the activated workflow is active and its first poll (at activation) read the folder', async () => {
		const workflow = await session.request<{ active?: boolean; activeVersionId?: string | null }>('GET', `/workflows/${WORKFLOW_ID}`);
		expect(workflow.active).toBe(true);
		await h.waitFor('the activation poll (SyncFolderItems on invoices@)', () => (sandbox.ews.requests.some((r) => r.operation === 'SyncFolderItems' && r.status === 200 && r.mailbox === MAILBOX) ? true : undefined), 60_000, 500);
		console.log(`trigger e2e: activation poll seen at ${elapsed()}`);
	});

	test('mail delivered after activation starts executions carrying the message and its attachment; a second batch, no duplicates', async () => {
		const batch1 = [deliver('first'), deliver('second')];
		const deliveredAt = Date.now();
		let all = await waitForSubjects(batch1.map((m) => m.subject), 4 * POLL_SECONDS * 1000 + 30_000);
		console.log(`trigger e2e: batch 1 seen ${((Date.now() - deliveredAt) / 1000).toFixed(1)} s after delivery (${elapsed()})`);
		for (const mail of batch1) await expectAttachment(all.find((e) => e.json.subject === mail.subject)!, mail);

		const batch2 = [deliver('third')];
		const delivered2At = Date.now();
		all = await waitForSubjects(batch2.map((m) => m.subject), 4 * POLL_SECONDS * 1000 + 30_000);
		console.log(`trigger e2e: batch 2 seen ${((Date.now() - delivered2At) / 1000).toFixed(1)} s after delivery (${elapsed()})`);
		await expectAttachment(all.find((e) => e.json.subject === batch2[0].subject)!, batch2[0]);

		// Two more poll cycles with nothing new: still each message exactly once, the old one never.
		const pollsBefore = sandbox.ews.requests.filter((r) => r.operation === 'SyncFolderItems').length;
		await h.waitFor('two more polls', () => (sandbox.ews.requests.filter((r) => r.operation === 'SyncFolderItems').length >= pollsBefore + 2 ? true : undefined), 3 * POLL_SECONDS * 1000 + 10_000, 500);
		await new Promise((r) => setTimeout(r, 3000)); // let a just-started execution be saved
		all = await emitted();
		const subjects = all.map((e) => String(e.json.subject));
		expect(subjects.sort()).toEqual([...batch1, ...batch2].map((m) => m.subject).sort());
		expect(subjects).not.toContain(oldSubject);
		const executions = await h.listExecutions(session, WORKFLOW_ID);
		expect(executions.every((e) => e.mode === 'trigger' && e.status === 'success')).toBe(true);
		// Polls that found nothing start no execution: only the ones with mail.
		expect(executions.length).toBeGreaterThanOrEqual(2);
		expect(executions.length).toBeLessThanOrEqual(3);
		console.log(`trigger e2e: ${executions.length} executions, ${subjects.length} messages, ${sandbox.ews.requests.filter((r) => r.operation === 'SyncFolderItems').length} polls (${elapsed()})`);
	});

	test('after an n8n restart the trigger goes on from its saved cursor: new mail once, nothing repeated', async () => {
		// Static data comes back from the database now, not from memory.
		earlierOutput.push(n8n!.output());
		await n8n!.stop();
		n8n = await h.startN8n(userFolder);
		session = await h.login(n8n.baseUrl, OWNER.email, OWNER.password);
		const after = [deliver('after restart')];
		const all = await waitForSubjects(after.map((m) => m.subject), 4 * POLL_SECONDS * 1000 + 60_000);
		await expectAttachment(all.find((e) => e.json.subject === after[0].subject)!, after[0]);
		const subjects = all.map((e) => String(e.json.subject));
		expect(subjects.filter((subject) => subject === after[0].subject)).toHaveLength(1);
		expect(new Set(subjects).size).toBe(subjects.length);
		expect(subjects).not.toContain(oldSubject);
		console.log(`trigger e2e: after restart, ${subjects.length} messages in all, each once (${elapsed()})`);
	});

	test("the credential's Test button runs our test through n8n's credential test plumbing", async () => {
		// What the editor sends: the credential with its data; n8n fills in defaults and calls the
		// node's credentialTest method (credentials-tester.service) the same way on both lines.
		const result = await session.request<{ status?: string; message?: string }>('POST', '/credentials/test', { credentials: credential });
		// Which node's test n8n picks for a credential type several nodes share is n8n's choice: the
		// SMTP one reports the roles, the EWS one also opens the Test Mailbox.
		expect(result).toEqual({ status: 'OK', message: expect.stringMatching(/SMTP\.SendAsApp|full_access_as_app/) });
		console.log(`trigger e2e: credential test on n8n ${h.n8nLine().version}: ${result.message}`);
	});

	test('no secret or token in n8n output or the saved executions', async () => {
		const texts: Record<string, string> = { 'n8n output': [...earlierOutput, n8n!.output()].join('\n') };
		for (const summary of await h.listExecutions(session, WORKFLOW_ID)) {
			texts[`execution ${summary.id}`] = JSON.stringify(await h.getExecution(session, summary.id));
		}
		expect(h.findLeaks(texts, { 'app-only client secret': DEMO.appOnlyClientSecret, 'owner password': OWNER.password })).toEqual([]);
	});
});
