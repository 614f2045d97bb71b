import { looksLikeFolderId, pathSegment } from '../../nodes/shared/mail/folderRefs';

/** Deterministic pseudo-random numbers (the corpus is the same on every run). */
function random(seed: number): () => number {
	let state = seed;
	return () => {
		state = (state * 1103515245 + 12345) % 2147483648;
		return state / 2147483648;
	};
}

describe('folder paths as the picker prints them', () => {
	it('never print two different folders alike, whatever "/" and "\\" their names contain', () => {
		const next = random(42);
		const alphabet = ['a', 'b', '/', '\\', ' '];
		const printed = new Map<string, string>();
		const collisions: string[] = [];
		for (let i = 0; i < 20_000; i++) {
			const segments = Array.from({ length: 1 + Math.floor(next() * 3) }, () => Array.from({ length: 1 + Math.floor(next() * 4) }, () => alphabet[Math.floor(next() * alphabet.length)]).join(''));
			const path = segments.map(pathSegment).join('/');
			const key = JSON.stringify(segments);
			const earlier = printed.get(path);
			if (earlier !== undefined && earlier !== key) collisions.push(`${path}: ${earlier} and ${key}`);
			printed.set(path, key);
		}
		expect(collisions).toEqual([]);
		expect(printed.size).toBeGreaterThan(1000);
	});

	it('tells a stored folder ID from a path saved by an older version of the list', () => {
		// EWS ids (and the sandbox's) are long padded base64.
		expect(looksLikeFolderId('AAMkADk0NzIxNGYwLTI2ZTEtNDY2Ni1hM2EwLTE1NWI2ZmE0NDQ3YgAuAAAAAAC5g3h6fHkZQ6lFbHLSpOvgAQDk7tqg9VpiRJXhVOPTqaV7AAAAAAEMAAA=')).toBe(true);
		expect(looksLikeFolderId('AEZNa4G2fgvahtFM8a+fE8uUaDwq7CbqVwJMA2skDKoEVLIX')).toBe(true);
		// Graph ids use the URL-safe alphabet (folder ids "AQMk…", immutable ids "AAkALg…").
		expect(looksLikeFolderId('AQMkADAwATM0MDAAMS1iNTcwLWI2NTEtMDACLTAwCgAuAAADmiIV-9b_Zk2ik7GRoERvfQEAzR3XE-yU9E2_6-QP5QY8VgAAAgEMAAAA')).toBe(true);
		expect(looksLikeFolderId('AAkALgAAAAAAHYQDEapmEc2byACqAC-EWg0A2wvDLJ-TgUO1JdyjXlR9WAAAAAADAAA=')).toBe(true);
		for (const path of ['Inbox', 'Inbox/Processed', 'Inbox-2024', 'Archive_2026-Invoices-and-receipts-from-vendor', 'Archive-2024-Receipts-From-Contoso-Limited-Q', 'Archive_2026_Invoices_and_receipts_vendors', 'Sent Items', 'Inbox/Clients/Acme', 'Clients\\/Acme', 'Archive/2026/Invoices and receipts from vendors']) {
			expect([path, looksLikeFolderId(path)]).toEqual([path, false]);
		}
	});
});
