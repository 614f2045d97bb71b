// One store, two protocols: what happens on one side is what the other side sees (ews-javascript-api for EWS,
// plain HTTPS for Graph).
import type { ExchangeService } from 'ews-javascript-api';
import { DEMO, type Sandbox } from '../index';
import { appToken, ews, exchangeService, rejection } from '../ews/test-client';
import { SHARED, type GraphClient, type Json } from './test-client';
import { withGraphSandbox } from '../../support/useGraphSandbox';

process.env.TZ = 'UTC';
let sandbox: Sandbox;
let graph: GraphClient;
let svc: ExchangeService;
withGraphSandbox((started, client) => {
	sandbox = started;
	graph = client;
	svc = exchangeService(sandbox, { token: appToken(sandbox), impersonate: DEMO.sharedMailbox }).svc;
});

/** Messages of a folder as EWS lists them (FindItem), impersonating the folder's mailbox. */
async function ewsSubjects(folder: 'inbox' | 'archive', mailbox: string = DEMO.sharedMailbox) {
	const { ItemView, FolderId } = ews();
	const client = mailbox === DEMO.sharedMailbox ? svc : exchangeService(sandbox, { token: appToken(sandbox), impersonate: mailbox }).svc;
	const found = await client.FindItems(new FolderId(sandbox.ews.store.distinguishedFolder(mailbox, folder)?.id ?? ''), new ItemView(1000));
	return found.Items.map((item) => ({ id: item.Id.UniqueId, subject: item.Subject }));
}

test('a delivered message is visible on EWS and Graph; a move on Graph is a move on EWS (new EWS id, old one gone)', async () => {
	const ewsId = sandbox.ews.store.deliver(DEMO.sharedMailbox, { from: 'cross@fabrikam.test', to: DEMO.sharedMailbox, subject: 'Cross protocol', text: 'both' });
	expect((await ewsSubjects('inbox')).map((item) => item.subject)).toContain('Cross protocol');
	const listed = (await graph('GET', `${SHARED}/mailFolders/inbox/messages?$filter=${encodeURIComponent("subject eq 'Cross protocol'")}`)).json<Json>().value;
	expect(listed).toHaveLength(1);
	expect(listed[0].id).not.toBe(ewsId);

	const moved = await graph('POST', `${SHARED}/messages/${listed[0].id}/move`, { body: { destinationId: 'archive' } });
	expect(moved.status).toBe(201);
	expect((await ewsSubjects('inbox')).map((item) => item.subject)).not.toContain('Cross protocol');
	const archived = (await ewsSubjects('archive')).find((item) => item.subject === 'Cross protocol');
	expect(archived?.id).toBeDefined();
	expect(archived?.id).not.toBe(ewsId);
	const { Item, ItemId } = ews();
	const stale = await rejection<{ ErrorCode: number; Message: string }>(Item.Bind(svc, new ItemId(ewsId)));
	expect(stale.Message).toMatch(/not found/i);
});

test('read state and categories set on EWS show on Graph; a Graph PATCH shows on EWS', async () => {
	const ewsId = sandbox.ews.store.deliver(DEMO.sharedMailbox, { from: 'cross@fabrikam.test', to: DEMO.sharedMailbox, subject: 'Flags both ways' });
	const { Item, ItemId, ConflictResolutionMode, StringList } = ews();
	const item = await Item.Bind(svc, new ItemId(ewsId));
	item.Categories = new StringList(['FromEws']);
	await item.Update(ConflictResolutionMode.AlwaysOverwrite);
	const [viaGraph] = (await graph('GET', `${SHARED}/mailFolders/inbox/messages?$filter=${encodeURIComponent("subject eq 'Flags both ways'")}&$select=categories,isRead`)).json<Json>().value;
	expect(viaGraph.categories).toEqual(['FromEws']);
	await graph('PATCH', `${SHARED}/messages/${viaGraph.id}`, { body: { isRead: true } });
	const { PropertySet, EmailMessageSchema, EmailMessage } = ews();
	const reread = await EmailMessage.Bind(svc, new ItemId(sandbox.ews.store.listItems(DEMO.sharedMailbox, 'inbox').find((entry) => entry.subject === 'Flags both ways')?.id ?? ''), new PropertySet(EmailMessageSchema.IsRead));
	expect(reread.IsRead).toBe(true);
});

test('mail sent on Graph arrives in the recipient mailbox as EWS sees it', async () => {
	const sent = await graph('POST', `${SHARED}/sendMail`, { body: { message: { subject: 'Graph to EWS', toRecipients: [{ emailAddress: { address: DEMO.noreplyMailbox } }] } } });
	expect(sent.status).toBe(202);
	expect((await ewsSubjects('inbox', DEMO.noreplyMailbox)).map((item) => item.subject)).toContain('Graph to EWS');
});
