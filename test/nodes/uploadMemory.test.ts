/**
 * Sending a large attachment stored by id keeps memory flat: the node runs in a child process (the
 * sandbox stays here, so its copies of what it receives do not count) and its resident memory may
 * grow by far less than the file while the file goes up, on EWS, Graph and SMTP.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';

import { DEMO, type Sandbox } from '../sandbox';
import { appOnlyCredential, SMTP_SEND_PARAMETERS } from '../support/sandboxCredentials';
import { useSandbox } from '../support/useSandbox';

const currentSandbox = useSandbox();
let sandbox: Sandbox;
beforeAll(() => {
	sandbox = currentSandbox();
});

const MB = 1024 * 1024;

async function measure(input: object): Promise<{ before: number; peak: number; growth: number }> {
	const child = spawn(process.execPath, ['--import', 'tsx', '--expose-gc', path.join(__dirname, 'uploadMemoryChild.ts')], { env: { ...process.env, UPLOAD_MEMORY_INPUT: JSON.stringify(input) }, stdio: ['ignore', 'pipe', 'pipe'] });
	let stdout = '';
	let stderr = '';
	child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
	child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
	const code = await new Promise<number | null>((done) => child.on('close', done));
	if (code !== 0) throw new Error(`child failed (${code}): ${stderr.slice(-2000)}`);
	return JSON.parse(stdout) as { before: number; peak: number; growth: number };
}

const exchangeSend = { authentication: 'appOnly', mailbox: DEMO.sharedMailbox, resource: 'message', operation: 'send', toEmail: DEMO.user, bodyContent: 'x', options: { attachments: 'data' } };

describe('memory while a large stored attachment is sent', () => {
	it.each([
		// As large as the sandbox takes: EWS requests up to 50 MB (base64), SMTP messages up to 35 MB.
		{ api: 'ews', size: 35 * MB },
		{ api: 'graph', size: 80 * MB },
		{ api: 'smtp', size: 25 * MB },
	] as const)('$api: a $size-byte file grows resident memory by well under its size', async ({ api, size }) => {
		const credential = appOnlyCredential(sandbox, api === 'graph' ? { customMailboxApi: 'graph', graphUrl: sandbox.graphUrl, graphResource: 'https://graph.microsoft.com' } : {});
		const parameters = api === 'smtp' ? { ...SMTP_SEND_PARAMETERS, options: { attachments: 'data' } } : exchangeSend;
		const result = await measure({ api, size, credential, ca: sandbox.ca, parameters });
		process.stdout.write(`${api} ${size / MB} MB: RSS ${Math.round(result.before / MB)} → ${Math.round(result.peak / MB)} MB (+${Math.round(result.growth / MB)} MB)\n`);
		// Holding the file once would take its size; the old path held it two to nine times over.
		expect(result.growth).toBeLessThan(0.6 * size);
	}, 120_000);
});
