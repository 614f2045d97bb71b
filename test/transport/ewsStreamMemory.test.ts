/**
 * A 50 MB attachment read through the EWS stream keeps the process's resident memory growth far
 * under the content's size. Measured in a child process (VmRSS from /proc/self/status, heap
 * collected before): the sandbox serving it runs here, in the test's process. Most of the growth
 * that remains is V8's young generation filling with garbage before a scavenge (it shrinks to a few
 * MB with EWS_MEMORY_NODE_FLAGS=--max-semi-space-size=2), not content held.
 * EWS_MEMORY_MB sets the size (default 50); EWS_MEMORY_COMPARE=1 also measures the library path.
 */
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { DEMO, type Sandbox } from '../sandbox';
import { appOnlyAuth, useEwsSandbox } from './ewsSupport';

jest.setTimeout(180_000);

const currentSandbox = useEwsSandbox();
let sandbox: Sandbox;
beforeAll(() => {
	sandbox = currentSandbox();
});

const MB = 1024 * 1024;

async function measure(mode: 'stream' | 'library', input: Record<string, unknown>) {
	const { stdout } = await promisify(execFile)(process.execPath, [...(process.env.EWS_MEMORY_NODE_FLAGS ?? '').split(' ').filter(Boolean), '--expose-gc', '--require', 'tsx/cjs', join(__dirname, 'memory', 'ewsStreamChild.ts')], {
		env: { ...process.env, EWS_MEMORY_INPUT: JSON.stringify({ ...input, mode }) },
		maxBuffer: MB,
	});
	return JSON.parse(stdout) as { before: number; peak: number; growth: number; length: number; sha256: string; streamed: boolean };
}

it('50 MB through the stream: the child process grows by less than 40 MB resident, and the bytes are exact', async () => {
	const content = randomBytes(Number(process.env.EWS_MEMORY_MB ?? 50) * MB);
	const mailbox = DEMO.sharedMailbox;
	const messageId = sandbox.ews.store.deliver(mailbox, { from: 'vendor@example.test', to: mailbox, subject: 'Big scan', text: 'attached', attachments: [{ filename: 'scan.tif', content, contentType: 'image/tiff' }] });
	const attachmentId = sandbox.ews.store.getItem(messageId)!.attachments[0].id;
	const ca = join(tmpdir(), `ews-memory-ca-${process.pid}.pem`);
	writeFileSync(ca, sandbox.ca);
	const token = await (await appOnlyAuth(sandbox)).getAccessToken(false);
	const input = { url: sandbox.ews.url, ca, token, mailbox, messageId, attachmentId, size: content.length };
	const streamed = await measure('stream', input);
	const expected = createHash('sha256').update(content).digest('hex');
	console.log(`EWS ${content.length / MB} MB attachment, child process resident growth: stream ${Math.round(streamed.growth / MB)} MB${process.env.EWS_MEMORY_COMPARE ? '' : ' (EWS_MEMORY_COMPARE=1 also measures the library path)'}`);
	expect(streamed).toMatchObject({ streamed: true, length: content.length, sha256: expected });
	expect(streamed.growth).toBeLessThan(40 * MB);
	if (process.env.EWS_MEMORY_COMPARE) {
		const library = await measure('library', input);
		console.log(`EWS ${content.length / MB} MB attachment through ews-javascript-api: resident growth ${Math.round(library.growth / MB)} MB`);
		expect(library).toMatchObject({ streamed: false, sha256: expected });
	}
});
