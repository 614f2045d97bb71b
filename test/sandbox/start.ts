// `npm start`: builds the package, then starts the local Microsoft 365 sandbox + the pinned n8n with this
// package installed as a community package, demo credentials (Microsoft Graph and EWS, app-only and delegated) and
// three demo workflows, whose Exchange nodes run on Graph (DEMO_MAILBOX_API=ews: on EWS).
//
// State lives in <repo>/.sandbox/ (git-ignored): tls/ (sandbox CA, kept so n8n's stored CA stays
// valid), n8n-user/ (N8N_USER_FOLDER), pack/ (tarballs). A second run reuses all of it; the package
// is reinstalled only when the packed tarball changed.
//
// Stopping: SIGINT or SIGTERM to this process alone (an IDE's stop button, a process manager, `kill`) stops n8n
// and the sandbox and frees every port; so does Ctrl-C, which signals the whole group. `npm start` runs this
// script with `exec`, so the signal npm forwards reaches it.
//
// Environment: N8N_PORT (5678), N8N_LISTEN_ADDRESS (127.0.0.1: the editor is reachable from this machine only;
// 0.0.0.0 for every interface), SANDBOX_HTTPS_PORT (9443), SANDBOX_SMTP_PORT (2587), SANDBOX_CONTROL_PORT (8025),
// SANDBOX_STATE_DIR (<repo>/.sandbox), N8N_VERBOSE=1 (n8n's log), DEMO_MAILBOX_API (graph, the default, or ews: the
// Mailbox API of the demo workflows' Exchange nodes; a change re-imports the demo workflows).
import * as path from 'node:path';

import { DEMO, startSandbox, type Sandbox } from './index';
import { DEMO_EXCHANGE_CREDENTIALS, DEMO_WORKFLOWS, SAMPLE_INVOICE, demoMailboxApi, demoWorkflowName, importDemo, seedDemoMailboxes } from './demoSetup';
import * as h from '../e2e/harness';

const OWNER: h.OwnerAccount = {
	email: 'owner@contoso.test',
	firstName: 'Sandbox',
	lastName: 'Owner',
	password: 'Sandbox-Owner-1', // local demo instance only
};

const envPort = (name: string, fallback: number): number => {
	const raw = process.env[name];
	if (!raw) return fallback;
	const n = Number(raw);
	if (!Number.isInteger(n) || n <= 0 || n > 65535) throw new Error(`${name}=${raw} is not a port number`);
	return n;
};

/** Prints "• msg… " and returns the function that ends the line. Warnings raised meanwhile wait for the line end. */
function step(msg: string): () => void {
	const started = Date.now();
	process.stdout.write(`• ${msg}… `);
	return () => {
		process.stdout.write(`done (${((Date.now() - started) / 1000).toFixed(1)} s)\n`);
		for (const warning of pendingWarnings.splice(0)) console.warn(`  ! ${warning}`);
	};
}
const pendingWarnings: string[] = [];

async function main(): Promise<void> {
	const t0 = Date.now();
	const stateDir = path.resolve(process.env.SANDBOX_STATE_DIR ?? path.join(h.REPO_ROOT, '.sandbox'));
	const n8nPort = envPort('N8N_PORT', 5678);
	const listenAddress = process.env.N8N_LISTEN_ADDRESS || '127.0.0.1';
	const ports = {
		https: envPort('SANDBOX_HTTPS_PORT', 9443),
		smtp: envPort('SANDBOX_SMTP_PORT', 2587),
		control: envPort('SANDBOX_CONTROL_PORT', 8025),
	};
	const baseUrl = `http://localhost:${n8nPort}`;
	const mailboxApi = demoMailboxApi();

	let sandbox: Sandbox | undefined;
	let n8n: h.RunningN8n | undefined;
	let stopping = false;
	const shutdown = async (code: number) => {
		if (stopping) return;
		stopping = true;
		process.stdout.write('\nStopping n8n and the sandbox… ');
		await n8n?.stop().catch(() => undefined);
		await sandbox?.stop().catch(() => undefined);
		process.stdout.write('stopped.\n');
		process.exit(code);
	};
	for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => void shutdown(0));
	// A parent killed outright (SIGKILL) cannot forward anything: notice being orphaned and stop too.
	const parent = process.ppid;
	setInterval(() => {
		if (process.ppid !== parent) void shutdown(0);
	}, 1000).unref();

	try {
		h.assertBuilt();
		let done = step('Checking Node 24 + n8n 2.40.7 (first run installs them, a few minutes)');
		const [, tarball] = await Promise.all([h.ensureN8n(), h.packPackage(path.join(stateDir, 'pack'))]);
		done();

		done = step('Starting the Microsoft 365 sandbox');
		sandbox = await startSandbox({ ports, tlsDir: path.join(stateDir, 'tls'), warn: (line) => pendingWarnings.push(line) });
		seedDemoMailboxes(sandbox);
		done();

		const userFolder = await h.createUserFolder({ dir: path.join(stateDir, 'n8n-user'), caPem: sandbox.ca });
		done = step('Installing the package into n8n (community package path)');
		const install = await h.installPackage(userFolder, tarball);
		done();
		if (install.how === 'unchanged') console.log('  (unchanged since the last run, not reinstalled)');

		done = step('Importing the demo credentials and the three demo workflows');
		await importDemo(userFolder, sandbox, { baseUrl, keepEditedWorkflows: true, activate: true, mailboxApi });
		done();

		done = step(`Starting n8n on ${baseUrl} (listening on ${listenAddress})`);
		n8n = await h.startN8n(userFolder, {
			port: n8nPort,
			extraEnv: { N8N_LISTEN_ADDRESS: listenAddress },
			onOutput: (chunk) => {
				if (process.env.N8N_VERBOSE) process.stdout.write(chunk);
			},
		});
		n8n.process.once('exit', (code) => {
			if (!stopping) {
				console.error(`\nn8n exited unexpectedly (code ${code}). Last output:\n${n8n!.output().split('\n').slice(-30).join('\n')}`);
				void shutdown(1);
			}
		});
		done();

		const owner = await h.ensureOwner(baseUrl, OWNER);
		if (owner === 'created') console.log(`• Created the local owner account ${OWNER.email}`);

		const sample = path.relative(process.cwd(), SAMPLE_INVOICE) || SAMPLE_INVOICE;
		const line = '─'.repeat(72);
		console.log(`\n${line}`);
		console.log(`  n8n editor      ${baseUrl}/${listenAddress === '127.0.0.1' ? '   (this machine only; N8N_LISTEN_ADDRESS=0.0.0.0 to share)' : ''}`);
		console.log(`  Owner login     ${OWNER.email} / ${OWNER.password}   (local demo instance only)`);
		console.log(`  Control page    ${sandbox.control.url}   (mail the sandbox received; every Exchange folder and message)`);
		for (const demo of DEMO_WORKFLOWS) {
			console.log(`  Workflow        "${demoWorkflowName(demo.file)}"${demo.activate ? ' (active)' : ''}\n                  ${baseUrl}/workflow/${demo.id}`);
		}
		const { graph, ews } = DEMO_EXCHANGE_CREDENTIALS;
		console.log(`  Mailbox API     ${mailboxApi === 'graph' ? 'Microsoft Graph' : 'EWS'} in the demo workflows   (DEMO_MAILBOX_API=${mailboxApi === 'graph' ? 'ews' : 'graph'} npm start for the other)`);
		console.log(`  Credentials     Graph: "${graph.appOnly.name}", "${graph.delegated.name}"`);
		console.log(`                  EWS: "${ews.appOnly.name}" (also SMTP), "${ews.delegated.name}"`);
		console.log(`                  SMTP delegated: "Alex Wilber delegated (sandbox)"`);
		console.log(`  Drop a mail     npm run sandbox:mail -- --to ${DEMO.sharedMailbox} --subject "Invoice 42" --attach ${sample}`);
		console.log(`                  (the active invoice inbox workflow moves it to Inbox/Processed and replies within a minute)`);
		console.log(`  Sandbox Entra   ${sandbox.entra.origin}   SMTP ${sandbox.smtp.host}:${sandbox.smtp.port}`);
		console.log(`  Mailbox APIs    Graph ${sandbox.graphUrl}   EWS ${sandbox.ews.url}   (one store: mail shows on both)`);
		console.log(`  Sandbox CA      ${path.join(stateDir, 'tls', 'ca.crt')}   ("Connect my account" opens the sandbox's sign-in`);
		console.log(`                  page: trust this CA in the browser, or accept the certificate warning once)`);
		console.log(`  State folder    ${stateDir}   (delete it to start from scratch)`);
		console.log(`  Stop            Ctrl-C (or SIGINT / SIGTERM to this process)`);
		console.log(`${line}\n  ready in ${((Date.now() - t0) / 1000).toFixed(1)} s; set N8N_VERBOSE=1 to see n8n's log.\n`);
	} catch (error) {
		console.error(`\nnpm start failed: ${(error as Error).message}`);
		await shutdown(1);
	}
}

void main();
