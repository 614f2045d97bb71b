/**
 * "Never misses, never duplicates" under fire, on both Mailbox APIs: 2,000+ messages arrive in bursts
 * while the trigger polls; at least 10% of the API's calls fail in every way the API fails (EWS:
 * throttling with and without back-off, 503, dropped connections, timeouts, expired tokens, one
 * invalid sync state; Graph: 429 with and without Retry-After, 429 for single requests inside a
 * $batch, 503, 504, dropped connections, timeouts, 401 expired token, one expired delta token); the
 * poller is "restarted" from its saved static data again and again. With de-duplication switched off
 * the same run duplicates (the control at the end), so the check can fail. Bounded: seconds, not minutes.
 */
import { clearAppOnlyTokenCache } from '../../nodes/shared/auth/appOnlyToken';
import { DEMO, type Sandbox } from '../sandbox';
import type { EwsFault, GraphFault, GraphFaultOptions } from '../sandbox';
import { useSandbox } from '../support/useSandbox';
import { EWS, GRAPH, type TriggerApi } from './apis';
import { Poller, settingsFor } from './pollHarness';

const currentSandbox = useSandbox();
let sandbox: Sandbox;
beforeAll(() => {
	sandbox = currentSandbox();
});

/** Deterministic pseudo-random numbers, so a failure can be replayed. */
function random(seed: number) {
	let x = seed;
	return () => {
		x = (x * 1103515245 + 12345) % 2147483648;
		return x / 2147483648;
	};
}

/** Attempts per call and the deadline of one attempt: a 'slow' answer (600 ms) is a timeout. */
const CLIENT = { maxAttempts: 3, timeoutMs: 400 };

interface Weapon {
	label: string;
	/** Queues `count` faults of this kind for the coming calls. */
	arm: (count: number) => void;
}

interface Arsenal {
	api: TriggerApi;
	/** Faults of the whole call: about two polls in three get one or two (of one or two calls each). */
	weapons: Weapon[];
	/** Faults of single requests inside a $batch, armed for every poll (`count` drawn per poll). */
	inBatch?: { weapon: Weapon; most: number };
	/** Every call since the last reset (Graph: $batch members too, Graph throttles each): failed or not, and by which fault. */
	calls: () => Array<{ failed: boolean; fault?: string }>;
}

const ews = (fault: EwsFault): Weapon => ({ label: fault, arm: (count) => sandbox.ews.failNext(fault, count, { backOffMs: 5, delayMs: 600 }) });
const graph = (label: string, fault: GraphFault, options: GraphFaultOptions = {}): Weapon => ({ label, arm: (count) => sandbox.graph.failNext(fault, count, { delayMs: 600, ...options }) });

const ARSENALS: Arsenal[] = [
	{
		api: EWS,
		weapons: (['ErrorServerBusy', 'ErrorServerBusyNoBackOff', 'http503', 'drop', 'expiredToken', 'slow'] as EwsFault[]).map(ews),
		calls: () => sandbox.ews.requests.map((r) => ({ failed: r.status !== 200 || r.fault !== undefined, fault: r.fault })),
	},
	{
		api: GRAPH,
		weapons: [
			graph('429 with Retry-After', 'throttled', { retryAfter: '0.005' }),
			graph('429 without Retry-After', 'throttled', { retryAfter: null }),
			graph('503', 'http503', { retryAfter: null }),
			graph('504', 'http504'),
			graph('dropped connection', 'drop'),
			graph('timeout', 'slow'),
			graph('401 expired token', 'expiredToken'),
		],
		// Graph throttles each request of a $batch on its own; the member's 429 is retried with the next batch.
		inBatch: { weapon: graph('429 inside $batch', 'throttled', { endpoint: 'GET /messages/{id}', retryAfter: '0.005' }), most: 16 },
		calls: () => sandbox.graph.requests.map((r) => ({ failed: r.status < 200 || r.status >= 300 || r.fault !== undefined, fault: r.fault === undefined ? r.code : `${r.fault}${r.inBatch ? ' in $batch' : ''}` })),
	},
];

interface SoakResult {
	delivered: number;
	missed: string[];
	duplicated: string[];
	unexpected: string[];
	polls: number;
	failedPolls: number;
	restarts: number;
	calls: number;
	failedCalls: number;
	/** Failed calls per fault kind. */
	byFault: Record<string, number>;
	invalidCursorInjected: boolean;
}

async function soak(arsenal: Arsenal, total: number, options: { folder: string; forgetEmitted?: boolean }): Promise<SoakResult> {
	const rand = random(20261123);
	const mailbox = DEMO.sharedMailbox;
	sandbox.ews.store.createFolder(mailbox, 'inbox', options.folder);
	const folder = `Inbox/${options.folder}`;
	sandbox.ews.reset();
	sandbox.graph.reset();
	const settings = settingsFor({ folder: { path: folder }, maxMessages: 150 });
	const newPoller = () => new Poller(sandbox, settings, { ...CLIENT, mailboxApi: arsenal.api.api, forgetEmitted: options.forgetEmitted });
	let poller = newPoller();

	const delivered = new Set<string>();
	const emitted = new Map<string, number>();
	let sent = 0;
	let polls = 0;
	let failedPolls = 0;
	let restarts = 0;
	let invalidCursorInjected = false;
	const calls: Array<{ failed: boolean; fault?: string }> = [];

	const pollOnce = async () => {
		polls++;
		try {
			for (const item of await poller.poll()) {
				const subject = String(item.json.subject);
				emitted.set(subject, (emitted.get(subject) ?? 0) + 1);
			}
		} catch {
			failedPolls++; // the cursor stays; the next poll catches up
		}
	};

	while (sent < total) {
		// A burst of mail.
		const burst = Math.min(total - sent, Math.floor(rand() * 80));
		for (let i = 0; i < burst; i++, sent++) {
			const subject = `soak-${sent}`;
			sandbox.ews.store.deliver(mailbox, { from: 'load@example.test', to: mailbox, subject, text: subject, folder });
			delivered.add(subject);
		}
		// Faults for this poll's calls (what the last poll left unused is dropped, so faults do not pile up).
		calls.push(...arsenal.calls());
		sandbox.ews.reset();
		sandbox.graph.reset();
		if (rand() < 0.7) {
			for (let n = rand() < 0.5 ? 2 : 1; n > 0; n--) arsenal.weapons[Math.floor(rand() * arsenal.weapons.length)].arm(rand() < 0.3 ? 2 : 1);
		}
		if (arsenal.inBatch) arsenal.inBatch.weapon.arm(1 + Math.floor(rand() * arsenal.inBatch.most));
		if (!invalidCursorInjected && sent > total / 2) {
			arsenal.api.fail(sandbox, 'invalidCursor', 1);
			invalidCursorInjected = true;
		}
		await pollOnce();
		// A restart: a new poller process reading the saved static data, with an empty token cache.
		if (rand() < 0.3) {
			const saved = poller.staticData;
			poller = newPoller();
			poller.staticData = saved;
			clearAppOnlyTokenCache();
			restarts++;
		}
	}
	// Mail stops arriving; faults stop; the trigger catches up.
	calls.push(...arsenal.calls());
	sandbox.ews.reset();
	sandbox.graph.reset();
	for (let i = 0; i < 40 && [...delivered].some((subject) => !emitted.has(subject)); i++) await pollOnce();

	calls.push(...arsenal.calls());
	const failed = calls.filter((call) => call.failed);
	const byFault: Record<string, number> = {};
	for (const call of failed) byFault[call.fault ?? 'answer'] = (byFault[call.fault ?? 'answer'] ?? 0) + 1;
	return {
		delivered: delivered.size,
		missed: [...delivered].filter((subject) => !emitted.has(subject)),
		duplicated: [...emitted].filter(([, count]) => count > 1).map(([subject]) => subject),
		unexpected: [...emitted.keys()].filter((subject) => !delivered.has(subject)),
		polls,
		failedPolls,
		restarts,
		calls: calls.length,
		failedCalls: failed.length,
		byFault,
		invalidCursorInjected,
	};
}

describe.each(ARSENALS)('on $api.label', (arsenal) => {
	it('delivers every message exactly once through faults and restarts', async () => {
		const result = await soak(arsenal, 2000, { folder: `Soak${arsenal.api.label}` });
		console.log(
			`soak (${arsenal.api.label}): delivered ${result.delivered}, missed ${result.missed.length}, duplicated ${result.duplicated.length}; ` +
				`polls ${result.polls} (${result.failedPolls} failed), restarts ${result.restarts}; calls ${result.calls}, failed ${result.failedCalls} ` +
				`(${((100 * result.failedCalls) / result.calls).toFixed(1)}%): ${Object.entries(result.byFault)
					.map(([fault, count]) => `${fault} ${count}`)
					.join(', ')}`,
		);
		expect(result.delivered).toBeGreaterThanOrEqual(2000);
		expect(result.missed).toEqual([]);
		expect(result.duplicated).toEqual([]);
		expect(result.unexpected).toEqual([]);
		expect(result.invalidCursorInjected).toBe(true);
		expect(result.restarts).toBeGreaterThan(3);
		expect(result.failedCalls / result.calls).toBeGreaterThanOrEqual(0.1);
		// Every kind of fault happened (Graph's 429 inside a $batch is a member's answer).
		const kinds = arsenal.api.api === 'ews' ? ['ErrorServerBusy', 'ErrorServerBusyNoBackOff', 'http503', 'drop', 'expiredToken', 'slow', 'ErrorInvalidSyncStateData'] : ['throttled', 'throttled in $batch', 'http503', 'http504', 'drop', 'slow', 'expiredToken', 'syncStateNotFound'];
		expect(kinds.filter((kind) => !result.byFault[kind])).toEqual([]);
	}, 180_000);

	it('the control: with de-duplication switched off, the same kind of run duplicates (so the check above can fail)', async () => {
		const result = await soak(arsenal, 400, { folder: `SoakControl${arsenal.api.label}`, forgetEmitted: true });
		console.log(`soak control (${arsenal.api.label}, no de-duplication): delivered ${result.delivered}, missed ${result.missed.length}, duplicated ${result.duplicated.length}`);
		expect(result.invalidCursorInjected).toBe(true);
		expect(result.duplicated.length).toBeGreaterThan(0);
	}, 120_000);
});
