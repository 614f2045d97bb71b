// Schema validation of every request (ErrorSchemaValidation like Exchange), fault injection, latency and counters.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { DEMO, startSandbox, type Sandbox } from '../index';
import { appToken, ews, exchangeService, impersonationHeader, postSoap, rejection, soapEnvelope } from './test-client';

process.env.TZ = 'UTC';

const repoRoot = resolve(__dirname, '..', '..', '..');
const schemaDir = resolve(repoRoot, '..', 'shared', 'ews-schemas');
const haveSchemas = existsSync(schemaDir);
if (!haveSchemas) console.warn(`EWS schema tests skipped: ${schemaDir} is absent.`);
const withSchemas = haveSchemas ? test : test.skip;

let sandbox: Sandbox;

beforeAll(async () => {
	sandbox = await startSandbox();
});

afterAll(async () => {
	await sandbox?.stop();
});

beforeEach(() => sandbox.ews.reset());

const post = (body: string, token = appToken(sandbox)) =>
	postSoap(sandbox, soapEnvelope(body, impersonationHeader(DEMO.sharedMailbox)), token, { 'X-AnchorMailbox': DEMO.sharedMailbox });
const faultCode = (text: string) => /<faultcode[^>]*>a:(\w+)<\/faultcode>/.exec(text)?.[1];
const appService = () => exchangeService(sandbox, { token: appToken(sandbox), impersonate: DEMO.sharedMailbox }).svc;

interface SoapFault {
	ResponseCode: number;
	HttpStatusCode: number;
	ErrorDetails: { get(key: string): string | undefined; containsKey(key: string): boolean };
	message: string;
}

describe('schema validation', () => {
	const syncWith = (max: number) =>
		`<m:SyncFolderItems>
      <m:ItemShape><t:BaseShape>IdOnly</t:BaseShape></m:ItemShape>
      <m:SyncFolderId><t:DistinguishedFolderId Id="inbox"/></m:SyncFolderId>
      <m:MaxChangesReturned>${max}</m:MaxChangesReturned>
    </m:SyncFolderItems>`;

	withSchemas('MaxChangesReturned 1000 → HTTP 500 ErrorSchemaValidation fault with line/position, like Exchange', async () => {
		const reply = await post(syncWith(1000));
		expect(reply.status).toBe(500);
		expect(faultCode(reply.text)).toBe('ErrorSchemaValidation');
		expect(reply.text).toMatch(/<faultstring xml:lang="en-US">The request failed schema validation: .*maxInclusive.*1000.*512.* Line 8, position 7\.<\/faultstring>/);
		expect(reply.text).toContain('<e:ResponseCode xmlns:e="http://schemas.microsoft.com/exchange/services/2006/errors">ErrorSchemaValidation</e:ResponseCode>');
		expect(reply.text).toMatch(/<t:MessageXml[^>]*><t:LineNumber>8<\/t:LineNumber><t:LinePosition>7<\/t:LinePosition><t:Violation>/);
		expect(sandbox.ews.requests.at(-1)).toMatchObject({ operation: 'SyncFolderItems', status: 500, responseCode: 'ErrorSchemaValidation' });

		const ok = await post(syncWith(512));
		expect(ok.status).toBe(200);
	});

	withSchemas('header children are validated too (a bad ExchangeImpersonation), and so is a misspelt element', async () => {
		const badHeader = await postSoap(
			sandbox,
			soapEnvelope('<m:GetFolder><m:FolderShape><t:BaseShape>IdOnly</t:BaseShape></m:FolderShape><m:FolderIds><t:DistinguishedFolderId Id="inbox"/></m:FolderIds></m:GetFolder>', '<t:ExchangeImpersonation><t:ConnectingSID><t:Smtp>x@contoso.test</t:Smtp></t:ConnectingSID></t:ExchangeImpersonation>'),
			appToken(sandbox),
		);
		expect(faultCode(badHeader.text)).toBe('ErrorSchemaValidation');
		const misspelt = await post('<m:GetFolder><m:FolderShape><t:BaseShape>Everything</t:BaseShape></m:FolderShape><m:FolderIds><t:DistinguishedFolderId Id="inbox"/></m:FolderIds></m:GetFolder>');
		expect(faultCode(misspelt.text)).toBe('ErrorSchemaValidation');
		expect(misspelt.text).toContain('Everything');
	});

	test('not well-formed XML → ErrorSchemaValidation; a schema-valid operation the stand-in lacks → ErrorInvalidRequest', async () => {
		const broken = await post('<m:GetFolder><m:FolderShape>');
		expect(broken.status).toBe(500);
		expect(faultCode(broken.text)).toBe('ErrorSchemaValidation');
		const unsupported = await post('<m:GetServerTimeZones ReturnFullTimeZoneData="false"/>');
		expect(unsupported.status).toBe(500);
		expect(faultCode(unsupported.text)).toBe('ErrorInvalidRequest');
		expect(sandbox.ews.counts()).toEqual({ Unknown: 1, GetServerTimeZones: 1 });
	});

	withSchemas('ews-javascript-api does not XML-escape values: raw HTML in a body is refused like Exchange would', async () => {
		const { EmailMessage, MessageBody, BodyType, ServiceError } = ews();
		const message = new EmailMessage(appService());
		message.Subject = 'Unescaped';
		message.Body = new MessageBody(BodyType.HTML, '<p>Hello</p>');
		message.ToRecipients.Add(DEMO.user);
		const error = await rejection<SoapFault>(message.SendAndSaveCopy());
		expect(ServiceError[error.ResponseCode]).toBe('ErrorSchemaValidation');
		expect(sandbox.ews.store.sent.some((sent) => sent.subject === 'Unescaped')).toBe(false);
	});

	withSchemas('validation cost: a warm validator adds a few ms per request, not the 0.3 s schema compile', async () => {
		const { Folder, WellKnownFolderName, EmailMessage, ItemId, PropertySet, BasePropertySet } = ews();
		const svc = appService();
		const id = sandbox.ews.store.deliver(DEMO.sharedMailbox, { from: 'a@example.test', to: DEMO.sharedMailbox, subject: 'cost' });
		await Folder.Bind(svc, WellKnownFolderName.Inbox); // warm-up
		const stats = sandbox.ews.validator!.stats;
		const before = { ...stats };
		const started = Date.now();
		const rounds = 40;
		for (let i = 0; i < rounds; i++) await EmailMessage.Bind(svc, new ItemId(id), new PropertySet(BasePropertySet.FirstClassProperties));
		const perRequest = (Date.now() - started) / rounds;
		const validationPerRequest = (stats.totalMs - before.totalMs) / rounds;
		console.log(`EWS validation: ${validationPerRequest.toFixed(1)} ms of ${perRequest.toFixed(1)} ms per GetItem round trip (${(stats.fragments - before.fragments) / rounds} fragments each)`);
		expect(validationPerRequest).toBeLessThan(50);
	});
});

describe('fault injection', () => {
	test('ErrorServerBusy: HTTP 500 fault with BackOffMilliseconds; the library exposes it in ErrorDetails', async () => {
		const { Folder, WellKnownFolderName, ServiceError } = ews();
		sandbox.ews.failNext('ErrorServerBusy', 1, { backOffMs: 2500 });
		const error = await rejection<SoapFault>(Folder.Bind(appService(), WellKnownFolderName.Inbox));
		expect(error.HttpStatusCode).toBe(500);
		expect(ServiceError[error.ResponseCode]).toBe('ErrorServerBusy');
		expect(error.ErrorDetails.get('BackOffMilliseconds')).toBe('2500');
		// Consumed: the next call works.
		await Folder.Bind(appService(), WellKnownFolderName.Inbox);
		expect(sandbox.ews.requests.map((request) => [request.status, request.fault])).toEqual([
			[500, 'ErrorServerBusy'],
			[200, undefined],
		]);
	});

	test('ErrorServerBusyNoBackOff, ErrorExceededConnectionCount, http503 and expiredToken', async () => {
		const { Folder, WellKnownFolderName, ServiceError } = ews();
		const bind = () => rejection<SoapFault>(Folder.Bind(appService(), WellKnownFolderName.Inbox));
		sandbox.ews.failNext('ErrorServerBusyNoBackOff');
		const noBackOff = await bind();
		expect(ServiceError[noBackOff.ResponseCode]).toBe('ErrorServerBusy');
		expect(noBackOff.ErrorDetails.containsKey('BackOffMilliseconds')).toBe(false);

		sandbox.ews.failNext('ErrorExceededConnectionCount');
		expect(ServiceError[(await bind()).ResponseCode]).toBe('ErrorExceededConnectionCount');

		sandbox.ews.failNext('http503');
		expect((await bind()).HttpStatusCode).toBe(503);

		sandbox.ews.failNext('expiredToken');
		const expired = await bind();
		expect(expired.HttpStatusCode).toBe(401);
		expect(expired.message).toContain('error_category="invalid_lifetime"');
		expect(sandbox.ews.requests.map((request) => request.fault)).toEqual(['ErrorServerBusyNoBackOff', 'ErrorExceededConnectionCount', 'http503', 'expiredToken']);
	});

	test('drop destroys the connection without an answer; slow answers after the delay', async () => {
		const { Folder, WellKnownFolderName } = ews();
		sandbox.ews.failNext('drop');
		const dropped = await rejection<{ code?: string; message?: string }>(Folder.Bind(appService(), WellKnownFolderName.Inbox));
		expect(JSON.stringify(dropped)).toMatch(/ECONNRESET|socket hang up/);
		expect(sandbox.ews.requests.at(-1)).toMatchObject({ status: 0, fault: 'drop' });

		sandbox.ews.failNext('slow', 1, { delayMs: 300 });
		const started = Date.now();
		await Folder.Bind(appService(), WellKnownFolderName.Inbox);
		expect(Date.now() - started).toBeGreaterThanOrEqual(300);
		expect(sandbox.ews.requests.at(-1)).toMatchObject({ status: 200, fault: 'slow' });
	});

	test('faults can target one operation; ErrorInvalidSyncStateData only hits SyncFolderItems; count > 1', async () => {
		const { Folder, WellKnownFolderName, PropertySet, BasePropertySet, SyncFolderItemsScope, FolderId, ServiceError } = ews();
		const svc = appService();
		const inbox = sandbox.ews.store.distinguishedFolder(DEMO.sharedMailbox, 'inbox')!;
		sandbox.ews.failNext('ErrorInvalidSyncStateData', 2);
		sandbox.ews.failNext('ErrorServerBusy', 1, { operation: 'FindItem' });
		await Folder.Bind(svc, WellKnownFolderName.Inbox); // neither fault applies
		const sync = () => svc.SyncFolderItems(new FolderId(inbox.id), new PropertySet(BasePropertySet.IdOnly), null as never, 10, SyncFolderItemsScope.NormalItems, null as never);
		for (let i = 0; i < 2; i++) expect(ServiceError[(await rejection<{ ErrorCode: number }>(sync())).ErrorCode]).toBe('ErrorInvalidSyncStateData');
		await sync();
		const busy = await rejection<SoapFault>(svc.FindItems(WellKnownFolderName.Inbox, new (ews().ItemView)(1)));
		expect(ServiceError[busy.ResponseCode]).toBe('ErrorServerBusy');
		expect(sandbox.ews.counts()).toEqual({ GetFolder: 1, SyncFolderItems: 3, FindItem: 1 });
	});

	test('a faulted call never half-applies: MoveItem under ErrorServerBusy leaves the item where it was', async () => {
		const { ItemId, FolderId } = ews();
		const target = sandbox.ews.store.createFolder(DEMO.sharedMailbox, 'inbox', 'fault-target');
		const id = sandbox.ews.store.deliver(DEMO.sharedMailbox, { from: 'a@example.test', to: DEMO.sharedMailbox, subject: 'stay' });
		sandbox.ews.failNext('ErrorServerBusy');
		await rejection(appService().MoveItems([new ItemId(id)], new FolderId(target.id)));
		expect(sandbox.ews.store.getItem(id)?.folderId).toBe(sandbox.ews.store.distinguishedFolder(DEMO.sharedMailbox, 'inbox')?.id);
		expect(sandbox.ews.store.listItemsIn(target.id)).toHaveLength(0);
	});

	test('setLatency delays every answer; clearRequests empties the log', async () => {
		const { Folder, WellKnownFolderName } = ews();
		sandbox.ews.setLatency(150);
		const started = Date.now();
		await Folder.Bind(appService(), WellKnownFolderName.Inbox);
		expect(Date.now() - started).toBeGreaterThanOrEqual(150);
		sandbox.ews.setLatency(0);
		expect(sandbox.ews.requests).toHaveLength(1);
		sandbox.ews.clearRequests();
		expect(sandbox.ews.requests).toHaveLength(0);
		expect(sandbox.ews.counts()).toEqual({});
	});
});

test('without the schema folder the stand-in warns and serves unvalidated', async () => {
	const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
	const bare = await startSandbox({ ewsSchemaDir: resolve(repoRoot, 'no-such-schema-folder') });
	try {
		expect(warn).toHaveBeenCalledWith(expect.stringContaining("not checked against Microsoft's EWS schema"));
		expect(bare.ews.validator).toBeUndefined();
		const reply = await postSoap(
			bare,
			soapEnvelope('<m:SyncFolderItems><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape></m:ItemShape><m:SyncFolderId><t:DistinguishedFolderId Id="inbox"/></m:SyncFolderId><m:MaxChangesReturned>1000</m:MaxChangesReturned></m:SyncFolderItems>', impersonationHeader(DEMO.sharedMailbox)),
			bare.entra.issueToken({ tenantId: DEMO.tenantId, clientId: DEMO.appOnlyClientId, roles: ['full_access_as_app'] }),
		);
		expect(reply.status).toBe(200);
	} finally {
		warn.mockRestore();
		await bare.stop();
	}
});
