/**
 * Send, Reply and Forward with attachments n8n stores by id (its filesystem and database modes), on
 * every back end: the files are read through getBinaryStream as they go up (EWS: a streamed
 * CreateAttachment the sandbox validates against the schema; Graph: upload-session ranges, each a
 * multiple of 320 KiB, which the sandbox checks), and arrive byte for byte (sha256).
 */
import { createHash } from 'node:crypto';

import { DEMO } from '../../sandbox';
import { breakStoredBinary, storedBinaryItem, storedBinaryOpens } from '../../support/executeContext';
import { seededBytes } from '../../support/seededRandom';
import { BACKENDS, deliver, expectServedBy, messageIdOn, on, run, runExpectingError, SHARED, unique, useExchangeSandbox } from './setup';

const sandbox = useExchangeSandbox();
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
/** The node's upload-session range (nodes/shared/transport/graph/store.ts). */
const GRAPH_RANGE = 10 * 320 * 1024;

describe.each(BACKENDS)('attachments stored by id on $label', (backend) => {
	const test = on(backend);
	expectServedBy(backend);

	it('sends a 10 MB and an empty file, each read once as a stream, byte for byte', async () => {
		const subject = unique('Stored');
		const big = seededBytes(10 * 1024 * 1024 + 5, 41);
		const item = storedBinaryItem({}, { big: { data: big, fileName: 'big.bin', mimeType: 'application/octet-stream' }, empty: { data: Buffer.alloc(0), fileName: 'empty.txt', mimeType: 'text/plain' } });
		const [output] = await run(await test({ resource: 'message', operation: 'send', toEmail: DEMO.user, subject, bodyContent: 'files', options: { attachments: 'big, empty' } }, { items: [item] }));
		expect(output.json).toMatchObject({ sent: true, attachments: ['big.bin', 'empty.txt'] });
		const received = sandbox().ews.store.listItems(DEMO.user, 'inbox').find((stored) => stored.subject === subject)!;
		expect(received.attachments.map((attachment) => [attachment.name, sha256(attachment.content)])).toEqual([
			['big.bin', sha256(big)],
			['empty.txt', sha256(Buffer.alloc(0))],
		]);
		expect(storedBinaryOpens.get(item.binary!.big.id!)).toBe(1);
		expect(sandbox().ews.store.listItems(SHARED, 'drafts').some((stored) => stored.subject === subject)).toBe(false);
		if (backend.api === 'graph') {
			// Ranges of 10 × 320 KiB; the sandbox refuses any range but the last that is not a multiple of 320 KiB.
			expect(sandbox().graph.requests.filter((request) => request.method === 'PUT' && request.status === 200)).toHaveLength(Math.floor(big.length / GRAPH_RANGE));
			expect(sandbox().graph.requests.filter((request) => request.method === 'PUT' && request.status === 201)).toHaveLength(1);
		} else {
			expect(sandbox().ews.counts()).toMatchObject({ CreateItem: 1, CreateAttachment: 1, SendItem: 1 });
		}
	});

	it('forwards with a 2 MB stored file added to the original attachments', async () => {
		const subject = unique('FwdStored');
		const original = Buffer.from('original file');
		const extra = seededBytes(2 * 1024 * 1024 + 1, 42);
		const id = messageIdOn(backend, deliver(SHARED, subject, { attachments: [{ filename: 'orig.txt', content: original }] }));
		const item = storedBinaryItem({}, { data: { data: extra, fileName: 'extra.bin', mimeType: 'application/octet-stream' } });
		await run(await test({ resource: 'message', operation: 'forward', messageId: id, toEmail: DEMO.user, comment: 'FYI', options: { attachments: 'data' } }, { items: [item] }));
		const forwarded = sandbox().ews.store.listItems(DEMO.user, 'inbox').find((stored) => stored.subject === `FW: ${subject}`)!;
		const byName = Object.fromEntries(forwarded.attachments.map((attachment) => [attachment.name, sha256(attachment.content)]));
		expect(byName).toEqual({ 'orig.txt': sha256(original), 'extra.bin': sha256(extra) });
		expect(sandbox().ews.store.listItems(SHARED, 'drafts').some((stored) => stored.subject.includes(subject))).toBe(false);
	});

	it('a file that fails to read mid-upload fails its own item naming the field; nothing of it is sent or left in Drafts; the next item goes', async () => {
		const tag = unique('Broken');
		const items = [0, 1].map((i) => storedBinaryItem({ i }, { data: { data: seededBytes(4 * 1024 * 1024, 50 + i), fileName: `f${i}.bin`, mimeType: 'application/octet-stream' } }));
		breakStoredBinary(items[0], 'data', 1_500_000);
		const output = await run(await test((i) => ({ resource: 'message', operation: 'send', toEmail: DEMO.user, subject: `${tag} ${i}`, bodyContent: 'x', options: { attachments: 'data' } }), { items, continueOnFail: true }));
		expect(output[0].json.error).toMatch(/The binary property "data" \("f0\.bin"\) named in "Attachments" could not be read: EIO/);
		expect(output[1].json).toMatchObject({ sent: true, subject: `${tag} 1` });
		const store = sandbox().ews.store;
		expect(store.listItems(DEMO.user, 'inbox').filter((stored) => stored.subject.startsWith(tag)).map((stored) => stored.subject)).toEqual([`${tag} 1`]);
		expect(store.sent.filter((sent) => sent.subject.startsWith(tag)).map((sent) => sent.subject)).toEqual([`${tag} 1`]);
		expect(store.listItems(SHARED, 'drafts').some((stored) => stored.subject.startsWith(tag))).toBe(false);

		// Under 1 MB: read whole before the call (EWS: into the library's SOAP; Graph: inline in sendMail).
		const broken = storedBinaryItem({}, { data: { data: seededBytes(600_000, 52), fileName: 'g.bin', mimeType: 'application/octet-stream' } });
		breakStoredBinary(broken, 'data', 100_000);
		const error = await runExpectingError(await test({ resource: 'message', operation: 'send', toEmail: DEMO.user, subject: `${tag} thrown`, bodyContent: 'x', options: { attachments: 'data' } }, { items: [broken] }));
		expect(error.message).toMatch(/named in "Attachments" could not be read: EIO/);
		expect(store.sent.some((sent) => sent.subject === `${tag} thrown`)).toBe(false);
	});
});

describe.each(BACKENDS.filter((backend) => backend.api === 'ews'))('the streamed CreateAttachment on $label', (backend) => {
	const test = on(backend);

	it('is sent again from a fresh stream after an expired token (401), once', async () => {
		const subject = unique('Renewed');
		const bytes = seededBytes(2 * 1024 * 1024, 60);
		const item = storedBinaryItem({}, { data: { data: bytes, fileName: 'r.bin', mimeType: 'application/octet-stream' } });
		sandbox().ews.failNext('expiredToken', 1, { operation: 'CreateAttachment' });
		await run(await test({ resource: 'message', operation: 'send', toEmail: DEMO.user, subject, bodyContent: 'x', options: { attachments: 'data' } }, { items: [item] }));
		const received = sandbox().ews.store.listItems(DEMO.user, 'inbox').find((stored) => stored.subject === subject)!;
		expect(received.attachments.map((attachment) => sha256(attachment.content))).toEqual([sha256(bytes)]);
		expect(sandbox().ews.counts().CreateAttachment).toBe(2);
		expect(storedBinaryOpens.get(item.binary!.data.id!)).toBe(2);
	});
});
