/**
 * The credential Test buttons for each Mailbox API, against the sandbox's real Entra, Graph and EWS servers over TLS:
 * Graph roles, the Test Mailbox opened over Graph, and each refusal turned into its fix; EWS in Exchange Online refused.
 */
import type { ICredentialDataDecryptedObject, ICredentialsDecrypted } from 'n8n-workflow';

import { testAppOnlyCredential, testDelegatedEwsCredential } from '../../nodes/shared/credentialTests';
import { DEMO, type Sandbox } from '../sandbox';
import { appOnlyCredential, delegatedCredential, EWS_DELEGATED_SCOPE } from '../support/sandboxCredentials';
import { useSandbox } from '../support/useSandbox';

const currentSandbox = useSandbox();
let sandbox: Sandbox;
beforeAll(() => {
	sandbox = currentSandbox();
});
beforeEach(() => {
	sandbox.graph.clearRequests();
	sandbox.graph.setAppScope(DEMO.appOnlyClientId, undefined);
});

const GRAPH = 'https://graph.microsoft.com';
const GRAPH_SIGN_IN = `${GRAPH}/Mail.ReadWrite ${GRAPH}/Mail.Send ${GRAPH}/Mail.ReadWrite.Shared ${GRAPH}/Mail.Send.Shared offline_access openid`;
const decrypted = (data: ICredentialDataDecryptedObject): ICredentialsDecrypted => ({ id: '1', name: 'test', type: 'x', data });
const onGraph = (overrides: ICredentialDataDecryptedObject = {}) => ({ customMailboxApi: 'graph', graphUrl: sandbox.graphUrl, graphResource: GRAPH, ...overrides });

describe('app-only test on Microsoft Graph', () => {
	it('asks Entra for one Graph and one Exchange token, checks the Graph roles and opens the Test Mailbox over Graph', async () => {
		const result = await testAppOnlyCredential(decrypted(appOnlyCredential(sandbox, onGraph({ testMailbox: DEMO.sharedMailbox }))));
		expect(result).toEqual({ status: 'OK', message: `Opened the inbox of ${DEMO.sharedMailbox} at ${sandbox.graphUrl} (0 messages) with Mail.ReadWrite and Mail.Send and SMTP.SendAsApp.` });
		expect(sandbox.entra.requests.map((request) => request.scope).sort()).toEqual([`${GRAPH}/.default`, 'https://outlook.office365.com/.default']);
		expect(sandbox.graph.requests.map((request) => request.endpoint)).toEqual([expect.stringMatching(/^GET .*mailFolders/)]);
		expect(sandbox.ews.requests).toHaveLength(0);
	});

	it('counts the messages of the inbox it opened', async () => {
		sandbox.ews.store.deliver(DEMO.noreplyMailbox, { to: DEMO.noreplyMailbox, subject: 'one' });
		sandbox.ews.store.deliver(DEMO.noreplyMailbox, { to: DEMO.noreplyMailbox, subject: 'two' });
		const result = await testAppOnlyCredential(decrypted(appOnlyCredential(sandbox, onGraph({ testMailbox: DEMO.noreplyMailbox }))));
		expect(result.message).toContain(`Opened the inbox of ${DEMO.noreplyMailbox} at ${sandbox.graphUrl} (2 messages)`);
	});

	it.each([
		['no Graph permission', 'c1000001', [] as string[], ['Mail.ReadWrite', 'Mail.Send']],
		['Mail.ReadWrite only', 'c1000002', ['Mail.ReadWrite'], ['Mail.Send']],
		['Mail.Send only', 'c1000003', ['Mail.Send'], ['Mail.ReadWrite']],
	])('fails with %s, naming each missing Graph permission and where to grant it', async (_name, prefix, graphRoles, missing) => {
		const clientId = `${prefix}-aaaa-4bbb-8ccc-0123456789ab`;
		sandbox.entra.registerApp({ tenantId: DEMO.tenantId, clientId, clientSecret: 'graph-test-secret', roles: ['SMTP.SendAsApp'], graphRoles, delegatedScopes: [], sendAs: [] });
		const result = await testAppOnlyCredential(decrypted(appOnlyCredential(sandbox, onGraph({ clientId, clientSecret: 'graph-test-secret', testMailbox: DEMO.sharedMailbox }))));
		expect(result.status).toBe('Error');
		for (const role of ['Mail.ReadWrite', 'Mail.Send']) {
			const expectation = expect(result.message);
			if (missing.includes(role)) expectation.toContain(`lacks the application permission ${role}, needed for mailbox access over Microsoft Graph`);
			else expectation.not.toContain(`permission ${role},`);
		}
		expect(result.message).toContain('API permissions → Microsoft Graph → Application permissions');
		expect(result.message).toContain('Grant admin consent');
		expect(sandbox.graph.requests).toHaveLength(0);
	});

	it('names the scope fix when the mailbox is outside the app\'s RBAC scope', async () => {
		sandbox.graph.setAppScope(DEMO.appOnlyClientId, { mailboxes: [DEMO.noreplyMailbox], via: 'rbac' });
		const result = await testAppOnlyCredential(decrypted(appOnlyCredential(sandbox, onGraph({ testMailbox: DEMO.sharedMailbox }))));
		expect(result.status).toBe('Error');
		expect(result.message).toContain(`Microsoft Graph refused to open ${DEMO.sharedMailbox} (HTTP 403`);
		expect(result.message).toContain(`New-ManagementRoleAssignment -App ${DEMO.appOnlyClientId} -Role "Application Mail.ReadWrite"`);
		expect(result.message).toContain('unscoped Entra grant');
		expect(result.message).not.toMatch(/<[a-z]/i);
	});

	it('says so when the Test Mailbox does not exist', async () => {
		const result = await testAppOnlyCredential(decrypted(appOnlyCredential(sandbox, onGraph({ testMailbox: 'nobody@contoso.test' }))));
		expect(result.status).toBe('Error');
		expect(result.message).toMatch(/^Microsoft Graph found no mailbox nobody@contoso\.test \(HTTP 404 \w+/);
	});

	it('names the Graph Resource when Graph refuses the token (wrong audience)', async () => {
		const result = await testAppOnlyCredential(decrypted(appOnlyCredential(sandbox, onGraph({ graphResource: 'https://graph.microsoft.us', testMailbox: DEMO.sharedMailbox }))));
		expect(result.status).toBe('Error');
		expect(result.message).toContain('Microsoft Graph refused the token (HTTP 401 InvalidAuthenticationToken');
		expect(result.message).toContain('the token is for https://graph.microsoft.us');
	});

	it('never puts a token or the secret into a message', async () => {
		sandbox.graph.setAppScope(DEMO.appOnlyClientId, { mailboxes: [], via: 'accessPolicy' });
		const result = await testAppOnlyCredential(decrypted(appOnlyCredential(sandbox, onGraph({ testMailbox: DEMO.sharedMailbox }))));
		expect(result.status).toBe('Error');
		expect(result.message).not.toContain(DEMO.appOnlyClientSecret);
		expect(result.message).not.toMatch(/eyJ[\w-]{10,}/);
	});

	it('a credential without a Mailbox API (0.1) is tested on EWS, with the date EWS ends in Exchange Online', async () => {
		const result = await testAppOnlyCredential(decrypted(appOnlyCredential(sandbox, { testMailbox: DEMO.sharedMailbox })));
		expect(result.status).toBe('OK');
		expect(result.message).toContain('/EWS/Exchange.asmx');
		expect(result.message).toContain('switched off for good on 1 April 2027');
		expect(sandbox.entra.requests.map((request) => request.scope)).toEqual(['https://outlook.office365.com/.default']);
		expect(sandbox.graph.requests).toHaveLength(0);
	});
});

describe('EWS refused in Exchange Online', () => {
	it.each([401, 403])('HTTP %i with a fresh token: the allow list, the app ID and the end date, and the way to Graph', async (status) => {
		// Twice: a 401 makes the client fetch a new token and try once more.
		sandbox.ews.failNext('http', 2, { status });
		const result = await testAppOnlyCredential(decrypted(appOnlyCredential(sandbox, { testMailbox: DEMO.sharedMailbox })));
		expect(result.status).toBe('Error');
		expect(result.message).toContain(`Exchange Online refused EWS for the app ${DEMO.appOnlyClientId} (HTTP ${status}`);
		expect(result.message).toContain(`Set-OrganizationConfig -EwsAllowedAppIDs`);
		expect(result.message).toContain('1 October 2026');
		expect(result.message).toContain('1 April 2027');
		expect(result.message).toContain('Mailbox API to Microsoft Graph');
	});

	it('an Exchange Server (own resource) refusing EWS is not told to move to Graph', async () => {
		sandbox.ews.failNext('http', 1, { status: 403 });
		const result = await testAppOnlyCredential(decrypted(appOnlyCredential(sandbox, { resource: sandbox.https.origin, testMailbox: DEMO.sharedMailbox })));
		expect(result.status).toBe('Error');
		expect(result.message).toContain('(HTTP 403)');
		expect(result.message).not.toContain('Exchange Online refused EWS');
		expect(result.message).not.toContain('Microsoft Graph');
	});
});

describe('delegated test on Microsoft Graph', () => {
	it('opens the signed-in user\'s inbox over Graph with the Graph sign-in', async () => {
		const data = await delegatedCredential(sandbox, onGraph(), GRAPH_SIGN_IN);
		const result = await testDelegatedEwsCredential(decrypted(data));
		expect(result).toEqual({ status: 'OK', message: `Signed in as ${DEMO.user}; opened the inbox at ${sandbox.graphUrl} (0 messages).` });
		expect(sandbox.graph.requests.map((request) => request.endpoint)).toEqual([expect.stringMatching(/^GET .*mailFolders/)]);
	});

	it('a sign-in made for EWS is refused for Graph, with "connect again"', async () => {
		const data = await delegatedCredential(sandbox, onGraph(), EWS_DELEGATED_SCOPE);
		const result = await testDelegatedEwsCredential(decrypted(data));
		expect(result.status).toBe('Error');
		expect(result.message).toContain('lacks the delegated permission Mail.ReadWrite and Mail.Send (Microsoft Graph)');
		expect(result.message).toContain('Connect my account');
		expect(sandbox.graph.requests).toHaveLength(0);
	});

	it('refreshes an expired Graph sign-in with the Graph scopes', async () => {
		const data = await delegatedCredential(sandbox, onGraph(), GRAPH_SIGN_IN);
		const tokenData = data.oauthTokenData as Record<string, unknown>;
		// A token whose exp has passed (the sandbox signs it), as after an hour without a run.
		tokenData.access_token = sandbox.entra.issueToken({ tenantId: DEMO.tenantId, clientId: DEMO.delegatedClientId, upn: DEMO.user, scp: 'Mail.ReadWrite Mail.Send', audience: GRAPH, lifetimeSeconds: -10 });
		sandbox.entra.clearRequests();
		const result = await testDelegatedEwsCredential(decrypted(data));
		expect(result.status).toBe('OK');
		expect(sandbox.entra.requests).toEqual([expect.objectContaining({ grantType: 'refresh_token', scope: expect.stringContaining(`${GRAPH}/Mail.ReadWrite`) })]);
	});
});
