// A real Chromium (Debian's package, driven by playwright-core) for the browser suite: launch, screenshots as test
// artefacts outside the repository, console errors collected per step, and the n8n sign-in page.
import { existsSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromium, type BrowserContext, type ConsoleMessage, type Page } from 'playwright-core';

/** Debian's chromium (`apt-get install chromium`); playwright cannot download a browser here. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export const ARTEFACT_ROOT = path.join(process.env.TMPDIR ?? os.tmpdir(), 'n8n-nodes-exchange-oauth-browser');

export function chromiumMissing(): string | undefined {
	return existsSync(CHROMIUM) ? undefined : `${CHROMIUM} not found: install it with \`apt-get install -y chromium\` (.ci/run does), or set CHROMIUM_PATH.`;
}

export async function launchChromium(): Promise<{ context: BrowserContext; userDataDir: string }> {
	const missing = chromiumMissing();
	if (missing) throw new Error(missing);
	// A fresh profile per run (--user-data-dir): no cookies, cache or service workers from an earlier run.
	const userDataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'chromium-e2e-'));
	const context = await chromium.launchPersistentContext(userDataDir, {
		executablePath: CHROMIUM,
		timeout: 60_000,
		headless: true,
		viewport: { width: 1440, height: 900 },
		args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
	});
	return { context, userDataDir };
}

export interface ConsoleEntry {
	step: string;
	type: string;
	text: string;
	url: string;
}

/** Screenshots numbered in the order taken, in one folder per run; console errors remembered with their step. */
export class Artefacts {
	readonly dir: string;
	readonly consoleErrors: ConsoleEntry[] = [];
	private count = 0;
	step = 'start';

	constructor() {
		this.dir = path.join(ARTEFACT_ROOT, new Date().toISOString().replace(/[:.]/g, '-'));
	}

	watch(page: Page): void {
		page.on('console', (message: ConsoleMessage) => {
			if (message.type() !== 'error') return;
			this.consoleErrors.push({ step: this.step, type: 'console', text: message.text(), url: message.location().url });
		});
		page.on('pageerror', (error) => this.consoleErrors.push({ step: this.step, type: 'pageerror', text: `${error.name}: ${error.message}\n${error.stack ?? ''}`, url: '' }));
	}

	async shot(page: Page, name: string): Promise<string> {
		await fs.mkdir(this.dir, { recursive: true });
		const file = path.join(this.dir, `${String(++this.count).padStart(2, '0')}-${name.replace(/[^A-Za-z0-9-]+/g, '-')}.png`);
		await page.screenshot({ path: file });
		return file;
	}
}

/**
 * Console errors our nodes cause: anything naming the package, its nodes or credentials, and failed requests to the
 * endpoints they serve (parameter lists, folder search, credential tests). n8n's own noise (the 401 of the session
 * check before signing in, its npm registry look-up of the package) is not ours.
 */
export function errorsFromOurNodes(entries: ConsoleEntry[]): ConsoleEntry[] {
	const ours = /n8n-nodes-exchange-oauth|exchangeTrigger|smtpOAuth|microsoftExchange|microsoftSmtp|dynamic-node-parameters|credentials\/test|node-types/i;
	// n8n's node details look the package up on the npm registry from the browser; offline here, and not our doing.
	const registryLookup = (entry: ConsoleEntry) => /^https:\/\/registry\.npmjs\.org\//.test(entry.url);
	return entries.filter((entry) => !registryLookup(entry) && (entry.type === 'pageerror' || ours.test(entry.text) || ours.test(entry.url)));
}

/** Signs in through n8n's sign-in page, as a user does. */
export async function signIn(page: Page, baseUrl: string, email: string, password: string): Promise<void> {
	await page.goto(`${baseUrl}/signin`);
	await page.fill('#emailOrLdapLoginId', email);
	await page.fill('#password', password);
	await page.click('[data-test-id="form-submit-button"]');
	await page.waitForURL((url) => !url.pathname.startsWith('/signin'), { timeout: 60_000 });
}
