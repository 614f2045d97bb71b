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

const DEMO_WORKFLOWS = [
	{ id: 'demoSendTestMail', file: 'send-test-mail.workflow.json', title: '"Send a test mail (SMTP OAuth)"', activate: false },
	{ id: 'demoListUnreadInv', file: 'list-unread-invoices.workflow.json', title: '"List unread invoices (Exchange)"', activate: false },
	{ id: 'demoInvoiceInbox', file: 'invoice-inbox.workflow.json', title: '"Invoice inbox" (active)', activate: true },
];

/** A small PDF (valid structure, one page with a line of text) for demo attachments. */
function demoPdf(text: string): Buffer {
	const content = `BT /F1 18 Tf 72 720 Td (${text.replace(/[()\\]/g, '')}) Tj ET`;
	const objects = [
		'<< /Type /Catalog /Pages 2 0 R >>',
		'<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
		'<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
		`<< /Length ${content.length} >>\nstream\n${content}\nendstream`,
		'<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
	];
	let pdf = '%PDF-1.4\n';
	const offsets: number[] = [];
	objects.forEach((body, i) => {
		offsets.push(pdf.length);
		pdf += `${i + 1} 0 obj\n${body}\nendobj\n`;
	});
	const xref = pdf.length;
	pdf += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n${offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('')}`;
	pdf += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
	return Buffer.from(pdf, 'latin1');
}

/** Demo mail in the EWS stand-in (in memory: seeded again on every start). */
function seedDemoMailboxes(sandbox: Sandbox): void {
	const store = sandbox.ews.store;
	const hoursAgo = (h: number) => new Date(Date.now() - h * 3600_000);
	store.createFolder(DEMO.sharedMailbox, 'inbox', 'Processed');
	const invoices = [
		{ from: { name: 'Fabrikam Billing', email: 'billing@fabrikam.test' }, subject: 'Invoice INV-2024-0815', amount: '1,250.00 EUR', at: 50, isRead: true },
		{ from: { name: 'Northwind Traders', email: 'ar@northwind.test' }, subject: 'Invoice 4711 for March', amount: '349.90 EUR', at: 26, isRead: false },
		{ from: { name: 'Adventure Works', email: 'invoices@adventure-works.test' }, subject: 'Your invoice AW-20931', amount: '89.00 EUR', at: 3, isRead: false },
	];
	for (const inv of invoices) {
		store.deliver(DEMO.sharedMailbox, {
			from: inv.from,
			to: DEMO.sharedMailbox,
			subject: inv.subject,
			text: `Dear Contoso team,\n\nplease find attached ${inv.subject} over ${inv.amount}.\n\nKind regards,\n${inv.from.name}`,
			receivedAt: hoursAgo(inv.at),
			isRead: inv.isRead,
			attachments: [{ filename: `${inv.subject.replace(/[^A-Za-z0-9-]+/g, '_')}.pdf`, content: demoPdf(`${inv.subject} - ${inv.amount}`), contentType: 'application/pdf' }],
		});
	}
	store.deliver(DEMO.sharedMailbox, {
		from: { name: 'Alex Wilber', email: DEMO.user },
		to: DEMO.sharedMailbox,
		subject: 'Reminder: month-end closing on Friday',
		text: 'Please process all open invoices by Friday.',
		receivedAt: hoursAgo(30),
		isRead: true,
	});
	const alexMail = [
		{ from: { name: 'Megan Bowen', email: 'megan@contoso.test' }, subject: 'Team meeting moved to 3 pm', text: 'See you in room 4.2.', at: 2 },
		{ from: { name: 'IT Service Desk', email: 'it@contoso.test' }, subject: 'Welcome to the sandbox mailbox', text: 'This mailbox lives in the local Microsoft 365 sandbox.', at: 72, isRead: true },
		{ from: { name: 'Lee Gu', email: 'lee@contoso.test' }, subject: 'Q1 numbers', text: 'Numbers attached.', at: 5, csv: 'quarter;revenue\nQ1;1200000\n' },
	];
	for (const m of alexMail) {
		store.deliver(DEMO.user, {
			from: m.from,
			to: DEMO.user,
			subject: m.subject,
			text: m.text,
			receivedAt: hoursAgo(m.at),
			isRead: m.isRead ?? false,
			attachments: m.csv ? [{ filename: 'q1.csv', content: Buffer.from(m.csv), contentType: 'text/csv' }] : [],
		});
	}
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
		seedDemoMailboxes(sandbox);
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
		// The delegated EWS credential gets its own sign-in with the EWS scope (what its Connect button asks for).
		const ewsTokens = await h.authorizationCodeFlow({
			authorizeUrl: sandbox.entra.authorizeUrl(DEMO.tenantId),
			tokenUrl: sandbox.entra.tokenUrl(DEMO.tenantId),
			clientId: DEMO.delegatedClientId,
			clientSecret: DEMO.delegatedClientSecret,
			redirectUri,
			scope: 'https://outlook.office365.com/EWS.AccessAsUser.All offline_access openid',
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
			OAUTH_TOKEN_DATA_EWS: ewsTokens,
			CONTROL_URL: sandbox.control.url,
		};
		// Re-imported on every start (upsert by id): ports, CA and tokens always match this sandbox.
		await h.importCredentials(userFolder, await h.loadTemplate<h.CredentialExport[]>(path.join(DEMO_DIR, 'credentials.json'), vars));
		// Each demo workflow only once (a marker per workflow), so edits made in the editor survive restarts.
		// The invoice inbox is published (2.40.7's word for activated) right after its import; `n8n start`
		// then activates it. Deactivating it in the editor sticks: it is not published again.
		for (const demo of DEMO_WORKFLOWS) {
			const marker = path.join(userFolder, `.demo-workflow-${demo.id}`);
			const legacyMarker = demo.id === 'demoSendTestMail' ? path.join(userFolder, '.demo-workflow-imported') : undefined;
			const imported = (await fs.stat(marker).catch(() => undefined)) ?? (legacyMarker && (await fs.stat(legacyMarker).catch(() => undefined)));
			if (imported) continue;
			await h.importWorkflow(userFolder, await h.loadTemplate(path.join(DEMO_DIR, demo.file), vars));
			if (demo.activate) await h.publishWorkflow(userFolder, demo.id);
			await fs.writeFile(marker, new Date().toISOString());
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
		console.log(`  Mailboxes       ${sandbox.control.url}   (sandbox mail, Exchange folders and messages)`);
		for (const demo of DEMO_WORKFLOWS) console.log(`  Workflow        ${demo.title.padEnd(34)} ${baseUrl}/workflow/${demo.id}`);
		console.log(`  Credentials     "Contoso app-only (sandbox)", "Alex Wilber delegated (sandbox)" (SMTP),`);
		console.log(`                  "Alex Wilber delegated EWS (sandbox)"`);
		console.log(`  Drop a mail     npm run sandbox:mail -- --to ${DEMO.sharedMailbox} --subject "Invoice 42" --attach ./invoice.pdf`);
		console.log(`                  (the active "Invoice inbox" workflow moves it to Inbox/Processed and replies within a minute)`);
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
