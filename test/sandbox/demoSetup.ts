// The demo that `npm start` sets up, shared with the browser suite (which checks exactly what a user of
// `npm start` sees): demo mail in the sandbox's store (EWS and Graph serve the same one), demo credentials for both
// Mailbox APIs and the three demo workflows, whose Exchange nodes use Graph unless DEMO_MAILBOX_API=ews.
import { readFileSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';

import { DEMO, type Sandbox } from './index';
import * as h from '../e2e/harness';
import { GRAPH_DELEGATED_SCOPE } from '../e2e/exchange-workflows';

export const DEMO_DIR = path.join(__dirname, 'demo');

/** A small invoice PDF shipped for the README's drop-mail example (made with demoPdf). */
export const SAMPLE_INVOICE = path.join(DEMO_DIR, 'invoice-42.pdf');

export const DEMO_WORKFLOWS = [
	{ id: 'demoSendTestMail', file: 'send-test-mail.workflow.json', activate: false },
	{ id: 'demoListUnreadInv', file: 'list-unread-invoices.workflow.json', activate: false },
	{ id: 'demoInvoiceInbox', file: 'invoice-inbox.workflow.json', activate: true },
] as const;

export type DemoMailboxApi = 'graph' | 'ews';

/** The demo credentials of the Exchange nodes per Mailbox API (credentials.json); SMTP nodes keep theirs. */
export const DEMO_EXCHANGE_CREDENTIALS = {
	graph: { appOnly: { id: 'demoAppOnlyGraph', name: 'Contoso app-only Graph (sandbox)' }, delegated: { id: 'demoDelegGraph01', name: 'Alex Wilber delegated Graph (sandbox)' } },
	ews: { appOnly: { id: 'demoAppOnly00001', name: 'Contoso app-only EWS (sandbox)' }, delegated: { id: 'demoDelegatedEws', name: 'Alex Wilber delegated EWS (sandbox)' } },
} as const;

const MAILBOX_API_NAMES: Record<DemoMailboxApi, string> = { graph: 'Microsoft Graph', ews: 'EWS' };

/** The Mailbox API the demo workflows use: DEMO_MAILBOX_API (graph, the default, or ews). */
export function demoMailboxApi(env: NodeJS.ProcessEnv = process.env): DemoMailboxApi {
	const wanted = (env.DEMO_MAILBOX_API ?? '').trim().toLowerCase() || 'graph';
	if (wanted !== 'graph' && wanted !== 'ews') throw new Error(`DEMO_MAILBOX_API=${env.DEMO_MAILBOX_API} is not a Mailbox API: use graph (the default) or ews`);
	return wanted;
}

/** A small PDF (valid structure, one page with a line of text) for demo attachments. */
export function demoPdf(text: string): Buffer {
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

/** Demo mail in the sandbox's store (in memory: seeded again on every start). */
export function seedDemoMailboxes(sandbox: Sandbox): void {
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

/** Workflow name as the editor shows it (the JSON's "name"). */
export function demoWorkflowName(file: string): string {
	return (JSON.parse(readFileSync(path.join(DEMO_DIR, file), 'utf8')) as { name: string }).name;
}

export interface ImportDemoOptions {
	/** n8n's base URL: the delegated credentials' redirect URI is its OAuth callback. */
	baseUrl: string;
	/** Import each workflow only once (a marker per workflow), so edits made in the editor survive restarts. */
	keepEditedWorkflows: boolean;
	/** Publish (activate) the workflows marked `activate`. */
	activate: boolean;
	/** The Mailbox API of the workflows' Exchange nodes (default Graph). A change re-imports the workflows. */
	mailboxApi?: DemoMailboxApi;
}

/** Demo credentials (re-imported every time: ports, CA and tokens match this sandbox) and the demo workflows. */
export async function importDemo(userFolder: string, sandbox: Sandbox, options: ImportDemoOptions): Promise<void> {
	// Delegated token data obtained from the sandbox now, so the credential works at once.
	// The redirect URI is n8n's OAuth callback, so "Connect" in the editor works the same way.
	const redirectUri = `${options.baseUrl}/rest/oauth2-credential/callback`;
	const signIn = (scope: string) =>
		h.authorizationCodeFlow({
			authorizeUrl: sandbox.entra.authorizeUrl(DEMO.tenantId),
			tokenUrl: sandbox.entra.tokenUrl(DEMO.tenantId),
			clientId: DEMO.delegatedClientId,
			clientSecret: DEMO.delegatedClientSecret,
			redirectUri,
			scope,
			loginHint: DEMO.user,
			ca: sandbox.ca,
		});
	const api = options.mailboxApi ?? 'graph';
	const other: DemoMailboxApi = api === 'graph' ? 'ews' : 'graph';
	const exchange = DEMO_EXCHANGE_CREDENTIALS[api];
	const vars = {
		AUTHORITY_HOST: sandbox.entra.authorityHost,
		EWS_URL: `${sandbox.entra.origin}/EWS/Exchange.asmx`,
		GRAPH_URL: sandbox.graphUrl,
		SMTP_HOST: sandbox.smtp.host,
		SMTP_PORT: sandbox.smtp.port,
		TENANT_ID: DEMO.tenantId,
		CA_PEM: sandbox.ca,
		APP_ONLY_CLIENT_ID: DEMO.appOnlyClientId,
		APP_ONLY_CLIENT_SECRET: DEMO.appOnlyClientSecret,
		DELEGATED_CLIENT_ID: DEMO.delegatedClientId,
		DELEGATED_CLIENT_SECRET: DEMO.delegatedClientSecret,
		OAUTH_TOKEN_DATA: await signIn('https://outlook.office365.com/SMTP.Send offline_access'),
		// The delegated EWS credential gets its own sign-in with the EWS scope (what its Connect button asks for).
		OAUTH_TOKEN_DATA_EWS: await signIn('https://outlook.office365.com/EWS.AccessAsUser.All offline_access openid'),
		// The delegated Graph credential: the Graph scopes of its Connect button (a token is for one resource).
		OAUTH_TOKEN_DATA_GRAPH: await signIn(GRAPH_DELEGATED_SCOPE),
		CONTROL_URL: sandbox.control.url,
		MAILBOX_API_NAME: MAILBOX_API_NAMES[api],
		EXCHANGE_APP_ONLY_ID: exchange.appOnly.id,
		EXCHANGE_APP_ONLY_NAME: exchange.appOnly.name,
		EXCHANGE_DELEGATED_ID: exchange.delegated.id,
		EXCHANGE_DELEGATED_NAME: exchange.delegated.name,
		OTHER_MAILBOX_API_HINT: `${MAILBOX_API_NAMES[other]}: *${DEMO_EXCHANGE_CREDENTIALS[other].appOnly.name}*, *${DEMO_EXCHANGE_CREDENTIALS[other].delegated.name}*; or start with DEMO_MAILBOX_API=${other}`,
	};
	await h.importCredentials(userFolder, await h.loadTemplate<h.CredentialExport[]>(path.join(DEMO_DIR, 'credentials.json'), vars));
	// The invoice inbox is published (2.40.7's word for activated) right after its import; `n8n start` then
	// activates it. Deactivating it in the editor sticks: it is not published again.
	for (const demo of DEMO_WORKFLOWS) {
		const marker = path.join(userFolder, `.demo-workflow-${demo.id}`);
		if (options.keepEditedWorkflows) {
			const legacyMarker = demo.id === 'demoSendTestMail' ? path.join(userFolder, '.demo-workflow-imported') : undefined;
			// A marker holds the Mailbox API the workflow was imported for (older markers: a date, from EWS days).
			const importedFor = (await fs.readFile(marker, 'utf8').catch(() => undefined)) ?? (legacyMarker && (await fs.readFile(legacyMarker, 'utf8').catch(() => undefined)));
			if (importedFor !== undefined && (importedFor === api || (api === 'ews' && !(importedFor in MAILBOX_API_NAMES)))) continue;
		}
		await h.importWorkflow(userFolder, await h.loadTemplate(path.join(DEMO_DIR, demo.file), vars));
		if (demo.activate && options.activate) await h.publishWorkflow(userFolder, demo.id);
		await fs.writeFile(marker, api);
	}
}
