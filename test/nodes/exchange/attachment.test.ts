/** The Microsoft Exchange node, Attachment resource: the same tests on every back end (EWS and Graph, app-only and delegated). */
import { BACKENDS, deliver, expectServedBy, messageIdOn, on, run, SHARED, unique, useExchangeSandbox } from './setup';

useExchangeSandbox();

describe.each(BACKENDS)('attachments on $label', (backend) => {
	const test = on(backend);
	expectServedBy(backend);
	/** A message with one file and one attached message (MIME text), delivered to the shared mailbox; its id on this back end. */
	const fileAndMessage = (subject: string, file: { filename: string; content: Buffer; contentType: string }, emlName: string, mime: string) =>
		messageIdOn(backend, deliver(SHARED, unique(subject), { attachments: [file, { filename: emlName, content: mime, contentType: 'message/rfc822' }] }));

	it('lists attachments and downloads them byte for byte (file and attached message)', async () => {
		const pdf = Buffer.from([0x25, 0x50, 0x44, 0x46, 0, 1, 2, 255, 254]);
		const inner = 'From: a@example.com\r\nSubject: inner\r\n\r\nhello';
		const id = fileAndMessage('Files', { filename: 'invoice.pdf', content: pdf, contentType: 'application/pdf' }, 'original.eml', inner);
		const listed = await run(await test({ resource: 'attachment', operation: 'getMany', messageId: id }));
		expect(listed.map((o) => o.json.name)).toEqual(['invoice.pdf', 'original.eml']);

		const [one] = await run(await test({ resource: 'attachment', operation: 'download', messageId: id, attachmentId: listed[0].json.id }));
		expect(Buffer.compare(Buffer.from(one.binary!.data.data, 'base64'), pdf)).toBe(0);
		expect(one.binary!.data).toMatchObject({ fileName: 'invoice.pdf', mimeType: 'application/pdf' });

		const [all] = await run(await test({ resource: 'attachment', operation: 'download', messageId: id, binaryPropertyName: 'file' }));
		expect(Object.keys(all.binary!)).toEqual(['file_0', 'file_1']);
		expect(Buffer.from(all.binary!.file_1.data, 'base64').toString('utf8')).toMatch(/Subject: inner[\s\S]*hello/);
		expect(all.binary!.file_1.mimeType).toBe('message/rfc822');
	});

	it('large attachments (1 MB and more, fetched as streams) download byte for byte, one by id and all of a message', async () => {
		const scan = Buffer.from(Array.from({ length: 3 * 1024 * 1024 }, (_, i) => (i * 7919) % 251));
		const inner = `From: a@example.com\r\nSubject: big inner\r\n\r\n${'x'.repeat(1024 * 1024 + 5)}`;
		const id = fileAndMessage('Large files', { filename: 'scan.tif', content: scan, contentType: 'image/tiff' }, 'big.eml', inner);
		const listed = await run(await test({ resource: 'attachment', operation: 'getMany', messageId: id }));
		const [one] = await run(await test({ resource: 'attachment', operation: 'download', messageId: id, attachmentId: listed[0].json.id }));
		expect(Buffer.compare(Buffer.from(one.binary!.data.data, 'base64'), scan)).toBe(0);
		expect(one.binary!.data).toMatchObject({ fileName: 'scan.tif', mimeType: 'image/tiff' });
		const [all] = await run(await test({ resource: 'attachment', operation: 'download', messageId: id }));
		expect(Buffer.compare(Buffer.from(all.binary!.data_0.data, 'base64'), scan)).toBe(0);
		const eml = Buffer.from(all.binary!.data_1.data, 'base64').toString('utf8');
		expect(eml).toMatch(/Subject: big inner/);
		expect(eml.includes('x'.repeat(1024 * 1024 + 5))).toBe(true);
		expect(all.binary!.data_1).toMatchObject({ mimeType: 'message/rfc822' });
	});

	it('a bad message id fails its own item with continueOnFail, naming the field', async () => {
		const good = messageIdOn(backend, deliver(SHARED, unique('Att ok'), { attachments: [{ filename: 'a.txt', content: Buffer.from('a') }] }));
		const ids = [good, 'not-an-exchange-id'];
		const output = await run(await test((i) => ({ resource: 'attachment', operation: 'getMany', messageId: ids[i] }), { items: [{ json: {} }, { json: {} }], continueOnFail: true }));
		expect(output.map((o) => o.pairedItem)).toEqual([{ item: 0 }, { item: 1 }]);
		expect(output[0].json.name).toBe('a.txt');
		expect(output[1].json.error).toMatch(/"Message ID"/);
	});
});
