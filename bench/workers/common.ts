/**
 * Shared by the bench workers. A worker is a fresh Node process (so RSS and CPU belong to one
 * implementation): it reads its JSON input from stdin, runs one measured case against the sandbox
 * the parent started, and prints one result line `@@bench-result {...}` on stdout.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import https from 'node:https';
import { performance } from 'node:perf_hooks';
import type { IBinaryData, ICredentialDataDecryptedObject } from 'n8n-workflow';

import { n8nBinaryStorage, type BinaryDataMode, type BinaryStorage } from '../../test/support/binaryContent';

export const RESULT_PREFIX = '@@bench-result ';

/** What the parent hands every worker (plus case-specific fields). */
export interface WorkerInput {
	ca: string;
	ewsUrl: string;
	tokenUrl: string;
	clientId: string;
	clientSecret: string;
	/** App-only scope, e.g. https://outlook.office365.com/.default */
	scope: string;
	/** The app-only credential as a user fills it in n8n, pointing at the sandbox. */
	credential: ICredentialDataDecryptedObject;
	mailbox: string;
	smtp: { host: string; port: number };
	/** The Graph stand-in: its v1.0 URL and the app-only scope for it (the Graph rows' baselines). */
	graph: { url: string; scope: string };
	/** Which API `credential` selects (its Mailbox API); our workers load the EWS library only for EWS. */
	mailboxApi: 'ews' | 'graph';
}

/** What every send case sends as message `i`: subject and a ~1 KB text body. */
export const benchMessage = (i: number) => ({ subject: `Invoice ${i}`, text: `Invoice ${i}\n${'Lorem ipsum dolor sit amet. '.repeat(40)}` });

export async function readInput<T extends WorkerInput>(): Promise<T> {
	const chunks: Buffer[] = [];
	for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
	return JSON.parse(Buffer.concat(chunks).toString('utf8')) as T;
}

export interface Measured<T> {
	value: T;
	wallS: number;
	cpuS: number;
	/** Peak resident set size of this process so far (libraries and runtime included; see peakRssMB). */
	peakRssMB: number;
	/** RSS when the measured part started (runtime + loaded libraries). */
	startRssMB: number;
}

const MB = 1024 * 1024;

/** Wall time, CPU time (user + system) and peak RSS of `fn`, in this process. */
export async function measure<T>(fn: () => Promise<T>): Promise<Measured<T>> {
	const startRssMB = process.memoryUsage().rss / MB;
	const cpu = process.cpuUsage();
	const started = performance.now();
	const value = await fn();
	const wallS = (performance.now() - started) / 1000;
	const used = process.cpuUsage(cpu);
	return { value, wallS, cpuS: (used.user + used.system) / 1e6, peakRssMB: peakRssMB(), startRssMB };
}

/**
 * Peak resident set size of this process since it started, MB: VmHWM on Linux. Not getrusage's maxRSS:
 * a spawned child starts as a fork of the bench process (the sandbox, its mail store with the large
 * attachments), and maxRSS keeps that peak across execve, so a worker would report its parent's size.
 */
export function peakRssMB(): number {
	try {
		const kB = /^VmHWM:\s*(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
		if (kB) return Number(kB) / 1024;
	} catch {
		// not Linux
	}
	return process.resourceUsage().maxRSS / 1024; // kilobytes
}

export function emit(result: unknown): void {
	process.stdout.write(`${RESULT_PREFIX}${JSON.stringify(result)}\n`);
}

/** Runs a worker's main and exits (keep-alive sockets would otherwise hold the process open). */
export function runWorker(main: () => Promise<unknown>): void {
	main().then(
		(result) => {
			emit(result);
			process.exit(0);
		},
		(error) => {
			process.stderr.write(`${(error as Error)?.stack ?? String(error)}\n`);
			process.exit(1);
		},
	);
}

/** A plain client-credentials token request, as a hand-written integration makes it (once per baseline run). The sandbox CA comes from NODE_EXTRA_CA_CERTS. */
export async function fetchAppOnlyToken(input: WorkerInput, scope = input.scope): Promise<string> {
	const form = new URLSearchParams({ grant_type: 'client_credentials', client_id: input.clientId, client_secret: input.clientSecret, scope }).toString();
	const body = await new Promise<string>((resolve, reject) => {
		const request = https.request(input.tokenUrl, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Length': Buffer.byteLength(form) } }, (response) => {
			const chunks: Buffer[] = [];
			response.on('data', (chunk: Buffer) => chunks.push(chunk));
			response.on('end', () => (response.statusCode === 200 ? resolve(Buffer.concat(chunks).toString('utf8')) : reject(new Error(`token endpoint: HTTP ${response.statusCode}`))));
		});
		request.on('error', reject);
		request.end(form);
	});
	return (JSON.parse(body) as { access_token: string }).access_token;
}

/** Input of the workers that hand n8n binary data: the mode n8n stores it in, and where. */
export interface BinaryInput {
	binaryMode: BinaryDataMode;
	/** N8N_BINARY_DATA_STORAGE_PATH: a folder of the parent's, removed by the worker when done. */
	binaryStoragePath: string;
	/** Hash what n8n stored, after the measured part (the large rows check the bytes, not only the sizes). */
	verify?: boolean;
}

/** n8n's binary data storage for a worker, loaded before timing (n8n has it loaded too). */
export async function openBinaryStorage(input: BinaryInput): Promise<BinaryStorage> {
	return await n8nBinaryStorage(input.binaryMode, { storagePath: input.binaryStoragePath, workflowId: 'bench', executionId: 'bench' });
}

/** sha256 of every stored binary (streamed), sorted; undefined unless `verify`. Then the storage is removed. */
export async function closeBinaryStorage(storage: BinaryStorage, binaries: IBinaryData[], verify: boolean | undefined): Promise<string[] | undefined> {
	try {
		if (!verify) return undefined;
		const hashes: string[] = [];
		for (const binary of binaries) {
			const hash = createHash('sha256');
			for await (const chunk of await storage.stream(binary)) hash.update(chunk as Buffer);
			hashes.push(hash.digest('hex'));
		}
		return hashes.sort();
	} finally {
		await storage.close();
	}
}
