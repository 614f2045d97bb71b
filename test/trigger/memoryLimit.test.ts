/**
 * The trigger imports the largest attachment Exchange Online accepts (110 MB, a 150 MB message once
 * MIME-encoded) inside a 512 MB n8n container, on both APIs. The poll runs in a child Node process
 * (memoryLimit/child.ts: pollFolder with n8n-core's own filesystem binary mode) started with
 * --max-old-space-size=512; this process runs the sandbox and watches the child's resident memory
 * (/proc/<pid>/status) every 100 ms, killing it above 512 MB as a container's OOM killer would. The
 * stored file must be the delivered attachment, byte for byte (sha256).
 */
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import type { MailApi } from '../../nodes/shared/mail/store';
import { DEMO, type Sandbox } from '../sandbox';
import { appOnlyCredential } from '../support/sandboxCredentials';
import { useSandbox } from '../support/useSandbox';
import { RESULT_PREFIX, type ChildInput, type ChildResult } from './memoryLimit/protocol';

const LIMIT_MB = 512;
const ATTACHMENT_MB = 110;
const CHILD = resolve(__dirname, 'memoryLimit', 'child.ts');
const ROOT = resolve(__dirname, '..', '..');

jest.setTimeout(120_000);

const currentSandbox = useSandbox();
let sandbox: Sandbox;
let attachment: Buffer;
let folderPath: string;
beforeAll(() => {
	sandbox = currentSandbox();
	attachment = randomBytes(ATTACHMENT_MB * 1024 * 1024);
	sandbox.ews.store.createFolder(DEMO.sharedMailbox, 'inbox', 'Memory');
	folderPath = 'Inbox/Memory';
	sandbox.ews.store.deliver(DEMO.sharedMailbox, { from: 'scanner@example.test', to: DEMO.sharedMailbox, subject: 'Scan', text: 'Scan attached', folder: folderPath, attachments: [{ filename: 'scan.pdf', content: attachment, contentType: 'application/pdf' }] });
});

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const sha256OfFile = async (path: string) => {
	const hash = createHash('sha256');
	for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
	return hash.digest('hex');
};

/**
 * VmRSS and VmHWM (peak) of a process, in MB; undefined once it is gone, and until it runs the child script:
 * between fork and exec the new process still has this one's memory (the sandbox, earlier test files), which
 * is not the child's.
 */
function memoryOf(pid: number): { rssMB: number; peakMB: number } | undefined {
	try {
		if (!readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(CHILD)) return undefined;
		const status = readFileSync(`/proc/${pid}/status`, 'utf8');
		const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
		return { rssMB: kb('VmRSS') / 1024, peakMB: kb('VmHWM') / 1024 };
	} catch {
		return undefined;
	}
}

interface Run {
	code: number | null;
	killedAtMB?: number;
	/** Highest resident memory seen (the kernel's high-water mark where readable). */
	peakMB: number;
	result?: ChildResult;
	stderr: string;
	wallS: number;
}

async function pollInChild(input: ChildInput): Promise<Run> {
	const started = Date.now();
	const child = spawn(process.execPath, ['--import', 'tsx', `--max-old-space-size=${LIMIT_MB}`, CHILD], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, NODE_ENV: 'production' } });
	let stdout = '';
	let stderr = '';
	child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
	child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
	child.stdin.end(JSON.stringify(input));
	let peakMB = 0;
	let killedAtMB: number | undefined;
	// The container's limit: resident memory, not the V8 heap (Buffers live outside it).
	const watchdog = setInterval(() => {
		const memory = memoryOf(child.pid!);
		if (!memory) return;
		peakMB = Math.max(peakMB, memory.rssMB, memory.peakMB);
		if (memory.rssMB > LIMIT_MB && killedAtMB === undefined) {
			killedAtMB = memory.rssMB;
			child.kill('SIGKILL');
		}
	}, 100);
	const code = await new Promise<number | null>((done) => child.on('close', done));
	clearInterval(watchdog);
	const line = stdout.split('\n').find((candidate) => candidate.startsWith(RESULT_PREFIX));
	const result = line ? (JSON.parse(line.slice(RESULT_PREFIX.length)) as ChildResult) : undefined;
	if (result) peakMB = Math.max(peakMB, result.peakRssMB);
	return { code, killedAtMB, peakMB, result, stderr, wallS: (Date.now() - started) / 1000 };
}

async function importsWithin512MB(api: MailApi): Promise<void> {
	const storagePath = mkdtempSync(join(tmpdir(), `memory-${api}-`));
	try {
		const credential = appOnlyCredential(sandbox, api === 'graph' ? { customMailboxApi: 'graph', graphUrl: sandbox.graphUrl, graphResource: 'https://graph.microsoft.com' } : {});
		const run = await pollInChild({ credential, ca: sandbox.ca, mailbox: DEMO.sharedMailbox, folderPath, storagePath, maxAttachmentBytes: 150 * 1024 * 1024 });
		const report = `${api}: ${ATTACHMENT_MB} MB attachment, peak RSS ${run.peakMB.toFixed(0)} MB (limit ${LIMIT_MB}), ${run.wallS.toFixed(1)} s`;
		process.stdout.write(`${report}\n`);
		if (run.killedAtMB !== undefined) throw new Error(`${report}: killed at ${run.killedAtMB.toFixed(0)} MB resident`);
		if (run.code !== 0 || !run.result) throw new Error(`${report}: the child failed (exit ${run.code}):\n${run.stderr.slice(-3000)}`);
		expect(run.result.items).toHaveLength(1);
		const [item] = run.result.items;
		expect(item.error).toBeUndefined();
		expect(item.binaries).toHaveLength(1);
		expect(item.binaries[0].bytes).toBe(attachment.length);
		expect(await sha256OfFile(item.binaries[0].path)).toBe(sha256(attachment));
		expect(run.peakMB).toBeLessThanOrEqual(LIMIT_MB);
	} finally {
		rmSync(storagePath, { recursive: true, force: true });
	}
}

describe(`a ${ATTACHMENT_MB} MB attachment in a ${LIMIT_MB} MB process, stored by n8n's filesystem binary mode`, () => {
	it('on Graph', async () => {
		await importsWithin512MB('graph');
	});

	// Through ews-javascript-api the GetAttachment answer was held as text, as a DOM and as bytes (about 520 MB
	// resident here, killed); the streamed GetAttachment keeps it to a chunk.
	it('on EWS', async () => {
		await importsWithin512MB('ews');
	});
});
