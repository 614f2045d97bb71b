// Queue-mode pieces for the e2e suites: a private Redis and PostgreSQL (free ports, data in a temporary
// folder, Debian's redis-server and postgresql as .ci/run installs them), n8n workers (`n8n worker`), and the
// environment every instance of one queue-mode n8n shares. Each long-lived process runs in its own process
// group, so stopping it (or killing it with SIGKILL, as a crash does) also ends what it spawned (n8n's task
// runner). Linux only, like processes.ts.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, realpathSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';

import { ensureN8n, freePort, n8nEnv, requireFromN8n, run } from './harness';
import { descendants, isAlive } from './processes';

/** A process we started in its own group; `output()` is what it printed (bounded). */
export interface GroupProcess {
	name: string;
	pid: number;
	child: ChildProcess;
	output(): string;
	exited(): boolean;
	/** SIGKILL to the whole group, at once (a crash: nothing can clean up). */
	kill(): Promise<void>;
	/** `signal` to the group, SIGKILL after `graceMs`. */
	stop(signal?: NodeJS.Signals, graceMs?: number): Promise<void>;
}

// Groups still running when jest's process exits (a timeout, a crash of the suite) are killed on the way out,
// and so are processes registered with killOnExit (an n8n main started by the harness, with its task runner).
const liveGroups = new Set<number>();
const livePids = new Set<number>();
process.once('exit', () => {
	const targets = [...[...liveGroups].map((pid) => -pid), ...[...livePids].flatMap((pid) => [...descendants(pid), pid])];
	for (const target of targets) {
		try {
			process.kill(target, 'SIGKILL');
		} catch {
			// gone
		}
	}
});

/** Kills `pid` and what it spawned if jest exits while it still runs (cleared once it exits). */
export function killOnExit(child: ChildProcess): void {
	if (!child.pid) return;
	const pid = child.pid;
	livePids.add(pid);
	child.once('exit', () => livePids.delete(pid));
}

/** Starts `cmd` in a new process group and resolves once its output matches `ready` (or throws, stopping it). */
export async function startGroup(
	name: string,
	cmd: string,
	args: string[],
	o: { env?: NodeJS.ProcessEnv; cwd?: string; ready: RegExp; timeoutMs?: number },
): Promise<GroupProcess> {
	const child = spawn(cmd, args, { env: o.env ?? process.env, cwd: o.cwd, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
	let output = '';
	const onData = (b: Buffer) => {
		output += b.toString('utf8');
		if (output.length > 2_000_000) output = output.slice(-1_000_000);
	};
	child.stdout!.on('data', onData);
	child.stderr!.on('data', onData);
	let hasExited = false;
	const exitPromise = new Promise<void>((resolve) => child.once('exit', () => ((hasExited = true), resolve())));
	child.once('error', (error) => ((output += `\nspawn error: ${error.message}\n`), (hasExited = true)));
	const pid = child.pid ?? -1;
	if (pid > 0) liveGroups.add(pid);
	void exitPromise.then(() => liveGroups.delete(pid));
	const signalGroup = (signal: NodeJS.Signals) => {
		// The group, and anything that left it (a runner that called setsid) below our pid.
		const below = descendants(pid);
		try {
			process.kill(-pid, signal);
		} catch {
			// the group is gone
		}
		for (const p of below) {
			try {
				if (isAlive(p)) process.kill(p, signal);
			} catch {
				// ended meanwhile
			}
		}
	};
	const stop = async (signal: NodeJS.Signals = 'SIGTERM', graceMs = 20_000) => {
		if (pid < 0 || hasExited) return;
		signalGroup(signal);
		const timer = setTimeout(() => signalGroup('SIGKILL'), graceMs);
		await exitPromise;
		clearTimeout(timer);
		signalGroup('SIGKILL'); // whatever of the group is left once the leader is gone
	};
	const proc: GroupProcess = { name, pid, child, output: () => output, exited: () => hasExited, kill: () => stop('SIGKILL', 0), stop };
	const deadline = Date.now() + (o.timeoutMs ?? 120_000);
	while (!o.ready.test(output)) {
		if (hasExited || Date.now() > deadline) {
			await stop('SIGKILL', 0);
			throw new Error(`${name} ${hasExited ? 'exited during start-up' : 'did not get ready in time'}:\n${output.trimEnd().split('\n').slice(-30).join('\n')}`);
		}
		await new Promise((r) => setTimeout(r, 200));
	}
	return proc;
}

/** A folder the user running PostgreSQL can write: postgres refuses to run as root, so as root it runs as `postgres`. */
async function ownedBy(dir: string, user: { uid: number; gid: number } | undefined): Promise<void> {
	await fs.mkdir(dir, { recursive: true, mode: 0o700 });
	if (user) await fs.chown(dir, user.uid, user.gid);
}

/** The OS user PostgreSQL runs as: ourselves unless we are root, then Debian's `postgres` (the package creates it). */
async function postgresUser(): Promise<{ name: string; uid: number; gid: number } | undefined> {
	if (process.getuid?.() !== 0) return undefined;
	const res = await run('id', ['-u', 'postgres']);
	const gid = await run('id', ['-g', 'postgres']);
	if (res.code !== 0) throw new Error('Running as root, and there is no `postgres` user to run PostgreSQL as (install Debian\'s postgresql package: .ci/run does).');
	return { name: 'postgres', uid: Number(res.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

/** The folder of PostgreSQL's server binaries (initdb, postgres; resolved, as Debian links only some onto PATH): on PATH, else Debian's newest /usr/lib/postgresql/N/bin. */
export function postgresBinDir(): string {
	for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
		if (dir && existsSync(path.join(dir, 'initdb')) && existsSync(path.join(dir, 'postgres'))) return path.dirname(realpathSync(path.join(dir, 'initdb')));
	}
	const root = '/usr/lib/postgresql';
	const versions = existsSync(root) ? readdirSync(root).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a)) : [];
	for (const v of versions) if (existsSync(path.join(root, v, 'bin', 'initdb'))) return path.join(root, v, 'bin');
	throw new Error('PostgreSQL server binaries (initdb, postgres) not found: install Debian\'s postgresql package (.ci/run does).');
}

export function redisServerBin(): string {
	for (const dir of (process.env.PATH ?? '').split(path.delimiter)) if (dir && existsSync(path.join(dir, 'redis-server'))) return path.join(dir, 'redis-server');
	if (existsSync('/usr/bin/redis-server')) return '/usr/bin/redis-server';
	throw new Error('redis-server not found: install Debian\'s redis-server package (.ci/run does).');
}

export interface QueueServices {
	dir: string;
	redis: GroupProcess & { port: number };
	postgres: GroupProcess & { port: number; user: string; database: string };
	/** The environment every n8n instance of this queue-mode setup shares (DB, Redis, queue mode, binary data). */
	env: Record<string, string>;
	/** One SQL query against n8n's database (pg from n8n's own install). */
	query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
	stop(): Promise<void>;
}

interface PgClient {
	connect(): Promise<void>;
	query(sql: string, params?: unknown[]): Promise<{ rows: unknown[] }>;
	end(): Promise<void>;
}

/** Redis and PostgreSQL for one queue-mode n8n, each on a free loopback port with its data under one temp folder. */
export async function startQueueServices(): Promise<QueueServices> {
	const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'n8n-queue-'));
	await fs.chmod(dir, 0o755); // the postgres user must reach its data folder inside
	const started: GroupProcess[] = [];
	try {
		const redisPort = await freePort();
		await fs.mkdir(path.join(dir, 'redis'));
		const redis = await startGroup(
			'redis-server',
			redisServerBin(),
			['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', path.join(dir, 'redis'), '--daemonize', 'no', '--protected-mode', 'yes'],
			{ ready: /Ready to accept connections/, timeoutMs: 30_000 },
		);
		started.push(redis);

		const bin = postgresBinDir();
		const pgUser = await postgresUser();
		const asPgUser = (cmd: string, args: string[]): [string, string[]] =>
			pgUser ? ['setpriv', [`--reuid=${pgUser.uid}`, `--regid=${pgUser.gid}`, '--init-groups', '--reset-env', cmd, ...args]] : [cmd, args];
		const dataDir = path.join(dir, 'pgdata');
		const socketDir = path.join(dir, 'pgsocket');
		await ownedBy(dataDir, pgUser);
		await ownedBy(socketDir, pgUser);
		const database = 'n8n';
		const user = 'n8n';
		// trust on loopback only: the server listens on 127.0.0.1 and a socket in our temp folder, nothing else.
		const [initCmd, initArgs] = asPgUser(path.join(bin, 'initdb'), ['-D', dataDir, '-U', user, '--auth=trust', '-E', 'UTF8', '--locale=C', '--no-sync']);
		const init = await run(initCmd, initArgs, { cwd: dir, timeoutMs: 120_000 });
		if (init.code !== 0) throw new Error(`initdb failed (exit ${init.code}):\n${init.stdout}\n${init.stderr}`);
		const pgPort = await freePort();
		const [pgCmd, pgArgs] = asPgUser(path.join(bin, 'postgres'), [
			'-D', dataDir, '-p', String(pgPort), '-c', 'listen_addresses=127.0.0.1', '-c', `unix_socket_directories=${socketDir}`,
			// A test database: durability off, so 2 cores are not spent on fsync.
			'-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off', '-c', 'max_connections=100',
		]);
		const postgres = await startGroup('postgres', pgCmd, pgArgs, { cwd: dir, ready: /ready to accept connections/, timeoutMs: 60_000 });
		started.push(postgres);
		const env: Record<string, string> = {
			EXECUTIONS_MODE: 'queue',
			QUEUE_BULL_REDIS_HOST: '127.0.0.1',
			QUEUE_BULL_REDIS_PORT: String(redisPort),
			DB_TYPE: 'postgresdb',
			DB_POSTGRESDB_HOST: '127.0.0.1',
			DB_POSTGRESDB_PORT: String(pgPort),
			DB_POSTGRESDB_DATABASE: database,
			DB_POSTGRESDB_USER: user,
			DB_POSTGRESDB_PASSWORD: '',
			// The queue-mode default of 2.x, set so the test does not rest on a default.
			N8N_DEFAULT_BINARY_DATA_MODE: 'database',
		};
		const { Client } = await requireFromN8n<{ Client: new (o: object) => PgClient }>('pg');
		const query = async <T>(sql: string, params?: unknown[], db = database): Promise<T[]> => {
			const client = new Client({ host: '127.0.0.1', port: pgPort, user, database: db });
			await client.connect();
			try {
				return (await client.query(sql, params)).rows as T[];
			} finally {
				await client.end();
			}
		};
		await query(`CREATE DATABASE ${database}`, [], 'postgres');
		let stopping: Promise<void> | undefined;
		return {
			dir,
			redis: Object.assign(redis, { port: redisPort }),
			postgres: Object.assign(postgres, { port: pgPort, user, database }),
			env,
			query,
			stop: () =>
				(stopping ??= (async () => {
					// SIGINT = PostgreSQL's fast shutdown.
					await Promise.all([postgres.stop('SIGINT', 15_000), redis.stop('SIGTERM', 10_000)]);
					await fs.rm(dir, { recursive: true, force: true });
				})()),
		};
	} catch (error) {
		for (const p of started.reverse()) await p.stop('SIGKILL', 0);
		await fs.rm(dir, { recursive: true, force: true });
		throw error;
	}
}

/** `n8n worker --concurrency=N` on its own user folder (the package installed there), in its own process group. */
export async function startWorker(name: string, userFolder: string, queueEnv: Record<string, string>, o: { concurrency?: number; extraEnv?: Record<string, string> } = {}): Promise<GroupProcess> {
	const paths = await ensureN8n();
	const env = n8nEnv(userFolder, { ...queueEnv, N8N_RUNNERS_BROKER_PORT: String(await freePort()), ...o.extraEnv }, paths);
	return await startGroup(name, paths.nodeBin, [paths.n8nMain, 'worker', `--concurrency=${o.concurrency ?? 5}`], {
		env,
		cwd: userFolder,
		ready: /n8n worker is now ready/,
		timeoutMs: 180_000,
	});
}

/** Execution ids a worker's log says it started / finished ("Worker started execution 12 (job 3)"). */
export function workerExecutions(output: string): { started: string[]; finished: string[] } {
	const ids = (re: RegExp) => [...output.matchAll(re)].map((m) => m[1]);
	return { started: ids(/Worker started execution (\d+) \(job/g), finished: ids(/Worker finished execution (\d+) \(job/g) };
}
