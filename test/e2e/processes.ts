// Process and port checks for suites that start long-lived processes (npm start, the browser suite): which
// processes descend from a pid, which address a port listens on, whether a port is free. Linux /proc only.
import { readdirSync, readFileSync } from 'node:fs';
import * as net from 'node:net';

/** Parent pid of every process, read from /proc/<pid>/stat (the field after the parenthesised command). */
function parents(): Map<number, number> {
	const map = new Map<number, number>();
	for (const entry of readdirSync('/proc')) {
		if (!/^\d+$/.test(entry)) continue;
		try {
			const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
			const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
			map.set(Number(entry), ppid);
		} catch {
			// the process ended while we read
		}
	}
	return map;
}

/** Every process below `pid` (children, grandchildren, …). */
export function descendants(pid: number): number[] {
	const map = parents();
	const found: number[] = [];
	const queue = [pid];
	while (queue.length) {
		const current = queue.shift()!;
		for (const [child, parent] of map) {
			if (parent === current && !found.includes(child)) {
				found.push(child);
				queue.push(child);
			}
		}
	}
	return found;
}

export function isAlive(pid: number): boolean {
	try {
		process.kill(pid, 0);
		// A zombie is dead for our purposes.
		return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
	} catch {
		return false;
	}
}

/** Local addresses (IPv4 dotted or IPv6 hex) with a listening TCP socket on `port`, from /proc/net/tcp{,6}. */
export function listeningAddresses(port: number): string[] {
	const addresses: string[] = [];
	for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
		let text = '';
		try {
			text = readFileSync(file, 'utf8');
		} catch {
			continue;
		}
		for (const line of text.split('\n').slice(1)) {
			const [, local, , state] = line.trim().split(/\s+/);
			if (!local || state !== '0A') continue; // 0A = LISTEN
			const [hexAddress, hexPort] = local.split(':');
			if (parseInt(hexPort, 16) !== port) continue;
			addresses.push(
				hexAddress.length === 8
					? hexAddress.match(/../g)!.reverse().map((b) => parseInt(b, 16)).join('.')
					: hexAddress,
			);
		}
	}
	return addresses;
}

/** True when nothing listens on `port` on any address (we can bind it on every interface ourselves). */
export function portIsFree(port: number): Promise<boolean> {
	return new Promise((resolve) => {
		const server = net.createServer();
		server.once('error', () => resolve(false));
		server.listen(port, () => server.close(() => resolve(true)));
	});
}
