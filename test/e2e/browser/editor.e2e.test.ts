// The editor as a workflow builder sees it, in a real Chromium (Debian's, driven by playwright-core) against the
// pinned n8n 2.40.7 with this package installed as a community package and the demo of `npm start`.
// Every step saves a screenshot under $TMPDIR/n8n-nodes-exchange-oauth-browser/<run>/ (printed at the end), and
// the run fails on any browser console error our nodes cause.
//
// Run alone: `npm run build && npx jest test/e2e/browser --selectProjects e2e`.
import { isMailFolder } from '../../sandbox/graph/context';
import { graphIdOf } from '../../sandbox/graph/ids';
import type { BrowserContext, Page } from 'playwright-core';
import * as fs from 'node:fs/promises';

import { DEMO } from '../../sandbox';
import { summarizeMailboxes } from '../../sandbox/control';
import * as h from '../harness';
import { Artefacts, errorsFromOurNodes, launchChromium, signIn } from './browser';
import { OWNER, sandboxAppOnlyData, startEditorEnvironment, type EditorEnvironment } from './editorSetup';

jest.setTimeout(5 * 60_000);

const PKG = 'n8n-nodes-exchange-oauth';

describe('the n8n editor in a real browser', () => {
	let env: EditorEnvironment;
	let browser: BrowserContext | undefined;
	let userDataDir = '';
	let page: Page;
	const artefacts = new Artefacts();
	let consoleMark = 0;

	/** Our console errors since the last call (each test checks its own). */
	const newErrorsFromOurNodes = () => {
		const fresh = artefacts.consoleErrors.slice(consoleMark);
		consoleMark = artefacts.consoleErrors.length;
		return errorsFromOurNodes(fresh).map((e) => `${e.step}: ${e.text} ${e.url}`);
	};

	const openWorkflow = async (id: string) => {
		await page.goto(`${env.baseUrl}/workflow/${id}`);
		await page.waitForSelector('[data-test-id="canvas-node"]', { timeout: 60_000 });
	};
	const openNode = async (name: string) => {
		await page.locator('[data-test-id="canvas-node"]', { hasText: name }).first().dblclick();
		await page.waitForSelector('[data-test-id="ndv"]', { timeout: 30_000 });
	};
	const closeNode = async () => {
		await page.keyboard.press('Escape');
		await page.waitForSelector('[data-test-id="ndv"]', { state: 'hidden', timeout: 10_000 }).catch(() => undefined);
	};

	/** A workflow of its own with one app-only node (the editor saves by itself: the demo stays as it is), opened. */
	const openSingleNodeWorkflow = async (workflowName: string, node: { name: string; type: string; parameters: Record<string, unknown> }) => {
		const created = await env.session.request<{ id: string }>('POST', '/workflows', {
			name: workflowName,
			settings: {},
			connections: {},
			nodes: [
				{
					id: `${node.type}-1`,
					name: node.name,
					type: `${PKG}.${node.type}`,
					typeVersion: 1,
					position: [0, 0],
					parameters: node.parameters,
					credentials: { microsoftExchangeAppOnlyApi: { id: 'demoAppOnly00001', name: 'Contoso app-only EWS (sandbox)' } },
				},
			],
		});
		await openWorkflow(created.id);
		await openNode(node.name);
	};

	beforeAll(async () => {
		env = await startEditorEnvironment();
		try {
			({ context: browser, userDataDir } = await launchChromium());
			page = browser.pages()[0] ?? (await browser.newPage());
			page.setDefaultTimeout(30_000);
			artefacts.watch(page);
			artefacts.step = 'sign in';
			await signIn(page, env.baseUrl, OWNER.email, OWNER.password);
			newErrorsFromOurNodes(); // the session check before signing in answers 401: n8n's, not ours
		} catch (error) {
			await env.stop();
			throw error;
		}
	});

	beforeEach(() => {
		artefacts.step = expect.getState().currentTestName ?? 'unnamed';
	});

	afterEach(async () => {
		if (page) await artefacts.shot(page, `end-${artefacts.step}`).catch(() => undefined);
	});

	afterAll(async () => {
		await browser?.close().catch(() => undefined);
		if (userDataDir) await fs.rm(userDataDir, { recursive: true, force: true });
		await env?.stop();
		console.log(`Browser suite screenshots: ${artefacts.dir}`);
	});

	test('the node panel finds the three nodes, each with its icon', async () => {
		await openWorkflow('demoSendTestMail');
		await page.locator('[data-test-id="node-creator-plus-button"]').click();
		const search = page.locator('[data-test-id="node-creator-search-bar"]');
		const iconOf = async (item: ReturnType<Page['locator']>) =>
			await item.locator('img').first().evaluate((element) => {
				const img = element as unknown as { getAttribute(name: string): string | null; naturalWidth: number };
				return { src: img.getAttribute('src') ?? '', width: img.naturalWidth };
			});

		/** Searches the panel, expects the item with our icon, loaded (an image that failed to load has no width). */
		const findWithIcon = async (query: string, testId: string, text: string, icon: string) => {
			await search.fill(query);
			const item = page.locator(`[data-test-id="${testId}"]`, { hasText: text });
			await item.waitFor();
			const shown = await iconOf(item);
			expect(shown.src).toBe(`/icons/${PKG}/dist/nodes/${icon}`);
			expect(shown.width).toBeGreaterThan(0);
			await artefacts.shot(page, `node-panel-${query}`);
			return item;
		};
		await findWithIcon('SMTP OAuth', 'node-creator-node-item', 'Send Email (SMTP OAuth)', 'SmtpOAuth/smtpOAuth.svg');
		const exchange = await findWithIcon('Exchange', 'node-creator-action-item', 'Microsoft Exchange', 'Exchange/exchange.svg');

		// n8n groups the trigger under the node: its actions, then "Triggers (1)".
		await exchange.click();
		await page.locator('[data-test-id="node-creator-category-item"]', { hasText: 'Triggers' }).click();
		const trigger = page.locator(`[data-test-id="item-iterator-item"][data-keyboard-nav-id^="${PKG}.exchangeTrigger"]`);
		await trigger.waitFor();
		const triggerIcon = await iconOf(trigger);
		expect(triggerIcon.src).toBe(`/icons/${PKG}/dist/nodes/ExchangeTrigger/exchangeTrigger.svg`);
		expect(triggerIcon.width).toBeGreaterThan(0);
		await artefacts.shot(page, 'node-panel-trigger');
		expect(newErrorsFromOurNodes()).toEqual([]);
	});

	test('every node opens its parameter panel without an error, for every resource and operation and both kinds of credential', async () => {
		// One workflow holding every configuration, built from the node descriptions themselves.
		// eslint-disable-next-line @typescript-eslint/no-require-imports
		const { Exchange } = require('../../../dist/nodes/Exchange/Exchange.node.js') as typeof import('../../../nodes/Exchange/Exchange.node');
		const description = new Exchange().description;
		const options = (name: string, show?: Record<string, unknown>) =>
			description.properties
				.filter((p) => p.name === name && (!show || Object.entries(show).every(([k, v]) => (p.displayOptions?.show?.[k] as unknown[] | undefined)?.includes(v))))
				.flatMap((p) => (p.options ?? []) as Array<{ value: string }>)
				.map((o) => o.value);
		const credentials = {
			appOnly: { microsoftExchangeAppOnlyApi: { id: 'demoAppOnly00001', name: 'Contoso app-only EWS (sandbox)' } },
			delegatedEws: { microsoftExchangeOAuth2Api: { id: 'demoDelegatedEws', name: 'Alex Wilber delegated EWS (sandbox)' } },
			delegatedSmtp: { microsoftSmtpOAuth2Api: { id: 'demoDelegated001', name: 'Alex Wilber delegated (sandbox)' } },
		};
		const nodes: Array<Record<string, unknown>> = [];
		const add = (name: string, type: string, parameters: Record<string, unknown>, creds: object) =>
			nodes.push({ id: `e2e-node-${nodes.length}`, name, type: `${PKG}.${type}`, typeVersion: 1, position: [(nodes.length % 6) * 240, Math.floor(nodes.length / 6) * 200], parameters, credentials: creds });
		for (const resource of options('resource')) {
			for (const operation of options('operation', { resource })) {
				add(`Exchange ${resource} ${operation}`, 'exchange', { authentication: 'appOnly', mailbox: DEMO.sharedMailbox, resource, operation }, credentials.appOnly);
			}
		}
		add('Exchange delegated', 'exchange', { authentication: 'delegated', resource: 'message', operation: 'getMany' }, credentials.delegatedEws);
		add('SMTP app-only', 'smtpOAuth', { authentication: 'appOnly' }, credentials.appOnly);
		add('SMTP delegated', 'smtpOAuth', { authentication: 'delegated' }, credentials.delegatedSmtp);
		add('Trigger app-only', 'exchangeTrigger', { authentication: 'appOnly', mailbox: DEMO.sharedMailbox, afterEmit: 'move' }, credentials.appOnly);
		add('Trigger delegated', 'exchangeTrigger', { authentication: 'delegated' }, credentials.delegatedEws);
		expect(nodes.length).toBeGreaterThan(20);
		const created = await env.session.request<{ id: string }>('POST', '/workflows', { name: 'Browser e2e: every operation', nodes, connections: {}, settings: {} });

		await openWorkflow(created.id);
		const problems: string[] = [];
		for (const node of nodes) {
			const name = node.name as string;
			await openNode(name);
			const panel = page.locator('[data-test-id="ndv"]');
			await panel.locator('[data-test-id="parameter-item"]').first().waitFor();
			// The operation's own fields are there (not an empty or broken panel), and n8n raised no error toast.
			const labels = await panel.locator('[data-test-id="input-label"]').allInnerTexts();
			if (labels.length < 2) problems.push(`${name}: only ${labels.length} field(s)`);
			const toasts = await page.locator('.el-notification--error, .el-notification .el-icon-error').count();
			if (toasts) problems.push(`${name}: ${toasts} error notification(s)`);
			await artefacts.shot(page, `panel-${name}`);

			if (name.startsWith('SMTP ')) {
				// "From Email" is required for app-only, and the editor marks it as it marks an empty To Email.
				const issues = async (label: string) => await panel.locator('[data-test-id="parameter-item"]', { hasText: label }).first().locator('[data-test-id="parameter-issues"]').count();
				const required = name === 'SMTP app-only';
				if ((await issues('From Email') > 0) !== required) problems.push(`${name}: From Email ${required ? 'not ' : ''}marked required`);
				if ((await issues('To Email')) === 0) problems.push(`${name}: the required marker looks different (To Email unmarked)`);
			}
			if (name === 'Trigger app-only') {
				// "Move To" starts empty (no default Inbox, the watched folder) and asks for a folder.
				const moveTo = panel.locator('[data-test-id="resource-locator-moveTo"]');
				const value = await moveTo.locator('[data-test-id="rlc-input"]').inputValue();
				if (value) problems.push(`Trigger: Move To starts as ${JSON.stringify(value)}`);
			}
			await closeNode();
		}
		expect(problems).toEqual([]);
		expect(newErrorsFromOurNodes()).toEqual([]);
	});

	test('a built-in folder name is checked while typing, and the mode label is not cut off', async () => {
		await openSingleNodeWorkflow('Browser e2e: built-in folder', {
			name: 'Watch a folder',
			type: 'exchangeTrigger',
			parameters: { authentication: 'appOnly', mailbox: DEMO.sharedMailbox, folder: { __rl: true, mode: 'wellKnown', value: 'inbox' } },
		});
		const folder = page.locator('[data-test-id="resource-locator-folder"]');
		const mode = folder.locator('[data-test-id="rlc-mode-selector"] input');
		expect(await mode.inputValue()).toBe('Built-in');
		// The whole label fits the selector: the text is not wider than its box.
		expect(await mode.evaluate((element) => {
			const input = element as unknown as { scrollWidth: number; clientWidth: number };
			return input.scrollWidth <= input.clientWidth;
		})).toBe(true);
		const input = folder.locator('[data-test-id="rlc-input"]');
		const issues = page.locator('[data-test-id="ndv"] [data-test-id="parameter-item"]', { hasText: 'Folder' }).locator('[data-test-id="parameter-issues"]').first();
		await input.fill('Inbox/Processed');
		await input.blur();
		// n8n marks the field and explains in the marker's tooltip.
		await issues.waitFor({ timeout: 10_000 });
		await issues.hover();
		await page.getByText(/Not a well-known folder name\. Use one of inbox, sentitems/).first().waitFor({ timeout: 10_000 });
		await artefacts.shot(page, 'built-in-folder-refused');
		await input.fill('inbox');
		await input.blur();
		await issues.waitFor({ state: 'detached', timeout: 10_000 });
		await closeNode();
		expect(newErrorsFromOurNodes()).toEqual([]);
	});

	/** Picks Inbox/Processed in the folder list of "Unread invoices (app-only)" and returns what the list offered. */
	const pickProcessed = async () => {
		await openWorkflow('demoListUnreadInv');
		await openNode('Unread invoices (app-only)');
		const folder = page.locator('[data-test-id="resource-locator-folder"]');
		await folder.locator('[data-test-id="rlc-mode-selector"]').click();
		await page.locator('[data-test-id="mode-list"]').click();
		await folder.locator('[data-test-id="rlc-input"]').click();
		await page.locator('[data-test-id="rlc-item"]').first().waitFor({ timeout: 30_000 });
		const offered = (await page.locator('[data-test-id="rlc-item"]').allInnerTexts()).map((t) => t.trim());
		await artefacts.shot(page, 'folder-list');
		await page.locator('[data-test-id="rlc-item"]', { hasText: /^\s*Inbox\/Processed\s*$/ }).click();
		return offered;
	};

	test('the folder list shows the sandbox folders, and picking one runs the node on that folder', async () => {
		const subject = `Browser e2e invoice ${Date.now()}`;
		env.sandbox.ews.store.deliver(DEMO.sharedMailbox, {
			from: { name: 'Contoso Billing', email: 'billing@contoso-vendor.test' },
			to: DEMO.sharedMailbox,
			subject,
			text: 'For the folder picker check.',
			folder: 'Inbox/Processed',
			isRead: false,
			attachments: [{ filename: 'browser.pdf', content: Buffer.from('%PDF-1.4 browser'), contentType: 'application/pdf' }],
		});
		const offered = await pickProcessed();
		// The demo's Exchange nodes run on Graph, whose folder list holds mail folders only (no Calendar, Contacts…).
		const store = env.sandbox.ews.store;
		const paths = summarizeMailboxes(store)
			.find((b) => b.mailbox === DEMO.sharedMailbox)!
			.folders.map((f) => f.path)
			.filter((folderPath) => isMailFolder(store.resolveFolder(DEMO.sharedMailbox, folderPath)!));
		expect(paths.length).toBeGreaterThan(5);
		expect(offered.sort()).toEqual(expect.arrayContaining(paths.sort()));

		await page.locator('[data-test-id="ndv"]').getByRole('button', { name: /Execute step/ }).first().click();
		const output = page.locator('[data-test-id="ndv"]');
		await output.getByText(subject).first().waitFor({ timeout: 60_000 });
		// Only that folder: the unread invoices of the Inbox are not in the output.
		expect(await output.getByText('Invoice 4711 for March').count()).toBe(0);
		await artefacts.shot(page, 'folder-picked-and-run');
		await closeNode();
		expect(newErrorsFromOurNodes()).toEqual([]);
	});

	test('the folder picker stores the folder ID, with the path as its label', async () => {
		await pickProcessed();
		await closeNode();
		await page.keyboard.press('Control+s');
		await page.waitForTimeout(1500);
		const workflow = await env.session.request<{ nodes: Array<{ name: string; parameters: { folder?: { mode: string; value: string } } }> }>('GET', '/workflows/demoListUnreadInv');
		const folder = workflow.nodes.find((n) => n.name === 'Unread invoices (app-only)')!.parameters.folder!;
		const processed = env.sandbox.ews.store.resolveFolder(DEMO.sharedMailbox, 'Inbox/Processed')!;
		// The Graph folder id (the demo's Exchange nodes run on Graph), which the list hands out.
		expect(folder).toMatchObject({ mode: 'list', value: graphIdOf(processed.id, 'folder') });
	});

	test('with Mailbox empty, the folder list says to fill in Mailbox first (not "No results")', async () => {
		await openSingleNodeWorkflow('Browser e2e: folder list without a mailbox', {
			name: 'No mailbox yet',
			type: 'exchange',
			parameters: { authentication: 'appOnly', mailbox: '', resource: 'message', operation: 'getMany', folder: { __rl: true, mode: 'list', value: '' } },
		});
		const mark = artefacts.consoleErrors.length;
		await page.locator('[data-test-id="resource-locator-folder"] [data-test-id="rlc-input"]').click();
		await page.getByText('Fill in "Mailbox" first').first().waitFor({ timeout: 30_000 });
		await artefacts.shot(page, 'folder-list-without-mailbox');
		expect(await page.getByText('No results').count()).toBe(0);
		await page.keyboard.press('Escape');
		await closeNode();
		// The list request fails on purpose here (that is how n8n shows the message): not a defect of the node.
		artefacts.consoleErrors.splice(mark, artefacts.consoleErrors.length - mark, ...artefacts.consoleErrors.slice(mark).filter((entry) => !/resource-locator-results|Fill in/.test(`${entry.text} ${entry.url}`)));
		expect(newErrorsFromOurNodes()).toEqual([]);
	});

	/** Opens a credential, clicks Save (n8n then runs its Test) and returns the banner's text. */
	const saveAndTestCredential = async (id: string, shotName: string) => {
		await page.goto(`${env.baseUrl}/home/credentials/${id}`);
		const modal = page.locator('[data-test-id="editCredential-modal"]');
		await modal.waitFor();
		await modal.locator('[data-test-id="credential-save-button"]').click();
		const banner = modal.getByText(/Connection tested successfully|Couldn.t connect with these settings/).first();
		await banner.waitFor({ timeout: 60_000 });
		const details = modal.getByText(/More details/).first();
		if (await details.isVisible().catch(() => false)) await details.click();
		await artefacts.shot(page, shotName);
		const text = await modal.innerText();
		await page.keyboard.press('Escape');
		return text;
	};

	test('the app-only credential Test shows its result: success, and what needs attention as a failure with the message', async () => {
		expect(await saveAndTestCredential('demoAppOnly00001', 'credential-test-ok')).toContain('Connection tested successfully');

		// The same app with a secret that expires in 8 days: the test fails, so the editor shows why.
		const expiresOn = new Date(Date.now() + 8.5 * 86_400_000).toISOString();
		const created = await env.session.request<{ id: string }>('POST', '/credentials', {
			name: 'Browser e2e: secret expiring soon',
			type: 'microsoftExchangeAppOnlyApi',
			data: sandboxAppOnlyData(env.sandbox, { credentialExpiresOn: expiresOn }),
		});
		const text = await saveAndTestCredential(created.id, 'credential-test-expiring');
		expect(text).toMatch(/Couldn.t connect with these settings/);
		expect(text).toContain(`expires in 8 day(s), on ${expiresOn.slice(0, 10)}`);
		expect(newErrorsFromOurNodes()).toEqual([]);
	});

	test('the Mailbox API field shows Microsoft Graph on a Microsoft 365 cloud and EWS on Custom when the data has no choice; a Graph credential shows Graph', async () => {
		/** The option the credential form shows in its Mailbox API field (mailboxApi, or customMailboxApi on Custom). */
		const shownMailboxApi = async (id: string) => {
			await page.goto(`${env.baseUrl}/home/credentials/${id}`);
			const modal = page.locator('[data-test-id="editCredential-modal"]');
			await modal.waitFor();
			// One form per credential property; the Mailbox API one is the form with that label and an input.
			const input = modal.locator('[data-test-id="credential-connection-parameter"]').filter({ hasText: 'Mailbox API', has: page.locator('input') }).locator('input').first();
			await input.waitFor();
			await artefacts.shot(page, `mailbox-api-${id}`);
			const shown = await input.inputValue();
			await page.keyboard.press('Escape');
			return shown;
		};
		// No Mailbox API in the data (a blank form starts from the same defaults): Graph on Microsoft 365, EWS on Custom.
		const { ewsUrl: _ews, authorityHost: _host, resource: _resource, ...global } = sandboxAppOnlyData(env.sandbox, { cloud: 'global' });
		const created = await env.session.request<{ id: string }>('POST', '/credentials', { name: 'Browser e2e: Microsoft 365, no Mailbox API', type: 'microsoftExchangeAppOnlyApi', data: global });
		expect(await shownMailboxApi(created.id)).toBe('Microsoft Graph');
		expect(await shownMailboxApi('demoAppOnly00001')).toBe('EWS (Exchange Web Services)');
		expect(await shownMailboxApi('demoAppOnlyGraph')).toBe('Microsoft Graph');
		expect(newErrorsFromOurNodes()).toEqual([]);
	});

	test('the demo workflow "Send a test mail (SMTP OAuth)" run from the editor delivers its mail to the sandbox', async () => {
		const before = env.sandbox.smtp.messages.length;
		await openWorkflow('demoSendTestMail');
		await page.locator('[data-test-id="execute-workflow-button"]').first().click();
		const received = await h.waitFor('the demo mail in the sandbox', () => env.sandbox.smtp.messages.slice(before).find((m) => m.parsed?.subject === 'Test mail from n8n (SMTP OAuth sandbox)'), 90_000, 500);
		expect(received.parsed?.from?.value).toEqual([{ name: 'Invoices', address: 'invoices@contoso.test' }]);
		expect(received.parsed?.attachments.map((a) => a.filename)).toEqual(['hello.txt']);
		await page.locator('[data-test-id="canvas-node"]', { hasText: 'Send Email (SMTP OAuth)' }).locator('[data-test-id="canvas-node-status-success"]').first().waitFor({ timeout: 30_000 }).catch(() => undefined);
		await artefacts.shot(page, 'demo-send-ran');
		// The control page shows it, as the sticky note says.
		const control = await page.context().newPage();
		await control.goto(env.sandbox.control.url);
		await control.getByText('Test mail from n8n (SMTP OAuth sandbox)').first().waitFor();
		await artefacts.shot(control, 'control-page');
		await control.close();
		expect(newErrorsFromOurNodes()).toEqual([]);
	});

	/** A workflow whose Send Email node sends as an address the login mailbox may not send as: SendAsDenied. */
	const runSendAsDenied = async () => {
		const created = await env.session.request<{ id: string }>('POST', '/workflows', {
			name: 'Browser e2e: SendAsDenied',
			settings: {},
			nodes: [
				{ id: 'sad-1', name: 'Start', type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, position: [0, 0], parameters: {} },
				{
					id: 'sad-2',
					name: 'Send as the CEO',
					type: `${PKG}.smtpOAuth`,
					typeVersion: 1,
					position: [260, 0],
					parameters: { authentication: 'appOnly', fromEmail: 'CEO <ceo@contoso.test>', toEmail: 'someone@example.com', subject: 'Send As check', emailFormat: 'text', text: 'x', options: { smtpUser: DEMO.sharedMailbox } },
					credentials: { microsoftExchangeAppOnlyApi: { id: 'demoAppOnly00001', name: 'Contoso app-only EWS (sandbox)' } },
				},
			],
			connections: { Start: { main: [[{ node: 'Send as the CEO', type: 'main', index: 0 }]] } },
		});
		await openWorkflow(created.id);
		await page.locator('[data-test-id="execute-workflow-button"]').first().click();
		await page.locator('[data-test-id="canvas-node"]', { hasText: 'Send as the CEO' }).locator('[data-test-id="canvas-node-status-error"]').first().waitFor({ timeout: 90_000 }).catch(() => undefined);
		await openNode('Send as the CEO');
		const panel = page.locator('[data-test-id="ndv"]');
		await panel.getByText(/SendAsDenied/).first().waitFor({ timeout: 60_000 });
		const details = panel.getByText(/^Details$|Show details/).first();
		if (await details.isVisible().catch(() => false)) await details.click();
		await artefacts.shot(page, 'send-as-denied');
		const shown = await panel.innerText();
		await closeNode();
		return shown;
	};

	test('SendAsDenied from the node shows the fix in the editor\'s error panel', async () => {
		const shown = await runSendAsDenied();
		expect(shown).toMatch(/not allowed to send as the From address \(SendAsDenied\)/);
		expect(shown).toContain('Add-RecipientPermission');
		expect(newErrorsFromOurNodes()).toEqual([]);
	});

	test('the SendAsDenied fix names the real From and login addresses, with no placeholder lost to HTML', async () => {
		const shown = await runSendAsDenied();
		// What n8n shows must be the whole fix: `<from>`-style placeholders vanish when rendered as HTML.
		expect(shown).not.toMatch(/-Identity\s+-Trustee/);
		expect(shown).not.toMatch(/-Trustee\s+-AccessRights/);
		expect(shown).toMatch(/Add-RecipientPermission[^\n]*ceo@contoso\.test[^\n]*invoices@contoso\.test/);
	});

	test('the trigger\'s Fetch Test Event shows the newest message with its attachment', async () => {
		await openWorkflow('demoInvoiceInbox');
		await openNode('New invoice mail');
		const panel = page.locator('[data-test-id="ndv"]');
		await panel.locator('[data-test-id="trigger-execute-button"]').first().click();
		// The newest demo invoice (3 hours old) with its PDF as binary data: n8n opens the Binary view first.
		await panel.getByText('Your_invoice_AW-20931.pdf').first().waitFor({ timeout: 90_000 });
		await panel.getByText('application/pdf').first().waitFor();
		await artefacts.shot(page, 'fetch-test-event-attachment');
		await panel.locator('[data-test-id="radio-button-json"]').last().click();
		await panel.getByText('Your invoice AW-20931').first().waitFor({ timeout: 30_000 });
		await artefacts.shot(page, 'fetch-test-event-message');
		await closeNode();
		expect(newErrorsFromOurNodes()).toEqual([]);
	});

	test('no browser console error came from our nodes during the whole run', () => {
		const ours = errorsFromOurNodes(artefacts.consoleErrors).map((e) => `${e.step}: ${e.text} ${e.url}`);
		expect(ours).toEqual([]);
	});
});
