/** Entra mints Microsoft Graph tokens as it does on the real service: one resource per token, roles and scopes per resource. */
import { DEMO, startSandbox, type Sandbox } from './index';
import { GRAPH_RESOURCES } from './entra';
import { decodePayload, httpsCall, postForm } from './test-helpers';
import { delegatedTokenData } from '../support/sandboxCredentials';

let sandbox: Sandbox;
beforeAll(async () => {
	sandbox = await startSandbox();
});
afterAll(async () => {
	await sandbox?.stop();
});

const GRAPH = 'https://graph.microsoft.com';
const EXO = 'https://outlook.office365.com';

async function appToken(scope: string, clientId: string = DEMO.appOnlyClientId, secret: string = DEMO.appOnlyClientSecret) {
	const reply = await postForm(sandbox.entra.tokenUrl(DEMO.tenantId), sandbox.ca, { grant_type: 'client_credentials', client_id: clientId, client_secret: secret, scope });
	return { status: reply.status, body: reply.json<Record<string, unknown>>() };
}

describe('app-only Graph tokens', () => {
	it.each(GRAPH_RESOURCES)('a token for %s/.default has that audience and only the Graph roles', async (resource) => {
		const { status, body } = await appToken(`${resource}/.default`);
		expect(status).toBe(200);
		const claims = decodePayload(String(body.access_token));
		expect(claims.aud).toBe(resource);
		expect(claims.roles).toEqual(['Mail.ReadWrite', 'Mail.Send']);
	});

	it('the Exchange token carries the Exchange roles, never the Graph ones', async () => {
		const claims = decodePayload(String((await appToken(`${EXO}/.default`)).body.access_token));
		expect(claims.aud).toBe(EXO);
		expect(claims.roles).toEqual(['SMTP.SendAsApp', 'full_access_as_app']);
	});

	it.each([
		['Mail.ReadWrite only', 'a1000001', ['Mail.ReadWrite']],
		['Mail.Send only', 'a1000002', ['Mail.Send']],
		['no Graph permission', 'a1000003', []],
		['no Graph entry at all', 'a1000004', undefined],
	])('an app with %s gets exactly those roles', async (_name, idPrefix, graphRoles) => {
		const clientId = `${idPrefix}-aaaa-4bbb-8ccc-0123456789ab`;
		sandbox.entra.registerApp({ tenantId: DEMO.tenantId, clientId, clientSecret: 's', roles: ['full_access_as_app'], graphRoles, delegatedScopes: [], sendAs: [] });
		const { status, body } = await appToken(`${GRAPH}/.default`, clientId, 's');
		expect(status).toBe(200);
		const claims = decodePayload(String(body.access_token));
		expect(claims.roles).toEqual(graphRoles?.length ? graphRoles : undefined);
	});

	it('refuses Graph and Exchange in one request, like Entra (one resource per token)', async () => {
		const { status, body } = await appToken(`${GRAPH}/.default ${EXO}/.default`);
		expect(status).toBe(400);
		expect(body.error_codes).toEqual([28000]);
	});

	it('EWS and SMTP refuse a Graph token: wrong audience', async () => {
		const token = String((await appToken(`${GRAPH}/.default`)).body.access_token);
		await expect(sandbox.entra.verifyToken(token)).rejects.toMatchObject({ reason: 'audience' });
	});
});

describe('delegated Graph tokens', () => {
	const graphScope = `${GRAPH}/Mail.ReadWrite ${GRAPH}/Mail.Send ${GRAPH}/Mail.ReadWrite.Shared ${GRAPH}/Mail.Send.Shared offline_access openid`;

	it('a sign-in for the Graph Mail scopes gets a Graph token with those scp', async () => {
		const data = (await delegatedTokenData(sandbox, graphScope)) as Record<string, unknown>;
		const claims = decodePayload(String(data.access_token));
		expect(claims.aud).toBe(GRAPH);
		expect(String(claims.scp).split(' ')).toEqual(['Mail.ReadWrite', 'Mail.Send', 'Mail.ReadWrite.Shared', 'Mail.Send.Shared']);
		expect(claims.upn).toBe(DEMO.user);
		expect(data.refresh_token).toEqual(expect.any(String));
	});

	it('refuses a Graph scope the app has no consent for (AADSTS65001)', async () => {
		const clientId = 'b2000000-aaaa-4bbb-8ccc-0123456789ab';
		sandbox.entra.registerApp({ tenantId: DEMO.tenantId, clientId, clientSecret: DEMO.delegatedClientSecret, roles: [], delegatedScopes: ['EWS.AccessAsUser.All', 'offline_access', 'openid'], sendAs: [] });
		const authorize = new URL(sandbox.entra.authorizeUrl(DEMO.tenantId));
		authorize.search = new URLSearchParams({ client_id: clientId, response_type: 'code', redirect_uri: 'http://localhost:5678/cb', scope: graphScope, state: 's' }).toString();
		const code = new URL(String((await httpsCall(authorize.toString(), sandbox.ca)).headers.location)).searchParams.get('code') ?? '';
		const reply = await postForm(sandbox.entra.tokenUrl(DEMO.tenantId), sandbox.ca, { grant_type: 'authorization_code', code, redirect_uri: 'http://localhost:5678/cb', client_id: clientId, client_secret: DEMO.delegatedClientSecret, scope: graphScope });
		expect(reply.status).toBe(400);
		expect(reply.json<Record<string, unknown>>().error_codes).toEqual([65001]);
	});

	it('refuses EWS.AccessAsUser.All and Graph Mail scopes in one sign-in', async () => {
		await expect(delegatedTokenData(sandbox, `${EXO}/EWS.AccessAsUser.All ${GRAPH}/Mail.ReadWrite offline_access`)).rejects.toThrow(/AADSTS28000/);
	});
});
