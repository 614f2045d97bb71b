/**
 * What the EWS store hands out must not keep the SOAP answer it was read from alive. V8 keeps a
 * substring of 13 characters or more as a slice of its parent string, so an attachment name or a
 * subject read out of a 13 MB GetAttachment answer kept all of it for as long as the emitted item
 * lived: the trigger's 5,000-message import held about 55 MB of answers per poll that way.
 * Measured in a child process (the heap after a full collection, only the texts kept), so the
 * sandbox's own copies in this process do not count.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { DEMO } from '../sandbox';
import { appOnlyAuth, useEwsSandbox } from './ewsSupport';

const currentSandbox = useEwsSandbox();
const MB = 1024 * 1024;

test('the shapes of 16 messages and the names of their 160 attachments (two batched answers of about 11 MB) keep no answer alive', async () => {
	const sandbox = currentSandbox();
	const mailbox = DEMO.sharedMailbox;
	const folder = sandbox.ews.store.createFolder(mailbox, 'inbox', 'Retention');
	const subject = (m: number) => `Invoice batch ${m} with a subject long enough to be sliced`;
	const fileName = (m: number, a: number) => `invoice-${m}-${a}-scan.pdf`;
	// 100 KB each: under the streaming threshold, so they come in batched GetAttachment calls through the library.
	const ids = Array.from({ length: 16 }, (_, m) =>
		sandbox.ews.store.deliver(mailbox, {
			from: 'supplier@example.test',
			to: mailbox,
			subject: subject(m),
			text: `Body ${m} `.repeat(40),
			folder: folder.id,
			attachments: Array.from({ length: 10 }, (_, a) => ({ filename: fileName(m, a), content: randomBytes(100 * 1024), contentType: 'application/pdf' })),
		}),
	);
	const ca = join(tmpdir(), `ews-retention-ca-${process.pid}.pem`);
	writeFileSync(ca, sandbox.ca);
	const token = await (await appOnlyAuth(sandbox)).getAccessToken(false);
	const { stdout } = await promisify(execFile)(process.execPath, ['--expose-gc', '--require', 'tsx/cjs', join(__dirname, 'memory', 'ewsRetentionChild.ts')], {
		env: { ...process.env, EWS_RETENTION_INPUT: JSON.stringify({ url: sandbox.ews.url, ca, token, mailbox, ids }) },
		maxBuffer: MB,
	});
	const result = JSON.parse(stdout) as { growth: number; subjects: string[]; fileNames: string[]; buffered: boolean[] };
	console.log(`EWS: 16 message shapes and 160 attachment names kept: heap ${(result.growth / MB).toFixed(1)} MB after a full collection`);
	expect(result.subjects).toEqual(ids.map((_, m) => subject(m)));
	expect(result.fileNames).toEqual(ids.flatMap((_, m) => Array.from({ length: 10 }, (__, a) => fileName(m, a))));
	expect(result.buffered).toEqual(result.fileNames.map(() => true));
	// What the results keep is a few kilobytes of text; slices of it would hold both answers (about 22 MB).
	expect(result.growth).toBeLessThan(4 * MB);
});
