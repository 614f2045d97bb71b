// `npm start` (after `npm run build`): the local Microsoft 365 sandbox + the pinned n8n with this
// package installed as a community package, demo credentials and a demo workflow. Ctrl-C stops both.
//
// State lives in <repo>/.sandbox/ (git-ignored): tls/ (sandbox CA, kept so n8n's stored CA stays
// valid), n8n-user/ (N8N_USER_FOLDER), pack/ (tarballs). A second run reuses all of it; the package
// is reinstalled only when the packed tarball changed.
//
// Environment: N8N_PORT (5678), SANDBOX_HTTPS_PORT (9443), SANDBOX_SMTP_PORT (2587),
// SANDBOX_CONTROL_PORT (8025), SANDBOX_STATE_DIR (<repo>/.sandbox).
import * as fs from 'node:fs/promises';
import * as path from 'node:path';

import { DEMO, startSandbox, type Sandbox } from './index';
import * as h from '../e2e/harness';

const DEMO_DIR = path.join(__dirname, 'demo');
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

function step(msg: string): () => void {
	const started = Date.now();
	process.stdout.write(`• ${msg}… `);
	return () => process.stdout.write(`done (${((Date.now() - started) / 1000).toFixed(1)} s)\n`);
}

async function main(): Promise<void> {
	const t0 = Date.now();
	const stateDir = path.resolve(process.env.SANDBOX_STATE_DIR ?? path.join(h.REPO_ROOT, '.sandbox'));
	const n8nPort = envPort('N8N_PORT', 5678);
	const ports = {
		https: envPort('SANDBOX_HTTPS_PORT', 9443),
		smtp: envPort('SANDBOX_SMTP_PORT', 2587),
		control: envPort('SANDBOX_CONTROL_PORT', 8025),
	};
	const baseUrl = `http://localhost:${n8nPort}`;

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
	process.on('SIGINT', () => void shutdown(0));
	process.on('SIGTERM', () => void shutdown(0));

	try {
		h.assertBuilt();
		let done = step('Checking Node 24 + n8n 2.40.7 (first run installs them, a few minutes)');
		const [, tarball] = await Promise.all([h.ensureN8n(), h.packPackage(path.join(stateDir, 'pack'))]);
		done();

		done = step('Starting the Microsoft 365 sandbox');
		sandbox = await startSandbox({ ports, tlsDir: path.join(stateDir, 'tls') });
		done();

		const userFolder = await h.createUserFolder({ dir: path.join(stateDir, 'n8n-user'), caPem: sandbox.ca });
		done = step('Installing the package into n8n (community package path)');
		const install = await h.installPackage(userFolder, tarball);
		done();
		if (install.how === 'unchanged') console.log('  (unchanged since the last run, not reinstalled)');

		done = step('Importing demo credentials and the demo workflow');
		// Delegated token data obtained from the sandbox now, so the credential works at once.
		// The redirect URI is n8n's OAuth callback, so "Connect" in the editor works the same way.
		const redirectUri = `${baseUrl}/rest/oauth2-credential/callback`;
		const tokens = await h.authorizationCodeFlow({
			authorizeUrl: sandbox.entra.authorizeUrl(DEMO.tenantId),
			tokenUrl: sandbox.entra.tokenUrl(DEMO.tenantId),
			clientId: DEMO.delegatedClientId,
			clientSecret: DEMO.delegatedClientSecret,
			redirectUri,
			scope: 'https://outlook.office365.com/SMTP.Send offline_access',
			loginHint: DEMO.user,
			ca: sandbox.ca,
		});
		const vars = {
			AUTHORITY_HOST: sandbox.entra.authorityHost,
			EWS_URL: `${sandbox.entra.origin}/EWS/Exchange.asmx`,
			SMTP_HOST: sandbox.smtp.host,
			SMTP_PORT: sandbox.smtp.port,
			TENANT_ID: DEMO.tenantId,
			CA_PEM: sandbox.ca,
			APP_ONLY_CLIENT_ID: DEMO.appOnlyClientId,
			APP_ONLY_CLIENT_SECRET: DEMO.appOnlyClientSecret,
			DELEGATED_CLIENT_ID: DEMO.delegatedClientId,
			DELEGATED_CLIENT_SECRET: DEMO.delegatedClientSecret,
			OAUTH_TOKEN_DATA: tokens,
			CONTROL_URL: sandbox.control.url,
		};
		// Re-imported on every start (upsert by id): ports, CA and tokens always match this sandbox.
		await h.importCredentials(userFolder, await h.loadTemplate<h.CredentialExport[]>(path.join(DEMO_DIR, 'credentials.json'), vars));
		// The workflow only on the first run, so edits made in the editor survive restarts.
		const wfMarker = path.join(userFolder, '.demo-workflow-imported');
		const firstRun = !(await fs.stat(wfMarker).catch(() => undefined));
		if (firstRun) {
			await h.importWorkflow(userFolder, await h.loadTemplate(path.join(DEMO_DIR, 'send-test-mail.workflow.json'), vars));
			await fs.writeFile(wfMarker, new Date().toISOString());
		}
		done();

		done = step(`Starting n8n on ${baseUrl}`);
		n8n = await h.startN8n(userFolder, {
			port: n8nPort,
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

		const line = '─'.repeat(72);
		console.log(`\n${line}`);
		console.log(`  n8n editor      ${baseUrl}/`);
		console.log(`  Owner login     ${OWNER.email} / ${OWNER.password}   (local demo instance only)`);
		console.log(`  Received mail   ${sandbox.control.url}`);
		console.log(`  Demo workflow   "Send a test mail (SMTP OAuth)"  ${baseUrl}/workflow/demoSendTestMail`);
		console.log(`  Credentials     "Contoso app-only (sandbox)", "Alex Wilber delegated (sandbox)"`);
		console.log(`  Sandbox Entra   ${sandbox.entra.origin}   SMTP ${sandbox.smtp.host}:${sandbox.smtp.port}`);
		console.log(`  State folder    ${stateDir}   (delete it to start from scratch)`);
		console.log(`  Stop            Ctrl-C`);
		console.log(`${line}\n  ready in ${((Date.now() - t0) / 1000).toFixed(1)} s; set N8N_VERBOSE=1 to see n8n's log.\n`);
	} catch (error) {
		console.error(`\nnpm start failed: ${(error as Error).message}`);
		await shutdown(1);
	}
}

void main();
