// Graph stand-in: each rule Graph enforces is seen to refuse, with Graph's status and error code.
import { DEMO, type Sandbox } from '../index';
import { exchangeService, ews, appToken as ewsAppToken, rejection } from '../ews/test-client';
import { GRAPH_RESOURCE, graphAppToken, graphUserToken, SHARED, type GraphClient, type Json } from './test-client';
import { withGraphSandbox } from '../../support/useGraphSandbox';

let sandbox: Sandbox;
let graph: GraphClient;
let messageId: string;
withGraphSandbox((started, client) => {
	sandbox = started;
	graph = client;
});

beforeAll(async () => {
	sandbox.ews.store.deliver(DEMO.sharedMailbox, { from: 'a@fabrikam.test', to: DEMO.sharedMailbox, subject: 'Strict' });
	messageId = (await graph('GET', `${SHARED}/mailFolders/inbox/messages?$top=1`)).json<Json>().value[0].id;
});

const expectError = async (reply: Promise<{ status: number; json: <T>() => T }>, status: number, code: string, message?: RegExp) => {
	const answer = await reply;
	expect({ status: answer.status, code: answer.json<Json>().error?.code }).toEqual({ status, code });
	expect(answer.json<Json>().error.innerError).toMatchObject({ 'request-id': expect.any(String), date: expect.any(String) });
	if (message) expect(answer.json<Json>().error.message).toMatch(message);
};

describe('query options', () => {
	test.each([
		['$select with an unknown property', '$select=subject,nonsense', 'RequestBroker--ParseUri', /Could not find a property named 'nonsense' on type 'Microsoft\.OutlookServices\.Message'/],
		['$filter on an unknown property', '$filter=nonsense eq 1', 'RequestBroker--ParseUri', /'nonsense'/],
		['$filter with broken syntax', "$filter=subject eq 'open", 'BadRequest', /Invalid filter clause/],
		['$filter with an unknown function', "$filter=endswith(subject,'x')", 'BadRequest', /Invalid filter clause/],
		['$orderby property missing from $filter', '$filter=isRead eq false&$orderby=receivedDateTime desc', 'InefficientFilter', /too complex/],
		['$orderby properties in another order than $filter', '$filter=receivedDateTime ge 2020-01-01T00:00:00Z and isRead eq false&$orderby=isRead,receivedDateTime', 'InefficientFilter', /too complex/],
		['$search with $orderby', '$search="x"&$orderby=receivedDateTime', 'SearchWithOrderBy', /'\$orderBy' is not supported with '\$search'/],
		['$search with $filter', '$search="x"&$filter=isRead eq true', 'SearchWithFilter', /'\$filter' is not supported with '\$search'/],
		['$top of 0', '$top=0', 'BadRequest', /between 1 and 1000/],
		['$top over 1000', '$top=1001', 'BadRequest', /between 1 and 1000/],
	])('%s → 400', async (_name, query, code, message) => {
		await expectError(graph('GET', `${SHARED}/mailFolders/inbox/messages?${query.replace(/ /g, '%20')}`), 400, code, message);
	});

	test('$orderby following the $filter order is accepted', async () => {
		const reply = await graph('GET', `${SHARED}/mailFolders/inbox/messages?$filter=receivedDateTime%20ge%202020-01-01T00:00:00Z%20and%20isRead%20eq%20false&$orderby=receivedDateTime%20desc`);
		expect(reply.status).toBe(200);
	});
});

describe('tokens and permissions', () => {
	const issue = (claims: Partial<Parameters<Sandbox['entra']['issueToken']>[0]>) =>
		sandbox.entra.issueToken({ tenantId: DEMO.tenantId, clientId: DEMO.appOnlyClientId, audience: GRAPH_RESOURCE, roles: ['Mail.ReadWrite'], ...claims });

	test.each([
		['no token', () => null, /Access token is empty/],
		['an expired token', () => graphAppToken(sandbox, ['Mail.ReadWrite'], -60), /token is expired/],
		['a token for EWS (wrong audience)', () => ewsAppToken(sandbox), /Invalid audience/],
		['a token with a forged payload', () => graphAppToken(sandbox).replace(/\.[^.]+\./, `.${Buffer.from('{"aud":"https://graph.microsoft.com"}').toString('base64url')}.`), /validation failure/],
	])('%s → 401 InvalidAuthenticationToken', async (_name, token, message) => {
		const reply = await graph('GET', `${SHARED}/mailFolders/inbox`, { token: token() });
		await expectError(Promise.resolve(reply), 401, 'InvalidAuthenticationToken', message);
		expect(reply.headers['www-authenticate']).toMatch(/^Bearer /);
	});

	test('/me with an app-only token → 400 BadRequest', async () => {
		await expectError(graph('GET', '/me/mailFolders/inbox'), 400, 'BadRequest', /only valid with delegated authentication flow/);
	});

	test('app-only: a missing role → 403 ErrorAccessDenied, per permission', async () => {
		const readOnly = issue({ roles: ['Mail.Read'] });
		expect((await graph('GET', `${SHARED}/messages/${messageId}`, { token: readOnly })).status).toBe(200);
		await expectError(graph('PATCH', `${SHARED}/messages/${messageId}`, { token: readOnly, body: { isRead: true } }), 403, 'ErrorAccessDenied');
		await expectError(graph('GET', `${SHARED}/messages/${messageId}`, { token: issue({ roles: [] }) }), 403, 'ErrorAccessDenied');
		await expectError(graph('POST', `${SHARED}/sendMail`, { token: issue({ roles: ['Mail.ReadWrite'] }), body: { message: { subject: 'x', toRecipients: [{ emailAddress: { address: DEMO.user } }] } } }), 403, 'ErrorAccessDenied');
	});

	test('delegated: a missing scope → 403; another mailbox needs a .Shared scope and FullAccess', async () => {
		await expectError(graph('GET', '/me/messages', { token: graphUserToken(sandbox, 'Mail.Send') }), 403, 'ErrorAccessDenied');
		await expectError(graph('GET', `${SHARED}/messages`, { token: graphUserToken(sandbox, 'Mail.ReadWrite') }), 403, 'ErrorAccessDenied');
		await expectError(graph('GET', `/users/${DEMO.noreplyMailbox}/messages`, { token: graphUserToken(sandbox) }), 403, 'ErrorAccessDenied');
		expect((await graph('GET', `${SHARED}/messages`, { token: graphUserToken(sandbox, 'Mail.ReadWrite.Shared') })).status).toBe(200);
	});

	test('a mailbox outside the app scope → 403 (RBAC scope or application access policy); scopes can be set from tests', async () => {
		await expectError(graph('GET', `/users/${DEMO.user}/messages`), 403, 'ErrorAccessDenied', /Access is denied/);
		sandbox.graph.setAppScope(DEMO.appOnlyClientId, { mailboxes: [DEMO.user], via: 'accessPolicy' });
		try {
			expect((await graph('GET', `/users/${DEMO.user}/messages`)).status).toBe(200);
			await expectError(graph('GET', `${SHARED}/messages`), 403, 'ErrorAccessDenied', /Access to OData is disabled/);
			sandbox.graph.setAppScope(DEMO.appOnlyClientId, { mailboxes: '*', via: 'rbac' });
			expect((await graph('GET', `${SHARED}/messages`)).status).toBe(200);
		} finally {
			sandbox.graph.setAppScope(DEMO.appOnlyClientId, undefined);
		}
	});

	test('unknown user → 404 ErrorInvalidUser; mailbox without REST → MailboxNotEnabledForRESTAPI; users by object id', async () => {
		await expectError(graph('GET', '/users/nobody@contoso.test/messages'), 404, 'ErrorInvalidUser', /'nobody@contoso\.test'/);
		sandbox.graph.disableRest(DEMO.sharedMailbox);
		try {
			await expectError(graph('GET', `${SHARED}/messages`), 404, 'MailboxNotEnabledForRESTAPI');
		} finally {
			sandbox.graph.disableRest(DEMO.sharedMailbox, false);
		}
		const { objectIdOf } = await import('./auth');
		expect((await graph('GET', `/users/${objectIdOf(DEMO.sharedMailbox)}/mailFolders/inbox`)).status).toBe(200);
	});
});

describe('ids across protocols', () => {
	test('an EWS ItemId is malformed for Graph, and a Graph id is malformed for EWS', async () => {
		const ewsId = sandbox.ews.store.deliver(DEMO.sharedMailbox, { from: 'a@b.test', to: DEMO.sharedMailbox, subject: 'two ids' });
		await expectError(graph('GET', `${SHARED}/messages/${encodeURIComponent(ewsId)}`), 400, 'ErrorInvalidIdMalformed');
		const inbox = sandbox.ews.store.distinguishedFolder(DEMO.sharedMailbox, 'inbox');
		await expectError(graph('GET', `${SHARED}/mailFolders/${encodeURIComponent(inbox?.id ?? '')}`), 400, 'ErrorInvalidIdMalformed');

		const { svc } = exchangeService(sandbox, { token: ewsAppToken(sandbox), impersonate: DEMO.sharedMailbox });
		const { Item, ItemId, PropertySet, BasePropertySet, Folder, FolderId } = ews();
		const itemFault = await rejection<{ ErrorCode: number; Message: string }>(Item.Bind(svc, new ItemId(messageId), new PropertySet(BasePropertySet.IdOnly)));
		expect(itemFault.Message).toMatch(/malformed/i);
		const graphFolder = (await graph('GET', `${SHARED}/mailFolders/inbox`)).json<Json>().id;
		const folderFault = await rejection<{ Message: string }>(Folder.Bind(svc, new FolderId(graphFolder), new PropertySet(BasePropertySet.IdOnly)));
		expect(folderFault.Message).toMatch(/malformed/i);
	});

	test('a message of another mailbox is not found through this mailbox', async () => {
		sandbox.graph.setAppScope(DEMO.appOnlyClientId, { mailboxes: '*', via: 'rbac' });
		try {
			await expectError(graph('GET', `/users/${DEMO.user}/messages/${messageId}`), 404, 'ErrorItemNotFound');
		} finally {
			sandbox.graph.setAppScope(DEMO.appOnlyClientId, undefined);
		}
	});
});

describe('request bodies against microsoft-graph-types', () => {
	test.each([
		['an unknown property', { isRead: true, isUnread: false }, /The property 'isUnread' does not exist on type 'Microsoft\.OutlookServices\.Message'/],
		['a wrong primitive', { isRead: 'yes' }, /Edm\.Boolean/],
		['an unknown enum value', { importance: 'urgent' }, /Requested value 'urgent' was not found/],
		['a nested unknown property', { flag: { flagStatus: 'flagged', colour: 'red' } }, /'colour' does not exist on type 'Microsoft\.OutlookServices\.FollowupFlag'/],
		['a string for a collection', { categories: 'Red' }, /collection/],
	])('PATCH with %s → 400 RequestBodyRead', async (_name, body, message) => {
		await expectError(graph('PATCH', `${SHARED}/messages/${messageId}`, { body }), 400, 'RequestBodyRead', message);
	});

	test('read-only properties are refused', async () => {
		await expectError(graph('PATCH', `${SHARED}/messages/${messageId}`, { body: { hasAttachments: true } }), 400, 'ErrorInvalidPropertySet');
	});

	test.each([
		['sendMail', '/sendMail', { message: { subject: 'x' }, saveToSent: false }, /'saveToSent' .* not a valid parameter for the operation 'sendMail'/],
		['move', `/messages/{id}/move`, { destinationId: 'archive', folder: 'x' }, /'folder' .* operation 'move'/],
		['a message with an unknown property', '/sendMail', { message: { subject: 'x', recipients: [] } }, /'recipients' does not exist/],
		['an attachment of an unknown derived type', '/sendMail', { message: { subject: 'x', attachments: [{ '@odata.type': '#microsoft.graph.nothing', name: 'a' }] } }, /could not be resolved/],
	])('action body: %s → 400 RequestBodyRead', async (_name, path, body, message) => {
		await expectError(graph('POST', `${SHARED}${path.replace('{id}', messageId)}`, { body }), 400, 'RequestBodyRead', message);
	});

	test('invalid JSON → 400 BadRequest', async () => {
		await expectError(graph('PATCH', `${SHARED}/messages/${messageId}`, { rawBody: '{"isRead": tru', headers: { 'Content-Type': 'application/json' } }), 400, 'BadRequest');
	});
});

describe('routes', () => {
	test('an unknown segment → 400; a wrong method → 405', async () => {
		expect((await graph('GET', `${SHARED}/calendars`)).status).toBe(400);
		expect((await graph('PUT', `${SHARED}/messages/${messageId}`)).status).toBe(405);
	});
});
