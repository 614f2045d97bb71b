/**
 * Send Email (SMTP OAuth) with attachments n8n stores by id (its filesystem and database modes): the
 * node reads them through getBinaryStream as nodemailer writes the message, never whole. Real
 * nodemailer, real smtp-server; the received MIME is parsed with mailparser and compared byte for byte.
 */
import { createHash } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import type { IDataObject, INodeExecutionData } from 'n8n-workflow';

import { SmtpOAuth } from '../../nodes/SmtpOAuth/SmtpOAuth.node';
import type { Sandbox } from '../sandbox';
import { breakStoredBinary, createExecuteContext, storedBinaryItem, storedBinaryOpens, storedFile, type TestContext } from '../support/executeContext';
import { appOnlyCredential, SMTP_SEND_PARAMETERS } from '../support/sandboxCredentials';
import { seededBytes } from '../support/seededRandom';
import { useSandbox } from '../support/useSandbox';

const node = new SmtpOAuth();
const currentSandbox = useSandbox();
let sandbox: Sandbox;
beforeAll(() => {
	sandbox = currentSandbox();
});

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

function contextFor(parameters: IDataObject | ((i: number) => IDataObject), extra: Partial<Parameters<typeof createExecuteContext>[0]> = {}): TestContext {
	return createExecuteContext({ description: node.description, parameters, credentials: { microsoftExchangeAppOnlyApi: appOnlyCredential(sandbox) }, trustedCa: sandbox.ca, ...extra });
}

async function run(test: TestContext): Promise<INodeExecutionData[]> {
	const [output] = await node.execute.call(test.context);
	return output;
}

const opensOf = (item: INodeExecutionData, property: string) => storedBinaryOpens.get(item.binary![property].id!) ?? 0;

describe('attachments stored by id go out as streams', () => {
	it('a 10 MB file, an empty file and an inline image arrive byte for byte; each file is opened once, by the send', async () => {
		const big = seededBytes(10 * 1024 * 1024 + 1, 14);
		const png = seededBytes(70_000, 15);
		const item = storedBinaryItem({}, {
			big: { data: big, fileName: 'big.bin', mimeType: 'application/octet-stream' },
			empty: { data: Buffer.alloc(0), fileName: 'empty.txt', mimeType: 'text/plain' },
			logo: { data: png, fileName: 'logo.png', mimeType: 'image/png' },
		});
		const output = await run(
			contextFor(
				{ ...SMTP_SEND_PARAMETERS, emailFormat: 'html', html: '<img src="cid:logo@wf">', options: { attachments: 'big, empty', inlineImages: { image: [{ binaryPropertyName: 'logo', contentId: 'logo@wf' }] } } },
				{ items: [item] },
			),
		);
		expect(output[0].json.accepted).toEqual(['someone@example.com']);
		const [received] = await sandbox.smtp.waitForMessages(1);
		const byName = Object.fromEntries(received.parsed.attachments.map((attachment) => [attachment.filename, attachment]));
		expect(sha256(byName['big.bin'].content)).toBe(sha256(big));
		expect(byName['empty.txt'].content).toHaveLength(0);
		expect(sha256(byName['logo.png'].content)).toBe(sha256(png));
		expect(byName['logo.png'].cid).toBe('logo@wf');
		// base64 MIME: the raw message carries no 8-bit bytes of the file.
		expect(/[\x80-\xff]/.test(received.raw.toString('latin1'))).toBe(false);
		// The check of every item before sending builds the message too, but opens nothing.
		expect([opensOf(item, 'big'), opensOf(item, 'empty'), opensOf(item, 'logo')]).toEqual([1, 1, 1]);
	});

	it('the retry after a rejected token (535 5.7.3) sends the attachment again from a fresh stream', async () => {
		const bytes = seededBytes(3 * 1024 * 1024, 16);
		const item = storedBinaryItem({}, { data: { data: bytes, fileName: 'a.bin', mimeType: 'application/octet-stream' } });
		sandbox.smtp.failNext('5.7.3', 1);
		await run(contextFor({ ...SMTP_SEND_PARAMETERS, options: { attachments: 'data' } }, { items: [item] }));
		const [received] = await sandbox.smtp.waitForMessages(1);
		expect(sha256(received.parsed.attachments[0].content)).toBe(sha256(bytes));
		expect(sandbox.smtp.authAttempts.map((attempt) => attempt.ok)).toEqual([false, true]);
	});

	it('a file that fails to read mid-message fails its own item, names the field, and no partial message is delivered; the other items go', async () => {
		const items = [0, 1, 2].map((i) => storedBinaryItem({ i }, { data: { data: seededBytes(2 * 1024 * 1024, 20 + i), fileName: `f${i}.bin`, mimeType: 'application/octet-stream' } }));
		breakStoredBinary(items[1], 'data', 1024 * 1024);
		const output = await run(contextFor((i) => ({ ...SMTP_SEND_PARAMETERS, subject: `Item ${i}`, options: { attachments: 'data' } }), { items, continueOnFail: true }));
		expect(output.map((entry) => entry.pairedItem)).toEqual([{ item: 0 }, { item: 1 }, { item: 2 }]);
		expect(output[1].json.error).toMatch(/The binary property "data" \("f1\.bin"\) named in "Attachments" could not be read: EIO/);
		expect(output[1].json.description).toMatch(/Nothing of this item was sent/);
		expect(output[0].json.accepted).toEqual(['someone@example.com']);
		expect(output[2].json.accepted).toEqual(['someone@example.com']);
		const received = await sandbox.smtp.waitForMessages(2);
		expect(received.map((message) => message.parsed.subject).sort()).toEqual(['Item 0', 'Item 2']);
		expect(sha256(received.find((message) => message.parsed.subject === 'Item 2')!.parsed.attachments[0].content)).toBe(sha256(seededBytes(2 * 1024 * 1024, 22)));
		expect(sandbox.smtp.messages).toHaveLength(2);
	});

	it('without continueOnFail the read error throws for that item', async () => {
		const item = storedBinaryItem({}, { data: { data: seededBytes(1024 * 1024, 30), fileName: 'x.bin', mimeType: 'application/octet-stream' } });
		breakStoredBinary(item, 'data', 100_000);
		await expect(run(contextFor({ ...SMTP_SEND_PARAMETERS, options: { attachments: 'data' } }, { items: [item] }))).rejects.toThrow(/named in "Attachments" could not be read: EIO/);
		expect(sandbox.smtp.messages).toHaveLength(0);
	});

	it('a stored file whose length differs from its metadata is refused, and nothing is delivered', async () => {
		const item = storedBinaryItem({}, { data: { data: seededBytes(300_000, 31), fileName: 'changed.bin', mimeType: 'application/octet-stream' } });
		writeFileSync(storedFile(item, 'data'), seededBytes(200_000, 31));
		await expect(run(contextFor({ ...SMTP_SEND_PARAMETERS, options: { attachments: 'data' } }, { items: [item] }))).rejects.toThrow(/could not be read: it held 200000 bytes where n8n's metadata gives 300000/);
		expect(sandbox.smtp.messages).toHaveLength(0);
	});

	it('a stored file n8n no longer has fails its item before anything is sent', async () => {
		const items = [0, 1].map((i) => storedBinaryItem({ i }, { data: { data: Buffer.from(`file ${i}`), fileName: `f${i}.txt`, mimeType: 'text/plain' } }));
		rmSync(`${storedFile(items[0], 'data')}.metadata`);
		rmSync(storedFile(items[0], 'data'));
		const output = await run(contextFor({ ...SMTP_SEND_PARAMETERS, options: { attachments: 'data' } }, { items, continueOnFail: true }));
		expect(output[0].json.error).toMatch(/The binary property "data" \("f0\.txt"\) named in "Attachments" could not be read: ENOENT/);
		expect(output[1].json.accepted).toEqual(['someone@example.com']);
		expect(await sandbox.smtp.waitForMessages(1)).toHaveLength(1);
	});
});
