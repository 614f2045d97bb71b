/**
 * The message shape is where values read from ews-javascript-api become the documented types. Its XML
 * reader hands back a whitespace-only element as an object ({ __prefix, __type }) and an empty one as
 * null; the shape must turn every such value into the documented string, list or null, for the
 * Exchange node and the trigger alike, and list what people read first.
 */
import type { INodeTypeDescription } from 'n8n-workflow';

import { loadExchangeAuth } from '../../nodes/shared/auth/exchangeAuth';
import { downloadAttachments, listAttachments } from '../../nodes/shared/transport/ews/attachments';
import { EwsClient } from '../../nodes/shared/transport/ews/client';
import { getMessages } from '../../nodes/shared/transport/ews/messages';
import { DEMO, type Sandbox } from '../sandbox';
import { deliverMime } from '../sandbox/ews/inbound';
import { createExecuteContext } from '../support/executeContext';
import { appOnlyCredential } from '../support/sandboxCredentials';
import { useSandbox } from '../support/useSandbox';

jest.setTimeout(30_000);

const currentSandbox = useSandbox();
let sandbox: Sandbox;
let client: EwsClient;
beforeAll(async () => {
	sandbox = currentSandbox();
	const test = createExecuteContext({ description: { properties: [] } as unknown as INodeTypeDescription, parameters: {}, credentials: { microsoftExchangeAppOnlyApi: appOnlyCredential(sandbox) }, trustedCa: sandbox.ca });
	client = new EwsClient(await loadExchangeAuth(test.context, 'appOnly', 'microsoftExchangeOAuth2Api'), { ewsUrl: sandbox.ews.url });
});

const mailbox = DEMO.sharedMailbox;
const BLANKS = [' ', '  \t ', '\u00a0', '\u2003\n'];

it.each(BLANKS.map((blank) => [JSON.stringify(blank), blank]))('a %s subject, display name, attachment name, content type and category come out as strings', async (_label, blank) => {
	const id = sandbox.ews.store.deliver(mailbox, {
		from: { name: blank, email: 'sender@example.test' },
		to: [{ name: blank, email: mailbox }],
		cc: [{ name: blank, email: 'cc@example.test' }],
		subject: blank,
		text: blank,
		categories: [blank, 'Finance'],
		attachments: [
			{ filename: blank, content: Buffer.from('file'), contentType: blank },
			{ filename: blank, content: 'From: a@b.test\r\nSubject: inner\r\n\r\nbody', contentType: 'message/rfc822' },
		],
	});
	const [result] = await getMessages(client, mailbox, [id], { body: 'both', headers: true });
	if (!result.ok) throw new Error(result.failure.message);
	const message = result.value;
	// The library trims text (String.prototype.trim: no-break and em spaces too), so whitespace-only is empty;
	// an empty category names nothing, an empty content type is the generic one.
	expect(message).toMatchObject({
		subject: '',
		from: { name: '', address: 'sender@example.test' },
		to: [{ name: '', address: mailbox }],
		cc: [{ name: '', address: 'cc@example.test' }],
		categories: ['Finance'],
		bodyText: '',
	});
	expect(message.attachments.map((a) => [a.name, a.contentType])).toEqual([
		['', 'application/octet-stream'],
		['', 'message/rfc822'],
	]);
	expect(Object.values(message.internetHeaders!).every((value) => typeof value === 'string')).toBe(true);

	const listed = await listAttachments(client, mailbox, id);
	expect(listed.map((a) => a.name)).toEqual(['', '']);
	const downloads = await downloadAttachments(client, mailbox, listed.map((a) => ({ messageId: id, attachmentId: a.id, size: a.size })));
	expect(downloads.map((d) => (d.ok ? [d.value.fileName, Buffer.isBuffer(d.value.content) && d.value.content.length > 0] : d.failure.code))).toEqual([
		['attachment', true],
		['message.eml', true],
	]);
});

it('header values that are blank or absent are empty strings; header names are kept as sent', async () => {
	const raw = Buffer.from(['From: a@example.test', 'Subject: headers', 'X-Blank:    ', 'X-Empty:', 'X-Spaced:   padded value  ', 'constructor: proto', '', 'body'].join('\r\n'));
	const id = await deliverMime(sandbox.ews.store, mailbox, raw);
	const [result] = await getMessages(client, mailbox, [id], { body: 'none', headers: true });
	if (!result.ok) throw new Error(result.failure.message);
	expect(result.value.internetHeaders).toMatchObject({ 'X-Blank': '', 'X-Empty': '', 'X-Spaced': 'padded value', constructor: 'proto' });
});

it('lists what people read first: subject, from, recipients, dates, body, attachments; identifiers last', async () => {
	const id = sandbox.ews.store.deliver(mailbox, { from: 'a@example.test', to: mailbox, subject: 'order', text: 'body' });
	const [result] = await getMessages(client, mailbox, [id], { body: 'both', headers: true });
	if (!result.ok) throw new Error(result.failure.message);
	const keys = Object.keys(result.value);
	expect(keys.slice(0, 8)).toEqual(['subject', 'from', 'to', 'cc', 'bcc', 'replyTo', 'receivedAt', 'sentAt']);
	expect(keys.slice(-5)).toEqual(['internetHeaders', 'id', 'changeKey', 'conversationId', 'internetMessageId']);
	expect(keys.indexOf('bodyText')).toBeLessThan(keys.indexOf('isRead'));
	expect(keys.indexOf('attachments')).toBeLessThan(keys.indexOf('categories'));
});
