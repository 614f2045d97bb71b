// EWS auth as Exchange Online does it: 401 + x-ms-diagnostics for bad tokens, impersonation rules for app-only vs
// delegated tokens, the app's mailbox scope (RBAC for Applications) and FullAccess delegates; X-AnchorMailbox accounting.
import { DEMO, startSandbox, type Sandbox } from '../index';
import { appToken, ews, exchangeService, impersonationHeader, postSoap, rejection, soapEnvelope, userToken } from './test-client';

process.env.TZ = 'UTC';

let sandbox: Sandbox;

beforeAll(async () => {
	sandbox = await startSandbox();
});

afterAll(async () => {
	await sandbox?.stop();
});

beforeEach(() => sandbox.ews.reset());

const getInbox = '<m:GetFolder><m:FolderShape><t:BaseShape>IdOnly</t:BaseShape></m:FolderShape><m:FolderIds><t:DistinguishedFolderId Id="inbox"/></m:FolderIds></m:GetFolder>';
const faultCode = (text: string) => /<faultcode[^>]*>a:(\w+)<\/faultcode>/.exec(text)?.[1];

interface SoapFault {
	ResponseCode: number;
	HttpStatusCode: number;
	message: string;
}

describe('401s with x-ms-diagnostics', () => {
	test('no token: 401 with the Bearer challenge but no error="invalid_token"', async () => {
		const reply = await postSoap(sandbox, soapEnvelope(getInbox, impersonationHeader(DEMO.sharedMailbox)), undefined);
		expect(reply.status).toBe(401);
		expect(reply.headers['www-authenticate']).toMatch(/^Bearer client_id="00000002-0000-0ff1-ce00-000000000000", trusted_issuers="[^"]+", token_types="app_asserted_user_v1 service_asserted_app_v1"/);
		expect(reply.headers['www-authenticate']).not.toContain('invalid_token');
	});

	const cases: [string, () => string, RegExp][] = [
		['expired', () => appToken(sandbox, ['full_access_as_app'], -60), /^2000008;reason="The token has expired.";error_category="invalid_lifetime"$/],
		['bad signature', () => appToken(sandbox).replace(/\.[^.]+$/, '.c2lnbmF0dXJl'), /^2000001;reason="The token has an invalid signature.";error_category="invalid_signature"$/],
		[
			'wrong audience (Graph token)',
			() => sandbox.entra.issueToken({ tenantId: DEMO.tenantId, clientId: DEMO.appOnlyClientId, roles: ['full_access_as_app'], audience: 'https://graph.microsoft.com' }),
			/^2000003;reason="The audience claim value is invalid for current resource\. .*";error_category="invalid_resource"$/,
		],
		[
			'app-only without full_access_as_app',
			() => appToken(sandbox, ['SMTP.SendAsApp']),
			new RegExp(`^2000008;reason="The token should have valid permissions or linked account associated with partner application '${DEMO.appOnlyClientId}'.";error_category="invalid_grant"$`),
		],
		['delegated without EWS.AccessAsUser.All', () => userToken(sandbox, 'SMTP.Send'), /error_category="invalid_grant"$/],
	];

	test.each(cases)('%s → 401, and ews-javascript-api reports the diagnostics', async (_name, token, diagnostics) => {
		const raw = await postSoap(sandbox, soapEnvelope(getInbox, impersonationHeader(DEMO.sharedMailbox)), token());
		expect(raw.status).toBe(401);
		expect(raw.headers['x-ms-diagnostics']).toMatch(diagnostics);
		expect(raw.headers['www-authenticate']).toContain('error="invalid_token"');

		const { svc } = exchangeService(sandbox, { token: token(), impersonate: DEMO.sharedMailbox });
		const error = await rejection<SoapFault>(ews().Folder.Bind(svc, ews().WellKnownFolderName.Inbox));
		expect(error.HttpStatusCode).toBe(401);
		expect(error.message).toMatch(diagnostics);
		expect(sandbox.ews.requests.every((request) => request.status === 401)).toBe(true);
	});
});

describe('impersonation rules', () => {
	async function soapError(token: string, header: string) {
		const reply = await postSoap(sandbox, soapEnvelope(getInbox, header), token, { 'X-AnchorMailbox': DEMO.sharedMailbox });
		expect(reply.status).toBe(500);
		return { code: faultCode(reply.text), text: reply.text };
	}

	test('app-only without ExchangeImpersonation → ErrorInvalidExchangeImpersonationHeaderData fault', async () => {
		const { code, text } = await soapError(appToken(sandbox), '<t:RequestServerVersion Version="Exchange2013_SP1"/>');
		expect(code).toBe('ErrorInvalidExchangeImpersonationHeaderData');
		expect(text).toContain('ExchangeImpersonation SOAP header must be present for this type of OAuth token.');
		expect(text).toContain('<e:ResponseCode xmlns:e="http://schemas.microsoft.com/exchange/services/2006/errors">ErrorInvalidExchangeImpersonationHeaderData</e:ResponseCode>');

		const { svc } = exchangeService(sandbox, { token: appToken(sandbox) });
		const error = await rejection<SoapFault>(ews().Folder.Bind(svc, ews().WellKnownFolderName.Inbox));
		expect(ews().ServiceError[error.ResponseCode]).toBe('ErrorInvalidExchangeImpersonationHeaderData');
	});

	test('delegated token with ExchangeImpersonation → ErrorInvalidExchangeImpersonationHeaderData', async () => {
		const { code } = await soapError(userToken(sandbox), impersonationHeader(DEMO.user));
		expect(code).toBe('ErrorInvalidExchangeImpersonationHeaderData');
	});

	test('app-only impersonating a mailbox outside its scope → ErrorImpersonateUserDenied; unknown mailbox → ErrorNonExistentMailbox', async () => {
		expect((await soapError(appToken(sandbox), impersonationHeader(DEMO.user))).code).toBe('ErrorImpersonateUserDenied');
		expect((await soapError(appToken(sandbox), impersonationHeader('ghost@contoso.test'))).code).toBe('ErrorNonExistentMailbox');

		const { svc } = exchangeService(sandbox, { token: appToken(sandbox), impersonate: DEMO.user });
		const error = await rejection<SoapFault>(ews().Folder.Bind(svc, ews().WellKnownFolderName.Inbox));
		expect(ews().ServiceError[error.ResponseCode]).toBe('ErrorImpersonateUserDenied');
		expect(sandbox.ews.requests.at(-1)).toMatchObject({ status: 500, responseCode: 'ErrorImpersonateUserDenied' });
	});

	test('app-only in scope works; a wildcard scope (sendAs "*") reaches mailboxes added later', async () => {
		const { svc } = exchangeService(sandbox, { token: appToken(sandbox), impersonate: DEMO.noreplyMailbox });
		const inbox = await ews().Folder.Bind(svc, ews().WellKnownFolderName.Inbox);
		expect(inbox.DisplayName).toBe('Inbox');
		expect(sandbox.ews.requests.at(-1)).toMatchObject({ impersonated: DEMO.noreplyMailbox, mailbox: DEMO.noreplyMailbox });

		const wildcardClientId = '6a1f0e8b-3c2d-4e5f-8a9b-0c1d2e3f4a5b';
		sandbox.entra.registerApp({ tenantId: DEMO.tenantId, clientId: wildcardClientId, roles: ['full_access_as_app'], delegatedScopes: [], sendAs: ['*'] });
		sandbox.ews.store.addMailbox('new.hire@contoso.test', 'New Hire');
		const token = sandbox.entra.issueToken({ tenantId: DEMO.tenantId, clientId: wildcardClientId, roles: ['full_access_as_app'] });
		const wide = exchangeService(sandbox, { token, impersonate: 'new.hire@contoso.test' }).svc;
		expect((await ews().Folder.Bind(wide, ews().WellKnownFolderName.Inbox)).DisplayName).toBe('Inbox');
	});

	test('delegated: own mailbox; FullAccess mailbox via <t:Mailbox>; others → ErrorAccessDenied', async () => {
		const { Folder, FolderId, WellKnownFolderName, Mailbox, ServiceError } = ews();
		const { svc } = exchangeService(sandbox, { token: userToken(sandbox) });
		const own = await Folder.Bind(svc, WellKnownFolderName.Inbox);
		expect(own.Id.UniqueId).toBe(sandbox.ews.store.distinguishedFolder(DEMO.user, 'inbox')?.id);
		expect(sandbox.ews.requests.at(-1)).toMatchObject({ mailbox: DEMO.user });
		expect(sandbox.ews.requests.at(-1)?.impersonated).toBeUndefined();

		const shared = await Folder.Bind(svc, new FolderId(WellKnownFolderName.Inbox, new Mailbox(DEMO.sharedMailbox)));
		expect(shared.Id.UniqueId).toBe(sandbox.ews.store.distinguishedFolder(DEMO.sharedMailbox, 'inbox')?.id);

		const denied = await rejection<{ ErrorCode: number }>(Folder.Bind(svc, new FolderId(WellKnownFolderName.Inbox, new Mailbox(DEMO.noreplyMailbox))));
		expect(ServiceError[denied.ErrorCode]).toBe('ErrorAccessDenied');

		// Item ids of a mailbox the user can't open are refused too.
		const foreign = sandbox.ews.store.deliver(DEMO.noreplyMailbox, { from: 'a@example.test', to: DEMO.noreplyMailbox, subject: 'private' });
		const item = await rejection<{ ErrorCode: number }>(ews().EmailMessage.Bind(svc, new (ews().ItemId)(foreign)));
		expect(ServiceError[item.ErrorCode]).toBe('ErrorAccessDenied');
	});
});

describe('X-AnchorMailbox', () => {
	test('recorded per request; requests for another mailbox without a matching anchor are answered but flagged', async () => {
		const { Folder, FolderId, WellKnownFolderName, Mailbox } = ews();
		const anchored = exchangeService(sandbox, { token: appToken(sandbox), impersonate: DEMO.sharedMailbox }).svc;
		await Folder.Bind(anchored, WellKnownFolderName.Inbox);
		const unanchored = exchangeService(sandbox, { token: appToken(sandbox), impersonate: DEMO.sharedMailbox, anchor: 'someone.else@contoso.test' }).svc;
		await Folder.Bind(unanchored, WellKnownFolderName.Inbox);
		const delegated = exchangeService(sandbox, { token: userToken(sandbox) }).svc;
		await Folder.Bind(delegated, WellKnownFolderName.Inbox);
		await Folder.Bind(delegated, new FolderId(WellKnownFolderName.Inbox, new Mailbox(DEMO.sharedMailbox)));

		expect(sandbox.ews.requests.map(({ anchorMailbox, anchorMismatch, status }) => ({ anchorMailbox, anchorMismatch, status }))).toEqual([
			{ anchorMailbox: DEMO.sharedMailbox, anchorMismatch: undefined, status: 200 },
			{ anchorMailbox: 'someone.else@contoso.test', anchorMismatch: true, status: 200 },
			{ anchorMailbox: undefined, anchorMismatch: undefined, status: 200 },
			{ anchorMailbox: undefined, anchorMismatch: true, status: 200 },
		]);
	});
});
