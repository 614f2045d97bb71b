// End to end in n8n's queue mode (pinned 2.40.7): a private Redis and PostgreSQL, an n8n main and two
// workers (`EXECUTIONS_MODE=queue`, one encryption key), each with the packed package installed in its own user
// folder as on separate machines, binary data in n8n's `database` mode, and the sandbox. The workflow is the one
// the README recommends: Microsoft Exchange Trigger on a folder → Exchange node Reply (the mail's attachment goes
// back with the reply, so its bytes must reach the worker) → Exchange node Move to Processed as the LAST step.
//
// What it shows: every one of 300 mails delivered in bursts is in exactly one successful execution, run on a
// worker; a worker killed with SIGKILL in the middle of an execution loses mail without redelivery (the loss is
// printed as the baseline) and loses none with Redeliver Until Processed; the main killed during a poll and
// restarted loses nothing and repeats nothing; token requests stay at one per process.
// Poll Times: four crons a minute (seconds 0/15/30/45), as in trigger.e2e.test.ts.
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';

import { DEMO, startSandbox, type Sandbox } from '../sandbox';
import * as h from './harness';
import { descendants, isAlive } from './processes';
import * as q from './queue';
import * as wf from './exchange-workflows';

jest.setTimeout(20 * 60_000);

const MAILBOX = DEMO.sharedMailbox;
const POLL_SECONDS = 15;
const TRIGGER = 'Exchange Trigger';
const PLAIN = { workflowId: 'e2eQueuePlain001', folder: 'Inbox/Queue Plain' };
const REDELIVER = { workflowId: 'e2eQueueRedeliv1', folder: 'Inbox/Queue Redeliver' };
const PROCESSED = 'Inbox/Processed';
/** Short, so the suite sees the redelivery: 15 s after the emission, checked at the next poll. */
const REDELIVER_AFTER_MINUTES = 0.25;
const OWNER: h.OwnerAccount = { email: 'owner@e2e.test', firstName: 'E2E', lastName: 'Owner', password: `E2e-${randomBytes(6).toString('hex')}-Pw1` };
const CRED = { type: wf.APP_ONLY_TYPE, id: 'e2eQueueAppOnly1', name: 'E2E queue app-only' } as const;

/** Whether the built trigger has Redeliver Until Processed (the option lands with issue 13's redelivery work). */
function builtTriggerRedelivers(): boolean {
	// eslint-disable-next-line @typescript-eslint/no-require-imports
	const { ExchangeTrigger } = require(path.join(h.REPO_ROOT, 'dist', 'nodes', 'ExchangeTrigger', 'ExchangeTrigger.node.js')) as { ExchangeTrigger: new () => { description: { properties: Array<{ name: string }> } } };
	return new ExchangeTrigger().description.properties.some((property) => property.name === 'redeliver');
}
const testWithRedelivery = builtTriggerRedelivers() ? test : test.skip;
if (!builtTriggerRedelivers()) console.warn('queue e2e: the built trigger has no Redeliver Until Processed option; its scenario is skipped.');

interface Mail {
	subject: string;
	file: { name: string; bytes: Buffer };
}

interface Counts {
	mails: number;
	executions: number;
	processed: number;
	replies: number;
	duplicates: number;
	missing: number;
}

function queueWorkflow(workflowId: string, folder: string, processedFolderId: string, redelivery: Record<string, unknown>): object {
	return wf.chainWorkflow(workflowId, `e2e queue ${folder}`, [
		{
			id: `${workflowId}-trigger`,
			name: TRIGGER,
			type: wf.TRIGGER_NODE,
			typeVersion: 1,
			position: [0, 0],
			parameters: {
				authentication: 'appOnly',
				mailbox: MAILBOX,
				event: 'messageReceived',
				folder: wf.folderRl('path', folder),
				startFrom: 'newOnly',
				maxMessages: 100,
				filters: {},
				output: 'simple',
				afterEmit: 'nothing',
				options: { downloadAttachments: true },
				pollTimes: wf.pollEverySeconds(POLL_SECONDS),
				...redelivery,
			},
			credentials: { [CRED.type]: { id: CRED.id, name: CRED.name } },
		},
		wf.exchangeNode('Reply', CRED, MAILBOX, 'message', 'reply', {
			messageId: `={{ $('${TRIGGER}').item.json.id }}`,
			replyAll: false,
			comment: 'Thanks, received.',
			commentFormat: 'text',
			options: { attachments: 'attachment_0' },
		}),
		wf.exchangeNode('Move to Processed', CRED, MAILBOX, 'message', 'move', {
			messageId: `={{ $('${TRIGGER}').item.json.id }}`,
			destination: wf.folderRl('id', processedFolderId),
		}),
	]);
}

describe(h.onN8n('Queue mode: an n8n main and two workers on Redis and PostgreSQL'), () => {
	let sandbox: Sandbox | undefined;
	let services: q.QueueServices | undefined;
	const userFolders: string[] = [];
	let mainFolder = '';
	let workerFolders: string[] = [];
	let main: h.RunningN8n | undefined;
	const workers: q.GroupProcess[] = [];
	/** Every worker process that ran (killed ones too): whose log says which execution it ran. */
	const allWorkers: q.GroupProcess[] = [];
	let session: h.RestSession;
	let n8nProcessesStarted = 0;
	const mainOutputs: string[] = [];
	const nonce = randomBytes(3).toString('hex');
	const t0 = Date.now();
	const elapsed = () => `${((Date.now() - t0) / 1000).toFixed(0)} s`;
	const log = (text: string) => console.log(`queue e2e (${elapsed()}): ${text}`);
	const store = () => sandbox!.ews.store;

	function deliver(folder: string, label: string, count: number): Mail[] {
		const mails: Mail[] = [];
		for (let i = 0; i < count; i++) {
			const bytes = Buffer.concat([Buffer.from(`%PDF-1.4 ${label} ${i}\n`), randomBytes(1500 + ((i * 37) % 900)), Buffer.from([0, 0xff, 0x0d, 0x0a])]);
			const mail: Mail = { subject: `Invoice ${label} ${i} ${nonce}`, file: { name: `invoice-${label}-${i}.pdf`, bytes } };
			store().deliver(MAILBOX, {
				folder,
				from: { name: 'Vendor Billing', email: 'billing@vendor.test' },
				to: MAILBOX,
				subject: mail.subject,
				text: `Invoice ${label} ${i} attached.`,
				attachments: [{ filename: mail.file.name, content: bytes, contentType: 'application/pdf' }],
			});
			mails.push(mail);
		}
		return mails;
	}

	const countBy = (subjects: string[]) => subjects.reduce((m, s) => m.set(s, (m.get(s) ?? 0) + 1), new Map<string, number>());
	const replySubject = (mail: Mail) => `RE: ${mail.subject}`;

	/** The trigger items of each execution of a workflow, read from n8n's own tables in PostgreSQL. */
	async function executionsOf(workflowId: string): Promise<Array<{ id: string; status: string; mode: string; subjects: string[]; attempts: number[] }>> {
		const flatted = await h.requireFromN8n<{ parse(text: string): unknown }>('flatted');
		const rows = await services!.query<{ id: number; status: string; mode: string; data: string | null }>(
			'SELECT e.id, e.status, e.mode, d.data FROM execution_entity e LEFT JOIN execution_data d ON d."executionId" = e.id WHERE e."workflowId" = $1 ORDER BY e.id',
			[workflowId],
		);
		return rows.map((row) => {
			const data = row.data ? (flatted.parse(row.data) as h.ExecutionData['data']) : undefined;
			const items = data?.resultData?.runData?.[TRIGGER]?.[0]?.data?.main?.[0] ?? [];
			const attempts = items.map((item) => Number((item.json.redelivery as { attempt?: number } | undefined)?.attempt ?? 1));
			return { id: String(row.id), status: row.status, mode: row.mode, subjects: items.map((item) => String(item.json.subject)), attempts };
		});
	}

	/** The newest execution id so far (any workflow): what a scenario starts after. */
	async function lastExecutionId(): Promise<number> {
		const [row] = await services!.query<{ max: number | null }>('SELECT max(id) AS max FROM execution_entity');
		return Number(row?.max ?? 0);
	}

	/**
	 * What happened to `mails`: moved to Processed, replied to, repeated, missing (either not done); the executions
	 * of the workflow since `sinceId` (a crashed one's run data is gone in queue mode, so they are not found by content).
	 */
	async function countsOf(mails: Mail[], workflowId: string, sinceId: number): Promise<Counts & { repliesPer: Map<string, number>; processedPer: Map<string, number>; statuses: string }> {
		const wanted = new Set(mails.map((m) => m.subject));
		const processedPer = countBy(store().listItems(MAILBOX, PROCESSED).map((item) => item.subject).filter((s) => wanted.has(s)));
		const repliesPer = countBy(store().sent.map((sent) => sent.subject.replace(/^RE: /, '')).filter((s) => wanted.has(s)));
		const executions = (await executionsOf(workflowId)).filter((e) => Number(e.id) > sinceId);
		let duplicates = 0;
		for (const n of [...processedPer.values(), ...repliesPer.values()]) duplicates += Math.max(0, n - 1);
		return {
			mails: mails.length,
			executions: executions.length,
			processed: processedPer.size,
			replies: repliesPer.size,
			duplicates,
			missing: mails.filter((m) => !processedPer.has(m.subject) || !repliesPer.has(m.subject)).length,
			repliesPer,
			processedPer,
			statuses: [...countBy(executions.map((e) => e.status))].map(([status, n]) => `${n} ${status}`).join(', ') || 'none',
		};
	}

	const printCounts = (label: string, c: Counts & { statuses: string }) =>
		log(`${label}: mails ${c.mails}, executions ${c.executions} (${c.statuses}), processed ${c.processed}, replies ${c.replies}, duplicates ${c.duplicates}, missing ${c.missing}`);

	async function waitProcessed(mails: Mail[], timeoutMs: number): Promise<void> {
		const wanted = new Set(mails.map((m) => m.subject));
		await h.waitFor(
			`${mails.length} mails moved to ${PROCESSED}`,
			() => (store().listItems(MAILBOX, PROCESSED).filter((item) => wanted.has(item.subject)).length >= wanted.size ? true : undefined),
			timeoutMs,
			1000,
		);
	}

	/** Every mail's reply in Sent Items carries its attachment byte for byte (it went trigger → database → worker → EWS). */
	function expectAttachmentsReturned(mails: Mail[]) {
		const copies = new Map(store().listItems(MAILBOX, 'sentitems').map((item) => [item.subject, item]));
		const wrong = mails.filter((mail) => {
			const attachment = copies.get(replySubject(mail))?.attachments.find((a) => a.name === mail.file.name);
			return !attachment || !attachment.content.equals(mail.file.bytes);
		});
		expect(wrong.map((m) => m.subject)).toEqual([]);
	}

	/** Execution ids the workers' logs say they finished. */
	const finishedOnWorkers = () => new Set(allWorkers.flatMap((w) => q.workerExecutions(w.output()).finished));

	async function startWorker(index: number): Promise<q.GroupProcess> {
		const worker = await q.startWorker(`worker-${index + 1}`, workerFolders[index], services!.env);
		n8nProcessesStarted++;
		workers[index] = worker;
		allWorkers.push(worker);
		return worker;
	}

	async function startMain(): Promise<void> {
		main = await h.startN8n(mainFolder, { extraEnv: services!.env });
		q.killOnExit(main.process);
		n8nProcessesStarted++;
		session = await h.ownerSession(main.baseUrl, OWNER);
	}

	/** A crash of the main: SIGKILL to it and everything below it (its task runner), nothing can clean up. */
	function killMain(): void {
		const pid = main!.process.pid!;
		for (const p of [pid, ...descendants(pid)]) if (isAlive(p)) process.kill(p, 'SIGKILL');
	}

	beforeAll(async () => {
		h.assertBuilt();
		const [, tarball] = await Promise.all([h.ensureN8n(), h.packPackage()]);
		sandbox = await startSandbox();
		services = await q.startQueueServices();
		log(`redis :${services.redis.port}, postgres :${services.postgres.port}`);
		// Three machines: each its own user folder with the package installed from the same tarball.
		for (let i = 0; i < 3; i++) {
			const folder = await h.createUserFolder({ caPem: sandbox.ca });
			userFolders.push(folder);
			await h.installPackage(folder, tarball);
		}
		[mainFolder, ...workerFolders] = userFolders;

		for (const folder of [PLAIN.folder, REDELIVER.folder]) store().createFolder(MAILBOX, 'inbox', folder.split('/')[1]);
		const processed = store().createFolder(MAILBOX, 'inbox', PROCESSED.split('/')[1]);
		const cli = { extraEnv: services.env };
		await h.importCredentials(mainFolder, [wf.appOnlyCredential(sandbox, { ...CRED, allowedMailboxes: MAILBOX, testMailbox: MAILBOX })], cli);
		await h.importWorkflow(
			mainFolder,
			[
				queueWorkflow(PLAIN.workflowId, PLAIN.folder, processed.id, {}),
				queueWorkflow(REDELIVER.workflowId, REDELIVER.folder, processed.id, {
					redeliver: true,
					processedWhen: 'leftFolder',
					redeliverAfterMinutes: REDELIVER_AFTER_MINUTES,
					maxAttempts: 5,
				}),
			],
			cli,
		);
		for (const id of [PLAIN.workflowId, REDELIVER.workflowId]) await h.activateWorkflow(mainFolder, id, cli);
		log('database migrated, credential and workflows imported and published');

		await startMain();
		await Promise.all([startWorker(0), startWorker(1)]);
		log(`main at ${main!.baseUrl}, two workers ready`);
	});

	afterAll(async () => {
		// Everything we started, whatever failed: workers, main, Redis/PostgreSQL, sandbox, folders.
		await Promise.allSettled(allWorkers.map((w) => w.stop('SIGTERM', 15_000)));
		await main?.stop().catch(() => undefined);
		await services?.stop().catch(() => undefined);
		await sandbox?.stop();
		if (!process.env.KEEP_E2E_FOLDER) await Promise.all(userFolders.map((dir) => fs.rm(dir, { recursive: true, force: true })));
	});

	test('a smoke mail runs on a worker: replied with its attachment, moved to Processed', async () => {
		const mails = deliver(PLAIN.folder, 'smoke', 1);
		await waitProcessed(mails, 4 * POLL_SECONDS * 1000 + 60_000);
		const executions = await executionsOf(PLAIN.workflowId);
		expect(executions).toEqual([expect.objectContaining({ status: 'success', mode: 'trigger', subjects: [mails[0].subject] })]);
		expect([...finishedOnWorkers()]).toContain(executions[0].id);
		expect(main!.output()).not.toMatch(/Worker (started|finished) execution/);
		expectAttachmentsReturned(mails);
		log(`smoke execution ${executions[0].id} ran on a worker`);
	});

	test('300 mails in bursts: each in exactly one successful execution on a worker, replied once with its attachment, moved once', async () => {
		const sinceId = await lastExecutionId();
		const mails: Mail[] = [];
		for (let burst = 0; burst < 6; burst++) {
			mails.push(...deliver(PLAIN.folder, `burst${burst}`, 50));
			await new Promise((r) => setTimeout(r, 7000));
		}
		await waitProcessed(mails, 8 * 60_000);
		await new Promise((r) => setTimeout(r, 3000)); // a late duplicate would show by now
		const executions = (await executionsOf(PLAIN.workflowId)).filter((e) => e.subjects.some((s) => mails.some((m) => m.subject === s)));
		const emitted = countBy(executions.flatMap((e) => e.subjects));
		expect(mails.filter((m) => emitted.get(m.subject) !== 1).map((m) => m.subject)).toEqual([]);
		expect(executions.filter((e) => e.status !== 'success' || e.mode !== 'trigger')).toEqual([]);
		const onWorkers = finishedOnWorkers();
		expect(executions.map((e) => e.id).filter((id) => !onWorkers.has(id))).toEqual([]);
		const perWorker = allWorkers.map((w) => executions.filter((e) => q.workerExecutions(w.output()).finished.includes(e.id)).length);
		const counts = await countsOf(mails, PLAIN.workflowId, sinceId);
		printCounts('300 mails in bursts', counts);
		log(`executions per worker: ${perWorker.join(', ')}`);
		expect(counts).toMatchObject({ mails: 300, processed: 300, replies: 300, duplicates: 0, missing: 0 });
		expect(store().listItems(MAILBOX, PLAIN.folder).filter((item) => item.subject.endsWith(nonce))).toEqual([]);
		expectAttachmentsReturned(mails);
	});

	/**
	 * 100 mails in one poll (one execution), EWS slowed so the Reply step takes a while; once the worker running
	 * it has sent a few replies it is killed with SIGKILL and a fresh worker takes its place (same folder).
	 */
	async function killWorkerMidExecution(target: { workflowId: string; folder: string }, label: string): Promise<{ mails: Mail[]; sinceId: number; repliedBeforeKill: Set<string> }> {
		const sinceId = await lastExecutionId();
		const startedBefore = new Set(allWorkers.flatMap((w) => q.workerExecutions(w.output()).started));
		const sentBefore = store().sent.length;
		sandbox!.ews.setLatency(150);
		const mails = deliver(target.folder, label, 100);
		const wanted = new Set(mails.map((m) => m.subject));
		const victim = await h.waitFor(
			'a worker in the middle of the 100-mail execution',
			() => {
				const replied = store().sent.slice(sentBefore).filter((s) => wanted.has(s.subject.replace(/^RE: /, ''))).length;
				if (replied < 5) return undefined;
				return workers.findIndex((w) => q.workerExecutions(w.output()).started.some((id) => !startedBefore.has(id) && !q.workerExecutions(w.output()).finished.includes(id)));
			},
			3 * 60_000,
			200,
		).then((index) => (index >= 0 ? index : undefined));
		if (victim === undefined) throw new Error('no worker was found running the execution');
		await workers[victim].kill();
		sandbox!.ews.setLatency(0);
		const repliedBeforeKill = new Set(store().sent.slice(sentBefore).map((s) => s.subject.replace(/^RE: /, '')).filter((s) => wanted.has(s)));
		log(`${label}: worker-${victim + 1} killed (SIGKILL) after ${repliedBeforeKill.size} of 100 replies`);
		await startWorker(victim);
		return { mails, sinceId, repliedBeforeKill };
	}

	test('a worker killed mid-execution WITHOUT redelivery: the loss, measured as the baseline', async () => {
		const { mails, sinceId } = await killWorkerMidExecution(PLAIN, 'baseline');
		// Nothing brings these back: wait two more polls and count what is left undone.
		await new Promise((r) => setTimeout(r, 2 * POLL_SECONDS * 1000 + 5000));
		const counts = await countsOf(mails, PLAIN.workflowId, sinceId);
		printCounts('worker killed, no redelivery (baseline)', counts);
		// The kill came after some replies and before the Move step: every mail is left undone, none was moved.
		expect(counts).toMatchObject({ mails: 100, processed: 0, missing: 100 });
		expect(counts.replies).toBeGreaterThanOrEqual(5);
		expect(counts.executions).toBeGreaterThanOrEqual(1);
	});

	testWithRedelivery('a worker killed mid-execution WITH Redeliver Until Processed: every mail replied and moved to Processed, once', async () => {
		const { mails, sinceId, repliedBeforeKill } = await killWorkerMidExecution(REDELIVER, 'redelivery');
		await waitProcessed(mails, 5 * 60_000);
		// A late redelivery would show by now (the redelivery time and a poll).
		await new Promise((r) => setTimeout(r, REDELIVER_AFTER_MINUTES * 60_000 + POLL_SECONDS * 1000 + 5000));
		const counts = await countsOf(mails, REDELIVER.workflowId, sinceId);
		printCounts('worker killed, with redelivery', counts);
		expect(counts).toMatchObject({ mails: 100, processed: 100, replies: 100, missing: 0 });
		expect([...counts.processedPer.values()].filter((n) => n !== 1)).toEqual([]);
		// At least once: only a mail the killed worker had already replied to can get a second reply.
		const repliedTwice = [...counts.repliesPer].filter(([, n]) => n > 1).map(([s]) => s);
		expect(repliedTwice.filter((s) => !repliedBeforeKill.has(s))).toEqual([]);
		expect([...counts.repliesPer.values()].filter((n) => n > 2)).toEqual([]);
		expect(store().listItems(MAILBOX, REDELIVER.folder).filter((item) => item.subject.endsWith(nonce))).toEqual([]);
		// The redelivered mails ran again in a successful execution, marked as a second attempt.
		const redelivered = (await executionsOf(REDELIVER.workflowId)).filter((e) => Number(e.id) > sinceId && e.status === 'success');
		expect(redelivered.length).toBeGreaterThanOrEqual(1);
		const wanted = new Set(mails.map((m) => m.subject));
		const attempts = redelivered.flatMap((e) => e.subjects.map((s, i) => [s, e.attempts[i]] as const)).filter(([s]) => wanted.has(s));
		expect(attempts.length).toBeGreaterThanOrEqual(100);
		expect(attempts.filter(([, attempt]) => attempt < 2).map(([s]) => s)).toEqual([]);
		expectAttachmentsReturned(mails);
	});

	test('the main killed during a poll and restarted: no mail lost, none repeated', async () => {
		const sinceId = await lastExecutionId();
		const mails = deliver(PLAIN.folder, 'main-crash', 20);
		const deliveredAt = new Date();
		// Slow EWS, so the next poll is still reading the folder when the main dies.
		sandbox!.ews.setLatency(4000);
		await h.waitFor(
			'a poll in flight (SyncFolderItems on its way)',
			() => (sandbox!.ews.requests.some((r) => r.operation === 'SyncFolderItems' && r.status === 0 && r.at >= deliveredAt) ? true : undefined),
			2 * POLL_SECONDS * 1000 + 10_000,
			100,
		);
		mainOutputs.push(main!.output());
		killMain();
		await new Promise((r) => main!.process.exitCode !== null || main!.process.signalCode !== null ? r(undefined) : main!.process.once('exit', r));
		sandbox!.ews.setLatency(0);
		log('main killed (SIGKILL) during a poll; restarting it');
		await startMain();
		await waitProcessed(mails, 4 * POLL_SECONDS * 1000 + 60_000);
		await new Promise((r) => setTimeout(r, POLL_SECONDS * 1000 + 5000)); // a repeat would show by now
		const counts = await countsOf(mails, PLAIN.workflowId, sinceId);
		printCounts('main killed during a poll', counts);
		expect(counts).toMatchObject({ mails: 20, processed: 20, replies: 20, duplicates: 0, missing: 0 });
		const emitted = countBy((await executionsOf(PLAIN.workflowId)).flatMap((e) => e.subjects));
		expect(mails.filter((m) => emitted.get(m.subject) !== 1).map((m) => m.subject)).toEqual([]);
	});

	test('token requests: at most one per n8n process (each token outlives the suite)', () => {
		const tokens = sandbox!.entra.requests.filter((r) => r.ok && r.grantType === 'client_credentials');
		log(`${tokens.length} app-only token requests for ${n8nProcessesStarted} n8n processes`);
		expect(tokens.length).toBeGreaterThanOrEqual(3); // the main and both workers each got one
		expect(tokens.length).toBeLessThanOrEqual(n8nProcessesStarted);
	});

	test('no secret or token in the output of any n8n process', () => {
		const texts: Record<string, string> = { main: [...mainOutputs, main!.output()].join('\n') };
		allWorkers.forEach((w, i) => (texts[`${w.name} (#${i})`] = w.output()));
		expect(h.findLeaks(texts, { 'app-only client secret': DEMO.appOnlyClientSecret, 'owner password': OWNER.password })).toEqual([]);
	});
});
