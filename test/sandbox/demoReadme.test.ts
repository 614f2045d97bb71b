/** What the README and `npm start` tell a new user about the demo must match what the repository and the editor have. */
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';

import { mailboxApiOf } from '../../nodes/shared/credentialFields';
import { DEMO_EXCHANGE_CREDENTIALS, DEMO_WORKFLOWS, DEMO_DIR, demoMailboxApi, demoWorkflowName } from './demoSetup';

const ROOT = path.resolve(__dirname, '..', '..');
const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
const demoTexts = DEMO_WORKFLOWS.map((demo) => readFileSync(path.join(DEMO_DIR, demo.file), 'utf8'));
const sources = {
	'README.md': readme,
	'test/sandbox/control.ts': readFileSync(path.join(__dirname, 'control.ts'), 'utf8'),
	'test/sandbox/drop-mail.ts': readFileSync(path.join(__dirname, 'drop-mail.ts'), 'utf8'),
	'test/sandbox/start.ts': readFileSync(path.join(__dirname, 'start.ts'), 'utf8'),
	...Object.fromEntries(DEMO_WORKFLOWS.map((demo, i) => [demo.file, demoTexts[i]])),
};

describe('the demo as the README describes it', () => {
	it('names each of the three demo workflows as the editor shows it', () => {
		expect(DEMO_WORKFLOWS).toHaveLength(3);
		for (const demo of DEMO_WORKFLOWS) expect(readme).toContain(`**"${demoWorkflowName(demo.file)}"**`);
	});

	it.each(Object.keys(sources))('every drop-mail attachment in %s exists in a fresh clone', (name) => {
		const attachments = [...sources[name as keyof typeof sources].matchAll(/--attach ([\w./-]+\.\w+)/g)].map((m) => m[1]);
		for (const file of attachments) expect([file, existsSync(path.join(ROOT, file))]).toEqual([file, true]);
	});

	it('no sticky note or README line sends the user to an Authentication field n8n 2.40.7 does not show', () => {
		for (const text of [readme, ...demoTexts]) expect(text).not.toMatch(/switch \*\*Authentication\*\*|switch Authentication/i);
	});

	it('the control page has one name', () => {
		for (const text of [readme, ...demoTexts]) expect(text).not.toMatch(/mail viewer|sandbox page\b/i);
	});

	it('offers demo credentials for both Mailbox APIs, app-only and delegated, each on its API, named in the README', () => {
		const credentials = JSON.parse(readFileSync(path.join(DEMO_DIR, 'credentials.json'), 'utf8')) as Array<{ id: string; name: string; type: string; data: Record<string, unknown> }>;
		for (const api of ['graph', 'ews'] as const) {
			for (const [kind, ref] of Object.entries(DEMO_EXCHANGE_CREDENTIALS[api])) {
				const credential = credentials.find((c) => c.id === ref.id);
				expect({ api, kind, name: credential?.name, type: credential?.type, mailboxApi: credential && mailboxApiOf(credential.data) }).toEqual({
					api,
					kind,
					name: ref.name,
					type: kind === 'appOnly' ? 'microsoftExchangeAppOnlyApi' : 'microsoftExchangeOAuth2Api',
					mailboxApi: api,
				});
				expect(readme).toContain(ref.name);
			}
		}
	});

	it("runs the demo workflows' Exchange nodes on the chosen API's credentials: Graph unless DEMO_MAILBOX_API=ews", () => {
		const exchangeNodes = DEMO_WORKFLOWS.flatMap((demo, i) => (JSON.parse(demoTexts[i]) as { nodes: Array<{ type: string; credentials?: Record<string, { id: string }> }> }).nodes)
			.filter((node) => /\.exchange(Trigger)?$/.test(node.type));
		expect(exchangeNodes.length).toBeGreaterThan(3);
		for (const node of exchangeNodes) for (const ref of Object.values(node.credentials ?? {})) expect(ref.id).toMatch(/^\{\{EXCHANGE_(APP_ONLY|DELEGATED)_ID\}\}$/);
		expect(demoMailboxApi({})).toBe('graph');
		expect(demoMailboxApi({ DEMO_MAILBOX_API: 'EWS' })).toBe('ews');
		expect(() => demoMailboxApi({ DEMO_MAILBOX_API: 'rest' })).toThrow(/DEMO_MAILBOX_API=rest .*graph .*ews/);
		expect(readme).toContain('DEMO_MAILBOX_API=ews npm start');
	});
});
