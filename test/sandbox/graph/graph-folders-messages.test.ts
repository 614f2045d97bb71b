// Graph stand-in: mail folders and messages over the shared store.
import { DEMO, startSandbox, type Sandbox } from '../index';
import { errorCode, graphClient, SHARED, type GraphClient } from './test-client';

let sandbox: Sandbox;
let graph: GraphClient;

beforeAll(async () => {
	sandbox = await startSandbox();
	graph = graphClient(sandbox);
});
afterAll(() => sandbox.stop());

type Json = Record<string, any>;

describe('mailFolders', () => {
	test('lists the root children without hidden folders; well-known names resolve', async () => {
		const list = await graph('GET', `${SHARED}/mailFolders?$top=50`);
		expect(list.status).toBe(200);
		const names = list.json<{ value: Json[] }>().value.map((folder) => folder.displayName);
		expect(names).toEqual(expect.arrayContaining(['Inbox', 'Sent Items', 'Deleted Items', 'Drafts', 'Junk Email', 'Archive', 'Outbox']));
		expect(names).not.toContain('Calendar');
		const inbox = await graph('GET', `${SHARED}/mailFolders/Inbox`);
		expect(inbox.json()).toMatchObject({ displayName: 'Inbox', isHidden: false, totalItemCount: expect.any(Number) });
	});
});

describe('messages', () => {
	test('list, get, patch, move', async () => {
		sandbox.ews.store.deliver(DEMO.sharedMailbox, { from: 'a@fabrikam.test', to: DEMO.sharedMailbox, subject: 'Graph first', text: 'hello' });
		const list = await graph('GET', `${SHARED}/mailFolders/inbox/messages?$select=subject,isRead&$filter=isRead eq false`);
		expect(list.status).toBe(200);
		const found = list.json<{ value: Json[] }>().value.find((message) => message.subject === 'Graph first');
		expect(found).toBeDefined();
		const patched = await graph('PATCH', `${SHARED}/messages/${found?.id}`, { body: { isRead: true } });
		expect(patched.status).toBe(200);
		expect(patched.json().isRead).toBe(true);
		const moved = await graph('POST', `${SHARED}/messages/${found?.id}/move`, { body: { destinationId: 'archive' } });
		expect(moved.status).toBe(201);
		expect(moved.json().id).not.toBe(found?.id);
		expect(errorCode(await graph('GET', `${SHARED}/messages/${found?.id}`))).toBe('ErrorItemNotFound');
	});
});

describe('$batch', () => {
	test('answers per request, in one HTTP request', async () => {
		const reply = await graph('POST', '/$batch', {
			body: {
				requests: [
					{ id: '1', method: 'GET', url: `${SHARED}/mailFolders/inbox` },
					{ id: '2', method: 'GET', url: `${SHARED}/messages/AAAA` },
				],
			},
		});
		expect(reply.status).toBe(200);
		const responses = reply.json<{ responses: Json[] }>().responses;
		expect(responses.map((response) => [response.id, response.status])).toEqual([
			['1', 200],
			['2', 400],
		]);
	});
});
