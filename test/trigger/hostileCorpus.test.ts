/**
 * "One e-mail must never stop the trigger": a corpus of hostile messages (empty and whitespace-only
 * fields, missing From, huge headers, broken MIME, odd encodings, nested item attachments, zero-byte
 * and hundreds of attachments, reused Message-IDs, damaged items) delivered between normal mail,
 * read by two triggers at once: one with a subject filter, attachments, headers and .eml, one
 * without a filter. Every normal message is emitted exactly once; every hostile one is emitted
 * once (with `error` when Exchange would not hand it over) or skipped with a warning; no poll fails.
 * On both Mailbox APIs (apis.ts: Graph documents no answer for a damaged item, so it comes out clean there).
 */
import type { INodeExecutionData } from 'n8n-workflow';

import { DEMO, type Sandbox } from '../sandbox';
import { deliverMime } from '../sandbox/ews/inbound';
import { useSandbox } from '../support/useSandbox';
import { storeIdOf, TRIGGER_APIS, type TriggerApi } from './apis';
import { Poller, settingsFor } from './pollHarness';

jest.setTimeout(30_000);

const currentSandbox = useSandbox();
let sandbox: Sandbox;
beforeAll(() => {
	sandbox = currentSandbox();
});

const mailbox = DEMO.sharedMailbox;
/** The folder of the current API's run (each API reads its own copy of the corpus). */
let FOLDER = 'Inbox/Corpus';
const crlf = (...lines: string[]) => Buffer.from(lines.join('\r\n'), 'latin1');
const inner = (subject: string) => ['From: inner@example.test', 'To: invoices@contoso.test', `Subject: ${subject}`, 'Message-ID: <inner@example.test>', '', 'inner body'].join('\r\n');

interface HostileCase {
	name: string;
	/** Whether the subject (as Exchange decodes it) contains "invoice", so the filtering trigger should emit it. */
	matchesFilter: boolean;
	/** Exchange will not hand (part of) it over: it must come out with an `error` field. */
	expectError?: RegExp;
	/** The store's damaged-item flag (`corrupt`): only an API with a damagedCode refuses it (apis.ts). */
	damaged?: boolean;
	/** Deliver only after the triggers have emitted everything before it. */
	afterCatchUp?: boolean;
	deliver: () => string | Promise<string>;
}

const structured = (fields: Partial<Parameters<Sandbox['ews']['store']['deliver']>[1]>) => () =>
	sandbox.ews.store.deliver(mailbox, { from: 'attacker@example.test', to: mailbox, subject: 'Invoice hostile', text: 'hostile', folder: FOLDER, ...fields });
const mime = (raw: Buffer) => async () => await deliverMime(sandbox.ews.store, mailbox, raw, { folder: FOLDER });
const file = (filename: string, content: Buffer | string = 'x', contentType = 'application/pdf') => ({ filename, content, contentType });

const CORPUS: HostileCase[] = [
	{ name: 'whitespace-only subject', matchesFilter: false, deliver: structured({ subject: ' \t ' }) },
	{ name: 'empty subject', matchesFilter: false, deliver: structured({ subject: '' }) },
	{ name: 'whitespace-only From display name', matchesFilter: true, deliver: structured({ from: { name: '   ', email: 'blank-name@example.test' } }) },
	{ name: 'whitespace-only To display names', matchesFilter: true, deliver: structured({ to: [{ name: ' ', email: mailbox }, { name: '\t', email: 'other@example.test' }] }) },
	{ name: 'missing From', matchesFilter: true, deliver: structured({ from: undefined }) },
	{ name: 'whitespace-only attachment name and content type', matchesFilter: true, deliver: structured({ attachments: [file('  ', 'pdf bytes', ' ')] }) },
	{ name: 'empty attachment name', matchesFilter: true, deliver: structured({ attachments: [file('', 'pdf bytes')] }) },
	{ name: 'zero-byte attachment', matchesFilter: true, deliver: structured({ attachments: [file('empty.pdf', Buffer.alloc(0))] }) },
	{ name: 'three hundred attachments', matchesFilter: true, deliver: structured({ attachments: Array.from({ length: 300 }, (_, i) => file(`part-${i}.txt`, `part ${i}`, 'text/plain')) }) },
	{ name: 'whitespace-only category', matchesFilter: true, deliver: structured({ categories: [' ', 'Finance'] }) },
	{ name: 'nested item attachment with a whitespace-only name', matchesFilter: true, deliver: structured({ attachments: [file(' ', inner('inner message'), 'message/rfc822')] }) },
	{ name: 'control characters and bidi overrides in the subject', matchesFilter: true, deliver: structured({ subject: 'Invoice \u0001\u0007 \u202egnp.exe\u202c \uFFFD' }) },
	{ name: 'reuses a Message-ID (first)', matchesFilter: true, deliver: structured({ subject: 'Invoice dup first', messageId: '<dup@corpus.test>' }) },
	{ name: 'reuses a Message-ID (second, a later poll)', matchesFilter: true, afterCatchUp: true, deliver: structured({ subject: 'Invoice dup second', messageId: '<dup@corpus.test>' }) },
	{ name: 'damaged item (ErrorCorruptData)', damaged: true, matchesFilter: false, expectError: /could not be read \(ErrorCorruptData/, deliver: structured({ corrupt: true }) },
	{ name: 'damaged attachment (ErrorCorruptData)', damaged: true, matchesFilter: true, expectError: /Attachment "broken.pdf" could not be downloaded \(ErrorCorruptData/, deliver: structured({ attachments: [file('fine.pdf'), { ...file('broken.pdf'), corrupt: true }] }) },
	{
		name: 'huge headers (256 KB header, 500 Received lines)',
		matchesFilter: true,
		deliver: mime(crlf(...Array.from({ length: 500 }, (_, i) => `Received: from relay${i}.example.test by mx.contoso.test; Tue, 1 Dec 2026 09:00:00 +0000`), `X-Huge: ${'a'.repeat(256 * 1024)}`, 'From: big@example.test', 'To: invoices@contoso.test', 'Subject: Invoice huge headers', '', 'body')),
	},
	{
		name: 'broken MIME (no closing boundary, bad base64, no part headers)',
		matchesFilter: true,
		deliver: mime(crlf('From: broken@example.test', 'Subject: Invoice broken mime', 'MIME-Version: 1.0', 'Content-Type: multipart/mixed; boundary="b"', '', '--b', '', 'first part without headers', '--b', 'Content-Type: application/pdf; name="x.pdf"', 'Content-Transfer-Encoding: base64', '', '!!!not base64***', '--b')),
	},
	{
		name: 'RFC 2047 words, unknown charsets, 8-bit header bytes',
		matchesFilter: true,
		deliver: mime(crlf('From: =?UTF-8?B?w4RsaWNl?= <alice@example.test>', 'To: =?x-unknown?Q?caf=E9?= <invoices@contoso.test>', 'Subject: =?x-bogus?Q?caf=E9?= =?UTF-8?Q?Invoice_=C3=A9t=C3=A9?= =?UTF-8?B?broken', 'X-Latin: caf\xe9', 'X-Blank:    ', 'Content-Type: text/plain; charset=x-bogus', '', 'caf\xe9 body')),
	},
	{ name: 'only garbage bytes', matchesFilter: false, deliver: mime(Buffer.from([0, 1, 2, 255, 254, 10, 13, 10, 65, 0, 66])) },
	{ name: 'no header/body separator, no From', matchesFilter: true, deliver: mime(crlf('Subject: Invoice headers only')) },
	{
		name: 'message/rfc822 inside message/rfc822',
		matchesFilter: true,
		deliver: mime(
			crlf('From: nest@example.test', 'Subject: Invoice nested twice', 'MIME-Version: 1.0', 'Content-Type: multipart/mixed; boundary="o"', '', '--o', 'Content-Type: text/plain', '', 'outer', '--o', 'Content-Type: message/rfc822', 'Content-Disposition: attachment; filename="   "', '', 'From: middle@example.test', 'Subject: middle', 'Content-Type: multipart/mixed; boundary="m"', '', '--m', 'Content-Type: message/rfc822', '', inner('innermost'), '--m--', '--o--'),
		),
	},
];

const NORMAL_PDF = Buffer.from('%PDF-1.7 normal');

/** Documented types of the message shape (README, output): what a workflow may rely on. */
function shapeProblems(json: Record<string, unknown>): string[] {
	const problems: string[] = [];
	const isText = (value: unknown) => typeof value === 'string';
	const isAddress = (value: unknown) => !!value && typeof value === 'object' && isText((value as Record<string, unknown>).name) && isText((value as Record<string, unknown>).address);
	for (const key of ['subject', 'id', 'changeKey']) if (!isText(json[key])) problems.push(`${key} is ${JSON.stringify(json[key])}`);
	for (const key of ['conversationId', 'internetMessageId', 'receivedAt', 'sentAt']) if (json[key] !== null && !isText(json[key])) problems.push(`${key} is ${JSON.stringify(json[key])}`);
	if (json.from !== null && !isAddress(json.from)) problems.push(`from is ${JSON.stringify(json.from)}`);
	for (const key of ['to', 'cc', 'bcc', 'replyTo']) if (!Array.isArray(json[key]) || !(json[key] as unknown[]).every(isAddress)) problems.push(`${key} is ${JSON.stringify(json[key])}`);
	if (!Array.isArray(json.categories) || !(json.categories as unknown[]).every(isText)) problems.push(`categories is ${JSON.stringify(json.categories)}`);
	for (const attachment of (json.attachments as Array<Record<string, unknown>>) ?? []) {
		if (!isText(attachment.name) || !isText(attachment.contentType) || typeof attachment.size !== 'number' || typeof attachment.isInline !== 'boolean') problems.push(`attachment ${JSON.stringify(attachment)}`);
	}
	for (const [name, value] of Object.entries((json.internetHeaders as Record<string, unknown>) ?? {})) if (!isText(value)) problems.push(`header ${name} is ${JSON.stringify(value)}`);
	for (const key of ['bodyText', 'bodyHtml', 'error']) if (json[key] !== undefined && !isText(json[key])) problems.push(`${key} is ${JSON.stringify(json[key])}`);
	return problems;
}

class Watcher {
	readonly emitted = new Map<string, INodeExecutionData[]>();

	polls = 0;

	failedPolls: unknown[] = [];

	total = 0;

	constructor(
		readonly label: string,
		readonly poller: Poller,
		/** The store's id of an id the API hands out (emitted items are counted by stored message). */
		private readonly storeId: (apiId: string) => string,
	) {}

	async poll(): Promise<void> {
		this.polls++;
		try {
			for (const item of await this.poller.poll()) {
				const id = this.storeId(String(item.json.id));
				this.total++;
				this.emitted.set(id, [...(this.emitted.get(id) ?? []), item]);
			}
		} catch (error) {
			this.failedPolls.push(error);
		}
	}
}

describe.each(TRIGGER_APIS)('on $label', (api: TriggerApi) => {
	it('emits every normal message exactly once, and every hostile one once with an error or skips it with a warning', async () => {
		FOLDER = `Inbox/Corpus${api.label}`;
		sandbox.ews.store.createFolder(mailbox, 'inbox', `Corpus${api.label}`);
		const storeId = (id: string) => storeIdOf(sandbox, id) ?? id;
		// What the corpus should do on this API: a damaged item is only refused where the API refuses it.
		const expected = (entry: HostileCase): HostileCase => (entry.damaged && !api.damagedCode ? { ...entry, expectError: undefined, matchesFilter: true } : entry);
		const withEverything = new Watcher(
			'subject filter, attachments (inline too), headers, .eml',
			new Poller(sandbox, settingsFor({ folder: { path: FOLDER }, maxMessages: 7, filters: { subjectContains: 'invoice' }, output: { body: 'both', headers: true, eml: true, attachments: { prefix: 'attachment_', includeInline: true, maxBytes: 1024 * 1024 } } }), { mailboxApi: api.api }),
			storeId,
		);
		const unfiltered = new Watcher(
			'no filter, attachments, .eml',
			new Poller(sandbox, settingsFor({ folder: { path: FOLDER }, maxMessages: 25, output: { body: 'text', headers: false, eml: true, attachments: { prefix: 'file_', includeInline: false, maxBytes: 1024 * 1024 } } }), { mailboxApi: api.api }),
			storeId,
		);
		const watchers = [withEverything, unfiltered];

		const normal = new Set<string>();
		const hostile = new Map<string, HostileCase>();
		let sent = 0;
		const deliverNormal = () => {
			const id = sandbox.ews.store.deliver(mailbox, { from: 'billing@vendor.test', to: mailbox, subject: `Invoice normal-${sent++}`, text: 'normal', folder: FOLDER, attachments: [file('invoice.pdf', NORMAL_PDF)] });
			normal.add(id);
		};
		// Each trigger polls until a poll brings nothing (then nothing is left, and nothing came twice).
		const catchUp = async () => {
			for (const watcher of watchers) {
				for (let i = 0, before = -1; i < 30 && before !== watcher.total; i++) {
					before = watcher.total;
					await watcher.poll();
				}
			}
		};
		for (const [index, entry] of CORPUS.entries()) {
			deliverNormal();
			if (entry.afterCatchUp) await catchUp();
			hostile.set(await entry.deliver(), entry);
			deliverNormal();
			if (index % 3 === 2) for (const watcher of watchers) await watcher.poll();
		}
		deliverNormal();
		await catchUp();

		for (const watcher of watchers) {
			const filtering = watcher === withEverything;
			const count = (id: string) => watcher.emitted.get(id)?.length ?? 0;
			const warned = (id: string) => watcher.poller.warnings.some((warning) => warning.includes(api.idOf(sandbox, id)));
			const items = [...watcher.emitted.values()].flat();
			const outcome = { clean: 0, withError: 0, skippedWithWarning: 0, filtered: 0 };
			const wrong: string[] = [];
			for (const [id, stated] of hostile) {
				const entry = expected(stated);
				const [item, ...again] = watcher.emitted.get(id) ?? [];
				const error = item?.json.error as string | undefined;
				if (again.length) wrong.push(`${entry.name}: emitted ${count(id)} times`);
				else if (!item && warned(id)) outcome.skippedWithWarning++;
				else if (!item && filtering && !entry.matchesFilter && !entry.expectError) outcome.filtered++;
				else if (!item) wrong.push(`${entry.name}: not emitted and no warning`);
				else if (entry.expectError && !entry.expectError.test(error ?? '')) wrong.push(`${entry.name}: error ${JSON.stringify(error)}, expected ${entry.expectError}`);
				else if (!entry.expectError && error) wrong.push(`${entry.name}: unexpected error ${error}`);
				else if (filtering && !entry.matchesFilter && !entry.expectError) wrong.push(`${entry.name}: passed the subject filter with subject ${JSON.stringify(item.json.subject)}`);
				else outcome[error ? 'withError' : 'clean']++;
			}
			const normalCounts = [...normal].map(count);
			const missed = normalCounts.filter((n) => n === 0).length;
			const duplicated = normalCounts.filter((n) => n > 1).length;
			console.log(
				`hostile corpus (${api.label}, ${watcher.label}): normal ${normal.size} delivered, ${normalCounts.filter((n) => n === 1).length} emitted once (missed ${missed}, duplicated ${duplicated}); ` +
					`hostile ${hostile.size}: ${outcome.clean} emitted, ${outcome.withError} emitted with error, ${outcome.skippedWithWarning} skipped with a warning, ${outcome.filtered} filtered out by subject; ` +
					`polls ${watcher.polls} (${watcher.failedPolls.length} failed), warnings ${watcher.poller.warnings.length}`,
			);
			expect(watcher.failedPolls).toEqual([]);
			expect(wrong).toEqual([]);
			expect({ missed, duplicated }).toEqual({ missed: 0, duplicated: 0 });
			expect(items.flatMap((item) => shapeProblems(item.json).map((problem) => `${String(item.json.subject)}: ${problem}`))).toEqual([]);
			// Normal mail comes out whole: no error, its attachment and its .eml as binary data.
			for (const id of normal) {
				const [item] = watcher.emitted.get(id)!;
				expect(item.json.error).toBeUndefined();
				const attachment = Object.entries(item.binary ?? {}).find(([key]) => key !== 'eml')?.[1];
				expect(Buffer.from(attachment!.data, 'base64').equals(NORMAL_PDF)).toBe(true);
				expect(Buffer.from(item.binary!.eml.data, 'base64').toString()).toMatch(/^Subject: Invoice normal-\d+/m);
			}
			// A Message-ID emitted before, under another ItemId, is emitted again (not a resync), with a warning.
			expect(watcher.poller.warnings.filter((warning) => /Internet Message-ID was emitted before/.test(warning) && warning.includes('<dup@corpus.test>'))).toHaveLength(1);
		}
	}, 180_000);
});

it('the control server stores a dropped .eml as received (npm run sandbox:mail -- --eml), and refuses what is not base64', async () => {
	const raw = crlf('From: =?UTF-8?B?w4RsaWNl?= <alice@example.test>', 'Subject:  ', 'X-Blank:   ', '', 'dropped');
	const post = async (body: unknown) =>
		await fetch(`${sandbox.control.url}/api/mailboxes/${encodeURIComponent(mailbox)}/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
	const created = await post({ mimeBase64: raw.toString('base64'), folder: 'inbox' });
	expect(created.status).toBe(201);
	const { id } = (await created.json()) as { id: string };
	expect(sandbox.ews.store.getItem(id)).toMatchObject({ mime: raw, from: { name: 'Älice', email: 'alice@example.test' } });
	const refused = await post({ mimeBase64: '*** not base64 ***' });
	expect(refused.status).toBe(400);
	expect(((await refused.json()) as { message: string }).message).toMatch(/"mimeBase64" must be the message \(\.eml\) in base64/);
});
