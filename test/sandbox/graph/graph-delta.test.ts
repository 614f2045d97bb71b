// Graph stand-in: what the message delta carries ($expand=attachments, internetMessageHeaders, kept in the token),
// the documented 5,000-message cap of a filtered delta, and each documented answer to a refused token.
import { DEMO, type Sandbox } from '../index';
import { DELTA_FILTER_LIMIT, type DeltaExpiry } from './index';
import { errorCode, SHARED, type GraphClient, type Json } from './test-client';
import { withGraphSandbox } from '../../support/useGraphSandbox';

let sandbox: Sandbox;
let graph: GraphClient;
withGraphSandbox((started, client) => {
	sandbox = started;
	graph = client;
});
beforeEach(() => sandbox.graph.reset());

let counter = 0;
async function freshFolder(): Promise<{ id: string; path: string }> {
	const reply = await graph('POST', `${SHARED}/mailFolders/inbox/childFolders`, { body: { displayName: `d${++counter}` } });
	return { id: reply.json<Json>().id, path: `Inbox/d${counter}` };
}
const deltaPath = (folder: string) => `${SHARED}/mailFolders/${folder}/messages/delta`;

async function drain(first: string, headers: Record<string, string> = {}) {
	const items: Json[] = [];
	let url: string | undefined = first;
	let last: Json = {};
	for (let i = 0; i < 100 && url; i++) {
		const reply = await graph('GET', url, { headers });
		expect(reply.status).toBe(200);
		last = reply.json<Json>();
		items.push(...(last.value as Json[]));
		url = last['@odata.nextLink'];
	}
	return { items, deltaLink: last['@odata.deltaLink'] as string };
}

test('$expand=attachments (with its $select) and internetMessageHeaders come with every page of every round', async () => {
	const folder = await freshFolder();
	const deliver = (subject: string) =>
		sandbox.ews.store.deliver(DEMO.sharedMailbox, { from: 'x@fabrikam.test', to: DEMO.sharedMailbox, subject, folder: folder.path, attachments: [{ filename: `${subject}.txt`, content: subject }] });
	for (let i = 0; i < 3; i++) deliver(`a${i}`);
	const query = `?$select=subject,internetMessageHeaders&$expand=${encodeURIComponent('attachments($select=name,size)')}`;
	const start = await drain(`${deltaPath(folder.id)}${query}`, { Prefer: 'odata.maxpagesize=2' });
	deliver('later');
	const next = await drain(start.deltaLink);
	for (const item of [...start.items, ...next.items]) {
		expect(item.attachments).toEqual([expect.objectContaining({ '@odata.type': '#microsoft.graph.fileAttachment', name: `${item.subject}.txt`, size: expect.any(Number) })]);
		expect(item.attachments[0].contentBytes).toBeUndefined();
		expect(item.internetMessageHeaders).toEqual(expect.arrayContaining([{ name: 'Subject', value: item.subject }]));
	}
	expect(next.items.map((item) => item.subject)).toEqual(['later']);
	expect(errorCode(await graph('GET', `${deltaPath(folder.id)}?$expand=singleValueExtendedProperties`))).toBe('BadRequest');
});

test(`a filtered delta returns at most ${DELTA_FILTER_LIMIT} messages in its first round (the newest); unfiltered, all`, async () => {
	const folder = await freshFolder();
	const base = Date.now() - 3_600_000;
	for (let i = 0; i <= DELTA_FILTER_LIMIT; i++) sandbox.ews.store.deliver(DEMO.sharedMailbox, { from: 'x@fabrikam.test', to: DEMO.sharedMailbox, subject: `w${i}`, folder: folder.path, receivedAt: new Date(base + i * 1000) });
	const since = new Date(base - 1000).toISOString();
	const filtered = await drain(`${deltaPath(folder.id)}?$select=subject&$filter=${encodeURIComponent(`receivedDateTime ge ${since}`)}`, { Prefer: 'odata.maxpagesize=200' });
	expect(filtered.items).toHaveLength(DELTA_FILTER_LIMIT);
	expect(filtered.items.map((item) => item.subject)).not.toContain('w0');
	const whole = await drain(`${deltaPath(folder.id)}?$select=subject`, { Prefer: 'odata.maxpagesize=200' });
	expect(whole.items).toHaveLength(DELTA_FILTER_LIMIT + 1);
});

test.each<[DeltaExpiry, string | undefined]>([
	['syncStateNotFound', 'syncStateNotFound'],
	['resyncRequired', 'resyncRequired'],
	['gone', undefined],
])('a refused token answered as %s: 410 with a Location to start over', async (form, code) => {
	const folder = await freshFolder();
	const { deltaLink } = await drain(deltaPath(folder.id));
	sandbox.graph.expireDeltaTokens(form);
	const refused = await graph('GET', deltaLink);
	expect(refused.status).toBe(410);
	expect(refused.headers.location).toMatch(/messages\/delta\?\$deltatoken=$/);
	if (code) expect(errorCode(refused)).toBe(code);
	else expect(refused.text).toBe('');
	// Starting over (the Location's empty token is the initial request) works.
	expect((await graph('GET', deltaPath(folder.id))).status).toBe(200);
});
