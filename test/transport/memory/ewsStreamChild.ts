/**
 * Child process of ewsStreamMemory.test.ts: downloads one attachment through the EWS transport and
 * reports the process's resident memory (VmRSS) before and at its peak while the content is read,
 * with the content's sha256. Mode "stream": the transport's own path (a stream for 1 MB and more);
 * "library": the whole answer through ews-javascript-api, for comparison.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';

import type { ExchangeAuth } from '../../../nodes/shared/auth/exchangeAuth';
import { EwsClient } from '../../../nodes/shared/transport/ews/client';
import { EwsMailStore } from '../../../nodes/shared/transport/ews/store';

const rssBytes = () => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? 0) * 1024;
const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined);

async function main(): Promise<void> {
	const { url, ca, token, mailbox, messageId, attachmentId, size, mode } = JSON.parse(process.env.EWS_MEMORY_INPUT ?? '{}') as Record<string, string>;
	const auth = { kind: 'appOnly', tls: { caCertificate: readFileSync(ca, 'utf8') }, secrets: [token], getAccessToken: async () => token } as unknown as ExchangeAuth;
	const store = new EwsMailStore(new EwsClient(auth, { ewsUrl: url }));
	// Warm up (the library, the TLS agent) on the listing, then measure from a collected heap.
	await store.listAttachments(mailbox, messageId);
	gc();
	const before = rssBytes();
	let peak = before;
	const hash = createHash('sha256');
	let length = 0;
	const [result] = await store.downloadAttachments(mailbox, [{ messageId, attachmentId, size: mode === 'library' ? 1 : Number(size) }]);
	if (!result.ok) throw new Error(result.failure.message);
	const content = result.value.content;
	peak = Math.max(peak, rssBytes());
	for await (const piece of Buffer.isBuffer(content) ? [content] : (content as Readable)) {
		hash.update(piece as Buffer);
		length += (piece as Buffer).length;
		peak = Math.max(peak, rssBytes());
	}
	process.stdout.write(JSON.stringify({ before, peak, growth: peak - before, length, sha256: hash.digest('hex'), streamed: content instanceof Readable }));
}

main().catch((error: unknown) => {
	process.stderr.write(String((error as Error)?.stack ?? error));
	process.exit(1);
});
