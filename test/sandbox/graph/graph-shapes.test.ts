// The Graph stand-in against Microsoft's documented examples (../shared/reference/graph-examples, beside the
// repository; skipped when absent): response shapes (property names and JSON types) match, and every documented
// request body is accepted by the body checks that refuse unknown properties.
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { DEMO, startSandbox, type Sandbox } from '../index';
import { graphClient, SHARED, type GraphClient, type Json } from './test-client';

const EXAMPLES = resolve(__dirname, '..', '..', '..', '..', 'shared', 'reference', 'graph-examples');
const describeIf = existsSync(EXAMPLES) ? describe : describe.skip;

/** Method, URL, content type and body of a documented .http file. */
function readHttp(file: string): { firstLine: string; contentType?: string; body: string } {
	const text = readFileSync(resolve(EXAMPLES, file), 'utf8').replace(/\r\n/g, '\n');
	if (text.startsWith('{')) return { firstLine: '', body: text }; // a body printed without its status line
	const split = text.indexOf('\n\n');
	const head = split < 0 ? text : text.slice(0, split);
	const [firstLine, ...headers] = head.split('\n');
	const contentType = headers.find((line) => /^content-type:/i.test(line))?.split(':')[1].trim();
	return { firstLine, contentType, body: split < 0 ? '' : text.slice(split + 2).trim() };
}

const documented = (file: string) => JSON.parse(readHttp(file).body) as Json;
const isAnnotation = (key: string) => key.startsWith('@odata.') && !['@odata.nextLink', '@odata.deltaLink'].includes(key);
const kind = (value: unknown) => (value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value);

/** Differences in property names and JSON types; `both` also reports properties the example lacks. */
function shapeDifferences(example: unknown, ours: unknown, both: boolean, path = '$'): string[] {
	if (example === null || ours === null) return [];
	if (kind(example) !== kind(ours)) return [`${path}: documented ${kind(example)}, sandbox ${kind(ours)}`];
	if (Array.isArray(example) && Array.isArray(ours)) return example.length && ours.length ? shapeDifferences(example[0], ours[0], both, `${path}[0]`) : [];
	if (typeof example !== 'object') return [];
	const a = example as Json;
	const b = ours as Json;
	const differences: string[] = [];
	for (const key of Object.keys(a).filter((name) => !isAnnotation(name))) {
		if (!(key in b)) differences.push(`${path}.${key}: missing`);
		else differences.push(...shapeDifferences(a[key], b[key], both, `${path}.${key}`));
	}
	if (both) for (const key of Object.keys(b).filter((name) => !isAnnotation(name) && !(name in a))) differences.push(`${path}.${key}: not documented`);
	return differences;
}

let sandbox: Sandbox;
let graph: GraphClient;
const ids: Record<string, string> = {};

describeIf('documented examples', () => {
	beforeAll(async () => {
		sandbox = await startSandbox();
		graph = graphClient(sandbox);
		sandbox.ews.store.deliver(DEMO.sharedMailbox, {
			from: { name: 'Adele Vance', email: 'adele@fabrikam.test' },
			to: DEMO.sharedMailbox,
			subject: 'Shapes',
			html: '<p>The group represents Nevada.</p>',
			attachments: [{ filename: 'invoice.pdf', content: Buffer.from('%PDF'), contentType: 'application/pdf' }],
		});
		for (const subject of ['Holiday hours update', 'Holiday promotion sale']) sandbox.ews.store.deliver(DEMO.sharedMailbox, { from: 'dana@fabrikam.test', to: DEMO.sharedMailbox, subject });
		const [message] = (await graph('GET', `${SHARED}/mailFolders/inbox/messages?$filter=${encodeURIComponent("subject eq 'Shapes'")}`)).json<Json>().value;
		ids.message = message.id;
		ids.attachment = (await graph('GET', `${SHARED}/messages/${message.id}/attachments`)).json<Json>().value[0].id;
		ids.folder = (await graph('POST', `${SHARED}/mailFolders/inbox/childFolders`, { body: { displayName: 'Shapes folder' } })).json<Json>().id;
		ids.draft = (await graph('POST', `${SHARED}/messages`, { body: { subject: 'draft', toRecipients: [{ emailAddress: { address: DEMO.user } }] } })).json<Json>().id;
	});
	afterAll(() => sandbox.stop());

	const cases: [file: string, call: () => Promise<Json>, both: boolean][] = [
		['message-get--01-response.http', async () => (await graph('GET', `${SHARED}/messages/${ids.message}`)).json<Json>(), true],
		['message-get--02-response.http', async () => (await graph('GET', `${SHARED}/messages/${ids.message}?$select=internetMessageHeaders`)).json<Json>(), true],
		['user-list-messages--01-response.http', async () => (await graph('GET', `${SHARED}/messages?$select=sender,subject`)).json<Json>(), false],
		['message-move--01-response.http', async () => (await graph('GET', `${SHARED}/messages/${ids.message}`)).json<Json>(), true],
		['mailfolder-get--01-response.http', async () => (await graph('GET', `${SHARED}/mailFolders/inbox`)).json<Json>(), true],
		['user-list-mailfolders--01-response.http', async () => (await graph('GET', `${SHARED}/mailFolders`)).json<Json>(), false],
		['mailfolder-list-childfolders--01-response.http', async () => (await graph('GET', `${SHARED}/mailFolders/inbox/childFolders`)).json<Json>(), false],
		['mailfolder-post-childfolders--01-response.http', async () => (await graph('GET', `${SHARED}/mailFolders/${ids.folder}`)).json<Json>(), true],
		['attachment-get--01-response.http', async () => (await graph('GET', `${SHARED}/messages/${ids.message}/attachments/${ids.attachment}`)).json<Json>(), true],
		['message-list-attachments--01-response.http', async () => (await graph('GET', `${SHARED}/messages/${ids.message}/attachments`)).json<Json>(), false],
		['delta-query-messages--02-response.http', async () => (await graph('GET', `${SHARED}/mailFolders/inbox/messages/delta?$select=subject,isRead,sender`, { headers: { Prefer: 'odata.maxpagesize=2' } })).json<Json>(), false],
		['attachment-createuploadsession--01-response.http', async () => (await graph('POST', `${SHARED}/messages/${ids.draft}/attachments/createUploadSession`, { body: { AttachmentItem: { attachmentType: 'file', name: 'flower', size: 3483322 } } })).json<Json>(), true],
	];

	test.each(cases)('%s: same property names and types', async (file, call, both) => {
		expect(shapeDifferences(documented(file), await call(), both)).toEqual([]);
	});

	test('the shape check itself finds a missing property and a type change', () => {
		expect(shapeDifferences({ a: 1, b: { c: 'x' } }, { a: '1', b: {} }, false)).toEqual(['$.a: documented number, sandbox string', '$.b.c: missing']);
		expect(shapeDifferences({ a: 1 }, { a: 2, extra: true }, true)).toEqual(['$.extra: not documented']);
	});

	/**
	 * Documented request bodies our checks must accept. Left out: message-update--01 (placeholder values, an empty
	 * contentType enum), user-sendmail--06 (message properties at the top level of sendMail: Graph's action reader
	 * refuses parameters it does not know) and message-createreply--02 (its base64 MIME is cut off mid-header).
	 */
	const requests: [file: string, path: () => string][] = [
		['user-sendmail--01-request.http', () => '/sendMail'],
		['user-sendmail--02-request.http', () => '/sendMail'],
		['user-sendmail--03-request.http', () => '/sendMail'],
		['user-sendmail--04-request.http', () => '/sendMail'],
		['message-reply--01-request.http', () => `/messages/${ids.message}/reply`],
		['message-replyall--01-request.http', () => `/messages/${ids.message}/replyAll`],
		['message-forward--01-request.http', () => `/messages/${ids.message}/forward`],
		['message-createreply--01-request.http', () => `/messages/${ids.message}/createReply`],
		['message-post-attachments--01-request.http', () => `/messages/${ids.draft}/attachments`],
		['outlook-large-attachments--01-request.http', () => `/messages/${ids.draft}/attachments/createUploadSession`],
		['mailfolder-post-childfolders--01-request.http', () => `/mailFolders/${ids.folder}/childFolders`],
		['message-move--01-request.http', () => `/messages/${ids.draft}/copy`],
		['mailfolder-copy--01-request.http', () => `/mailFolders/${ids.folder}/copy`],
	];

	test.each(requests)('%s: accepted', async (file, path) => {
		const { firstLine, contentType, body } = readHttp(file);
		const json = !/text\/plain/i.test(contentType ?? '');
		// Addresses and folder ids of the examples are Contoso's: point them at the sandbox's.
		// The From of a MIME example becomes the sending mailbox (anything else is Send As, refused).
		const local = json
			? body
					.replace(/"([\w.]+@contoso\.(com|onmicrosoft\.com)|address-value)"/gi, `"${DEMO.user}"`)
					.replace(/"destinationId":\s*"[^"]+"/, '"destinationId": "archive"')
					.replace(/"displayName":\s*"displayName-value"/, '"displayName": "from the docs"')
			: Buffer.from(
					Buffer.from(body.replace(/\s+/g, ''), 'base64')
						.toString('utf8')
						.replace(/^From: .*$/m, `From: ${DEMO.sharedMailbox}`)
						.replace(/[\w.]+@contoso\.com/gi, DEMO.user),
				).toString('base64');
		expect(firstLine).toMatch(/^POST /);
		const reply = await graph('POST', `${SHARED}${path()}`, { rawBody: local, headers: { 'Content-Type': json ? 'application/json' : 'text/plain' } });
		expect([reply.status, reply.status < 300 ? '' : reply.text]).toEqual([expect.any(Number), '']);
	});
});
