// Harness for running a pinned n8n (2.40.7 or 1.123.81, under Node 24) against this package,
// installed the way a community package is installed. Used by the e2e suites, by `npm start`
// (test/sandbox/start.ts) and later by the benchmark. Works under Node 20 (jest, tsx); n8n itself
// always runs under Node 24. Which line: N8N_E2E_VERSION (each jest e2e project sets it, see
// test/e2e/lines/), default 2.40.7. What differs between the lines is in N8N_LINES, nowhere else.
//
// Facts verified against n8n 2.40.7 and 1.123.81 (see the report in test/e2e/README.md):
// - Community packages load from <N8N_USER_FOLDER>/.n8n/nodes/node_modules/n8n-nodes-* as
//   `<package>.<node>`; credential types keep their bare name.
// - Owner setup: POST /rest/owner/setup {email, firstName, lastName, password} (no auth, only while
//   no owner exists); login: POST /rest/login {emailOrLdapLoginId, password} -> cookie `n8n-auth`,
//   bound to the `browser-id` header sent with it.
// - SSRF protection (N8N_SSRF_PROTECTION_ENABLED) is off by default; when on, 127.0.0.0/8 is blocked
//   for node HTTP helpers and n8n's OAuth2 token exchange. We pin it off for the loopback sandbox.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, existsSync, readFileSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

import { descendants } from './processes';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');

// ---------------------------------------------------------------------------------------------
// The supported n8n lines and everything that differs between them
// ---------------------------------------------------------------------------------------------

export interface N8nLine {
	version: string;
	/** `n8n <args>` that makes a workflow active at the next `n8n start` (run while n8n is stopped). */
	activateArgs(workflowId: string): string[];
	/** Environment only this line knows (an unknown module name makes 1.x refuse to start). */
	env: Record<string, string>;
	/** Text in the activation command's output that means it failed although it exited 0. */
	activationFailure: RegExp;
}

export const N8N_LINES = {
	'2.40.7': {
		version: '2.40.7',
		// 2.x activates by publishing the current version; `update:workflow --active` is deprecated there.
		activateArgs: (id: string) => ['publish:workflow', `--id=${id}`],
		// The MCP registry module fetches https://api.n8n.io/api/mcp-servers at start.
		env: { N8N_DISABLED_MODULES: 'mcp-registry' },
		activationFailure: /Error updating database/,
	},
	'1.123.81': {
		version: '1.123.81',
		// 1.x has no publish:workflow.
		activateArgs: (id: string) => ['update:workflow', `--id=${id}`, '--active=true'],
		env: {},
		// Flag errors are logged and exit 0 (commands/update/workflow.js).
		activationFailure: /Error updating database|No update flag|Valid values for flag|Either option|Either something/,
	},
} satisfies Record<string, N8nLine>;

export type N8nVersion = keyof typeof N8N_LINES;
export const DEFAULT_N8N_VERSION: N8nVersion = '2.40.7';
/** The default line's version (kept for callers that read the constant). */
export const N8N_VERSION = DEFAULT_N8N_VERSION;

/** The line this process runs n8n on: N8N_E2E_VERSION, or the default. Throws on an unknown version. */
export function n8nLine(): N8nLine {
	const wanted = process.env.N8N_E2E_VERSION?.trim() || DEFAULT_N8N_VERSION;
	const line = (N8N_LINES as Record<string, N8nLine>)[wanted];
	if (!line) throw new Error(`N8N_E2E_VERSION=${wanted} is not a supported n8n line (${Object.keys(N8N_LINES).join(', ')})`);
	return line;
}

/** Suite titles name the n8n they ran on, so jest's output shows it for each suite. */
export function onN8n(title: string): string {
	return `${title} [n8n ${n8nLine().version}]`;
}
/** Fixed, test-only encryption key: the same key must be used for import and runs. */
export const TEST_ENCRYPTION_KEY = 'n8n-nodes-exchange-oauth-e2e-only-key';
export const CACHE_ROOT = path.join(
	process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'),
	'n8n-nodes-exchange-oauth',
);

export interface N8nPaths {
	harnessDir: string;
	/** Folder holding the Node 24 `node` binary; put it first on PATH for anything n8n-related. */
	nodeBinDir: string;
	nodeBin: string;
	/** `.bin/n8n` shim (shebang `env node`, so it needs nodeBinDir first on PATH). */
	n8nBin: string;
	/** The real entry script, run as `nodeBin n8nMain ...`. */
	n8nMain: string;
}

export interface RunResult {
	code: number | null;
	signal: NodeJS.Signals | null;
	stdout: string;
	stderr: string;
	durationMs: number;
}

export interface RunOptions {
	cwd?: string;
	env?: NodeJS.ProcessEnv;
	timeoutMs?: number;
	/** Forward the child's stderr to ours (progress of long installs). */
	inheritStderr?: boolean;
}

/** Runs a command to completion, capturing stdout/stderr. Never throws on a non-zero exit. */
export function run(cmd: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
	const started = Date.now();
	return new Promise((resolve, reject) => {
		const child = spawn(cmd, args, {
			cwd: opts.cwd,
			env: opts.env ?? process.env,
			stdio: ['ignore', 'pipe', opts.inheritStderr ? 'inherit' : 'pipe'],
		});
		const out: Buffer[] = [];
		const err: Buffer[] = [];
		child.stdout!.on('data', (b: Buffer) => out.push(b));
		child.stderr?.on('data', (b: Buffer) => err.push(b));
		let timer: NodeJS.Timeout | undefined;
		if (opts.timeoutMs) {
			timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs);
		}
		child.on('error', reject);
		child.on('close', (code, signal) => {
			if (timer) clearTimeout(timer);
			resolve({
				code,
				signal,
				stdout: Buffer.concat(out).toString('utf8'),
				stderr: Buffer.concat(err).toString('utf8'),
				durationMs: Date.now() - started,
			});
		});
	});
}

function tail(text: string, lines = 30): string {
	return text.trimEnd().split('\n').slice(-lines).join('\n');
}

// ---------------------------------------------------------------------------------------------
// n8n + Node 24 install
// ---------------------------------------------------------------------------------------------

const ensured = new Map<string, Promise<N8nPaths>>();

/** Installs Node 24 + the line's n8n once (test/e2e/install-n8n.sh) and returns the paths. Memoized per version. */
export function ensureN8n(version: string = n8nLine().version): Promise<N8nPaths> {
	let ensurePromise = ensured.get(version);
	if (ensurePromise) return ensurePromise;
	ensurePromise = (async () => {
		const script = path.join(REPO_ROOT, 'test', 'e2e', 'install-n8n.sh');
		const res = await run('bash', [script, version], { inheritStderr: true, timeoutMs: 20 * 60_000 });
		if (res.code !== 0) {
			throw new Error(`install-n8n.sh failed (exit ${res.code}):\n${tail(res.stdout)}`);
		}
		const harnessDir = res.stdout.trim().split('\n').pop()!.trim();
		const nodeBinDir = path.join(harnessDir, 'node24', 'node_modules', '.bin');
		const paths: N8nPaths = {
			harnessDir,
			nodeBinDir,
			nodeBin: path.join(nodeBinDir, 'node'),
			n8nBin: path.join(harnessDir, 'n8n-app', 'node_modules', '.bin', 'n8n'),
			n8nMain: path.join(harnessDir, 'n8n-app', 'node_modules', 'n8n', 'bin', 'n8n'),
		};
		for (const p of [paths.nodeBin, paths.n8nMain]) {
			if (!existsSync(p)) throw new Error(`n8n harness incomplete, missing ${p} (delete ${harnessDir}/.installed and retry)`);
		}
		return paths;
	})();
	ensured.set(version, ensurePromise);
	ensurePromise.catch(() => ensured.delete(version));
	return ensurePromise;
}

/**
 * A Node binary of the given major version: this process's own when it is that major, the harness's
 * for 24, else the npm package `node@<major>` installed once into the cache (as install-n8n.sh gets 24).
 */
export async function ensureNodeBinary(major: number): Promise<string> {
	if (Number(process.versions.node.split('.')[0]) === major) return process.execPath;
	if (major === 24) return (await ensureN8n()).nodeBin;
	const dir = path.join(CACHE_ROOT, `node${major}`);
	const bin = path.join(dir, 'node_modules', '.bin', 'node');
	if (!existsSync(bin)) {
		await fs.mkdir(dir, { recursive: true });
		if (!existsSync(path.join(dir, 'package.json'))) await fs.writeFile(path.join(dir, 'package.json'), '{"name":"node-binary","private":true}\n');
		// The `node` package links its binary in an install script: scripts on, whatever npx passed down.
		const res = await run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', '--ignore-scripts=false', `node@${major}`], { cwd: dir, timeoutMs: 10 * 60_000 });
		if (res.code !== 0 || !existsSync(bin)) throw new Error(`npm install node@${major} failed (exit ${res.code}):\n${tail(res.stderr)}`);
	}
	return bin;
}

// ---------------------------------------------------------------------------------------------
// Package: pack + install as a community package
// ---------------------------------------------------------------------------------------------

interface RepoPackageJson {
	name: string;
	version: string;
	n8n: { nodes: string[]; credentials: string[] };
}

export function repoPackageJson(): RepoPackageJson {
	return JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as RepoPackageJson;
}

/** Throws a clear error when dist/ lacks any file package.json's "n8n" section points at. */
export function assertBuilt(): void {
	const pkg = repoPackageJson();
	const missing = [...pkg.n8n.nodes, ...pkg.n8n.credentials].filter(
		(rel) => !existsSync(path.join(REPO_ROOT, rel)),
	);
	if (missing.length) {
		throw new Error(
			`The package is not built: ${missing.join(', ')} missing. Run \`npm run build\` before the e2e tests.`,
		);
	}
}

export async function sha256File(file: string): Promise<string> {
	const hash = createHash('sha256');
	for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
	return hash.digest('hex');
}

/**
 * `npm pack` of the (already built) repository into `outDir` (default: a cache folder).
 * npm normalises file times in the tarball, so an unchanged build gives a byte-identical tarball.
 */
// One pack folder per checkout: two clones (or worktrees) packing at once must not overwrite each other's tarball.
export async function packPackage(outDir = path.join(CACHE_ROOT, 'pack', createHash('sha256').update(REPO_ROOT).digest('hex').slice(0, 12))): Promise<string> {
	assertBuilt();
	await fs.mkdir(outDir, { recursive: true });
	const res = await run('npm', ['pack', '--json', '--pack-destination', outDir], {
		cwd: REPO_ROOT,
		timeoutMs: 120_000,
	});
	if (res.code !== 0) throw new Error(`npm pack failed (exit ${res.code}):\n${tail(res.stderr)}`);
	const info = JSON.parse(res.stdout.slice(res.stdout.indexOf('['))) as Array<{ filename: string }>;
	const tarball = path.join(outDir, path.basename(info[0].filename));
	if (!existsSync(tarball)) throw new Error(`npm pack did not produce ${tarball}`);
	return tarball;
}

export interface UserFolderOptions {
	/** Use this folder (created if missing) instead of a fresh temp folder. */
	dir?: string;
	/** PEM of a CA n8n must trust (the sandbox CA); written to <dir>/sandbox-ca.pem for NODE_EXTRA_CA_CERTS. */
	caPem?: string;
}

/** Creates an N8N_USER_FOLDER (n8n keeps its state in <dir>/.n8n). */
export async function createUserFolder(opts: UserFolderOptions = {}): Promise<string> {
	const dir = opts.dir ?? (await fs.mkdtemp(path.join(os.tmpdir(), 'n8n-e2e-')));
	await fs.mkdir(path.join(dir, '.n8n', 'nodes'), { recursive: true });
	if (opts.caPem) await writeSandboxCa(dir, opts.caPem);
	return dir;
}

export async function writeSandboxCa(userFolder: string, caPem: string): Promise<void> {
	await fs.writeFile(path.join(userFolder, 'sandbox-ca.pem'), caPem);
}

export interface InstallResult {
	packageDir: string;
	sha256: string;
	/** 'unchanged' = already installed from the same tarball; 'cache' = copied from an earlier install. */
	how: 'unchanged' | 'cache' | 'npm';
	durationMs: number;
}

/**
 * Installs the tarball as a community package into <userFolder>/.n8n/nodes, the way n8n 2.40.7's own
 * installer does (modules/community-packages/community-packages.service.js, downloadPackage):
 * extract to nodes/node_modules/<name>, drop dev/peer/optional dependencies from its package.json,
 * then `npm install --install-strategy=shallow --ignore-scripts --omit... ` inside that folder, and
 * record it in nodes/package.json. Dropping the peer dependency matters: a plain
 * `npm install <tarball>` would install a second n8n-workflow next to the package (npm >= 7
 * installs peers), and its error classes would not be the ones n8n checks with instanceof.
 *
 * Skips work when the same tarball (by sha256) is already installed there; reuses a cached install
 * of the same tarball from an earlier user folder instead of hitting the registry again.
 */
export async function installPackage(
	userFolder: string,
	tarball: string,
	paths?: N8nPaths,
): Promise<InstallResult> {
	const started = Date.now();
	const p = paths ?? (await ensureN8n());
	const { name } = repoPackageJson();
	const nodesDir = path.join(userFolder, '.n8n', 'nodes');
	const packageDir = path.join(nodesDir, 'node_modules', name);
	const stampFile = path.join(nodesDir, `.${name}.sha256`);
	const sha256 = await sha256File(tarball);

	const stamp = existsSync(stampFile) ? (await fs.readFile(stampFile, 'utf8')).trim() : '';
	if (stamp === sha256 && existsSync(path.join(packageDir, 'package.json'))) {
		return { packageDir, sha256, how: 'unchanged', durationMs: Date.now() - started };
	}

	await fs.mkdir(path.join(nodesDir, 'node_modules'), { recursive: true });
	await fs.rm(packageDir, { recursive: true, force: true });
	const cacheDir = path.join(CACHE_ROOT, 'installed', sha256);
	let how: InstallResult['how'];
	if (existsSync(path.join(cacheDir, '.complete'))) {
		await fs.cp(path.join(cacheDir, 'pkg'), packageDir, { recursive: true });
		how = 'cache';
	} else {
		await fs.mkdir(packageDir, { recursive: true });
		const untar = await run('tar', ['-xzf', tarball, '-C', packageDir, '--strip-components=1']);
		if (untar.code !== 0) throw new Error(`tar failed: ${tail(untar.stderr)}`);
		const pjPath = path.join(packageDir, 'package.json');
		const pj = JSON.parse(await fs.readFile(pjPath, 'utf8')) as Record<string, unknown>;
		delete pj.devDependencies;
		delete pj.peerDependencies;
		delete pj.optionalDependencies;
		await fs.writeFile(pjPath, JSON.stringify(pj, null, 2));
		const env = { ...process.env, PATH: `${p.nodeBinDir}${path.delimiter}${process.env.PATH ?? ''}` };
		const npm = await run(
			'npm',
			[
				'install',
				'--audit=false',
				'--fund=false',
				'--bin-links=false',
				'--install-strategy=shallow',
				'--ignore-scripts=true',
				'--package-lock=false',
				'--loglevel=error',
			],
			{ cwd: packageDir, env, timeoutMs: 5 * 60_000 },
		);
		if (npm.code !== 0) {
			throw new Error(`npm install of ${name} into ${packageDir} failed (exit ${npm.code}):\n${tail(npm.stderr)}`);
		}
		how = 'npm';
		// Cache this install for other user folders (tests create a fresh one each run).
		await fs.rm(cacheDir, { recursive: true, force: true });
		await fs.mkdir(cacheDir, { recursive: true });
		await fs.cp(packageDir, path.join(cacheDir, 'pkg'), { recursive: true });
		await fs.writeFile(path.join(cacheDir, '.complete'), new Date().toISOString());
	}

	// nodes/package.json, as n8n keeps it (updatePackageJsonDependency).
	const nodesPj = path.join(nodesDir, 'package.json');
	let manifest: { name?: string; private?: boolean; dependencies?: Record<string, string> } = {};
	if (existsSync(nodesPj)) manifest = JSON.parse(await fs.readFile(nodesPj, 'utf8'));
	const version = (JSON.parse(await fs.readFile(path.join(packageDir, 'package.json'), 'utf8')) as { version: string }).version;
	manifest = { name: 'installed-nodes', private: true, ...manifest, dependencies: { ...manifest.dependencies, [name]: version } };
	await fs.writeFile(nodesPj, JSON.stringify(manifest, null, 2));
	await fs.writeFile(stampFile, sha256);
	return { packageDir, sha256, how, durationMs: Date.now() - started };
}

// ---------------------------------------------------------------------------------------------
// Environment
// ---------------------------------------------------------------------------------------------

export function freePort(host = '127.0.0.1'): Promise<number> {
	return new Promise((resolve, reject) => {
		const srv = net.createServer();
		srv.unref();
		srv.on('error', reject);
		srv.listen(0, host, () => {
			const { port } = srv.address() as net.AddressInfo;
			srv.close(() => resolve(port));
		});
	});
}

/**
 * Environment for an n8n process using `userFolder`. Starts from our environment minus anything
 * n8n-specific (N8N_*, DB_*, NODE_ENV=test from jest, NODE_OPTIONS from tsx/jest), then:
 * Node 24 first on PATH, isolation, offline switches, and NODE_EXTRA_CA_CERTS when
 * <userFolder>/sandbox-ca.pem exists (Node reads it at start; it makes n8n's own OAuth2 token
 * exchange/refresh and any https helper trust the sandbox CA). `extra` wins over everything.
 */
export function n8nEnv(
	userFolder: string,
	extra: Record<string, string | undefined> = {},
	paths?: N8nPaths,
): NodeJS.ProcessEnv {
	const env: NodeJS.ProcessEnv = {};
	for (const [k, v] of Object.entries(process.env)) {
		if (/^(N8N_|DB_|QUEUE_|EXECUTIONS_|NODE_OPTIONS$|NODE_ENV$|NODE_EXTRA_CA_CERTS$|GENERIC_TIMEZONE$)/.test(k)) continue;
		env[k] = v;
	}
	const binDirs = paths ? [paths.nodeBinDir, path.dirname(paths.n8nBin)] : [];
	Object.assign(env, {
		PATH: [...binDirs, process.env.PATH ?? ''].join(path.delimiter),
		// jest sets NODE_ENV=test, which makes n8n refuse to load nodes ("Not available in tests").
		NODE_ENV: 'production',
		N8N_USER_FOLDER: userFolder,
		N8N_ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
		N8N_LOG_LEVEL: 'info', // the failure path of `n8n execute` logs the run data at info level
		N8N_LOG_OUTPUT: 'console',
		// Offline / quiet
		N8N_DIAGNOSTICS_ENABLED: 'false',
		N8N_VERSION_NOTIFICATIONS_ENABLED: 'false',
		N8N_VERSION_NOTIFICATIONS_WHATS_NEW_ENABLED: 'false',
		N8N_TEMPLATES_ENABLED: 'false',
		N8N_PERSONALIZATION_ENABLED: 'false',
		N8N_HIRING_BANNER_ENABLED: 'false',
		N8N_DYNAMIC_BANNERS_ENABLED: 'false',
		N8N_AI_ENABLED: 'false',
		...n8nLine().env,
		// Community packages stay enabled (that is how ours loads); skip fetching the verified list.
		N8N_COMMUNITY_PACKAGES_ENABLED: 'true',
		N8N_VERIFIED_PACKAGES_ENABLED: 'false',
		N8N_REINSTALL_MISSING_PACKAGES: 'false',
		// Task runners: internal JS runner, no Python venv here.
		N8N_RUNNERS_MODE: 'internal',
		N8N_PYTHON_ENABLED: 'false',
		N8N_ENFORCE_SETTINGS_FILE_PERMISSIONS: 'false',
		// The editor is served on http://localhost: cookies must not require https.
		N8N_SECURE_COOKIE: 'false',
		// SSRF protection is off by default in 2.40.7; pinned off because the sandbox is on 127.0.0.1,
		// which its default block list (127.0.0.0/8) would refuse for node helpers and OAuth2.
		N8N_SSRF_PROTECTION_ENABLED: 'false',
		DB_TYPE: 'sqlite',
	});
	const caFile = path.join(userFolder, 'sandbox-ca.pem');
	if (existsSync(caFile)) env.NODE_EXTRA_CA_CERTS = caFile;
	for (const [k, v] of Object.entries(extra)) {
		if (v === undefined) delete env[k];
		else env[k] = v;
	}
	return env;
}

/** Runs `n8n <args>` under Node 24 with n8nEnv(userFolder). The task broker gets a free port so
 * several n8n processes (a running editor, parallel suites) do not collide on 5679. */
export async function runN8n(
	userFolder: string,
	args: string[],
	opts: { extraEnv?: Record<string, string | undefined>; timeoutMs?: number } = {},
): Promise<RunResult> {
	const paths = await ensureN8n();
	const env = n8nEnv(userFolder, { N8N_RUNNERS_BROKER_PORT: String(await freePort()), ...opts.extraEnv }, paths);
	// bin/n8n loads a .env from its working directory: run it from the user folder.
	return run(paths.nodeBin, [paths.n8nMain, ...args], {
		cwd: userFolder,
		env,
		timeoutMs: opts.timeoutMs ?? 180_000,
	});
}

// ---------------------------------------------------------------------------------------------
// Import / execute
// ---------------------------------------------------------------------------------------------

export interface CredentialExport {
	id: string;
	name: string;
	type: string;
	data: Record<string, unknown>;
}

/** Where `n8n` CLI commands keep their data when it is not the user folder's SQLite (queue mode: Postgres). */
export interface CliEnv {
	extraEnv?: Record<string, string | undefined>;
}

async function importJson(userFolder: string, kind: 'credentials' | 'workflow', payload: unknown, opts: CliEnv = {}): Promise<void> {
	// The file may hold secrets: private mode, removed right after the import.
	const file = path.join(userFolder, `.import-${kind}-${randomBytes(6).toString('hex')}.json`);
	await fs.writeFile(file, JSON.stringify(payload), { mode: 0o600 });
	try {
		const res = await runN8n(userFolder, [`import:${kind}`, `--input=${file}`], opts);
		if (res.code !== 0) {
			throw new Error(`n8n import:${kind} failed (exit ${res.code}):\n${tail(res.stdout)}\n${tail(res.stderr)}`);
		}
	} finally {
		await fs.rm(file, { force: true });
	}
}

/** `n8n import:credentials`: plain-object data is encrypted with the test key; upserts by id. */
export function importCredentials(userFolder: string, creds: CredentialExport[], opts: CliEnv = {}): Promise<void> {
	return importJson(userFolder, 'credentials', creds, opts);
}

/** `n8n import:workflow` of one workflow or an array (each needs an `id`). */
export function importWorkflow(userFolder: string, wf: object | object[], opts: CliEnv = {}): Promise<void> {
	return importJson(userFolder, 'workflow', wf, opts);
}

export interface NodeRun {
	executionStatus?: string;
	data?: { main?: Array<Array<{ json: Record<string, unknown>; binary?: Record<string, unknown> }> | null> };
	error?: { message?: string; description?: string; name?: string; [k: string]: unknown };
	[k: string]: unknown;
}

export interface ExecutionData {
	status?: string;
	finished?: boolean;
	data: {
		resultData: {
			runData: Record<string, NodeRun[]>;
			error?: { message?: string; description?: string; [k: string]: unknown };
			lastNodeExecuted?: string;
		};
	};
	[k: string]: unknown;
}

export interface ExecuteResult extends RunResult {
	/** Parsed run data (printed on success, and logged at info level on failure), if found. */
	execution?: ExecutionData;
	/** True when the process exited 0 and the execution status is success. */
	ok: boolean;
}

/**
 * Extracts the execution JSON from `n8n execute` output. On success it is the whole --rawOutput;
 * on failure 2.40.7 logs "Execution error:" + JSON.stringify(data, null, 2) at info level before
 * the error lines. Both are pretty-printed, so the object spans from a line "{" to a line "}".
 */
export function parseExecutionOutput(stdout: string): ExecutionData | undefined {
	const lines = stdout.split('\n');
	const start = lines.findIndex((l) => l.replace(/\r$/, '') === '{');
	if (start < 0) return undefined;
	for (let end = start + 1; end < lines.length; end++) {
		if (lines[end].replace(/\r$/, '') !== '}') continue;
		try {
			return JSON.parse(lines.slice(start, end + 1).join('\n')) as ExecutionData;
		} catch {
			// keep looking for the closing line of the top-level object
		}
	}
	return undefined;
}

/** `n8n execute --id=<id> --rawOutput`; returns parsed run data plus raw stdout/stderr (for secret scans). */
export async function executeWorkflow(
	userFolder: string,
	workflowId: string,
	opts: { extraEnv?: Record<string, string | undefined>; timeoutMs?: number } = {},
): Promise<ExecuteResult> {
	const res = await runN8n(userFolder, ['execute', `--id=${workflowId}`, '--rawOutput'], opts);
	const execution = parseExecutionOutput(res.stdout);
	return { ...res, execution, ok: res.code === 0 && execution?.status === 'success' };
}

/** JSON items of a node's first output, in a given run (default: first). */
export function nodeOutput(execution: ExecutionData | undefined, nodeName: string, runIndex = 0): Array<Record<string, unknown>> {
	const run = execution?.data.resultData.runData[nodeName]?.[runIndex];
	return (run?.data?.main?.[0] ?? []).map((item) => item.json);
}

export function nodeError(execution: ExecutionData | undefined, nodeName: string, runIndex = 0): NodeRun['error'] {
	return execution?.data.resultData.runData[nodeName]?.[runIndex]?.error;
}

/** Short description of an execute result for assertion messages (never includes run data). */
export function describeRun(res: RunResult & { execution?: ExecutionData }): string {
	return [
		`exit=${res.code} status=${res.execution?.status ?? 'n/a'} (${res.durationMs} ms)`,
		`error: ${res.execution?.data.resultData.error?.message ?? '-'}`,
		'--- stdout (tail) ---',
		tail(res.stdout, 15),
		'--- stderr (tail) ---',
		tail(res.stderr, 15),
	].join('\n');
}

// ---------------------------------------------------------------------------------------------
// Templates + secret scan
// ---------------------------------------------------------------------------------------------

/**
 * Fills `{{NAME}}` placeholders in a JSON template. A string that is exactly one placeholder is
 * replaced by the value as is (numbers, objects); placeholders inside longer strings are replaced
 * textually. Unknown placeholders throw, so a template and its caller cannot drift apart silently.
 */
export function fillTemplate<T = unknown>(template: unknown, vars: Record<string, unknown>): T {
	const fill = (v: unknown): unknown => {
		if (typeof v === 'string') {
			const whole = /^\{\{([A-Z0-9_]+)\}\}$/.exec(v);
			if (whole) {
				if (!(whole[1] in vars)) throw new Error(`template placeholder {{${whole[1]}}} has no value`);
				return vars[whole[1]];
			}
			return v.replace(/\{\{([A-Z0-9_]+)\}\}/g, (_, name: string) => {
				if (!(name in vars)) throw new Error(`template placeholder {{${name}}} has no value`);
				return String(vars[name]);
			});
		}
		if (Array.isArray(v)) return v.map(fill);
		if (v && typeof v === 'object') {
			// Keys may hold placeholders too (e.g. the credential type under a node's "credentials").
			return Object.fromEntries(Object.entries(v).map(([k, val]) => [fill(k) as string, fill(val)]));
		}
		return v;
	};
	return fill(template) as T;
}

export async function loadTemplate<T = unknown>(file: string, vars: Record<string, unknown>): Promise<T> {
	return fillTemplate<T>(JSON.parse(await fs.readFile(file, 'utf8')), vars);
}

/** Any JWT (header.payload.signature, both JSON parts start with `{"` -> `eyJ`). */
export const JWT_PATTERN = /eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/;

/** What n8n printed and stored for each labelled run, keyed for findLeaks (stdout, stderr, run data). */
export function runTexts(runs: Array<{ label: string; res: ExecuteResult }>): Record<string, string> {
	const texts: Record<string, string> = {};
	for (const { label, res } of runs) {
		texts[`${label}: stdout`] = res.stdout;
		texts[`${label}: stderr`] = res.stderr;
		texts[`${label}: run data`] = JSON.stringify(res.execution ?? {});
	}
	return texts;
}

/**
 * Looks for each secret (and its base64 form) in each text. Returns only labels, e.g.
 * "clientSecret in stdout", never the secret itself, so the result is safe to print.
 */
export function findLeaks(texts: Record<string, string>, secrets: Record<string, string | undefined>): string[] {
	const leaks: string[] = [];
	for (const [secretLabel, secret] of Object.entries(secrets)) {
		if (!secret || secret.length < 8) continue;
		const forms = [secret, Buffer.from(secret).toString('base64')];
		// PEM: also look for the body lines, in case the header is stripped.
		if (secret.includes('-----BEGIN')) {
			for (const line of secret.split('\n')) if (line.length >= 40 && !line.startsWith('-----')) forms.push(line.trim());
		}
		for (const [where, text] of Object.entries(texts)) {
			if (forms.some((f) => text.includes(f))) leaks.push(`${secretLabel} in ${where}`);
		}
	}
	for (const [where, text] of Object.entries(texts)) {
		if (JWT_PATTERN.test(text)) leaks.push(`a JWT-shaped token in ${where}`);
	}
	return leaks;
}

// ---------------------------------------------------------------------------------------------
// Running n8n as a server + REST
// ---------------------------------------------------------------------------------------------

export interface RunningN8n {
	process: ChildProcess;
	port: number;
	baseUrl: string;
	/** Everything n8n printed so far (stdout + stderr), for diagnostics and secret scans. */
	output(): string;
	stop(): Promise<void>;
	/** SIGKILL n8n and what it started (task runner): a crash, no shutdown hooks, nothing saved on the way out. */
	kill(): Promise<void>;
}

export interface StartN8nOptions {
	port?: number;
	extraEnv?: Record<string, string | undefined>;
	timeoutMs?: number;
	/** Called with each chunk n8n prints (e.g. to echo to the console). */
	onOutput?: (chunk: string) => void;
}

async function httpOk(url: string): Promise<boolean> {
	try {
		const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
		await res.arrayBuffer();
		return res.ok;
	} catch {
		return false;
	}
}

/** What `n8n start` prints once its own server listens (1.x and 2.x). */
const N8N_LISTENING = 'Editor is now accessible via';

/**
 * `n8n start` in the background; resolves once this n8n says it listens and its REST API answers.
 * A port from freePort() can be taken by another process before n8n binds it (suites run in parallel,
 * each starting n8n processes with their own free ports): then this n8n exits with EADDRINUSE, and
 * whatever answers on the port is not it. Such a start is retried on fresh ports (unless a port was given).
 */
export async function startN8n(userFolder: string, opts: StartN8nOptions = {}): Promise<RunningN8n> {
	for (let attempt = 1; ; attempt++) {
		try {
			return await startN8nOnce(userFolder, opts);
		} catch (error) {
			if (!(error instanceof PortTaken) || opts.port !== undefined || attempt >= 3) throw error;
		}
	}
}

class PortTaken extends Error {}

async function startN8nOnce(userFolder: string, opts: StartN8nOptions): Promise<RunningN8n> {
	const paths = await ensureN8n();
	const port = opts.port ?? (await freePort());
	const baseUrl = `http://localhost:${port}`;
	if (await httpOk(`${baseUrl}/healthz`)) {
		throw new PortTaken(`Something already answers on ${baseUrl} (another n8n?). Stop it or choose another port.`);
	}
	const env = n8nEnv(
		userFolder,
		{
			N8N_PORT: String(port),
			N8N_HOST: 'localhost',
			N8N_PROTOCOL: 'http',
			N8N_EDITOR_BASE_URL: `${baseUrl}/`,
			WEBHOOK_URL: `${baseUrl}/`,
			N8N_RUNNERS_BROKER_PORT: String(await freePort()),
			...opts.extraEnv,
		},
		paths,
	);
	const child = spawn(paths.nodeBin, [paths.n8nMain, 'start'], { cwd: userFolder, env, stdio: ['ignore', 'pipe', 'pipe'] });
	let output = '';
	const onData = (b: Buffer) => {
		const s = b.toString('utf8');
		output += s;
		if (output.length > 2_000_000) output = output.slice(-1_000_000);
		opts.onOutput?.(s);
	};
	child.stdout!.on('data', onData);
	child.stderr!.on('data', onData);
	let exited = false;
	const exitPromise = new Promise<void>((resolve) => child.once('exit', () => ((exited = true), resolve())));

	const stop = async () => {
		if (exited) return;
		child.kill('SIGTERM');
		const killTimer = setTimeout(() => child.kill('SIGKILL'), 30_000);
		await exitPromise;
		clearTimeout(killTimer);
	};

	const deadline = Date.now() + (opts.timeoutMs ?? 180_000);
	const exitedEarly = () => (/EADDRINUSE|is already in use/.test(output) ? new PortTaken(`n8n could not bind its ports:\n${tail(output, 10)}`) : new Error(`n8n exited during start-up:\n${tail(output, 40)}`));
	// Our n8n's own word that it listens, so a server that took the port meanwhile is never mistaken for it.
	while (!output.includes(N8N_LISTENING) || !(await httpOk(`${baseUrl}/healthz`))) {
		if (exited) throw exitedEarly();
		if (/is already in use/.test(output)) {
			await stop();
			throw exitedEarly();
		}
		if (Date.now() > deadline) {
			await stop();
			throw new Error(`n8n did not answer ${baseUrl}/healthz in time:\n${tail(output, 40)}`);
		}
		await new Promise((r) => setTimeout(r, 300));
	}
	// /healthz answers before the REST API is mounted: wait for the public settings too.
	while (!(await httpOk(`${baseUrl}/rest/settings`))) {
		if (exited) throw exitedEarly();
		if (Date.now() > deadline) {
			await stop();
			throw new Error(`n8n REST API did not come up in time:\n${tail(output, 40)}`);
		}
		await new Promise((r) => setTimeout(r, 300));
	}
	const kill = async () => {
		if (exited) return;
		const family = [...descendants(child.pid!), child.pid!];
		for (const pid of family) {
			try {
				process.kill(pid, 'SIGKILL');
			} catch {
				// already gone
			}
		}
		await exitPromise;
	};
	return { process: child, port, baseUrl, output: () => output, stop, kill };
}

export interface OwnerAccount {
	email: string;
	firstName: string;
	lastName: string;
	/** 8-64 chars, at least one digit and one uppercase letter (n8n's password schema). */
	password: string;
}

export interface RestSession {
	baseUrl: string;
	cookie: string;
	browserId: string;
	/** Authenticated JSON request against /rest; returns the `data` member when present. */
	request<T = unknown>(method: string, restPath: string, body?: unknown): Promise<T>;
}

async function restJson(res: Response): Promise<unknown> {
	const text = await res.text();
	try {
		return JSON.parse(text);
	} catch {
		return text;
	}
}

/** True while the instance has no owner yet (public settings: userManagement.showSetupOnFirstLoad). */
export async function needsOwnerSetup(baseUrl: string): Promise<boolean> {
	const res = await fetch(`${baseUrl}/rest/settings`);
	const body = (await restJson(res)) as { data?: { userManagement?: { showSetupOnFirstLoad?: boolean } } };
	if (!res.ok) throw new Error(`GET /rest/settings: HTTP ${res.status}`);
	return body.data?.userManagement?.showSetupOnFirstLoad === true;
}

/** Creates the instance owner on a fresh instance (POST /rest/owner/setup); no-op when one exists. */
export async function ensureOwner(baseUrl: string, owner: OwnerAccount): Promise<'created' | 'existing'> {
	if (!(await needsOwnerSetup(baseUrl))) return 'existing';
	const res = await fetch(`${baseUrl}/rest/owner/setup`, {
		method: 'POST',
		headers: { 'content-type': 'application/json', 'browser-id': 'n8n-e2e-harness' },
		body: JSON.stringify(owner),
	});
	if (!res.ok) {
		const body = (await restJson(res)) as { message?: string };
		throw new Error(`POST /rest/owner/setup: HTTP ${res.status} ${body?.message ?? ''}`);
	}
	return 'created';
}

/**
 * The owner's REST session on a just-started n8n: creates the owner if n8n asks for one, then signs in,
 * both again until it works. On a loaded machine n8n can answer /rest/settings before its owner state is
 * read (no setup asked for, yet no owner: every login a 401) and its REST routes with 404 for a moment.
 * n8n allows 5 logins per minute per address (then HTTP 429 for the rest of the minute), and a browser
 * may sign in too: at most one try every `intervalMs`.
 */
export async function ownerSession(baseUrl: string, owner: OwnerAccount, timeoutMs = 150_000, intervalMs = 15_000): Promise<RestSession> {
	return await waitFor(
		'n8n to accept the owner login',
		async () => {
			await ensureOwner(baseUrl, owner);
			return await login(baseUrl, owner.email, owner.password);
		},
		timeoutMs,
		intervalMs,
	);
}

/** POST /rest/login; the auth cookie is bound to the browser-id header, which request() repeats. */
export async function login(baseUrl: string, email: string, password: string): Promise<RestSession> {
	const browserId = `e2e-${randomBytes(8).toString('hex')}`;
	const res = await fetch(`${baseUrl}/rest/login`, {
		method: 'POST',
		headers: { 'content-type': 'application/json', 'browser-id': browserId },
		body: JSON.stringify({ emailOrLdapLoginId: email, password }),
	});
	if (!res.ok) throw new Error(`POST /rest/login: HTTP ${res.status}`);
	const setCookies = res.headers.getSetCookie?.() ?? [res.headers.get('set-cookie') ?? ''];
	const auth = setCookies.map((c) => c.split(';')[0]).find((c) => c.startsWith('n8n-auth='));
	if (!auth) throw new Error('POST /rest/login: no n8n-auth cookie in the response');
	await res.arrayBuffer().catch(() => undefined);
	const session: RestSession = {
		baseUrl,
		cookie: auth,
		browserId,
		async request<T>(method: string, restPath: string, body?: unknown): Promise<T> {
			const r = await fetch(`${baseUrl}/rest${restPath.startsWith('/') ? '' : '/'}${restPath}`, {
				method,
				headers: {
					cookie: auth,
					'browser-id': browserId,
					...(body === undefined ? {} : { 'content-type': 'application/json' }),
				},
				body: body === undefined ? undefined : JSON.stringify(body),
			});
			const parsed = (await restJson(r)) as { data?: T; message?: string };
			if (!r.ok) throw new Error(`${method} /rest${restPath}: HTTP ${r.status} ${parsed?.message ?? ''}`);
			return (parsed && typeof parsed === 'object' && 'data' in parsed ? parsed.data : parsed) as T;
		},
	};
	return session;
}

// ---------------------------------------------------------------------------------------------
// Delegated token data from the sandbox (authorization-code flow, as the Connect button does)
// ---------------------------------------------------------------------------------------------

export interface AuthCodeFlowOptions {
	authorizeUrl: string;
	tokenUrl: string;
	clientId: string;
	clientSecret: string;
	redirectUri: string;
	scope: string;
	loginHint?: string;
	/** PEM of the CA that signed the sandbox's certificate. */
	ca: string;
}

export interface OAuthTokenData {
	access_token: string;
	refresh_token?: string;
	token_type: string;
	expires_in: number;
	scope?: string;
	[k: string]: unknown;
}

function httpsRequest(
	url: string,
	opts: { method: string; ca: string; headers?: Record<string, string>; body?: string },
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
	// node:https rather than fetch: fetch (undici) cannot take a per-request CA.
	// eslint-disable-next-line @typescript-eslint/no-require-imports
	const https = require('node:https') as typeof import('node:https');
	return new Promise((resolve, reject) => {
		const req = https.request(url, { method: opts.method, ca: opts.ca, headers: opts.headers }, (res) => {
			const chunks: Buffer[] = [];
			res.on('data', (c: Buffer) => chunks.push(c));
			res.on('end', () =>
				resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }),
			);
		});
		req.on('error', reject);
		if (opts.body) req.write(opts.body);
		req.end();
	});
}

/** GET authorize (sandbox consents at once: 302 with ?code) then POST token with the code. */
export async function authorizationCodeFlow(o: AuthCodeFlowOptions): Promise<OAuthTokenData> {
	const state = randomBytes(8).toString('hex');
	const q = new URLSearchParams({
		client_id: o.clientId,
		response_type: 'code',
		redirect_uri: o.redirectUri,
		scope: o.scope,
		state,
		...(o.loginHint ? { login_hint: o.loginHint } : {}),
	});
	const auth = await httpsRequest(`${o.authorizeUrl}?${q}`, { method: 'GET', ca: o.ca });
	const location = auth.headers.location;
	if (auth.status !== 302 || typeof location !== 'string') {
		throw new Error(`authorize: expected a 302 with Location, got HTTP ${auth.status}`);
	}
	const back = new URL(location);
	if (back.searchParams.get('error')) {
		throw new Error(`authorize: ${back.searchParams.get('error')}: ${back.searchParams.get('error_description')}`);
	}
	if (back.searchParams.get('state') !== state) throw new Error('authorize: state mismatch');
	const code = back.searchParams.get('code');
	if (!code) throw new Error('authorize: no code in the redirect');
	const form = new URLSearchParams({
		grant_type: 'authorization_code',
		client_id: o.clientId,
		client_secret: o.clientSecret,
		code,
		redirect_uri: o.redirectUri,
		scope: o.scope,
	}).toString();
	const tok = await httpsRequest(o.tokenUrl, {
		method: 'POST',
		ca: o.ca,
		headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': String(Buffer.byteLength(form)) },
		body: form,
	});
	const parsed = JSON.parse(tok.body) as OAuthTokenData & { error?: string; error_codes?: number[] };
	if (tok.status !== 200 || !parsed.access_token) {
		throw new Error(`token (authorization_code): HTTP ${tok.status} ${parsed.error ?? ''} ${parsed.error_codes?.join(',') ?? ''}`);
	}
	return parsed;
}

// ---------------------------------------------------------------------------------------------
// Active workflows (triggers) and reading executions back
// ---------------------------------------------------------------------------------------------

/**
 * Marks a workflow active from the CLI, the line's way (N8N_LINES: `publish:workflow` on 2.x,
 * `update:workflow --active=true` on 1.x). Run it while n8n is stopped; `n8n start` then activates
 * the workflow. (`import:workflow` deactivates everything it imports unless in queue mode.)
 */
export async function activateWorkflow(userFolder: string, workflowId: string, opts: CliEnv = {}): Promise<void> {
	const line = n8nLine();
	const args = line.activateArgs(workflowId);
	const res = await runN8n(userFolder, args, opts);
	if (res.code !== 0 || line.activationFailure.test(res.stdout + res.stderr)) {
		throw new Error(`n8n ${args.join(' ')} failed on n8n ${line.version} (exit ${res.code}):\n${tail(res.stdout)}\n${tail(res.stderr)}`);
	}
}

/** The earlier name of activateWorkflow (2.x calls activating "publishing"). */
export const publishWorkflow = activateWorkflow;

/** Loads a module from the harness's n8n install (e.g. `flatted`, which n8n uses for execution data). */
export async function requireFromN8n<T = unknown>(moduleName: string): Promise<T> {
	const paths = await ensureN8n();
	const resolved = require.resolve(moduleName, { paths: [path.join(paths.harnessDir, 'n8n-app', 'node_modules', 'n8n')] });
	// eslint-disable-next-line @typescript-eslint/no-require-imports
	return require(resolved) as T;
}

/**
 * Rows of a read-only query on the user folder's SQLite database, read by the harness's Node 24 with n8n's own
 * sqlite3 (built for that Node, so not loadable in jest). For what REST does not show, e.g. `poller_state`.
 */
export async function querySqlite<T = Record<string, unknown>>(userFolder: string, sql: string): Promise<T[]> {
	const paths = await ensureN8n();
	const script = `const sqlite3 = require(${JSON.stringify(path.join(paths.harnessDir, 'n8n-app', 'node_modules', 'sqlite3'))});
const db = new sqlite3.Database(process.argv[1], sqlite3.OPEN_READONLY, (error) => { if (error) { console.error(error.message); process.exit(2); } });
db.all(process.argv[2], (error, rows) => { if (error) { console.error(error.message); process.exit(3); } process.stdout.write(JSON.stringify(rows)); db.close(); });`;
	const res = await run(paths.nodeBin, ['-e', script, path.join(userFolder, '.n8n', 'database.sqlite'), sql], { timeoutMs: 30_000 });
	if (res.code !== 0) throw new Error(`SQLite query failed (exit ${res.code}): ${res.stderr.trim()}\n${sql}`);
	return JSON.parse(res.stdout) as T[];
}

export interface ExecutionSummary {
	id: string;
	workflowId: string;
	mode: string;
	status: string;
	finished?: boolean;
	startedAt?: string;
	stoppedAt?: string;
}

/** GET /rest/executions for one workflow (newest first), as the editor's execution list reads it. */
export async function listExecutions(session: RestSession, workflowId: string): Promise<ExecutionSummary[]> {
	const filter = encodeURIComponent(JSON.stringify({ workflowId }));
	const body = await session.request<{ results?: ExecutionSummary[]; count?: number } | ExecutionSummary[]>('GET', `/executions?filter=${filter}&limit=100`);
	const results = Array.isArray(body) ? body : (body.results ?? []);
	return results.map((e) => ({ ...e, id: String(e.id) }));
}

/** GET /rest/executions/:id; n8n 2.40.7 returns `data` as a flatted string, parsed here. */
export async function getExecution(session: RestSession, executionId: string): Promise<ExecutionSummary & { data: ExecutionData['data'] }> {
	const body = await session.request<ExecutionSummary & { data: string | ExecutionData['data'] }>('GET', `/executions/${executionId}`);
	const flatted = await requireFromN8n<{ parse(text: string): unknown }>('flatted');
	const data = typeof body.data === 'string' ? (flatted.parse(body.data) as ExecutionData['data']) : body.data;
	return { ...body, id: String(body.id), data };
}

/** Bytes of a binary data id from run data (filesystem/database mode) via GET /rest/binary-data. */
export async function downloadBinaryData(session: RestSession, binaryDataId: string): Promise<Buffer> {
	const res = await fetch(`${session.baseUrl}/rest/binary-data?id=${encodeURIComponent(binaryDataId)}&action=download`, {
		headers: { cookie: session.cookie, 'browser-id': session.browserId },
	});
	if (!res.ok) throw new Error(`GET /rest/binary-data: HTTP ${res.status}`);
	return Buffer.from(await res.arrayBuffer());
}

/** Polls `check` until it returns a value other than undefined, or throws after `timeoutMs`. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined> | T | undefined, timeoutMs: number, intervalMs = 1000): Promise<T> {
	const deadline = Date.now() + timeoutMs;
	let lastError: unknown;
	for (;;) {
		try {
			const value = await check();
			if (value !== undefined) return value;
		} catch (error) {
			lastError = error;
		}
		if (Date.now() > deadline) {
			throw new Error(`Timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}${lastError ? ` (last error: ${(lastError as Error).message})` : ''}`);
		}
		await new Promise((r) => setTimeout(r, intervalMs));
	}
}
