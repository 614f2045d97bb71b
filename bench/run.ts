/**
 * `npm run bench` (issues 5, 11 and 14): our nodes against a naive baseline, side by side, on the sandbox
 * (Entra, EWS, Graph and SMTP stand-ins on loopback HTTPS/STARTTLS, EWS requests schema-validated,
 * Graph bodies checked against the Graph types). Import, bulk and send run on EWS/SMTP and on Graph;
 * large attachments on both, in n8n's filesystem and database binary modes (test/support/binaryContent.ts).
 *
 *   npm run bench                     default sizes, 3 runs per measurement, median reported
 *   npm run bench -- --n 2000         import size
 *   npm run bench -- --runs 5         runs per measurement (at least 1)
 *   npm run bench -- --smoke          tiny sizes, 1 run (CI); writes bench/results.smoke.json
 *   npm run bench -- --custom-ca      put the sandbox CA into the credential (the on-premises path)
 *   npm run bench -- --latency 30     delay every EWS and Graph answer by 30 ms (an internet round trip; slow at default sizes)
 *   npm run bench -- --out file.json  where to write the results (default bench/results.json)
 *   npm run bench -- --only large,attachments   only these row sets (names as in results.json; default out
 *                                     bench/results.only.json, so a partial run does not replace the full one)
 *
 * The sandbox runs in this process; every implementation runs in a fresh child process
 * (bench/workers/*.ts), so wall time, CPU time and peak RSS are those of one implementation.
 * Round trips, Graph requests, token requests and SMTP connections are counted by the sandbox servers.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';

import { BATCH_SIZE } from '../nodes/shared/transport/ews/batch';
import { MAX_SYNC_CHANGES } from '../nodes/shared/transport/ews/sync';
import { BATCH_LIMIT as GRAPH_BATCH_LIMIT } from '../nodes/shared/transport/graph/batch';
import { DELTA_PAGE_SIZE } from '../nodes/shared/transport/graph/store';
import { DEMO, startSandbox, type GraphRequestRecord, type Sandbox } from '../test/sandbox';
import { GRAPH_AUDIENCES, MAILBOX_CONCURRENCY_LIMIT } from '../test/sandbox/graph';
import { graphIdOf, immutableGraphId } from '../test/sandbox/graph/ids';
import { graphTypes } from '../test/sandbox/graph/schema';
import type { BinaryDataMode } from '../test/support/binaryContent';
import { appOnlyCredential } from '../test/support/sandboxCredentials';
import { runWorker } from './lib/child';
import type { BinaryInput, WorkerInput } from './workers/common';

// ---------------------------------------------------------------- options

interface Options {
	smoke: boolean;
	runs: number;
	customCa: boolean;
	/** Added to every EWS and Graph answer by the sandbox, ms (0 = loopback as is). */
	latencyMs: number;
	out: string;
	/** Row sets to run (all unless --only). */
	only: Set<RowSet>;
	sizes: { import: number; bulk: number; send: number; tokens: number; largeMB: number; attachments: AttachmentSizes };
}

/** The large-attachment rows: one attachment of `singleMB`, and `many.count` messages with one of `many.mb` each, in one poll. */
interface AttachmentSizes {
	singleMB: number;
	many: { count: number; mb: number };
}

const ROW_SETS = ['import', 'bulk', 'send', 'graphImport', 'graphBulk', 'graphSend', 'tokens', 'large', 'attachments'] as const;
type RowSet = (typeof ROW_SETS)[number];

function parseOptions(argv: string[]): Options {
	const value = (name: string) => {
		const index = argv.indexOf(name);
		if (index < 0) return undefined;
		const given = argv[index + 1];
		if (given === undefined || given.startsWith('--')) throw new Error(`${name} needs a value`);
		return given;
	};
	const count = (name: string, fallback: number) => {
		const given = value(name);
		if (given === undefined) return fallback;
		const n = Number(given);
		if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive integer, got "${given}"`);
		return n;
	};
	const known = new Set(['--smoke', '--custom-ca', '--n', '--runs', '--out', '--latency', '--only']);
	for (const arg of argv) if (arg.startsWith('--') && !known.has(arg)) throw new Error(`unknown option ${arg} (known: ${[...known].join(' ')})`);
	const smoke = argv.includes('--smoke');
	// Exchange Online takes messages up to 150 MB: about 110 MB of attachment once MIME-encoded.
	const sizes = smoke
		? { import: 100, bulk: 50, send: 20, tokens: 50, largeMB: 5, attachments: { singleMB: 5, many: { count: 4, mb: 2 } } }
		: { import: 5000, bulk: 1000, send: 500, tokens: 1000, largeMB: 50, attachments: { singleMB: 110, many: { count: 20, mb: 25 } } };
	sizes.import = count('--n', sizes.import);
	const latency = value('--latency');
	const latencyMs = latency === undefined ? 0 : Number(latency);
	if (!Number.isFinite(latencyMs) || latencyMs < 0) throw new Error(`--latency must be a number of milliseconds, got "${latency}"`);
	const onlyGiven = value('--only');
	const only = new Set<RowSet>();
	for (const name of onlyGiven?.split(',') ?? ROW_SETS) {
		if (!(ROW_SETS as readonly string[]).includes(name)) throw new Error(`--only: unknown row set "${name}" (known: ${ROW_SETS.join(',')})`);
		only.add(name as RowSet);
	}
	const out = value('--out') ?? join(__dirname, smoke ? 'results.smoke.json' : onlyGiven ? 'results.only.json' : 'results.json');
	return { smoke, runs: count('--runs', smoke ? 1 : 3), customCa: argv.includes('--custom-ca'), latencyMs, out: resolve(out), only, sizes };
}

// ---------------------------------------------------------------- statistics

function median(values: number[]): number {
	const sorted = [...values].sort((a, b) => a - b);
	const middle = Math.floor(sorted.length / 2);
	return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

const round = (value: number, digits = 3) => Number(value.toFixed(digits));

/** Median of every numeric field over the runs (nested objects too); other fields from the first run. */
function medianOf<T>(runs: T[]): T {
	const first = runs[0] as unknown;
	if (typeof first === 'number') return round(median(runs as number[])) as T;
	if (first && typeof first === 'object' && !Array.isArray(first)) {
		const result: Record<string, unknown> = {};
		for (const key of Object.keys(first)) result[key] = medianOf(runs.map((run) => (run as Record<string, unknown>)[key]));
		return result as T;
	}
	return first as T;
}

// ---------------------------------------------------------------- sandbox side

interface Sample<T> {
	worker: T;
	roundTrips: number;
	calls: Record<string, number>;
	failedRequests: number;
	tokenRequests: number;
	smtpConnections: number;
	smtpMessages: number;
	/** CPU of this process (the sandbox servers, schema validation included) while the worker ran. */
	sandboxCpuS: number;
	/** Time the sandbox spent validating EWS requests against the schema (part of every round trip). */
	schemaValidationS: number;
	graph: GraphSample;
}

interface GraphSample {
	/** HTTP requests (a $batch counts once). */
	requests: number;
	batchCalls: number;
	/** Requests or batch members Graph answered with an error (or a dropped connection). */
	failed: number;
	/** Most requests in flight at once for one mailbox (the cap is Outlook's 4). */
	peakConcurrency: number;
	/** Every request and batch member, in the order the sandbox received them. */
	records: GraphRequestRecord[];
}

const GRAPH_RESOURCE = GRAPH_AUDIENCES[0];

class Bench {
	private validation = { seconds: 0, requests: 0 };

	readonly env: Record<string, string>;

	readonly base: WorkerInput;

	/** The app-only credential with Mailbox API Microsoft Graph (input for our Graph cases). */
	readonly graphCredential: WorkerInput['credential'];

	/** Worker input fields that put our workers on Graph. */
	get onGraph(): Pick<WorkerInput, 'credential' | 'mailboxApi'> {
		return { credential: this.graphCredential, mailboxApi: 'graph' };
	}

	private storages = 0;

	constructor(
		readonly sandbox: Sandbox,
		private readonly options: Options,
		private readonly tmp: string,
		caFile: string,
	) {
		// Workers trust the sandbox CA the way n8n trusts a corporate CA (NODE_EXTRA_CA_CERTS); the credential
		// carries no CA of its own unless --custom-ca, as with Exchange Online's public certificates.
		this.env = { NODE_EXTRA_CA_CERTS: caFile };
		const credential = appOnlyCredential(sandbox);
		if (!options.customCa) credential.caCertificate = '';
		// The same app on Graph: the Custom cloud's Graph URL is the sandbox's, the token is for the Graph resource.
		this.graphCredential = { ...credential, customMailboxApi: 'graph', graphUrl: sandbox.graphUrl, graphResource: GRAPH_RESOURCE };
		this.base = {
			ca: sandbox.ca,
			ewsUrl: sandbox.ews.url,
			tokenUrl: sandbox.entra.tokenUrl(DEMO.tenantId),
			clientId: DEMO.appOnlyClientId,
			clientSecret: DEMO.appOnlyClientSecret,
			scope: DEMO.appOnlyScope,
			credential,
			mailbox: DEMO.sharedMailbox,
			smtp: { host: sandbox.smtp.host, port: sandbox.smtp.port },
			graph: { url: sandbox.graphUrl, scope: `${GRAPH_RESOURCE}/.default` },
			mailboxApi: 'ews',
		};
		const validator = sandbox.ews.validator;
		if (validator) {
			const validate = validator.validateRequest.bind(validator);
			validator.validateRequest = async (...args: Parameters<typeof validate>) => {
				const started = performance.now();
				try {
					return await validate(...args);
				} finally {
					this.validation.seconds += (performance.now() - started) / 1000;
					this.validation.requests++;
				}
			};
		}
	}

	/** Worker input for n8n's binary data storage in `mode`: a fresh folder per sample (the worker removes it). */
	binary(mode: BinaryDataMode, verify = false): BinaryInput {
		return { binaryMode: mode, binaryStoragePath: join(this.tmp, `binary-data-${++this.storages}`), verify };
	}

	get schemaValidation() {
		return { on: Boolean(this.sandbox.ews.validator), requests: this.validation.requests, msPerRequest: this.validation.requests ? round((this.validation.seconds * 1000) / this.validation.requests) : 0 };
	}

	async sample<T>(worker: string, input: object): Promise<Sample<T>> {
		const { sandbox } = this;
		sandbox.ews.reset();
		sandbox.graph.reset();
		if (this.options.latencyMs) {
			sandbox.ews.setLatency(this.options.latencyMs);
			sandbox.graph.setLatency(this.options.latencyMs);
		}
		sandbox.smtp.clear();
		const tokenRequests = sandbox.entra.requests.length;
		const validation = this.validation.seconds;
		const cpu = process.cpuUsage();
		const result = await runWorker<T>(worker, { ...this.base, ...input }, { env: this.env });
		const used = process.cpuUsage(cpu);
		const requests = sandbox.ews.requests;
		return {
			worker: result,
			roundTrips: requests.length,
			calls: sandbox.ews.counts(),
			failedRequests: requests.filter((request) => request.status !== 200 || (request.responseCode && request.responseCode !== 'NoError')).length,
			tokenRequests: sandbox.entra.requests.length - tokenRequests,
			smtpConnections: sandbox.smtp.connections,
			smtpMessages: sandbox.smtp.messages.length,
			sandboxCpuS: round((used.user + used.system) / 1e6),
			schemaValidationS: round(this.validation.seconds - validation),
			graph: graphSample(sandbox),
		};
	}

	/** `runs` samples, interleaving the implementations so drift hits both alike. */
	async sideBySide<T>(cases: Array<{ name: string; worker: string; input: () => object; check: (sample: Sample<T>) => void }>): Promise<Record<string, Array<Sample<T>>>> {
		const samples: Record<string, Array<Sample<T>>> = {};
		for (let run = 1; run <= this.options.runs; run++) {
			for (const c of cases) {
				const sample = await this.sample<T>(c.worker, c.input());
				c.check(sample);
				(samples[c.name] ??= []).push(sample);
				const worker = sample.worker as { wallS?: number; markRead?: { wallS: number }; move?: { wallS: number } };
				const wall = worker.wallS ?? (worker.markRead?.wallS ?? 0) + (worker.move?.wallS ?? 0);
				log(`  ${c.name} run ${run}/${this.options.runs}: ${wall.toFixed(2)} s, ${sample.roundTrips} EWS round trips, ${sample.graph.requests} Graph requests, ${sample.smtpConnections} SMTP connections`);
			}
		}
		return samples;
	}
}

function graphSample(sandbox: Sandbox): GraphSample {
	const records = [...sandbox.graph.requests];
	const http = records.filter((record) => !record.inBatch);
	return {
		requests: http.length,
		batchCalls: http.filter((record) => record.endpoint === 'POST $batch').length,
		failed: records.filter((record) => record.status === 0 || record.status >= 400).length,
		peakConcurrency: Math.max(0, ...sandbox.graph.peakConcurrency.values()),
		records,
	};
}

const log = (line: string) => process.stderr.write(`${line}\n`);

function expect(condition: unknown, message: string): void {
	if (!condition) throw new Error(`bench check failed: ${message}`);
}

// ---------------------------------------------------------------- measurements

interface Timed {
	wallS: number;
	cpuS: number;
	peakRssMB: number;
	startRssMB: number;
}

interface ImportResult extends Timed {
	messages: number;
	binaries: number;
	binaryBytes: number;
	polls: number;
}

/** Wall time with `roundTrips` × 30 ms added (an estimate for Exchange Online over the internet; 0 when --latency is set). */
let assumedRttS = 0.03;
const atRtt = (wallS: number, roundTrips: number) => wallS + roundTrips * assumedRttS;

const MAX_MESSAGES_PER_POLL = 2000; // the trigger's maximum "Max Messages per Poll"

async function measureImport(bench: Bench, n: number) {
	const { sandbox } = bench;
	const attachment = randomBytes(100 * 1024);
	const started = Date.now() - n * 1000;
	for (let i = 0; i < n; i++) {
		sandbox.ews.store.deliver(DEMO.sharedMailbox, {
			from: { name: 'Supplier', email: `billing${i % 97}@supplier.example` },
			to: DEMO.sharedMailbox,
			subject: `Invoice ${100000 + i}`,
			text: `Dear customer,\n\nplease find invoice ${100000 + i} below.\n\n${'Line item, quantity, price. '.repeat(30)}\n\nKind regards`,
			receivedAt: new Date(started + i * 1000),
			// 20% carry a 100 KB attachment.
			attachments: i % 5 === 0 ? [{ filename: `invoice-${100000 + i}.pdf`, content: attachment, contentType: 'application/pdf' }] : [],
		});
	}
	const withAttachments = Math.ceil(n / 5);
	const check = (sample: Sample<ImportResult>) => {
		expect(sample.worker.messages === n, `import emitted ${sample.worker.messages} of ${n} messages`);
		expect(sample.worker.binaries === withAttachments && sample.worker.binaryBytes === withAttachments * attachment.length, `import downloaded ${sample.worker.binaries} attachments, ${withAttachments} expected`);
		expect(sample.failedRequests === 0, `${sample.failedRequests} EWS requests failed`);
	};
	// Both sides in n8n's filesystem binary mode (the single-instance default), so their peak RSS compares.
	const input = () => ({ folder: { wellKnown: 'inbox' }, maxMessages: MAX_MESSAGES_PER_POLL, maxAttachmentBytes: 25 * 1024 * 1024, ...bench.binary('filesystem') });
	const samples = await bench.sideBySide<ImportResult>([
		{ name: 'import ours', worker: 'import-ours', input, check },
		{ name: 'import baseline', worker: 'import-baseline', input, check },
	]);
	const figures = (runs: Array<Sample<ImportResult>>) => {
		const m = medianOf(runs.map((s) => ({ roundTrips: s.roundTrips, wallS: s.worker.wallS, cpuS: s.worker.cpuS, peakRssMB: s.worker.peakRssMB, startRssMB: s.worker.startRssMB, sandboxCpuS: s.sandboxCpuS, schemaValidationS: s.schemaValidationS })));
		return {
			roundTrips: m.roundTrips,
			calls: runs[0].calls,
			wallS: m.wallS,
			msgsPerS: round(n / m.wallS, 1),
			cpuS: m.cpuS,
			peakRssMB: round(m.peakRssMB, 1),
			startRssMB: round(m.startRssMB, 1),
			sandboxCpuS: m.sandboxCpuS,
			schemaValidationS: m.schemaValidationS,
			tokenRequests: runs[0].tokenRequests,
			polls: runs[0].worker.polls,
			wallSRuns: runs.map((s) => round(s.worker.wallS)),
		};
	};
	const ours = figures(samples['import ours']);
	const baseline = figures(samples['import baseline']);
	const lowerBoundRoundTrips = Math.ceil(n / MAX_SYNC_CHANGES) + Math.ceil(n / BATCH_SIZE.get);
	return {
		n,
		attachments: { share: 0.2, count: withAttachments, kb: 100 },
		batch: BATCH_SIZE.get,
		maxMessagesPerPoll: MAX_MESSAGES_PER_POLL,
		lowerBoundRoundTrips,
		/** The bound if attachment downloads are counted too, batched like GetItem with MIME content. */
		lowerBoundWithAttachmentsRoundTrips: lowerBoundRoundTrips + Math.ceil(withAttachments / BATCH_SIZE.getWithMime),
		ours,
		baseline,
		ratios: {
			oursToLowerBound: round(ours.roundTrips / lowerBoundRoundTrips, 2),
			roundTrips: round(baseline.roundTrips / ours.roundTrips, 2),
			wall: round(baseline.wallS / ours.wallS, 2),
			cpu: round(baseline.cpuS / ours.cpuS, 2),
			/** Not measured: wall + round trips × 30 ms, what an internet round trip would add to each. */
			wallAt30msRttEstimate: round(atRtt(baseline.wallS, baseline.roundTrips) / atRtt(ours.wallS, ours.roundTrips), 2),
		},
	};
}

interface BulkResult {
	markRead: Timed & { ok: number };
	move: Timed & { ok: number };
}

async function measureBulk(bench: Bench, n: number) {
	const { sandbox } = bench;
	const store = sandbox.ews.store;
	const mailbox = DEMO.sharedMailbox;
	const root = store.distinguishedFolder(mailbox, 'msgfolderroot')!;
	const source = store.createFolder(mailbox, root.id, 'Bench Bulk');
	const destination = store.createFolder(mailbox, root.id, 'Bench Bulk Done');
	const fresh = () => {
		const ids = Array.from({ length: n }, (_, i) => store.deliver(mailbox, { from: 'ann@example.com', to: mailbox, subject: `Bulk ${i}`, text: 'Bulk', folder: source.id }));
		return { ids, destinationFolderId: destination.id };
	};
	const check = (sample: Sample<BulkResult>) => {
		expect(sample.worker.markRead.ok === n && sample.worker.move.ok === n, `bulk: ${sample.worker.markRead.ok} marked, ${sample.worker.move.ok} moved of ${n}`);
		expect(sample.failedRequests === 0, `${sample.failedRequests} EWS requests failed`);
		expect(store.listItemsIn(source.id).length === 0, 'bulk: messages left in the source folder');
		expect(store.listItemsIn(destination.id).every((item) => item.isRead), 'bulk: a moved message is not read');
	};
	const samples = await bench.sideBySide<BulkResult>([
		{ name: 'bulk ours', worker: 'bulk-ours', input: fresh, check },
		{ name: 'bulk baseline', worker: 'bulk-baseline', input: fresh, check },
	]);
	const figures = (runs: Array<Sample<BulkResult>>) => {
		const m = medianOf(
			runs.map((s) => {
				const moveCalls = s.calls.MoveItem ?? 0;
				return {
					calls: s.roundTrips,
					wallS: s.worker.markRead.wallS + s.worker.move.wallS,
					cpuS: s.worker.markRead.cpuS + s.worker.move.cpuS,
					markRead: { calls: s.roundTrips - moveCalls, wallS: s.worker.markRead.wallS },
					move: { calls: moveCalls, wallS: s.worker.move.wallS },
				};
			}),
		);
		return { ...m, callsByOperation: runs[0].calls };
	};
	const ours = figures(samples['bulk ours']);
	const baseline = figures(samples['bulk baseline']);
	return {
		n,
		batch: { update: BATCH_SIZE.update, move: BATCH_SIZE.moveCopyDelete },
		targetCallsPerAction: Math.ceil(n / Math.max(BATCH_SIZE.update, BATCH_SIZE.moveCopyDelete)),
		ours,
		baseline,
		ratios: {
			calls: round(baseline.calls / ours.calls, 2),
			wall: round(baseline.wallS / ours.wallS, 2),
			/** Not measured: wall + calls × 30 ms, what an internet round trip would add to each. */
			wallAt30msRttEstimate: round(atRtt(baseline.wallS, baseline.calls) / atRtt(ours.wallS, ours.calls), 2),
			markReadWall: round(baseline.markRead.wallS / ours.markRead.wallS, 2),
			moveWall: round(baseline.move.wallS / ours.move.wallS, 2),
		},
	};
}

interface SendResult extends Timed {
	ok: number;
}

async function measureSend(bench: Bench, n: number) {
	const check = (sample: Sample<SendResult>) => {
		expect(sample.worker.ok === n && sample.smtpMessages === n, `send: ${sample.worker.ok} sent, ${sample.smtpMessages} received of ${n}`);
	};
	const input = { n, to: 'someone@example.com' };
	const samples = await bench.sideBySide<SendResult>([
		{ name: 'send ours', worker: 'send-ours', input: () => input, check },
		{ name: 'send baseline', worker: 'send-baseline', input: () => input, check },
	]);
	const figures = (runs: Array<Sample<SendResult>>) => ({
		...medianOf(runs.map((s) => ({ wallS: s.worker.wallS, cpuS: s.worker.cpuS, msgsPerS: n / s.worker.wallS, smtpConnections: s.smtpConnections, sandboxCpuS: s.sandboxCpuS }))),
		wallSRuns: runs.map((s) => round(s.worker.wallS)),
	});
	const ours = figures(samples['send ours']);
	const baseline = figures(samples['send baseline']);
	return { n, ours, baseline, ratios: { wall: round(baseline.wallS / ours.wallS, 2) } };
}

// ---------------------------------------------------------------- Microsoft Graph

/** What one action (mark as read, move) cost on Graph: the action's own requests and the lookups around them. */
function graphPhase(records: GraphRequestRecord[], actionEndpoint: string) {
	const http = records.filter((record) => !record.inBatch);
	const action = http.filter((record) => record.endpoint === 'POST $batch' || record.endpoint === actionEndpoint);
	const lookups: Record<string, number> = {};
	for (const record of http) if (!action.includes(record)) lookups[record.endpoint] = (lookups[record.endpoint] ?? 0) + 1;
	return {
		/** HTTP requests in all. */
		requests: http.length,
		/** $batch calls, or single requests of the action's own endpoint: what the ⌈N/20⌉ bound is about. */
		actionRequests: action.length,
		batchCalls: http.filter((record) => record.endpoint === 'POST $batch').length,
		/** Everything else (folder lookups), by endpoint. */
		lookups,
	};
}

const MARK_READ_ENDPOINT = 'PATCH /messages/{id}';
const MOVE_ENDPOINT = 'POST /messages/{id}/move';

/** Mark as read ran first and ended before the move started: its records end with the last PATCH. */
function splitPhases(records: GraphRequestRecord[]) {
	const split = records.map((record) => record.endpoint).lastIndexOf(MARK_READ_ENDPOINT) + 1;
	return { markRead: graphPhase(records.slice(0, split), MARK_READ_ENDPOINT), move: graphPhase(records.slice(split), MOVE_ENDPOINT) };
}

/** Mark as read + move of N messages on Graph: the Exchange node (Mailbox API Graph) against a PATCH / POST move per message. */
async function measureGraphBulk(bench: Bench, n: number) {
	const { sandbox } = bench;
	const store = sandbox.ews.store; // Graph serves the same store
	const mailbox = DEMO.sharedMailbox;
	const root = store.distinguishedFolder(mailbox, 'msgfolderroot')!;
	const source = store.createFolder(mailbox, root.id, 'Bench Graph Bulk');
	const destination = store.createFolder(mailbox, root.id, 'Bench Graph Bulk Done');
	// Immutable ids, as the node hands them out on Graph (Prefer: IdType="ImmutableId").
	const fresh = () => {
		const ids = Array.from({ length: n }, (_, i) => immutableGraphId(store.getItem(store.deliver(mailbox, { from: 'ann@example.com', to: mailbox, subject: `Bulk ${i}`, text: 'Bulk', folder: source.id }))!.immutableId));
		return { ids, destinationFolderId: graphIdOf(destination.id, 'folder') };
	};
	const check = (sample: Sample<BulkResult>) => {
		expect(sample.worker.markRead.ok === n && sample.worker.move.ok === n, `graph bulk: ${sample.worker.markRead.ok} marked, ${sample.worker.move.ok} moved of ${n}`);
		expect(sample.graph.failed === 0, `graph bulk: ${sample.graph.failed} Graph requests failed`);
		expect(sample.roundTrips === 0, `graph bulk: ${sample.roundTrips} EWS round trips`);
		expect(store.listItemsIn(source.id).length === 0, 'graph bulk: messages left in the source folder');
		expect(store.listItemsIn(destination.id).every((item) => item.isRead), 'graph bulk: a moved message is not read');
	};
	const input = () => ({ ...fresh(), ...bench.onGraph });
	const samples = await bench.sideBySide<BulkResult>([
		{ name: 'graph bulk ours', worker: 'bulk-ours', input, check },
		{ name: 'graph bulk baseline', worker: 'bulk-graph-baseline', input, check },
	]);
	const figures = (runs: Array<Sample<BulkResult>>) => {
		const m = medianOf(
			runs.map((s) => {
				const { markRead, move } = splitPhases(s.graph.records);
				return {
					requests: s.graph.requests,
					batchCalls: s.graph.batchCalls,
					wallS: s.worker.markRead.wallS + s.worker.move.wallS,
					cpuS: s.worker.markRead.cpuS + s.worker.move.cpuS,
					peakRssMB: Math.max(s.worker.markRead.peakRssMB, s.worker.move.peakRssMB),
					peakConcurrency: s.graph.peakConcurrency,
					tokenRequests: s.tokenRequests,
					markRead: { requests: markRead.requests, actionRequests: markRead.actionRequests, batchCalls: markRead.batchCalls, lookupRequests: markRead.requests - markRead.actionRequests, wallS: s.worker.markRead.wallS, cpuS: s.worker.markRead.cpuS },
					move: { requests: move.requests, actionRequests: move.actionRequests, batchCalls: move.batchCalls, lookupRequests: move.requests - move.actionRequests, wallS: s.worker.move.wallS, cpuS: s.worker.move.cpuS },
				};
			}),
		);
		const first = splitPhases(runs[0].graph.records);
		return { ...m, peakRssMB: round(m.peakRssMB, 1), lookups: { markRead: first.markRead.lookups, move: first.move.lookups }, requestsByEndpoint: countEndpoints(runs[0].graph.records) };
	};
	const ours = figures(samples['graph bulk ours']);
	const baseline = figures(samples['graph bulk baseline']);
	return {
		n,
		batch: GRAPH_BATCH_LIMIT,
		/** ⌈N/20⌉: one $batch per 20 items, per action (folder lookups not included; they are printed apart). */
		lowerBoundRequestsPerAction: Math.ceil(n / GRAPH_BATCH_LIMIT),
		ours,
		baseline,
		ratios: {
			requests: round(baseline.requests / ours.requests, 2),
			wall: round(baseline.wallS / ours.wallS, 2),
			cpu: round(baseline.cpuS / ours.cpuS, 2),
			/** Not measured: wall + requests × 30 ms, what an internet round trip would add to each. */
			wallAt30msRttEstimate: round(atRtt(baseline.wallS, baseline.requests) / atRtt(ours.wallS, ours.requests), 2),
		},
	};
}

/**
 * Import of N messages on Graph (20% with a 100 KB attachment), from the beginning of a folder: the
 * trigger's poll code (Mailbox API Graph: the delta carries the messages, attachments in $batch)
 * against the n8n Outlook Trigger's way (a receivedDateTime window listed page by page, then one
 * attachments request per message with attachments).
 */
async function measureGraphImport(bench: Bench, n: number) {
	const { sandbox } = bench;
	const store = sandbox.ews.store;
	const mailbox = DEMO.sharedMailbox;
	const folder = store.createFolder(mailbox, store.distinguishedFolder(mailbox, 'msgfolderroot')!.id, 'Bench Graph Import');
	const attachment = randomBytes(100 * 1024);
	const started = Date.now() - n * 1000;
	for (let i = 0; i < n; i++) {
		store.deliver(mailbox, {
			from: { name: 'Supplier', email: `billing${i % 97}@supplier.example` },
			to: mailbox,
			subject: `Invoice ${100000 + i}`,
			text: `Dear customer,\n\nplease find invoice ${100000 + i} below.\n\n${'Line item, quantity, price. '.repeat(30)}\n\nKind regards`,
			receivedAt: new Date(started + i * 1000),
			folder: folder.id,
			attachments: i % 5 === 0 ? [{ filename: `invoice-${100000 + i}.pdf`, content: attachment, contentType: 'application/pdf' }] : [],
		});
	}
	const withAttachments = Math.ceil(n / 5);
	const folderId = graphIdOf(folder.id, 'folder');
	const check = (sample: Sample<ImportResult>) => {
		expect(sample.worker.messages === n, `graph import emitted ${sample.worker.messages} of ${n} messages`);
		expect(sample.worker.binaries === withAttachments && sample.worker.binaryBytes === withAttachments * attachment.length, `graph import downloaded ${sample.worker.binaries} attachments, ${withAttachments} expected`);
		expect(sample.graph.failed === 0, `graph import: ${sample.graph.failed} Graph requests failed`);
		expect(sample.roundTrips === 0, `graph import: ${sample.roundTrips} EWS round trips`);
	};
	const samples = await bench.sideBySide<ImportResult>([
		{ name: 'graph import ours', worker: 'import-ours', input: () => ({ folder: { id: folderId }, maxMessages: MAX_MESSAGES_PER_POLL, maxAttachmentBytes: 25 * 1024 * 1024, ...bench.onGraph, ...bench.binary('filesystem') }), check },
		{ name: 'graph import baseline', worker: 'import-graph-baseline', input: () => ({ folderId, since: new Date(started - 1000).toISOString(), ...bench.onGraph, ...bench.binary('filesystem') }), check },
	]);
	const figures = (runs: Array<Sample<ImportResult>>) => ({
		...medianOf(runs.map((s) => ({ requests: s.graph.requests, batchCalls: s.graph.batchCalls, wallS: s.worker.wallS, cpuS: s.worker.cpuS, peakRssMB: s.worker.peakRssMB, peakConcurrency: s.graph.peakConcurrency, sandboxCpuS: s.sandboxCpuS }))),
		polls: runs[0].worker.polls,
		requestsByEndpoint: countEndpoints(runs[0].graph.records),
		wallSRuns: runs.map((s) => round(s.worker.wallS)),
	});
	const ours = figures(samples['graph import ours']);
	const baseline = figures(samples['graph import baseline']);
	const lowerBoundRequests = Math.ceil(n / DELTA_PAGE_SIZE) + Math.ceil(withAttachments / GRAPH_BATCH_LIMIT);
	return {
		n,
		attachments: { share: 0.2, count: withAttachments, kb: 100 },
		pageSize: DELTA_PAGE_SIZE,
		batch: GRAPH_BATCH_LIMIT,
		maxMessagesPerPoll: MAX_MESSAGES_PER_POLL,
		/** ⌈N / page size⌉ delta pages + ⌈messages with attachments / 20⌉ $batch calls. */
		lowerBoundRequests,
		ours: { ...ours, peakRssMB: round(ours.peakRssMB, 1) },
		baseline: { ...baseline, peakRssMB: round(baseline.peakRssMB, 1) },
		ratios: {
			oursToLowerBound: round(ours.requests / lowerBoundRequests, 2),
			requests: round(baseline.requests / ours.requests, 2),
			wall: round(baseline.wallS / ours.wallS, 2),
			/** Not measured: wall + requests × 30 ms, what an internet round trip would add to each. */
			wallAt30msRttEstimate: round(atRtt(baseline.wallS, baseline.requests) / atRtt(ours.wallS, ours.requests), 2),
		},
	};
}

/** Requests per endpoint: HTTP requests, and batch members as `… (in $batch)`. */
function countEndpoints(records: GraphRequestRecord[]): Record<string, number> {
	const counts: Record<string, number> = {};
	for (const record of records) {
		const key = record.inBatch ? `${record.endpoint} (in $batch)` : record.endpoint;
		counts[key] = (counts[key] ?? 0) + 1;
	}
	return counts;
}

/** N messages sent on Graph: the Exchange node's Message → Send against one plain-https sendMail per message. */
async function measureGraphSend(bench: Bench, n: number) {
	const { store } = bench.sandbox.ews;
	let sentBefore = 0;
	const input = () => {
		sentBefore = store.sent.length;
		return { n, to: 'someone@example.com', ...bench.onGraph };
	};
	const check = (sample: Sample<SendResult>) => {
		const sent = store.sent.length - sentBefore;
		expect(sample.worker.ok === n && sent === n, `graph send: ${sample.worker.ok} sent, ${sent} left the sandbox of ${n}`);
		expect(sample.graph.failed === 0, `graph send: ${sample.graph.failed} Graph requests failed`);
		expect(sample.roundTrips === 0 && sample.smtpConnections === 0, `graph send: ${sample.roundTrips} EWS round trips, ${sample.smtpConnections} SMTP connections`);
	};
	const samples = await bench.sideBySide<SendResult>([
		{ name: 'graph send ours', worker: 'send-graph-ours', input, check },
		{ name: 'graph send baseline', worker: 'send-graph-baseline', input, check },
	]);
	const figures = (runs: Array<Sample<SendResult>>) => ({
		...medianOf(
			runs.map((s) => ({ requests: s.graph.requests, batchCalls: s.graph.batchCalls, tokenRequests: s.tokenRequests, wallS: s.worker.wallS, cpuS: s.worker.cpuS, msgsPerS: n / s.worker.wallS, peakRssMB: s.worker.peakRssMB, peakConcurrency: s.graph.peakConcurrency, sandboxCpuS: s.sandboxCpuS })),
		),
		requestsByEndpoint: countEndpoints(runs[0].graph.records),
		wallSRuns: runs.map((s) => round(s.worker.wallS)),
	});
	const ours = figures(samples['graph send ours']);
	const baseline = figures(samples['graph send baseline']);
	return {
		n,
		/** Graph has no bulk send: one sendMail per message is the least (a $batch would still hold N sendMail requests). */
		lowerBoundSendMailRequests: n,
		ours,
		baseline,
		ratios: { wall: round(baseline.wallS / ours.wallS, 2), cpu: round(baseline.cpuS / ours.cpuS, 2) },
	};
}

async function measureTokens(bench: Bench, executions: number) {
	const check = (sample: Sample<SendResult>) => expect(sample.worker.ok === executions, `tokens: ${sample.worker.ok} of ${executions} executions succeeded`);
	const samples = await bench.sideBySide<SendResult>([{ name: 'tokens', worker: 'tokens', input: () => ({ executions }), check }]);
	const runs = samples.tokens;
	const m = medianOf(runs.map((s) => ({ tokenRequests: s.tokenRequests, wallS: s.worker.wallS, ewsRoundTrips: s.roundTrips })));
	return { executions, node: 'Microsoft Exchange (app-only), Folder → Get', ...m, tokenRequestsRuns: runs.map((s) => s.tokenRequests), tokenLifetimeS: 3600 };
}

interface LargeResult extends ImportResult {
	/** sha256 of every binary n8n stored, sorted (hashed after the measured part). */
	sha256?: string[];
}

const MB = 1024 * 1024;
const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/** `count` messages with one attachment of `megabytes` each, in a folder of their own; the attachments' sha256, sorted. */
function deliverLarge(bench: Bench, folderName: string, count: number, megabytes: number) {
	const store = bench.sandbox.ews.store;
	const mailbox = DEMO.sharedMailbox;
	const folder = store.createFolder(mailbox, store.distinguishedFolder(mailbox, 'msgfolderroot')!.id, folderName);
	const hashes: string[] = [];
	for (let i = 0; i < count; i++) {
		const content = randomBytes(megabytes * MB);
		hashes.push(sha256(content));
		store.deliver(mailbox, { from: 'ann@example.com', to: mailbox, subject: `Scan ${i + 1}`, text: 'Scan attached', folder: folder.id, attachments: [{ filename: `scan-${i + 1}.pdf`, content, contentType: 'application/pdf' }] });
	}
	return { folder, hashes: hashes.sort() };
}

/** Checks a large-attachment sample: every message in one poll, every byte n8n stored (sha256), no failed request, the right API. */
function checkLarge(label: string, api: 'ews' | 'graph', count: number, megabytes: number, hashes: string[]) {
	return (sample: Sample<LargeResult>) => {
		const w = sample.worker;
		expect(w.messages === count && w.binaries === count && w.binaryBytes === count * megabytes * MB, `${label}: ${w.messages} messages, ${w.binaries} attachments, ${w.binaryBytes} bytes; ${count} × ${megabytes} MB expected`);
		expect(w.polls === 1, `${label}: ${w.polls} polls, 1 expected`);
		expect(JSON.stringify(w.sha256) === JSON.stringify(hashes), `${label}: what n8n stored differs from the attachments (sha256)`);
		expect(sample.failedRequests === 0 && sample.graph.failed === 0, `${label}: ${sample.failedRequests} EWS and ${sample.graph.failed} Graph requests failed`);
		expect(api === 'ews' ? sample.graph.requests === 0 : sample.roundTrips === 0, `${label}: the other API was called`);
	};
}

const largeFigures = (runs: Array<Sample<LargeResult>>) => {
	const m = medianOf(runs.map((s) => ({ peakRssMB: s.worker.peakRssMB, startRssMB: s.worker.startRssMB, wallS: s.worker.wallS, cpuS: s.worker.cpuS, roundTrips: s.roundTrips, graphRequests: s.graph.requests })));
	return { ...m, peakRssMB: round(m.peakRssMB, 1), startRssMB: round(m.startRssMB, 1), peakRssMBRuns: runs.map((s) => round(s.worker.peakRssMB, 1)) };
};

/** One 50 MB attachment on EWS, in n8n's filesystem binary mode (the single-instance default). */
async function measureLarge(bench: Bench, megabytes: number) {
	const { folder, hashes } = deliverLarge(bench, 'Bench Large', 1, megabytes);
	const input = () => ({ folder: { id: folder.id }, maxMessages: 100, maxAttachmentBytes: megabytes * MB + MB, ...bench.binary('filesystem', true) });
	const samples = await bench.sideBySide<LargeResult>([{ name: 'large', worker: 'import-ours', input, check: checkLarge('large', 'ews', 1, megabytes, hashes) }]);
	const runs = samples.large;
	return { attachmentMB: megabytes, binaryMode: 'filesystem' as BinaryDataMode, ...largeFigures(runs), calls: runs[0].calls };
}

/** Peak RSS target of the large-attachment rows in the filesystem mode (issue 14: inside a 512 MB container). */
const ATTACHMENTS_TARGET_MB = 250;

/**
 * Large attachments through the trigger on both APIs, in n8n's filesystem mode (the single-instance
 * default: constant memory is possible) and database mode (the queue-mode default: n8n reads each
 * attachment whole into one Buffer before the insert, so no target): one attachment of `singleMB`,
 * and `many.count` messages with one attachment of `many.mb` each, all in one poll.
 */
async function measureAttachments(bench: Bench, sizes: AttachmentSizes) {
	const shapes = [
		{ shape: 'single' as const, count: 1, megabytes: sizes.singleMB, ...deliverLarge(bench, 'Bench Attachments Single', 1, sizes.singleMB) },
		{ shape: 'many' as const, count: sizes.many.count, megabytes: sizes.many.mb, ...deliverLarge(bench, 'Bench Attachments Many', sizes.many.count, sizes.many.mb) },
	];
	const modes: BinaryDataMode[] = ['filesystem', 'database'];
	const apis = ['ews', 'graph'] as const;
	const cases = shapes.flatMap((s) =>
		apis.flatMap((api) =>
			modes.map((mode) => {
				const name = `attachments ${s.count} × ${s.megabytes} MB ${api} ${mode}`;
				const folder = api === 'ews' ? { id: s.folder.id } : { id: graphIdOf(s.folder.id, 'folder') };
				const input = () => ({ folder, maxMessages: 100, maxAttachmentBytes: s.megabytes * MB + MB, ...(api === 'graph' ? bench.onGraph : {}), ...bench.binary(mode, true) });
				return { name, worker: 'import-ours', input, check: checkLarge(name, api, s.count, s.megabytes, s.hashes), row: { shape: s.shape, count: s.count, attachmentMB: s.megabytes, api, binaryMode: mode } };
			}),
		),
	);
	const samples = await bench.sideBySide<LargeResult>(cases);
	const rows = cases.map((c) => {
		const figures = largeFigures(samples[c.name]);
		const target =
			c.row.binaryMode === 'filesystem'
				? { peakRssMB: ATTACHMENTS_TARGET_MB as number | null, met: figures.peakRssMB <= ATTACHMENTS_TARGET_MB }
				: // binaryToBuffer collects the chunks, then concatenates them: twice the attachment for a moment.
					{ peakRssMB: null, met: null, reason: `n8n's database mode holds each attachment whole (${2 * c.row.attachmentMB} MB while it concatenates a stream)` };
		return { ...c.row, ...figures, target };
	});
	return { sizes, targetPeakRssMB: ATTACHMENTS_TARGET_MB, rows };
}

// ---------------------------------------------------------------- report

function machine() {
	const cpus = os.cpus();
	let distribution = '';
	try {
		distribution = /^PRETTY_NAME="?([^"\n]*)"?/m.exec(readFileSync('/etc/os-release', 'utf8'))?.[1] ?? '';
	} catch {
		// not Linux
	}
	return {
		cpu: cpus[0]?.model?.trim() ?? 'unknown',
		cores: os.availableParallelism?.() ?? cpus.length,
		memoryGB: round(os.totalmem() / 1024 ** 3, 1),
		node: process.version,
		os: `${distribution || os.type()} (${os.platform()} ${os.release()}, ${os.arch()})`,
	};
}

type Results = Awaited<ReturnType<typeof collect>>;

const fmt = (value: number, digits = 2) => (Number.isInteger(value) ? String(value) : value.toFixed(digits));
const ratio = (value: number) => `${fmt(value, 1)}×`;
const mark = (met: boolean | undefined) => (met ? 'met' : 'MISSED');

function table(rows: string[][]): string {
	const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length)));
	const line = (row: string[]) => `| ${row.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]) : cell.padStart(widths[column]))).join(' | ')} |`;
	return [line(rows[0]), `|${widths.map((w, column) => (column === 0 ? `${'-'.repeat(w + 1)}-` : `${'-'.repeat(w + 1)}:`)).join('|')}|`, ...rows.slice(1).map(line)].join('\n');
}

function targets(r: Results) {
	const { import: i, bulk: b, send: s, graphImport: gi, graphBulk: gb, graphSend: gs, tokens, large, attachments } = r;
	return {
		...(i && {
			importRoundTripsWithin1_1xLowerBound: i.ours.roundTrips <= 1.1 * i.lowerBoundRoundTrips,
			importRoundTrips20x: i.ratios.roundTrips >= 20,
			importWall5x: i.ratios.wall >= 5,
			/** Both sides in n8n's filesystem binary mode. */
			importPeakRssAtMostBaseline: i.ours.peakRssMB <= i.baseline.peakRssMB,
		}),
		...(b && { bulkCallsPerAction: b.ours.markRead.calls <= b.targetCallsPerAction && b.ours.move.calls <= b.targetCallsPerAction, bulkWall10x: b.ratios.wall >= 10 }),
		...(s && { sendWall3x: s.ratios.wall >= 3 }),
		...(gb && { graphBulkRequestsPerAction: gb.ours.markRead.actionRequests <= gb.lowerBoundRequestsPerAction && gb.ours.move.actionRequests <= gb.lowerBoundRequestsPerAction }),
		...((gb || gs) && { graphConcurrencyAtMost4: (gb?.ours.peakConcurrency ?? 0) <= MAILBOX_CONCURRENCY_LIMIT && (gs?.ours.peakConcurrency ?? 0) <= MAILBOX_CONCURRENCY_LIMIT }),
		...(gs && { graphSendOneTokenRequest: gs.ours.tokenRequests === 1 }),
		...(gi && {
			graphImportWithin1_1xLowerBound: gi.ours.requests <= 1.1 * gi.lowerBoundRequests,
			graphImportRequests10x: gi.ratios.requests >= 10,
			/** Both sides in n8n's filesystem binary mode. */
			graphImportPeakRssAtMostBaseline: gi.ours.peakRssMB <= gi.baseline.peakRssMB,
		}),
		...(tokens && { tokensOneRequest: tokens.tokenRequests === 1 }),
		...(large && { largePeakRssAtMost400MB: large.peakRssMB <= 400 }),
		...(attachments && { attachmentsFilesystemPeakRssAtMost250MB: attachments.rows.every((row) => row.target.met !== false) }),
	};
}

type WithTargets = Results & { targets: ReturnType<typeof targets> };

function graphImportRows(g: NonNullable<Results['graphImport']>, t: WithTargets['targets']): string[][] {
	return [
		[
			`Graph import ${g.n} msgs: requests (lower bound ⌈${g.n}/${g.pageSize}⌉ + ⌈${g.attachments.count}/${g.batch}⌉ = ${g.lowerBoundRequests})`,
			fmt(g.ours.requests),
			fmt(g.baseline.requests),
			ratio(g.ratios.requests),
			`≥ 10×; ours ≤ ${Math.floor(1.1 * g.lowerBoundRequests)}`,
			`${mark(t.graphImportRequests10x)}; ${mark(t.graphImportWithin1_1xLowerBound)} (${fmt(g.ratios.oursToLowerBound)}× bound)`,
		],
		['Graph import: wall s', fmt(g.ours.wallS), fmt(g.baseline.wallS), ratio(g.ratios.wall), '', ''],
		assumedRttS ? ['Graph import: wall s if each request took 30 ms more', fmt(atRtt(g.ours.wallS, g.ours.requests)), fmt(atRtt(g.baseline.wallS, g.baseline.requests)), ratio(g.ratios.wallAt30msRttEstimate), '', 'estimate'] : [],
		['Graph import: peak RSS MB (client process, filesystem binary mode)', fmt(g.ours.peakRssMB, 0), fmt(g.baseline.peakRssMB, 0), '', '≤ baseline', mark(t.graphImportPeakRssAtMostBaseline)],
	];
}

function graphBulkRows(b: NonNullable<Results['graphBulk']>): string[][] {
	const bound = b.lowerBoundRequestsPerAction;
	const lookups = (side: typeof b.ours) => fmt(side.markRead.lookupRequests + side.move.lookupRequests);
	return [
		[`Graph bulk ${b.n} items: requests, mark as read (lower bound ⌈${b.n}/${b.batch}⌉ = ${bound})`, fmt(b.ours.markRead.actionRequests), fmt(b.baseline.markRead.actionRequests), ratio(b.baseline.markRead.actionRequests / b.ours.markRead.actionRequests), `≤ ${bound}`, mark(b.ours.markRead.actionRequests <= bound)],
		['Graph bulk: requests, move', fmt(b.ours.move.actionRequests), fmt(b.baseline.move.actionRequests), ratio(b.baseline.move.actionRequests / b.ours.move.actionRequests), `≤ ${bound}`, mark(b.ours.move.actionRequests <= bound)],
		['Graph bulk: folder lookups (not in the bound)', lookups(b.ours), lookups(b.baseline), '', '', ''],
		['Graph bulk: $batch calls', fmt(b.ours.batchCalls), fmt(b.baseline.batchCalls), '', '', ''],
		['Graph bulk: wall s, mark as read + move', fmt(b.ours.wallS), fmt(b.baseline.wallS), ratio(b.ratios.wall), '', ''],
		assumedRttS ? ['Graph bulk: wall s if each request took 30 ms more', fmt(atRtt(b.ours.wallS, b.ours.requests)), fmt(atRtt(b.baseline.wallS, b.baseline.requests)), ratio(b.ratios.wallAt30msRttEstimate), '', 'estimate'] : [],
		['Graph bulk: CPU s (client process)', fmt(b.ours.cpuS), fmt(b.baseline.cpuS), ratio(b.ratios.cpu), '', ''],
		['Graph bulk: peak RSS MB (client process)', fmt(b.ours.peakRssMB, 0), fmt(b.baseline.peakRssMB, 0), '', '', ''],
		['Graph bulk: most concurrent requests per mailbox', fmt(b.ours.peakConcurrency), fmt(b.baseline.peakConcurrency), '', `≤ ${MAILBOX_CONCURRENCY_LIMIT}`, mark(b.ours.peakConcurrency <= MAILBOX_CONCURRENCY_LIMIT)],
	];
}

function graphSendRows(s: NonNullable<Results['graphSend']>, t: WithTargets['targets']): string[][] {
	return [
		[`Graph send ${s.n} msgs: requests (lower bound ${s.lowerBoundSendMailRequests} sendMail)`, fmt(s.ours.requests), fmt(s.baseline.requests), '', '', ''],
		['Graph send: wall s', fmt(s.ours.wallS), fmt(s.baseline.wallS), ratio(s.ratios.wall), '', ''],
		['Graph send: CPU s (client process)', fmt(s.ours.cpuS), fmt(s.baseline.cpuS), ratio(s.ratios.cpu), '', ''],
		['Graph send: peak RSS MB (client process)', fmt(s.ours.peakRssMB, 0), fmt(s.baseline.peakRssMB, 0), '', '', ''],
		['Graph send: token requests', fmt(s.ours.tokenRequests), fmt(s.baseline.tokenRequests), '', '1', mark(t.graphSendOneTokenRequest)],
	];
}

/** The large-attachment rows: one line per shape and binary mode, EWS and Graph side by side. */
function attachmentsTable(a: NonNullable<Results['attachments']>): string {
	const rows = [['Large attachments (trigger, one poll)', 'binary mode', 'EWS peak RSS MB', 'EWS wall s', 'Graph peak RSS MB', 'Graph wall s', 'target', 'EWS', 'Graph']];
	const keys = [...new Set(a.rows.map((row) => `${row.shape} ${row.binaryMode}`))];
	for (const key of keys) {
		const [ews, graph] = (['ews', 'graph'] as const).map((api) => a.rows.find((row) => `${row.shape} ${row.binaryMode}` === key && row.api === api)!);
		const target = ews.target.peakRssMB === null ? 'none (holds it whole)' : `≤ ${ews.target.peakRssMB}`;
		const met = (row: typeof ews) => (row.target.met === null ? '' : mark(row.target.met));
		const what = ews.count === 1 ? `1 × ${ews.attachmentMB} MB attachment` : `${ews.count} × ${ews.attachmentMB} MB (one each)`;
		rows.push([what, ews.binaryMode, fmt(ews.peakRssMB, 0), fmt(ews.wallS), fmt(graph.peakRssMB, 0), fmt(graph.wallS), target, met(ews), met(graph)]);
	}
	return table(rows);
}

export function report(r: WithTargets): string {
	const { import: i, bulk: b, send: s, tokens, large, targets: t } = r;
	const rows = [
		['Measurement', 'ours', 'baseline', 'baseline / ours', 'target', ''],
		...(i
			? [
					[`Import ${i.n} msgs: EWS round trips (lower bound ${i.lowerBoundRoundTrips})`, fmt(i.ours.roundTrips), fmt(i.baseline.roundTrips), ratio(i.ratios.roundTrips), `≥ 20×; ours ≤ ${Math.floor(1.1 * i.lowerBoundRoundTrips)}`, `${mark(t.importRoundTrips20x)}; ${mark(t.importRoundTripsWithin1_1xLowerBound)} (${fmt(i.ratios.oursToLowerBound)}× bound)`],
					['Import: wall s', fmt(i.ours.wallS), fmt(i.baseline.wallS), ratio(i.ratios.wall), '≥ 5×', mark(t.importWall5x)],
					assumedRttS ? ['Import: wall s if each round trip took 30 ms more', fmt(atRtt(i.ours.wallS, i.ours.roundTrips)), fmt(atRtt(i.baseline.wallS, i.baseline.roundTrips)), ratio(i.ratios.wallAt30msRttEstimate), '', 'estimate'] : [],
					['Import: messages / s', fmt(i.ours.msgsPerS, 0), fmt(i.baseline.msgsPerS, 0), '', '', ''],
					['Import: CPU s (client process)', fmt(i.ours.cpuS), fmt(i.baseline.cpuS), ratio(i.ratios.cpu), '', ''],
					['Import: peak RSS MB (client process, filesystem binary mode)', fmt(i.ours.peakRssMB, 0), fmt(i.baseline.peakRssMB, 0), '', '≤ baseline', mark(t.importPeakRssAtMostBaseline)],
				]
			: []),
		...(b
			? [
					[`Bulk ${b.n} items: EWS calls, mark as read`, fmt(b.ours.markRead.calls), fmt(b.baseline.markRead.calls), ratio(b.baseline.markRead.calls / b.ours.markRead.calls), `≤ ${b.targetCallsPerAction} per action`, mark(b.ours.markRead.calls <= b.targetCallsPerAction)],
					['Bulk: EWS calls, move', fmt(b.ours.move.calls), fmt(b.baseline.move.calls), ratio(b.baseline.move.calls / b.ours.move.calls), `≤ ${b.targetCallsPerAction} per action`, mark(b.ours.move.calls <= b.targetCallsPerAction)],
					['Bulk: wall s, mark as read + move', fmt(b.ours.wallS), fmt(b.baseline.wallS), ratio(b.ratios.wall), '≥ 10×', mark(t.bulkWall10x)],
					assumedRttS ? ['Bulk: wall s if each call took 30 ms more', fmt(atRtt(b.ours.wallS, b.ours.calls)), fmt(atRtt(b.baseline.wallS, b.baseline.calls)), ratio(b.ratios.wallAt30msRttEstimate), '', 'estimate'] : [],
				]
			: []),
		...(s
			? [
					[`Send ${s.n} msgs: wall s`, fmt(s.ours.wallS), fmt(s.baseline.wallS), ratio(s.ratios.wall), '≥ 3×', mark(t.sendWall3x)],
					['Send: SMTP connections', fmt(s.ours.smtpConnections), fmt(s.baseline.smtpConnections), '', '', ''],
				]
			: []),
		...(r.graphImport ? graphImportRows(r.graphImport, t) : []),
		...(r.graphBulk ? graphBulkRows(r.graphBulk) : []),
		...(r.graphSend ? graphSendRows(r.graphSend, t) : []),
		...(tokens ? [[`Tokens: token requests for ${tokens.executions} executions`, fmt(tokens.tokenRequests), '', '', '1', mark(t.tokensOneRequest)]] : []),
		...(large
			? [
					[`Large: ${large.attachmentMB} MB attachment, peak RSS MB (filesystem binary mode)`, fmt(large.peakRssMB, 0), '', '', '≤ 400', mark(t.largePeakRssAtMost400MB)],
					['Large: wall s', fmt(large.wallS), '', '', '', ''],
				]
			: []),
	].filter((row) => row.length);
	const tables = rows.length > 1 ? [table(rows)] : [];
	if (r.attachments) tables.push(attachmentsTable(r.attachments));
	return tables.join('\n\n');
}

async function collect(bench: Bench, options: Options) {
	const { only, sizes } = options;
	const run = async <T>(set: RowSet, label: string, measure: () => Promise<T>): Promise<T | undefined> => {
		if (!only.has(set)) return undefined;
		log(`${set}: ${label}…`);
		return await measure();
	};
	const a = sizes.attachments;
	return {
		import: await run('import', `${sizes.import} messages`, () => measureImport(bench, sizes.import)),
		bulk: await run('bulk', `${sizes.bulk} items`, () => measureBulk(bench, sizes.bulk)),
		send: await run('send', `${sizes.send} messages`, () => measureSend(bench, sizes.send)),
		graphImport: await run('graphImport', `${sizes.import} messages`, () => measureGraphImport(bench, sizes.import)),
		graphBulk: await run('graphBulk', `${sizes.bulk} items`, () => measureGraphBulk(bench, sizes.bulk)),
		graphSend: await run('graphSend', `${sizes.send} messages`, () => measureGraphSend(bench, sizes.send)),
		tokens: await run('tokens', `${sizes.tokens} executions`, () => measureTokens(bench, sizes.tokens)),
		large: await run('large', `${sizes.largeMB} MB attachment`, () => measureLarge(bench, sizes.largeMB)),
		attachments: await run('attachments', `1 × ${a.singleMB} MB and ${a.many.count} × ${a.many.mb} MB, EWS and Graph, filesystem and database binary modes`, () => measureAttachments(bench, a)),
	};
}

async function main(): Promise<void> {
	const started = performance.now();
	const options = parseOptions(process.argv.slice(2));
	const sandbox = await startSandbox();
	const tmp = mkdtempSync(join(os.tmpdir(), 'exchange-bench-'));
	try {
		const caFile = join(tmp, 'sandbox-ca.pem');
		writeFileSync(caFile, sandbox.ca);
		const bench = new Bench(sandbox, options, tmp, caFile);
		// The Graph sandbox parses the Graph types on its first request body (about a second): done here, not in a measured case.
		graphTypes();
		if (options.latencyMs) assumedRttS = 0; // measured, not estimated
		log(`bench: ${options.smoke ? 'smoke' : 'default'} sizes, ${options.runs} run(s) per measurement, EWS schema validation ${sandbox.ews.validator ? 'on' : 'OFF'}, ${options.customCa ? 'CA in the credential' : 'CA trusted via NODE_EXTRA_CA_CERTS'}`);
		const measured = await collect(bench, options);
		const results = {
			machine: machine(),
			config: {
				mode: options.smoke ? 'smoke' : 'default',
				runsPerMeasurement: options.runs,
				statistic: 'median',
				sandbox: 'Entra, EWS, Graph and SMTP stand-ins on loopback (HTTPS, STARTTLS), in the parent process; each implementation in a fresh child process',
				ewsSchemaValidation: bench.schemaValidation,
				caInCredential: options.customCa,
				latencyMs: options.latencyMs,
				rowSets: [...options.only],
				binaryData:
					"attachments through n8n-core's prepareBinaryData (2.40.3, the files of n8n 2.40.7); filesystem mode: n8n-core's filesystem manager; database mode: n8n's DatabaseManager with its table stood in by files (test/support/binaryContent.ts)",
				date: new Date().toISOString().slice(0, 10),
			},
			...measured,
		};
		const withTargets = { ...results, targets: targets(results), totalS: round((performance.now() - started) / 1000, 1) };
		writeFileSync(options.out, `${JSON.stringify(withTargets, null, 2)}\n`);
		process.stdout.write(`\n${report(withTargets)}\n\n`);
		process.stdout.write(`Machine: ${withTargets.machine.cpu}, ${withTargets.machine.cores} cores, ${withTargets.machine.memoryGB} GB, Node ${withTargets.machine.node}, ${withTargets.machine.os}\n`);
		process.stdout.write(`Median of ${options.runs} run(s); EWS schema validation ${bench.schemaValidation.on ? `on (${bench.schemaValidation.msPerRequest} ms per request in the sandbox)` : 'off'}; total ${withTargets.totalS} s; results in ${options.out}\n`);
	} finally {
		rmSync(tmp, { recursive: true, force: true });
		await sandbox.stop();
	}
}

if (require.main === module) {
	main().then(
		() => process.exit(0),
		(error) => {
			process.stderr.write(`${(error as Error)?.stack ?? String(error)}\n`);
			process.exit(1);
		},
	);
}
