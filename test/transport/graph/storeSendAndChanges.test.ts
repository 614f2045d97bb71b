/**
 * GraphMailStore against the Graph sandbox: sending (sendMail, drafts with upload sessions for
 * attachments of 3 MB and more), replies and forwards, attachments (files as bytes, attached messages
 * as .eml), the folder's change feed, and the faults a send must never repeat.
 */
import type { NewMessage } from '../../../nodes/shared/mail/store';
import { DEMO } from '../../sandbox';
import { contentOf } from '../../support/binaryContent';
import { graphStoreOn, useGraphSandbox } from './graphSandbox';
import { failureOf } from './graphTestServer';

const sandbox = useGraphSandbox();
const MAILBOX = DEMO.sharedMailbox;


function message(subject: string, overrides: Partial<NewMessage> = {}): NewMessage {
	return { subject, bodyFormat: 'text', body: 'Hello from Graph', to: [{ name: 'Zed', address: 'zed@fabrikam.test' }], cc: [], bcc: [], replyTo: [], attachments: [], saveToSentItems: true, ...overrides };
}

const sentWith = (subject: string) => sandbox().ews.store.sent.filter((sent) => sent.subject === subject);
const sentItemsWith = (subject: string) => sandbox().ews.store.listItems(MAILBOX, 'sentitems').filter((item) => item.subject === subject);

describe('sending', () => {
	it('sends with sendMail in one request when every attachment is under 3 MB, and keeps a copy only when asked', async () => {
		const { store } = graphStoreOn(sandbox());
		const subject = `Send small ${Date.now()}`;
		sandbox().graph.clearRequests();
		const summary = await store.sendMessage(MAILBOX, message(subject, { attachments: [{ name: 'a.txt', contentType: 'text/plain', size: 3, content: Buffer.from('abc') }] }), { asDelegate: false });
		expect(summary).toMatchObject({ mailbox: MAILBOX, subject, attachments: ['a.txt'], savedToSentItems: true });
		expect(sandbox().graph.httpCounts()).toEqual({ 'POST /sendMail': 1 });
		expect(sentWith(subject)).toHaveLength(1);
		expect(sentWith(subject)[0].to.map((address) => address.email)).toEqual(['zed@fabrikam.test']);
		expect(sentItemsWith(subject)).toHaveLength(1);

		const quiet = `Send quiet ${Date.now()}`;
		await store.sendMessage(MAILBOX, message(quiet, { saveToSentItems: false }), { asDelegate: false });
		expect(sentWith(quiet)).toHaveLength(1);
		expect(sentItemsWith(quiet)).toHaveLength(0);
	});

	it('sends a 4 MB attachment through an upload session (draft → ranges → send)', async () => {
		const { store } = graphStoreOn(sandbox());
		const subject = `Send large ${Date.now()}`;
		const content = Buffer.alloc(4 * 1024 * 1024 + 17, 7);
		sandbox().graph.clearRequests();
		await store.sendMessage(MAILBOX, message(subject, { attachments: [{ name: 'big.bin', contentType: 'application/octet-stream', size: content.length, content }, { name: 'small.txt', contentType: 'text/plain', size: 1, content: Buffer.from('s') }] }), { asDelegate: false });
		const counts = sandbox().graph.httpCounts();
		expect(counts['POST /messages']).toBe(1);
		expect(counts['POST /messages/{id}/attachments/createUploadSession']).toBe(1);
		expect(counts['POST /messages/{id}/attachments']).toBe(1);
		expect(counts['POST /messages/{id}/send']).toBe(1);
		expect(Object.entries(counts).find(([endpoint]) => endpoint.startsWith('PUT'))?.[1]).toBe(2);
		expect(counts['POST /sendMail']).toBeUndefined();
		expect(sentWith(subject)).toHaveLength(1);
		const [copy] = sentItemsWith(subject);
		expect(copy.attachments.map((attachment) => [attachment.name, attachment.content.length])).toEqual([
			['big.bin', content.length],
			['small.txt', 1],
		]);
	});

	it.each(['http503', 'http504', 'throttled', 'drop'] as const)('never repeats a send after %s', async (fault) => {
		const { store } = graphStoreOn(sandbox());
		const subject = `Send fault ${fault} ${Date.now()}`;
		sandbox().graph.failNext(fault, 1, { endpoint: 'POST /sendMail' });
		const failure = await failureOf(store.sendMessage(MAILBOX, message(subject), { asDelegate: false }));
		expect(failure.api).toBe('graph');
		expect(sandbox().graph.httpCounts()['POST /sendMail']).toBe(1);
		expect(sentWith(subject)).toHaveLength(0);
	});
});

describe('replies and forwards', () => {
	it.each(['reply', 'replyAll', 'forward'] as const)('%s with a comment, extra recipients, a subject and an attachment', async (kind) => {
		const { store } = graphStoreOn(sandbox());
		const original = `Respond ${kind} ${Date.now()}`;
		sandbox().ews.store.deliver(MAILBOX, { from: 'ann@fabrikam.test', to: [MAILBOX], cc: ['carl@fabrikam.test'], subject: original, text: 'original text' });
		const [id] = await store.findMessageIds(MAILBOX, { wellKnown: 'inbox' }, { subjectContains: original });
		const subject = `${original} (answered)`;
		const result = await store.respondToMessage(MAILBOX, id, {
			kind,
			comment: 'See below',
			commentFormat: 'text',
			subject,
			to: [{ name: '', address: 'dan@fabrikam.test' }],
			cc: [],
			bcc: [],
			attachments: [{ name: 'note.txt', contentType: 'text/plain', size: 4, content: Buffer.from('note') }],
			saveToSentItems: true,
		});
		expect(result).toMatchObject({ kind, respondedTo: id, subject, attachments: ['note.txt'] });
		const [sent] = sentWith(subject);
		expect(sent).toBeDefined();
		const to = sent.to.map((address) => address.email.toLowerCase());
		expect(to).toContain('dan@fabrikam.test');
		if (kind !== 'forward') expect(to).toContain('ann@fabrikam.test');
		if (kind === 'replyAll') expect([...to, ...sent.cc.map((address) => address.email.toLowerCase())]).toContain('carl@fabrikam.test');
		const [copy] = sentItemsWith(subject);
		expect(copy.attachments.map((attachment) => attachment.name)).toEqual(['note.txt']);
		expect(`${copy.text ?? ''}${copy.html ?? ''}`).toMatch(/See below/);
	});
});

describe('attachments', () => {
	it('lists and downloads file attachments as bytes and attached messages as .eml', async () => {
		const { store } = graphStoreOn(sandbox());
		const subject = `Attachments ${Date.now()}`;
		const inner = 'From: x@fabrikam.test\r\nTo: y@fabrikam.test\r\nSubject: Inner\r\n\r\ninner body\r\n';
		sandbox().ews.store.deliver(MAILBOX, {
			from: 'ann@fabrikam.test',
			to: MAILBOX,
			subject,
			text: 'see attachments',
			attachments: [
				{ filename: 'report.pdf', content: Buffer.from('%PDF-1.4 test'), contentType: 'application/pdf' },
				{ filename: 'Inner', content: inner, contentType: 'message/rfc822' },
			],
		});
		const [id] = await store.findMessageIds(MAILBOX, { wellKnown: 'inbox' }, { subjectContains: subject });
		const list = await store.listAttachments(MAILBOX, id);
		expect(list.map((attachment) => [attachment.name, attachment.isInline])).toEqual([
			['report.pdf', false],
			['Inner', false],
		]);
		const downloads = await store.downloadAttachments(MAILBOX, [...list.map((attachment) => ({ messageId: id, attachmentId: attachment.id, size: attachment.size })), { messageId: id, attachmentId: `${list[0].id}x` }]);
		expect(downloads[0]).toMatchObject({ ok: true, value: { fileName: 'report.pdf', mimeType: 'application/pdf' } });
		expect(downloads[0].ok && (await contentOf(downloads[0].value.content)).toString()).toBe('%PDF-1.4 test');
		expect(downloads[1]).toMatchObject({ ok: true, value: { fileName: 'Inner.eml', mimeType: 'message/rfc822' } });
		expect(downloads[1].ok && (await contentOf(downloads[1].value.content)).toString()).toMatch(/Subject: Inner/);
		expect(downloads[2].ok).toBe(false);
	});
});

describe('the change feed', () => {
	it('pages arrivals (moved-in ones too), skips @removed, ends with a deltaLink, and reports an expired cursor as invalidCursor', async () => {
		const { store } = graphStoreOn(sandbox());
		const folder = await store.createFolder(MAILBOX, { wellKnown: 'msgfolderroot' }, `Feed ${Date.now()}`);
		for (let index = 0; index < 3; index++) sandbox().ews.store.deliver(MAILBOX, { from: 'ann@fabrikam.test', to: MAILBOX, subject: `Feed ${index}`, text: 'x', folder: folder.displayName });
		const seen: string[] = [];
		let cursor: string | undefined;
		let pages = 0;
		for (let more = true; more && pages < 10; pages++) {
			const page = await store.changes(MAILBOX, folder.id, cursor, { maxChanges: 2, withReceivedTime: true });
			expect(page.created.length).toBeLessThanOrEqual(2);
			for (const arrived of page.created) {
				expect(arrived.receivedAt).toEqual(expect.any(String));
				seen.push(arrived.id);
			}
			cursor = page.cursor;
			more = page.moreAvailable;
		}
		expect(seen).toHaveLength(3);
		expect(pages).toBe(2);

		// A new arrival and a moved-in message show; a deleted one does not count as arrived.
		sandbox().ews.store.deliver(MAILBOX, { from: 'ann@fabrikam.test', to: MAILBOX, subject: 'Feed new', text: 'x', folder: folder.displayName });
		sandbox().ews.store.deliver(MAILBOX, { from: 'ann@fabrikam.test', to: MAILBOX, subject: 'Feed moved', text: 'x', receivedAt: new Date(Date.UTC(2020, 0, 1)) });
		const [moving] = await store.findMessageIds(MAILBOX, { wellKnown: 'inbox' }, { subjectContains: 'Feed moved' });
		await store.moveMessages(MAILBOX, [moving], { id: folder.id });
		await store.deleteMessages(MAILBOX, [seen[0]], 'moveToDeletedItems');
		const next = await store.changes(MAILBOX, folder.id, cursor, { maxChanges: 50 });
		expect(next.moreAvailable).toBe(false);
		expect(next.created.map((arrived) => arrived.id)).toContain(moving);
		expect(next.created).toHaveLength(2);
		expect(next.created.map((arrived) => arrived.id)).not.toContain(seen[0]);
		expect(next.created[0].receivedAt).toBeUndefined();

		sandbox().graph.expireDeltaTokens();
		expect(await failureOf(store.changes(MAILBOX, folder.id, next.cursor, { maxChanges: 50 }))).toMatchObject({ kind: 'invalidCursor', api: 'graph' });
	});

	it('never follows a saved cursor of another folder or mailbox, or one that is not Graph\'s (the trigger resynchronises)', async () => {
		const { store } = graphStoreOn(sandbox());
		const inboxId = await store.resolveFolderId(MAILBOX, { wellKnown: 'inbox' });
		const page = await store.changes(DEMO.noreplyMailbox, await store.resolveFolderId(DEMO.noreplyMailbox, { wellKnown: 'inbox' }), undefined, { maxChanges: 1 });
		sandbox().graph.clearRequests();
		expect(await failureOf(store.changes(MAILBOX, inboxId, page.cursor, { maxChanges: 1 }))).toMatchObject({ code: 'GraphCursorNotForThisFolder', kind: 'invalidCursor' });
		expect(await failureOf(store.changes(MAILBOX, inboxId, 'https://evil.example/v1.0/users/x/mailFolders/y/messages/delta', { maxChanges: 1 }))).toMatchObject({ code: 'GraphCursorNotForThisFolder', kind: 'invalidCursor' });
		// A cursor made for this mailbox and folder whose link leaves the Graph host.
		const forged = `graph-delta:${Buffer.from(JSON.stringify([MAILBOX, inboxId, 'https://evil.example/v1.0/users/x/messages/delta'])).toString('base64url')}`;
		expect(await failureOf(store.changes(MAILBOX, inboxId, forged, { maxChanges: 1 }))).toMatchObject({ code: 'GraphForeignLink' });
		expect(sandbox().graph.requests).toHaveLength(0);
	});
});
