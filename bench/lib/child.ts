/** Runs one bench worker in a fresh Node process (tsx loader) and returns its result line. */
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';

import { RESULT_PREFIX } from '../workers/common';

const WORKERS = resolve(__dirname, '..', 'workers');

export async function runWorker<T>(name: string, input: unknown, options: { maxOldSpaceMB?: number; env?: Record<string, string> } = {}): Promise<T> {
	// BENCH_NODE_ARGS: extra node flags for the workers, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof" to profile them.
	const extra = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
	const args = ['--import', 'tsx', ...extra, ...(options.maxOldSpaceMB ? [`--max-old-space-size=${options.maxOldSpaceMB}`] : []), resolve(WORKERS, `${name}.ts`)];
	const child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, NODE_ENV: 'production', ...options.env } });
	let stdout = '';
	let stderr = '';
	child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
	child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
	child.stdin.end(JSON.stringify(input));
	const code = await new Promise<number | null>((done) => child.on('close', done));
	const line = stdout.split('\n').find((l) => l.startsWith(RESULT_PREFIX));
	if (code !== 0 || !line) throw new Error(`bench worker ${name} failed (exit ${code}):\n${stderr.trim().slice(-4000)}`);
	return JSON.parse(line.slice(RESULT_PREFIX.length)) as T;
}
