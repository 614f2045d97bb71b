// End to end on n8n 2.40.7 with durable poll cursors on (N8N_SCHEDULER_ENABLED, N8N_USE_WORKFLOW_PUBLICATION_SERVICE,
// N8N_SCHEDULER_POLL_TRIGGERS_ENABLED, N8N_POLLER_DURABLE_CURSORS_ENABLED): the Microsoft Exchange Trigger on each
// Mailbox API, one active "New Mail Only" workflow per API over the sandbox's one store.
//
// With those flags n8n keeps a poller's node static data in its `poller_state` table, commits it in the transaction
// that creates the execution, and commits a poll that emits nothing on its own; the activation poll is not
// committed at all when it emits nothing. So the cursor of that first poll is gone, and the next poll would start
// "New Mail Only" over and skip what arrived in between. The trigger records its first start in the workflow's
// global static data (saved by n8n after the activation): this suite kills n8n right after the activation poll (no
// later poll may finish: the sandbox holds them), delivers mail, restarts, and expects that mail once. Then it checks
// the cursor in `poller_state` holds the emitted message as soon as the execution exists, and that a SIGKILL right
// after that execution neither repeats nor loses mail.
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs/promises';

import { shortHash } from '../../nodes/ExchangeTrigger/trigger/state';
import { DEMO, type Sandbox } from '../sandbox';
import * as h from './harness';
import * as wf from './exchange-workflows';
import * as tw from './trigger-workflows';

jest.setTimeout(12 * 60_000);

const MAILBOX = DEMO.sharedMailbox;
// One Poll Times entry: the durable scheduler runs one job per entry, and jobs of one node can run at once (after
// n8n was down, all late ones fire together), each from the same cursor, each emitting the same mail (README).
const POLL_WAIT_MS = 2 * 60_000 + 30_000;
const OWNER: h.OwnerAccount = { email: 'owner@e2e.test', firstName: 'E2E', lastName: 'Owner', password: `E2e-${randomBytes(6).toString('hex')}-Pw1` };
const DURABLE_CURSORS = {
	N8N_SCHEDULER_ENABLED: 'true',
	N8N_USE_WORKFLOW_PUBLICATION_SERVICE: 'true',
	N8N_SCHEDULER_POLL_TRIGGERS_ENABLED: 'true',
	N8N_POLLER_DURABLE_CURSORS_ENABLED: 'true',
};

interface TriggerCursor {
	exchangeTrigger?: { syncState?: string; recent: string[]; fastForward?: boolean };
}

const onN8n2 = h.n8nLine().version.startsWith('2.');

(onN8n2 ? describe : describe.skip)(h.onN8n('Microsoft Exchange Trigger with durable poll cursors (EWS and Graph)'), () => {
	let sandbox: Sandbox;
	let userFolder = '';
	let n8n: h.RunningN8n | undefined;
	let session: h.RestSession;
	let workflows: tw.TriggerWorkflow[] = [];
	const ids = () => workflows.map((w) => w.workflowId);
	const nonce = randomBytes(4).toString('hex');
	const delivered: tw.Mail[] = [];
	const deliver = (label: string) => {
		const mail = tw.deliverInvoice(sandbox, MAILBOX, label, nonce);
		delivered.push(mail);
		return mail;
	};
	const t0 = Date.now();
	const elapsed = () => `${((Date.now() - t0) / 1000).toFixed(1)} s`;
	const earlierOutput: string[] = [];
	const start = async () => {
		n8n = await h.startN8n(userFolder, { extraEnv: DURABLE_CURSORS });
	};

	/** poller_state's cursor of each workflow's trigger node (JSON), by workflow id. */
	async function cursors(): Promise<Record<string, TriggerCursor | undefined>> {
		const rows = await h.querySqlite<{ workflowId: string; cursor: string }>(userFolder, `SELECT workflowId, cursor FROM poller_state`);
		return Object.fromEntries(ids().map((id) => [id, rows.filter((r) => r.workflowId === id).map((r) => JSON.parse(r.cursor) as TriggerCursor)[0]]));
	}

	async function killAndRestart(whileDown: () => void) {
		earlierOutput.push(n8n!.output());
		await n8n!.kill();
		whileDown();
		await start();
		session = await h.login(n8n!.baseUrl, OWNER.email, OWNER.password);
	}

	beforeAll(async () => {
		({ sandbox, userFolder } = await wf.sandboxAndInstalledN8n());
		const built = tw.triggerWorkflows(sandbox, { tag: 'Dur', mailbox: MAILBOX, pollTimes: { item: [{ mode: 'everyMinute' }] } });
		workflows = await tw.installTriggerWorkflows(userFolder, built);
		sandbox.ews.store.deliver(MAILBOX, { from: 'billing@vendor.test', to: MAILBOX, subject: `Old invoice ${nonce}`, text: 'old' });
		await start();
		session = await h.ownerSession(n8n!.baseUrl, OWNER);
		console.log(`durable trigger e2e: n8n up at ${elapsed()}`);
	});

	afterAll(async () => {
		await n8n?.stop();
		await sandbox?.stop();
		if (userFolder && !process.env.KEEP_E2E_FOLDER) await fs.rm(userFolder, { recursive: true, force: true });
		else if (userFolder) console.log(`n8n user folder kept: ${userFolder}`);
	});

	test('an activation poll that emits nothing is not committed; mail delivered after it, n8n killed before any later poll, is emitted once after the restart', async () => {
		// Every activation poll read its folder; from then on every read is held until n8n is gone.
		await h.waitFor('the activation poll on each API', () => (workflows.every((w) => tw.changeFeedReads(sandbox, w.api, MAILBOX) > 0) ? true : undefined), 120_000, 50);
		tw.holdChangeFeeds(sandbox, 30_000);
		// n8n saves the workflow's static data (the trigger's first start) just after the activation poll returns;
		// a crash before that save is the one moment not covered (README), so the kill waits for it.
		await h.waitFor(
			"the first starts in the workflows' static data",
			async () => {
				const rows = await h.querySqlite<{ id: string; staticData: string | null }>(userFolder, 'SELECT id, staticData FROM workflow_entity');
				return ids().every((id) => rows.some((r) => r.id === id && (r.staticData ?? '').includes('exchangeTriggerFirstStarts'))) ? true : undefined;
			},
			60_000,
			250,
		);
		const readsAtActivation = workflows.map((w) => tw.changeFeedReads(sandbox, w.api, MAILBOX));
		expect(n8n!.output()).not.toMatch(/durable poll cursors stay disabled/);
		let whileDown: tw.Mail | undefined;
		await killAndRestart(() => {
			// Nothing but the activation poll read a folder, so nothing but it could have moved a cursor...
			expect(workflows.map((w) => tw.changeFeedReads(sandbox, w.api, MAILBOX))).toEqual(readsAtActivation);
			sandbox.ews.reset();
			sandbox.graph.reset();
			whileDown = deliver('while n8n was down');
		});
		console.log(`durable trigger e2e: killed after the activation polls, restarted at ${elapsed()}`);
		// What n8n kept of the activation: no cursor in poller_state (that poll was not committed), but the workflow's
		// static data with the trigger's first start (saved after the activation), and no cursor there either.
		const kept = await cursors();
		const staticData = Object.fromEntries((await h.querySqlite<{ id: string; staticData: string | null }>(userFolder, 'SELECT id, staticData FROM workflow_entity')).map((r) => [r.id, r.staticData ?? '']));
		for (const id of ids()) {
			expect({ id, cursor: kept[id]?.exchangeTrigger }).toEqual({ id, cursor: undefined });
			expect(staticData[id]).toContain('exchangeTriggerFirstStarts');
			expect(staticData[id]).not.toContain('"exchangeTrigger"');
		}
		const byWorkflow = await tw.waitForSubjects(() => session, ids(), [whileDown!.subject], POLL_WAIT_MS + 90_000);
		await tw.expectEachOnce(session, workflows, byWorkflow, delivered, [whileDown!]);
		console.log(`durable trigger e2e: the mail delivered while n8n was down emitted at ${elapsed()}`);
	});

	test("the cursor is committed with the execution: in poller_state as soon as the execution exists, and a SIGKILL right after it repeats nothing", async () => {
		const mail = deliver('before the second crash');
		const byWorkflow = await tw.waitForSubjects(() => session, ids(), [mail.subject], POLL_WAIT_MS);
		const committed = await cursors();
		for (const workflow of workflows) {
			const item = byWorkflow[workflow.workflowId].find((e) => e.json.subject === mail.subject)!;
			const cursor = committed[workflow.workflowId]?.exchangeTrigger;
			expect({ api: workflow.api, syncState: typeof cursor?.syncState, holdsTheMessage: cursor?.recent.includes(shortHash(String(item.json.id))) }).toEqual({ api: workflow.api, syncState: 'string', holdsTheMessage: true });
		}

		let afterCrash: tw.Mail | undefined;
		await killAndRestart(() => {
			afterCrash = deliver('after the second crash');
		});
		await tw.waitForSubjects(() => session, ids(), [afterCrash!.subject], POLL_WAIT_MS + 90_000);
		const before = workflows.map((w) => tw.changeFeedReads(sandbox, w.api, MAILBOX));
		await h.waitFor('one more poll on each API', () => (workflows.every((w, i) => tw.changeFeedReads(sandbox, w.api, MAILBOX) >= before[i] + 1) ? true : undefined), 90_000, 500);
		await new Promise((r) => setTimeout(r, 3000)); // let a just-started execution be saved
		const final: Record<string, tw.Emitted[]> = {};
		for (const id of ids()) final[id] = await tw.emitted(session, id);
		await tw.expectEachOnce(session, workflows, final, delivered, [afterCrash!]);
		for (const workflow of workflows) {
			const executions = await h.listExecutions(session, workflow.workflowId);
			expect(executions.every((e) => e.mode === 'trigger' && e.status === 'success')).toBe(true);
			console.log(`durable trigger e2e (${workflow.api}): ${executions.length} executions, ${final[workflow.workflowId].length} messages, each once (${elapsed()})`);
		}
	});

	test('no secret or token in n8n output or the saved executions', async () => {
		const texts: Record<string, string> = { 'n8n output': [...earlierOutput, n8n!.output()].join('\n') };
		for (const id of ids()) {
			for (const summary of await h.listExecutions(session, id)) texts[`execution ${summary.id}`] = JSON.stringify(await h.getExecution(session, summary.id));
		}
		expect(h.findLeaks(texts, { 'app-only client secret': DEMO.appOnlyClientSecret, 'owner password': OWNER.password })).toEqual([]);
	});
});
