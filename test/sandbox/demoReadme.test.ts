/** What the README and `npm start` tell a new user about the demo must match what the repository and the editor have. */
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';

import { DEMO_WORKFLOWS, DEMO_DIR, demoWorkflowName } from './demoSetup';

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
});
