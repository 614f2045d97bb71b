// End to end: the Microsoft Exchange Trigger in ACTIVE workflows under `n8n start` (pinned 2.40.7, and 1.123.81 in
// the e2e-n8n1 project), one per Mailbox API (EWS and Microsoft Graph), both polling invoices@contoso.test in the
// sandbox's one store: each delivered message must start an execution in each workflow. Mail is delivered after
// activation; the executions are read back through n8n's REST API (list, run data, binary data).
//
// The order: activation → n8n killed (SIGKILL) before any mail, mail delivered while it is down, restart: that mail
// is emitted once (n8n saved the activation's state; the trigger's recorded first start covers the case where it
// did not, see trigger-durable.e2e) → two batches, nothing twice → a clean restart, new mail once.
//
// Activation: `n8n import:workflow` imports everything inactive (outside queue mode), so the workflows are marked
// active the line's way (h.activateWorkflow) before `n8n start`, which activates them.
// Poll interval: n8n refuses any Poll Times entry that fires more than once a minute ("The polling interval is too
// short"), but checks each entry alone; four custom crons at seconds 0/15/30/45 give a poll every 15 s and keep this
// test short. Users get "Every Minute" at best.
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs/promises';

import { DEMO, type Sandbox } from '../sandbox';
import * as h from './harness';
import * as wf from './exchange-workflows';
import * as tw from './trigger-workflows';

jest.setTimeout(12 * 60_000);

const MAILBOX = DEMO.sharedMailbox;
const POLL_SECONDS = 15;
const POLL_WAIT_MS = 4 * POLL_SECONDS * 1000 + 30_000;
const OWNER: h.OwnerAccount = { email: 'owner@e2e.test', firstName: 'E2E', lastName: 'Owner', password: `E2e-${randomBytes(6).toString('hex')}-Pw1` };

describe(h.onN8n('Microsoft Exchange Trigger: active workflows on EWS and Graph under n8n start'), () => {
	let sandbox: Sandbox;
	let userFolder = '';
	let n8n: h.RunningN8n | undefined;
	let session: h.RestSession;
	let workflows: tw.TriggerWorkflow[] = [];
	const ids = () => workflows.map((w) => w.workflowId);
	const nonce = randomBytes(4).toString('hex');
	const oldSubject = `Old invoice ${nonce} (before activation)`;
	const delivered: tw.Mail[] = [];
	const deliver = (label: string) => {
		const mail = tw.deliverInvoice(sandbox, MAILBOX, label, nonce);
		delivered.push(mail);
		return mail;
	};
	const t0 = Date.now();
	const elapsed = () => `${((Date.now() - t0) / 1000).toFixed(1)} s`;
	/** Output of n8n processes that were stopped or killed, for the secret scan. */
	const earlierOutput: string[] = [];

	/** Stops (or kills) n8n, runs `whileDown`, starts it again. */
	async function restart(how: 'stop' | 'kill', whileDown: () => void = () => {}) {
		earlierOutput.push(n8n!.output());
		await (how === 'kill' ? n8n!.kill() : n8n!.stop());
		whileDown();
		n8n = await h.startN8n(userFolder);
		session = await h.login(n8n.baseUrl, OWNER.email, OWNER.password);
	}


	beforeAll(async () => {
		({ sandbox, userFolder } = await wf.sandboxAndInstalledN8n());
		const built = tw.triggerWorkflows(sandbox, { tag: 'Inv', mailbox: MAILBOX, pollTimes: wf.pollEverySeconds(POLL_SECONDS) });
		workflows = await tw.installTriggerWorkflows(userFolder, built);

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

	test('the activated workflows are active and their first polls (at activation) read the folder, each on its API', async () => {
		for (const workflow of workflows) {
			const saved = await session.request<{ active?: boolean }>('GET', `/workflows/${workflow.workflowId}`);
			expect(saved.active).toBe(true);
			await h.waitFor(`the activation poll of ${workflow.api}`, () => (tw.changeFeedReads(sandbox, workflow.api, MAILBOX) > 0 ? true : undefined), 60_000, 200);
		}
		console.log(`trigger e2e: activation polls seen at ${elapsed()}`);
	});

	test('n8n killed (SIGKILL) before any mail: mail delivered while it is down is emitted after the restart, once', async () => {
		// The case is a crash after activation, before the first mail: wait until n8n has saved what the activation
		// polls recorded (under load the kill could otherwise land inside an activation poll, before anything durable exists).
		await h.waitFor(
			'the activation polls saved by n8n',
			async () => {
				const rows = await h.querySqlite<{ id: string; staticData: string | null }>(userFolder, 'SELECT id, staticData FROM workflow_entity');
				return ids().every((id) => (rows.find((row) => row.id === id)?.staticData ?? '').includes('exchangeTrigger')) ? true : undefined;
			},
			60_000,
			500,
		);
		let mail: tw.Mail | undefined;
		await restart('kill', () => (mail = deliver('while n8n was down')));
		if (!mail) throw new Error('nothing delivered');
		const byWorkflow = await tw.waitForSubjects(() => session, ids(), [mail.subject], POLL_WAIT_MS);
		await tw.expectEachOnce(session, workflows, byWorkflow, delivered, [mail]);
		console.log(`trigger e2e: mail after the crash seen at ${elapsed()}`);
	});

	test('mail delivered later starts executions carrying the message and its attachment; a second batch, no duplicates', async () => {
		const batch1 = [deliver('first'), deliver('second')];
		await tw.waitForSubjects(() => session, ids(), batch1.map((m) => m.subject), POLL_WAIT_MS);
		const batch2 = [deliver('third')];
		await tw.waitForSubjects(() => session, ids(), batch2.map((m) => m.subject), POLL_WAIT_MS);

		// Two more poll cycles with nothing new: still each message exactly once, the old one never.
		const before = workflows.map((w) => tw.changeFeedReads(sandbox, w.api, MAILBOX));
		await h.waitFor('two more polls on each API', () => (workflows.every((w, i) => tw.changeFeedReads(sandbox, w.api, MAILBOX) >= before[i] + 2) ? true : undefined), 3 * POLL_SECONDS * 1000 + 10_000, 500);
		await new Promise((r) => setTimeout(r, 3000)); // let a just-started execution be saved
		const byWorkflow: Record<string, tw.Emitted[]> = {};
		for (const id of ids()) byWorkflow[id] = await tw.emitted(session, id);
		await tw.expectEachOnce(session, workflows, byWorkflow, delivered, [...batch1, ...batch2]);
		for (const workflow of workflows) {
			const executions = await h.listExecutions(session, workflow.workflowId);
			expect(executions.every((e) => e.mode === 'trigger' && e.status === 'success')).toBe(true);
			// Polls that found nothing start no execution: only the ones with mail (the crash test's, then 2 or 3).
			expect(executions.length).toBeGreaterThanOrEqual(3);
			expect(executions.length).toBeLessThanOrEqual(4);
			console.log(`trigger e2e (${workflow.api}): ${executions.length} executions, ${byWorkflow[workflow.workflowId].length} messages, ${tw.changeFeedReads(sandbox, workflow.api, MAILBOX)} change-feed reads (${elapsed()})`);
		}
	});

	test('after a clean restart the triggers go on from their saved cursors: new mail once, nothing repeated', async () => {
		await restart('stop');
		const mail = deliver('after restart');
		const byWorkflow = await tw.waitForSubjects(() => session, ids(), [mail.subject], POLL_WAIT_MS + 30_000);
		await tw.expectEachOnce(session, workflows, byWorkflow, delivered, [mail]);
		console.log(`trigger e2e: after restart, ${delivered.length} messages per API, each once (${elapsed()})`);
	});

	test("the credential's Test button runs our test through n8n's credential test plumbing", async () => {
		// What the editor sends: the credential with its data; n8n fills in defaults and calls the
		// node's credentialTest method (credentials-tester.service) the same way on both lines.
		const ews = workflows.find((w) => w.api === 'ews')!;
		const result = await session.request<{ status?: string; message?: string }>('POST', '/credentials/test', { credentials: ews.credential });
		// Which node's test n8n picks for a credential type several nodes share is n8n's choice: the
		// SMTP one reports the roles, the EWS one also opens the Test Mailbox.
		expect(result).toEqual({ status: 'OK', message: expect.stringMatching(/SMTP\.SendAsApp|full_access_as_app/) });
		console.log(`trigger e2e: credential test on n8n ${h.n8nLine().version}: ${result.message}`);
	});

	test('no secret or token in n8n output or the saved executions', async () => {
		const texts: Record<string, string> = { 'n8n output': [...earlierOutput, n8n!.output()].join('\n') };
		for (const id of ids()) {
			for (const summary of await h.listExecutions(session, id)) texts[`execution ${summary.id}`] = JSON.stringify(await h.getExecution(session, summary.id));
		}
		expect(h.findLeaks(texts, { 'app-only client secret': DEMO.appOnlyClientSecret, 'owner password': OWNER.password })).toEqual([]);
	});
});
