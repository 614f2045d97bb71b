// End to end: credentials saved by version 0.1 (no Mailbox API field) keep running on EWS after the upgrade. They are
// imported into a real n8n (2.40.7; 1.123.81 in the e2e-n8n1 project) with `n8n import:credentials`, so n8n fills
// the missing field itself, as it decrypts the credential for the node; the Microsoft Exchange node then runs headless.
// Proof: the EWS stand-in's request counter moves, Entra mints no Graph token and the Graph stand-in sees nothing.
// A credential that chose Graph, next to them, never reaches EWS or gets an Exchange token: the check tells them apart.
//
// Needs `npm run build` beforehand. KEEP_E2E_FOLDER=1 keeps the n8n user folder.
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs/promises';

import { DEMO, type Sandbox } from '../sandbox';
import * as h from './harness';
import * as wf from './exchange-workflows';

jest.setTimeout(15 * 60_000);

const REDIRECT_URI = 'http://localhost:5678/rest/oauth2-credential/callback';
const MAILBOX = DEMO.sharedMailbox;
const EXCHANGE_SCOPE = 'https://outlook.office365.com/.default';

describe(h.onN8n('credentials saved by 0.1 (no Mailbox API) run on EWS'), () => {
	let sandbox: Sandbox;
	let userFolder = '';
	const creds = {
		app: { type: wf.APP_ONLY_TYPE, id: 'e2eOldAppOnly01', name: 'App-only saved by 0.1' },
		delegated: { type: wf.DELEGATED_TYPE, id: 'e2eOldDelegat01', name: 'Delegated saved by 0.1' },
		delegatedGlobal: { type: wf.DELEGATED_TYPE, id: 'e2eOldDelGlob01', name: 'Delegated saved by 0.1, Microsoft 365 cloud' },
		appGraph: { type: wf.APP_ONLY_TYPE, id: 'e2eNewAppGraph1', name: 'App-only on Graph' },
	} satisfies Record<string, wf.CredentialRef>;

	beforeAll(async () => {
		({ sandbox, userFolder } = await wf.sandboxAndInstalledN8n());
		const tokens = await wf.ewsSignIn(sandbox, REDIRECT_URI);
		const oldDelegated = wf.delegatedCredential(sandbox, { ...creds.delegated, tokens });
		// 0.1's data: exactly the fields 0.1 had (the helpers write no Mailbox API field); checked, not assumed.
		const oldApp = wf.appOnlyCredential(sandbox, creds.app);
		for (const credential of [oldApp, oldDelegated]) {
			expect(Object.keys(credential.data).filter((key) => /mailboxapi|graph/i.test(key))).toEqual([]);
		}
		// A Microsoft 365 (global) credential of 0.1: no cloud field at all, as the editor saved the default.
		const { cloud: _cloud, authorityHost: _host, ewsUrl: _ews, resource: _resource, ...globalData } = oldDelegated.data;
		await h.importCredentials(userFolder, [
			oldApp,
			oldDelegated,
			{ ...creds.delegatedGlobal, data: globalData },
			{ ...wf.appOnlyCredential(sandbox, creds.appGraph), data: { ...oldApp.data, customMailboxApi: 'graph', graphUrl: sandbox.graphUrl } },
		]);
	});

	afterAll(async () => {
		await sandbox?.stop();
		if (userFolder && !process.env.KEEP_E2E_FOLDER) await fs.rm(userFolder, { recursive: true, force: true });
		else if (userFolder) console.log(`n8n user folder kept: ${userFolder}`);
	});

	async function runGetMany(cred: wf.CredentialRef, label: string): Promise<{ res: h.ExecuteResult; subject: string }> {
		const subject = `Old credential ${label} ${randomBytes(4).toString('hex')}`;
		sandbox.ews.store.deliver(MAILBOX, { from: 'billing@vendor.test', to: MAILBOX, subject, text: 'hello' });
		const workflowId = `e2eOld${label}`.slice(0, 20);
		const nodes = [wf.manualTrigger(), wf.exchangeNode('Get Many', cred, MAILBOX, 'message', 'getMany', { folder: wf.folderRl('wellKnown', 'inbox'), returnAll: false, limit: 50, filters: { subjectContains: subject } })];
		await h.importWorkflow(userFolder, wf.chainWorkflow(workflowId, `old credential ${label}`, nodes));
		sandbox.ews.clearRequests();
		sandbox.graph.clearRequests();
		sandbox.entra.clearRequests();
		return { res: await h.executeWorkflow(userFolder, workflowId), subject };
	}

	it.each([
		['app-only', 'app'],
		['delegated', 'delegated'],
	] as const)('%s: the Exchange node reads the mailbox over EWS; no Graph token, no Graph call', async (_kind, key) => {
		const { res, subject } = await runGetMany(creds[key], key);
		expect({ ok: res.ok, run: res.ok ? 'ok' : h.describeRun(res) }).toEqual({ ok: true, run: 'ok' });
		expect(h.nodeOutput(res.execution, 'Get Many').map((message) => message.subject)).toEqual([subject]);
		expect(sandbox.ews.requests.length).toBeGreaterThan(0);
		expect(sandbox.entra.requests.map((request) => request.scope)).not.toContainEqual(expect.stringContaining('graph.microsoft.com'));
		expect(sandbox.graph.requests).toHaveLength(0);
	});

	it('a Microsoft 365 credential of 0.1 (where a new credential starts on Graph) still goes to EWS', async () => {
		// Its hosts are Microsoft's, unreachable here: the run fails, and the failure names the host it went to.
		const { res } = await runGetMany(creds.delegatedGlobal, 'global');
		expect(res.ok).toBe(false);
		const error = h.nodeError(res.execution, 'Get Many');
		const text = `${error?.message ?? ''} ${error?.description ?? ''}`;
		expect(text).toContain('outlook.office365.com');
		expect(text).not.toMatch(/graph\.microsoft\.com|Mailbox API/);
	});

	it('a credential that chose Graph, run the same way, never goes to EWS (the check tells the two apart)', async () => {
		await runGetMany(creds.appGraph, 'graph');
		expect(sandbox.ews.requests).toHaveLength(0);
		expect(sandbox.entra.requests.map((request) => request.scope)).not.toContain(EXCHANGE_SCOPE);
	});
});
