/**
 * Child process of ewsRetention.test.ts: reads messages and a batch of attachments through the EWS store,
 * keeps only what an emitted item keeps of them (the shapes, the names and types; not the contents), and
 * reports how much heap that holds after a full collection. The sandbox runs in the parent, so its own
 * copies are not counted.
 */
import { readFileSync } from 'node:fs';

import type { ExchangeAuth } from '../../../nodes/shared/auth/exchangeAuth';
import { EwsClient } from '../../../nodes/shared/transport/ews/client';
import { EwsMailStore } from '../../../nodes/shared/transport/ews/store';

const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined);
const heapUsed = () => {
	gc();
	gc();
	return process.memoryUsage().heapUsed;
};

async function main(): Promise<void> {
	const { url, ca, token, mailbox, ids } = JSON.parse(process.env.EWS_RETENTION_INPUT ?? '{}') as { url: string; ca: string; token: string; mailbox: string; ids: string[] };
	const auth = { kind: 'appOnly', tls: { caCertificate: readFileSync(ca, 'utf8') }, secrets: [token], getAccessToken: async () => token } as unknown as ExchangeAuth;
	// Dropped before the measure: the client may keep its last answer until its next call; what matters is what the results keep.
	let store: EwsMailStore | undefined = new EwsMailStore(new EwsClient(auth, { ewsUrl: url }));
	// Warm up (the library, the TLS agent), then measure from a collected heap.
	await store!.getMessages(mailbox, ids.slice(0, 1), { body: 'text' });
	const before = heapUsed();
	const messages = (await store!.getMessages(mailbox, ids, { body: 'text' })).map((result) => (result.ok ? result.value : undefined));
	const refs = messages.flatMap((message) => (message?.attachments ?? []).map((a) => ({ messageId: message!.id, attachmentId: a.id, size: a.size })));
	// Two batched calls, two answers: the kept texts must hold neither.
	const half = Math.ceil(refs.length / 2);
	const downloads = [...(await store!.downloadAttachments(mailbox, refs.slice(0, half))), ...(await store!.downloadAttachments(mailbox, refs.slice(half)))];
	const kept = downloads.map((d) => (d.ok ? { info: d.value.info, fileName: d.value.fileName, mimeType: d.value.mimeType, buffered: Buffer.isBuffer(d.value.content) } : undefined));
	store = undefined;
	downloads.length = 0;
	const growth = heapUsed() - before;
	process.stdout.write(JSON.stringify({ growth, subjects: messages.map((m) => m?.subject), fileNames: kept.map((k) => k?.fileName), buffered: kept.map((k) => k?.buffered) }));
}

main().catch((error: unknown) => {
	process.stderr.write(String((error as Error)?.stack ?? error));
	process.exit(1);
});
