/** The Microsoft Exchange node, Attachment resource, against the real sandbox. */
import { appOnly, deliver, run, SHARED, unique, useExchangeSandbox } from './setup';

const sandbox = useExchangeSandbox();

describe('attachments', () => {
	it('lists attachments and downloads them byte for byte (file and attached message)', async () => {
		const pdf = Buffer.from([0x25, 0x50, 0x44, 0x46, 0, 1, 2, 255, 254]);
		const inner = 'From: a@example.com\r\nSubject: inner\r\n\r\nhello';
		const id = deliver(SHARED, unique('Files'), {
			attachments: [
				{ filename: 'invoice.pdf', content: pdf, contentType: 'application/pdf' },
				{ filename: 'original.eml', content: inner, contentType: 'message/rfc822' },
			],
		});
		const listed = await run(appOnly({ resource: 'attachment', operation: 'getMany', messageId: id }));
		expect(listed.map((o) => o.json.name)).toEqual(['invoice.pdf', 'original.eml']);

		const [one] = await run(appOnly({ resource: 'attachment', operation: 'download', messageId: id, attachmentId: listed[0].json.id }));
		expect(Buffer.compare(Buffer.from(one.binary!.data.data, 'base64'), pdf)).toBe(0);
		expect(one.binary!.data).toMatchObject({ fileName: 'invoice.pdf', mimeType: 'application/pdf' });

		const [all] = await run(appOnly({ resource: 'attachment', operation: 'download', messageId: id, binaryPropertyName: 'file' }));
		expect(Object.keys(all.binary!)).toEqual(['file_0', 'file_1']);
		expect(Buffer.from(all.binary!.file_1.data, 'base64').toString('utf8')).toBe(inner);
		expect(all.binary!.file_1.mimeType).toBe('message/rfc822');
	});
});
