/**
 * "Never misses, never duplicates" under fire: 2,000+ messages arrive in bursts while the trigger
 * polls; at least 10% of EWS calls fail in the ways Exchange fails (throttling with and without
 * back-off, 503, dropped connections, timeouts, expired tokens, one invalid sync state); the
 * poller is "restarted" from its saved static data again and again. Bounded: seconds, not minutes.
 */
import { clearAppOnlyTokenCache } from '../../nodes/shared/auth/appOnlyToken';
import { DEMO, type Sandbox } from '../sandbox';
import type { EwsFault } from '../sandbox/ews';
import { useSandbox } from '../support/useSandbox';
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

const FAULTS: EwsFault[] = ['ErrorServerBusy', 'ErrorServerBusyNoBackOff', 'http503', 'drop', 'expiredToken', 'slow'];

it('delivers every message exactly once through faults and restarts', async () => {
	const rand = random(20261123);
	const total = 2000;
	const mailbox = DEMO.sharedMailbox;
	sandbox.ews.store.createFolder(mailbox, 'inbox', 'Soak');
	sandbox.ews.reset();
	const settings = settingsFor({ folder: { path: 'Inbox/Soak' }, maxMessages: 150 });
	let poller = new Poller(sandbox, settings, { maxAttempts: 3, timeoutMs: 400 });

	const delivered = new Set<string>();
	const emitted = new Map<string, number>();
	let sent = 0;
	let polls = 0;
	let failedPolls = 0;
	let restarts = 0;
	let invalidStateInjected = false;

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
			sandbox.ews.store.deliver(mailbox, { from: 'load@example.test', to: mailbox, subject, text: subject, folder: 'Inbox/Soak' });
			delivered.add(subject);
		}
		// Faults for the coming calls: about a fifth of polls get one or two.
		if (rand() < 0.7) {
			const fault = FAULTS[Math.floor(rand() * FAULTS.length)];
			sandbox.ews.failNext(fault, rand() < 0.3 ? 2 : 1, { backOffMs: 5, delayMs: 600 });
		}
		if (!invalidStateInjected && sent > total / 2) {
			sandbox.ews.failNext('ErrorInvalidSyncStateData', 1);
			invalidStateInjected = true;
		}
		await pollOnce();
		// A restart: a new poller process reading the saved static data, with an empty token cache.
		if (rand() < 0.3) {
			const saved = poller.staticData;
			poller = new Poller(sandbox, settings, { maxAttempts: 3, timeoutMs: 400 });
			poller.staticData = saved;
			clearAppOnlyTokenCache();
			restarts++;
		}
	}
	// Mail stops arriving; faults stop; the trigger catches up.
	const loadPhase = [...sandbox.ews.requests];
	sandbox.ews.reset();
	for (let i = 0; i < 40 && [...delivered].some((subject) => !emitted.has(subject)); i++) await pollOnce();

	const calls = [...loadPhase, ...sandbox.ews.requests];
	const requests = calls.length;
	const failedCalls = calls.filter((r) => r.status !== 200).length;
	const missed = [...delivered].filter((subject) => !emitted.has(subject));
	const duplicated = [...emitted].filter(([, count]) => count > 1).map(([subject]) => subject);
	const unexpected = [...emitted.keys()].filter((subject) => !delivered.has(subject));
	console.log(
		`soak: delivered ${delivered.size}, emitted ${emitted.size}, missed ${missed.length}, duplicated ${duplicated.length}; ` +
			`polls ${polls} (${failedPolls} failed), restarts ${restarts}; EWS calls ${requests}, failed ${failedCalls} (${((100 * failedCalls) / requests).toFixed(1)}%)`,
	);
	expect(delivered.size).toBeGreaterThanOrEqual(2000);
	expect(missed).toEqual([]);
	expect(duplicated).toEqual([]);
	expect(unexpected).toEqual([]);
	expect(invalidStateInjected).toBe(true);
	expect(restarts).toBeGreaterThan(3);
	expect(failedCalls / requests).toBeGreaterThanOrEqual(0.1);
}, 180_000);
