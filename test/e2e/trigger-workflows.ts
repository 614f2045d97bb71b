// What the trigger e2e suites share (trigger.e2e, trigger-durable.e2e): one active trigger workflow per Mailbox API,
// all watching the same inbox of the sandbox's one store, mail with an attachment delivered into that store, and
// the emitted items read back from n8n's executions (REST) with their binary data.
import { randomBytes, randomUUID } from 'node:crypto';

import { type Sandbox } from '../sandbox';
import * as h from './harness';
import * as wf from './exchange-workflows';

export const TRIGGER = 'Exchange Trigger';

export interface TriggerWorkflow {
	api: wf.MailboxApi;
	workflowId: string;
	credential: h.CredentialExport;
}

export interface Mail {
	subject: string;
	file: { name: string; mime: string; bytes: Buffer };
}

export interface Emitted {
	executionId: string;
	mode: string;
	status: string;
	json: Record<string, unknown>;
	binary: Record<string, { id?: string; data?: string; fileName?: string; mimeType?: string; fileSize?: string | number }>;
}

/** An app-only credential per API and a "New Mail Only" trigger workflow on it (ids at most 16 characters). */
export function triggerWorkflows(sandbox: Sandbox, o: { tag: string; mailbox: string; pollTimes: object; apis?: wf.MailboxApi[] }): Array<TriggerWorkflow & { workflow: object }> {
	return (o.apis ?? wf.MAILBOX_APIS).map((api) => {
		const suffix = `${o.tag}${api === 'graph' ? 'Gr' : 'Ew'}`;
		const cred = { type: wf.APP_ONLY_TYPE, id: `e2eTrApp${suffix}`, name: `E2E trigger app-only ${suffix}` } as const;
		const credential = wf.appOnlyCredential(sandbox, { ...cred, allowedMailboxes: o.mailbox, testMailbox: o.mailbox, api });
		const workflowId = `e2eTrig${suffix}`;
		const workflow = wf.chainWorkflow(workflowId, `e2e invoice trigger (${api}, ${o.tag})`, [
			{
				id: randomUUID(),
				name: TRIGGER,
				type: wf.TRIGGER_NODE,
				typeVersion: 1,
				position: [0, 0],
				parameters: {
					authentication: 'appOnly',
					mailbox: o.mailbox,
					event: 'messageReceived',
					folder: wf.folderRl('wellKnown', 'inbox'),
					startFrom: 'newOnly',
					maxMessages: 100,
					filters: {},
					output: 'simple',
					afterEmit: 'nothing',
					options: { downloadAttachments: true },
					pollTimes: o.pollTimes,
				},
				credentials: { [cred.type]: { id: cred.id, name: cred.name } },
			},
			{ id: randomUUID(), name: 'Done', type: 'n8n-nodes-base.noOp', typeVersion: 1, position: [0, 0], parameters: {} },
		]);
		return { api, workflowId, credential, workflow };
	});
}

/** Imports the credentials and workflows into the (stopped) n8n and marks the workflows active. */
export async function installTriggerWorkflows(userFolder: string, built: Array<TriggerWorkflow & { workflow: object }>): Promise<TriggerWorkflow[]> {
	await h.importCredentials(userFolder, built.map((w) => w.credential));
	await h.importWorkflow(userFolder, built.map((w) => w.workflow));
	for (const w of built) await h.activateWorkflow(userFolder, w.workflowId);
	return built;
}

/** Mail with a PDF attachment (random bytes, a NUL and 0xFF in it) delivered into `mailbox`'s inbox. */
export function deliverInvoice(sandbox: Sandbox, mailbox: string, label: string, nonce: string): Mail {
	const bytes = Buffer.concat([Buffer.from(`%PDF-1.4 ${label} ${nonce}\n`), randomBytes(4000), Buffer.from([0, 0xff])]);
	const mail: Mail = { subject: `Invoice ${label} ${nonce}`, file: { name: `invoice-${label.replace(/\W+/g, '-')}-${nonce}.pdf`, mime: 'application/pdf', bytes } };
	sandbox.ews.store.deliver(mailbox, {
		from: { name: 'Vendor Billing', email: 'billing@vendor.test' },
		to: mailbox,
		subject: mail.subject,
		text: `Invoice ${label} attached.`,
		attachments: [{ filename: mail.file.name, content: bytes, contentType: mail.file.mime }],
	});
	return mail;
}

/** Every item the trigger emitted in the workflow, across all its finished executions, read through the REST API. */
export async function emitted(session: h.RestSession, workflowId: string): Promise<Emitted[]> {
	const out: Emitted[] = [];
	for (const summary of await h.listExecutions(session, workflowId)) {
		if (summary.status === 'running' || summary.status === 'new') continue;
		const execution = await h.getExecution(session, summary.id);
		const items = execution.data.resultData.runData[TRIGGER]?.[0]?.data?.main?.[0] ?? [];
		for (const item of items) {
			out.push({ executionId: summary.id, mode: summary.mode, status: summary.status, json: item.json, binary: (item.binary ?? {}) as Emitted['binary'] });
		}
	}
	return out;
}

/** Waits until every workflow emitted every subject; returns what each emitted. */
export async function waitForSubjects(session: () => h.RestSession, workflowIds: string[], subjects: string[], timeoutMs: number): Promise<Record<string, Emitted[]>> {
	return await h.waitFor(
		`executions of ${workflowIds.join(', ')} carrying ${subjects.join(', ')}`,
		async () => {
			const byWorkflow: Record<string, Emitted[]> = {};
			for (const id of workflowIds) {
				byWorkflow[id] = await emitted(session(), id);
				if (!subjects.every((s) => byWorkflow[id].some((e) => e.json.subject === s))) return undefined;
			}
			return byWorkflow;
		},
		timeoutMs,
		2000,
	);
}

/** The item is a successful trigger execution's, and carries the mail's attachment as binary data, byte for byte. */
export async function expectAttachment(session: h.RestSession, e: Emitted | undefined, mail: Mail): Promise<void> {
	expect(e).toBeDefined();
	expect({ mode: e!.mode, status: e!.status }).toEqual({ mode: 'trigger', status: 'success' });
	const attachments = e!.json.attachments as Array<{ name: string; size: number; binaryProperty?: string }>;
	expect(attachments.map((a) => a.name)).toEqual([mail.file.name]);
	const binary = e!.binary[attachments[0].binaryProperty ?? 'attachment_0'];
	expect(binary).toBeDefined();
	expect({ fileName: binary.fileName, mimeType: binary.mimeType }).toEqual({ fileName: mail.file.name, mimeType: mail.file.mime });
	// filesystem mode (n8n's default outside queue mode): the run data holds an id, the bytes come from n8n.
	const bytes = binary.id ? await h.downloadBinaryData(session, binary.id) : Buffer.from(binary.data ?? '', 'base64');
	expect(bytes.length).toBe(mail.file.bytes.length);
	expect(bytes.equals(mail.file.bytes)).toBe(true);
}

/** Each workflow emitted exactly the `delivered` mail, each message once; those in `check` with their attachment intact. */
export async function expectEachOnce(session: h.RestSession, workflows: TriggerWorkflow[], byWorkflow: Record<string, Emitted[]>, delivered: Mail[], check: Mail[]): Promise<void> {
	for (const workflow of workflows) {
		const all = byWorkflow[workflow.workflowId];
		expect({ api: workflow.api, subjects: all.map((e) => String(e.json.subject)).sort() }).toEqual({ api: workflow.api, subjects: delivered.map((m) => m.subject).sort() });
		for (const mail of check) await expectAttachment(session, all.find((e) => e.json.subject === mail.subject), mail);
	}
}

/** Successful change-feed reads of `mailbox` on `api` so far (SyncFolderItems on EWS, the message delta on Graph). */
export function changeFeedReads(sandbox: Sandbox, api: wf.MailboxApi, mailbox: string): number {
	const isMailbox = (m?: string) => m?.toLowerCase() === mailbox.toLowerCase();
	return api === 'ews'
		? sandbox.ews.requests.filter((r) => r.operation === 'SyncFolderItems' && r.status === 200 && isMailbox(r.mailbox)).length
		: sandbox.graph.requests.filter((r) => r.endpoint === 'GET /mailFolders/{id}/messages/delta' && r.status === 200 && isMailbox(r.mailbox)).length;
}

/** Holds every later change-feed read of both APIs (answers after `ms`), so no poll moves a cursor until n8n is killed. */
export function holdChangeFeeds(sandbox: Sandbox, ms: number): void {
	sandbox.ews.failNext('slow', 50, { operation: 'SyncFolderItems', delayMs: ms });
	sandbox.graph.failNext('slow', 50, { endpoint: 'GET /mailFolders/{id}/messages/delta', delayMs: ms });
}
