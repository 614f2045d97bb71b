import { createHash } from 'node:crypto';
import { ConfidentialClientApplication, ServerError } from '@azure/msal-node';
import { createAppCertificate, DEMO, startSandbox, TokenVerificationError, type AppCertificate, type Sandbox } from './index';
import { decodePayload, httpsCall, postForm, trustingNetworkClient, verifyWithJose } from './test-helpers';

const EXO = 'https://outlook.office365.com';
const REDIRECT_URI = 'https://n8n.example.test/rest/oauth2-credential/callback';

let sandbox: Sandbox;
let appCertificate: AppCertificate;
const CERT_APP_ID = '0d5e4c3b-2a19-4f8e-9d7c-6b5a43210fed';

beforeAll(async () => {
	sandbox = await startSandbox();
	appCertificate = await createAppCertificate({ commonName: 'sandbox-cert-app' });
	sandbox.entra.registerApp({
		tenantId: DEMO.tenantId,
		clientId: CERT_APP_ID,
		certificatePem: appCertificate.certificatePem,
		displayName: 'certificate app',
		roles: ['SMTP.SendAsApp'],
		delegatedScopes: [],
		sendAs: ['*'],
	});
});

afterAll(async () => {
	await sandbox?.stop();
});

beforeEach(() => sandbox.entra.clearRequests());

const clientCredentials = (form: Partial<Record<string, string>> = {}, tenant: string = DEMO.tenantId) =>
	postForm(sandbox.entra.tokenUrl(tenant), sandbox.ca, {
		grant_type: 'client_credentials',
		client_id: DEMO.appOnlyClientId,
		client_secret: DEMO.appOnlyClientSecret,
		scope: `${EXO}/.default`,
		...form,
	} as Record<string, string>);

function expectEntraError(body: Record<string, unknown>, error: string, code: number) {
	expect(body.error).toBe(error);
	expect(body.error_codes).toEqual([code]);
	expect(body.error_description).toMatch(new RegExp(`^AADSTS${code}: .+\\r\\nTrace ID: [0-9a-f-]{36}\\r\\nCorrelation ID: .+\\r\\nTimestamp: \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\dZ$`));
	expect(body.error_uri).toBe(`https://login.microsoftonline.com/error?code=${code}`);
	expect(typeof body.trace_id).toBe('string');
	expect(typeof body.correlation_id).toBe('string');
}

describe('client credentials with a secret', () => {
	it('issues an app-only token that jose verifies against the published JWKS', async () => {
		const reply = await clientCredentials();
		expect(reply.status).toBe(200);
		const body = reply.json();
		expect(body).toEqual({ token_type: 'Bearer', expires_in: 3600, ext_expires_in: 3600, access_token: expect.any(String) });

		const jwks = (await httpsCall(`${sandbox.entra.origin}/${DEMO.tenantId}/discovery/v2.0/keys`, sandbox.ca)).json();
		const verified = await verifyWithJose(body.access_token as string, jwks, {
			audience: EXO,
			issuer: `https://sts.windows.net/${DEMO.tenantId}/`,
		});
		expect(verified.ok).toBe(true);
		expect(verified.protectedHeader).toMatchObject({ alg: 'RS256', typ: 'JWT' });
		expect(verified.payload).toMatchObject({
			aud: EXO,
			tid: DEMO.tenantId,
			appid: DEMO.appOnlyClientId,
			app_displayname: expect.any(String),
			oid: expect.stringMatching(/^[0-9a-f-]{36}$/),
			roles: ['SMTP.SendAsApp', 'full_access_as_app'],
			ver: '1.0',
			idtyp: 'app',
		});
		const payload = verified.payload as { iat: number; nbf: number; exp: number };
		expect(payload.exp - payload.iat).toBe(3600);
		expect(payload.nbf).toBe(payload.iat);

		expect(sandbox.entra.requests).toEqual([
			expect.objectContaining({ grantType: 'client_credentials', clientId: DEMO.appOnlyClientId, ok: true, clientAuth: 'secret' }),
		]);
	});

	it('jose rejects the token against another key set', async () => {
		const token = (await clientCredentials()).json().access_token as string;
		const other = await startSandbox();
		try {
			const jwks = (await httpsCall(`${other.entra.origin}/${DEMO.tenantId}/discovery/v2.0/keys`, other.ca)).json();
			const verified = await verifyWithJose(token, jwks);
			expect(verified.ok).toBe(false);
		} finally {
			await other.stop();
		}
	});

	it('accepts the tenant domain and client_secret_basic', async () => {
		const basic = Buffer.from(`${DEMO.appOnlyClientId}:${encodeURIComponent(DEMO.appOnlyClientSecret)}`).toString('base64');
		const reply = await postForm(
			sandbox.entra.tokenUrl(DEMO.tenantDomain),
			sandbox.ca,
			{ grant_type: 'client_credentials', scope: `${EXO}/.default` },
			{ Authorization: `Basic ${basic}` },
		);
		expect(reply.status).toBe(200);
		expect(decodePayload(reply.json().access_token as string).tid).toBe(DEMO.tenantId);
	});

	it('answers a wrong secret with 401 AADSTS7000215 and echoes client-request-id', async () => {
		const reply = await postForm(
			sandbox.entra.tokenUrl(DEMO.tenantId),
			sandbox.ca,
			{ grant_type: 'client_credentials', client_id: DEMO.appOnlyClientId, client_secret: 'wrong', scope: `${EXO}/.default` },
			{ 'client-request-id': '11111111-2222-3333-4444-555555555555' },
		);
		expect(reply.status).toBe(401);
		const body = reply.json();
		expectEntraError(body, 'invalid_client', 7000215);
		expect(body.error_description).toContain(
			`AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${DEMO.appOnlyClientId}'.`,
		);
		expect(body.correlation_id).toBe('11111111-2222-3333-4444-555555555555');
		expect(sandbox.entra.requests[0]).toMatchObject({ ok: false, error: 'AADSTS7000215' });
		expect(JSON.stringify(sandbox.entra.requests)).not.toContain('wrong');
	});

	it('answers an expired secret with AADSTS7000222', async () => {
		const clientId = 'e1e1e1e1-0000-4000-8000-000000000001';
		sandbox.entra.registerApp({
			tenantId: DEMO.tenantId,
			clientId,
			clientSecret: 'sandbox-secret-expired',
			secretExpiresAt: new Date(Date.now() - 1000),
			roles: [],
			delegatedScopes: [],
			sendAs: [],
		});
		const reply = await clientCredentials({ client_id: clientId, client_secret: 'sandbox-secret-expired' });
		expect(reply.status).toBe(401);
		expectEntraError(reply.json(), 'invalid_client', 7000222);
		expect(reply.json().error_description).toContain(`The provided client secret keys for app '${clientId}' are expired.`);
	});

	it('answers an unknown tenant with AADSTS90002 and an unknown client with AADSTS700016', async () => {
		const tenantReply = await clientCredentials({}, 'fabrikam.test');
		expect(tenantReply.status).toBe(400);
		expectEntraError(tenantReply.json(), 'invalid_request', 90002);
		expect(tenantReply.json().error_description).toContain(`Tenant 'fabrikam.test' not found.`);

		const clientReply = await clientCredentials({ client_id: '99999999-9999-4999-8999-999999999999' });
		expect(clientReply.status).toBe(400);
		expectEntraError(clientReply.json(), 'unauthorized_client', 700016);
		expect(clientReply.json().error_description).toContain(
			`Application with identifier '99999999-9999-4999-8999-999999999999' was not found in the directory`,
		);
	});

	it('rejects missing secrets, non-.default scopes and unknown resources', async () => {
		const noSecret = await clientCredentials({ client_secret: '' });
		expect(noSecret.status).toBe(401);
		expectEntraError(noSecret.json(), 'invalid_client', 7000218);

		const delegatedScope = await clientCredentials({ scope: `${EXO}/SMTP.Send` });
		expect(delegatedScope.status).toBe(400);
		expectEntraError(delegatedScope.json(), 'invalid_scope', 1002012);

		// Microsoft Graph is in every tenant (entra-graph.test.ts); a resource the tenant does not know is refused.
		const unknown = await clientCredentials({ scope: 'https://api.fabrikam.example/.default' });
		expect(unknown.status).toBe(400);
		expectEntraError(unknown.json(), 'invalid_resource', 500011);
	});

	it('failNext answers the next N requests with that error, then recovers', async () => {
		sandbox.entra.failNext(7000215, 2);
		expect((await clientCredentials()).status).toBe(401);
		const second = await clientCredentials();
		expect(second.json().error_codes).toEqual([7000215]);
		expect((await clientCredentials()).status).toBe(200);
		expect(sandbox.entra.requests.map((r) => r.ok)).toEqual([false, false, true]);
	});
});

describe('verifyToken', () => {
	it('accepts issued tokens and rejects expired, tampered and wrong-audience ones', async () => {
		const good = sandbox.entra.issueToken({ tenantId: DEMO.tenantId, clientId: DEMO.appOnlyClientId, roles: ['SMTP.SendAsApp'] });
		await expect(sandbox.entra.verifyToken(good)).resolves.toMatchObject({ aud: EXO, roles: ['SMTP.SendAsApp'] });

		const expired = sandbox.entra.issueToken({ tenantId: DEMO.tenantId, clientId: DEMO.appOnlyClientId, lifetimeSeconds: -60 });
		await expect(sandbox.entra.verifyToken(expired)).rejects.toMatchObject({ reason: 'expired' });

		const [header, payload, signature] = good.split('.');
		const forged = Buffer.from(JSON.stringify({ ...decodePayload(good), roles: ['full_access_as_app', 'Mail.Send'] })).toString('base64url');
		await expect(sandbox.entra.verifyToken(`${header}.${forged}.${signature}`)).rejects.toMatchObject({ reason: 'signature' });
		expect(payload).not.toBe(forged);

		const graph = sandbox.entra.issueToken({ tenantId: DEMO.tenantId, clientId: DEMO.appOnlyClientId, audience: 'https://graph.microsoft.com' });
		await expect(sandbox.entra.verifyToken(graph)).rejects.toBeInstanceOf(TokenVerificationError);
		await expect(sandbox.entra.verifyToken(graph)).rejects.toMatchObject({ reason: 'audience' });
		await expect(sandbox.entra.verifyToken('not-a-jwt')).rejects.toMatchObject({ reason: 'malformed' });
	});
});

describe('discovery', () => {
	it('serves OpenID configuration by domain with GUID endpoints, and instance discovery', async () => {
		const config = (await httpsCall(`${sandbox.entra.origin}/${DEMO.tenantDomain}/v2.0/.well-known/openid-configuration`, sandbox.ca)).json();
		expect(config).toMatchObject({
			issuer: `${sandbox.entra.origin}/${DEMO.tenantId}/v2.0`,
			token_endpoint: sandbox.entra.tokenUrl(DEMO.tenantId),
			authorization_endpoint: sandbox.entra.authorizeUrl(DEMO.tenantId),
			jwks_uri: `${sandbox.entra.origin}/${DEMO.tenantId}/discovery/v2.0/keys`,
			end_session_endpoint: `${sandbox.entra.origin}/${DEMO.tenantId}/oauth2/v2.0/logout`,
		});
		const unknown = await httpsCall(`${sandbox.entra.origin}/nope.test/v2.0/.well-known/openid-configuration`, sandbox.ca);
		expect(unknown.status).toBe(400);

		const authorizationEndpoint = encodeURIComponent(sandbox.entra.authorizeUrl(DEMO.tenantId));
		const instance = (
			await httpsCall(`${sandbox.entra.origin}/common/discovery/instance?api-version=1.1&authorization_endpoint=${authorizationEndpoint}`, sandbox.ca)
		).json();
		expect(instance).toMatchObject({
			tenant_discovery_endpoint: `${sandbox.entra.origin}/${DEMO.tenantId}/v2.0/.well-known/openid-configuration`,
			metadata: [expect.objectContaining({ preferred_network: sandbox.entra.authorityHost, aliases: expect.arrayContaining([sandbox.entra.authorityHost]) })],
		});
	});
});

describe('extra routes on the HTTPS server', () => {
	it('routes a registered prefix (future EWS endpoint) and answers 404/405 otherwise', async () => {
		sandbox.https.addRoute('POST', '/EWS/Exchange.asmx', (req, res, { url }) => {
			res.writeHead(200, { 'Content-Type': 'text/xml' });
			res.end(`<ok path="${url.pathname}"/>`);
		});
		const hit = await httpsCall(`${sandbox.https.origin}/ews/exchange.asmx`, sandbox.ca, { method: 'POST', body: '<x/>' });
		expect(hit.status).toBe(200);
		expect(hit.text).toBe('<ok path="/ews/exchange.asmx"/>');
		expect((await httpsCall(`${sandbox.https.origin}/EWS/Exchange.asmx`, sandbox.ca)).status).toBe(405);
		expect((await httpsCall(`${sandbox.https.origin}/EWS/Other.asmxx`, sandbox.ca)).status).toBe(404);
	});
});

describe('msal-node ConfidentialClientApplication', () => {
	function msalClient(tenant: string, credentials: { clientId: string } & Record<string, unknown>, seen: { method: string; url: string }[]) {
		const host = sandbox.entra.authorityHost;
		const authority = `https://${host}/${tenant}`;
		const { clientId, ...secretOrCertificate } = credentials;
		return new ConfidentialClientApplication({
			auth: {
				clientId,
				authority,
				knownAuthorities: [host],
				authorityMetadata: JSON.stringify({
					token_endpoint: `${authority}/oauth2/v2.0/token`,
					authorization_endpoint: `${authority}/oauth2/v2.0/authorize`,
					issuer: `${authority}/v2.0`,
					jwks_uri: `${authority}/discovery/v2.0/keys`,
					end_session_endpoint: `${authority}/oauth2/v2.0/logout`,
				}),
				...secretOrCertificate,
			},
			system: { networkClient: trustingNetworkClient(sandbox.ca, seen) },
		});
	}

	it('gets a token with a certificate (PS256, x5t#S256) and sends nothing but the token POST', async () => {
		const seen: { method: string; url: string }[] = [];
		const cca = msalClient(
			DEMO.tenantId,
			{ clientId: CERT_APP_ID, clientCertificate: { thumbprintSha256: appCertificate.thumbprintSha256, privateKey: appCertificate.privateKeyPem } },
			seen,
		);
		const result = await cca.acquireTokenByClientCredential({ scopes: [`${EXO}/.default`] });
		expect(result?.accessToken).toBeTruthy();
		await expect(sandbox.entra.verifyToken(result?.accessToken ?? '')).resolves.toMatchObject({ appid: CERT_APP_ID, roles: ['SMTP.SendAsApp'] });
		expect(seen).toEqual([{ method: 'POST', url: expect.stringMatching(/\/oauth2\/v2\.0\/token(\?.*)?$/) }]);
		expect(sandbox.entra.requests).toEqual([expect.objectContaining({ ok: true, clientAuth: 'certificate', clientId: CERT_APP_ID })]);
	});

	it('accepts the legacy SHA-1 thumbprint (RS256, x5t) and an x5c chain', async () => {
		const legacy = msalClient(
			DEMO.tenantDomain,
			{ clientId: CERT_APP_ID, clientCertificate: { thumbprint: appCertificate.thumbprintSha1, privateKey: appCertificate.privateKeyPem } },
			[],
		);
		await expect(legacy.acquireTokenByClientCredential({ scopes: [`${EXO}/.default`] })).resolves.toMatchObject({ accessToken: expect.any(String) });

		const withChain = msalClient(
			DEMO.tenantId,
			{
				clientId: CERT_APP_ID,
				clientCertificate: {
					thumbprintSha256: appCertificate.thumbprintSha256,
					privateKey: appCertificate.privateKeyPem,
					x5c: appCertificate.certificatePem,
				},
			},
			[],
		);
		await expect(withChain.acquireTokenByClientCredential({ scopes: [`${EXO}/.default`] })).resolves.toMatchObject({ accessToken: expect.any(String) });
	});

	it('rejects a certificate that is not registered with AADSTS700027', async () => {
		const stranger = await createAppCertificate();
		const cca = msalClient(
			DEMO.tenantId,
			{ clientId: CERT_APP_ID, clientCertificate: { thumbprintSha256: stranger.thumbprintSha256, privateKey: stranger.privateKeyPem } },
			[],
		);
		const error = await cca.acquireTokenByClientCredential({ scopes: [`${EXO}/.default`] }).catch((e: unknown) => e);
		expect(error).toBeInstanceOf(ServerError);
		expect(String((error as ServerError).errorNo)).toBe('700027');
		expect((error as ServerError).errorCode).toBe('invalid_client');

		// Right thumbprint, wrong key: the signature check must catch it.
		const forged = msalClient(
			DEMO.tenantId,
			{ clientId: CERT_APP_ID, clientCertificate: { thumbprintSha256: appCertificate.thumbprintSha256, privateKey: stranger.privateKeyPem } },
			[],
		);
		const forgedError = await forged.acquireTokenByClientCredential({ scopes: [`${EXO}/.default`] }).catch((e: unknown) => e);
		expect(String((forgedError as ServerError).errorNo)).toBe('700027');
		expect((forgedError as ServerError).message).toContain('signature');
	});

	it('gets a token with a client secret and surfaces AADSTS7000215 as ServerError', async () => {
		const good = msalClient(DEMO.tenantId, { clientId: DEMO.appOnlyClientId, clientSecret: DEMO.appOnlyClientSecret }, []);
		const result = await good.acquireTokenByClientCredential({ scopes: [`${EXO}/.default`] });
		expect(decodePayload(result?.accessToken ?? '')).toMatchObject({ appid: DEMO.appOnlyClientId, aud: EXO });

		const bad = msalClient(DEMO.tenantId, { clientId: DEMO.appOnlyClientId, clientSecret: 'nope' }, []);
		const error = (await bad.acquireTokenByClientCredential({ scopes: [`${EXO}/.default`] }).catch((e: unknown) => e)) as ServerError;
		expect(error).toBeInstanceOf(ServerError);
		expect(String(error.errorNo)).toBe('7000215');
		expect(error.message).toContain('AADSTS7000215');
	});
});

describe('authorization code flow', () => {
	const scope = DEMO.delegatedScopes.join(' ');

	async function authorize(params: Record<string, string>, tenant: string = DEMO.tenantId) {
		const query = new URLSearchParams({
			client_id: DEMO.delegatedClientId,
			response_type: 'code',
			redirect_uri: REDIRECT_URI,
			scope,
			state: 'state-123',
			response_mode: 'query',
			...params,
		});
		return httpsCall(`${sandbox.entra.authorizeUrl(tenant)}?${query}`, sandbox.ca);
	}

	const redeem = (form: Record<string, string>) =>
		postForm(sandbox.entra.tokenUrl(DEMO.tenantId), sandbox.ca, {
			client_id: DEMO.delegatedClientId,
			client_secret: DEMO.delegatedClientSecret,
			...form,
		});

	async function getCode(params: Record<string, string> = {}): Promise<string> {
		const reply = await authorize(params);
		expect(reply.status).toBe(302);
		const location = new URL(reply.headers.location as string);
		expect(`${location.origin}${location.pathname}`).toBe(REDIRECT_URI);
		expect(location.searchParams.get('state')).toBe('state-123');
		return location.searchParams.get('code') as string;
	}

	it('redirects with a code, redeems it for delegated tokens, refreshes with rotation', async () => {
		const code = await getCode({ login_hint: DEMO.user });
		expect(code).toMatch(/^[A-Za-z0-9_-]{20,}$/);

		const reply = await redeem({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, scope });
		expect(reply.status).toBe(200);
		const body = reply.json();
		expect(body).toMatchObject({
			token_type: 'Bearer',
			scope: `${EXO}/SMTP.Send ${EXO}/EWS.AccessAsUser.All`,
			expires_in: 3600,
			access_token: expect.any(String),
			refresh_token: expect.any(String),
			id_token: expect.any(String),
		});
		const claims = await sandbox.entra.verifyToken(body.access_token as string);
		expect(claims).toMatchObject({
			aud: EXO,
			scp: 'SMTP.Send EWS.AccessAsUser.All',
			upn: DEMO.user,
			unique_name: DEMO.user,
			name: DEMO.userDisplayName,
			appid: DEMO.delegatedClientId,
			idtyp: 'user',
		});
		expect(claims.roles).toBeUndefined();
		expect(decodePayload(body.id_token as string)).toMatchObject({ aud: DEMO.delegatedClientId, preferred_username: DEMO.user, ver: '2.0' });

		// A code is single-use.
		const again = await redeem({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, scope });
		expect(again.status).toBe(400);
		expectEntraError(again.json(), 'invalid_grant', 54005);

		const refreshed = await redeem({ grant_type: 'refresh_token', refresh_token: body.refresh_token as string, scope });
		expect(refreshed.status).toBe(200);
		expect(refreshed.json().refresh_token).not.toBe(body.refresh_token);
		expect(decodePayload(refreshed.json().access_token as string).upn).toBe(DEMO.user);
		// Entra keeps the previous refresh token valid after rotation.
		expect((await redeem({ grant_type: 'refresh_token', refresh_token: body.refresh_token as string })).status).toBe(200);

		sandbox.entra.failNext(700082);
		const revoked = await redeem({ grant_type: 'refresh_token', refresh_token: body.refresh_token as string });
		expect(revoked.status).toBe(400);
		expectEntraError(revoked.json(), 'invalid_grant', 700082);

		const garbage = await redeem({ grant_type: 'refresh_token', refresh_token: 'not-a-refresh-token' });
		expect(garbage.json().error).toBe('invalid_grant');
	});

	it('omits the refresh token without offline_access and rejects a different redirect_uri', async () => {
		const code = await getCode({ scope: `${EXO}/SMTP.Send` });
		const wrongRedirect = await redeem({ grant_type: 'authorization_code', code, redirect_uri: 'https://evil.test/cb' });
		expect(wrongRedirect.status).toBe(400);
		expect(wrongRedirect.json().error_codes).toEqual([500112]);

		const code2 = await getCode({ scope: `${EXO}/SMTP.Send` });
		const body = (await redeem({ grant_type: 'authorization_code', code: code2, redirect_uri: REDIRECT_URI })).json();
		expect(body.access_token).toEqual(expect.any(String));
		expect(body.refresh_token).toBeUndefined();
		expect(body.id_token).toBeUndefined();
	});

	it('answers scopes without consent with AADSTS65001 consent_required', async () => {
		const clientId = 'e1e1e1e1-0000-4000-8000-000000000002';
		sandbox.entra.registerApp({
			tenantId: DEMO.tenantId,
			clientId,
			clientSecret: 'sandbox-secret-smtp-only',
			roles: [],
			delegatedScopes: ['SMTP.Send', 'offline_access'],
			sendAs: [],
		});
		const reply = await authorize({ client_id: clientId });
		const code = new URL(reply.headers.location as string).searchParams.get('code') as string;
		const token = await postForm(sandbox.entra.tokenUrl(DEMO.tenantId), sandbox.ca, {
			grant_type: 'authorization_code',
			client_id: clientId,
			client_secret: 'sandbox-secret-smtp-only',
			code,
			redirect_uri: REDIRECT_URI,
		});
		expect(token.status).toBe(400);
		expectEntraError(token.json(), 'invalid_grant', 65001);
		expect(token.json().suberror).toBe('consent_required');
	});

	it('redirects an unknown client back with unauthorized_client, and shows a page for an unknown tenant', async () => {
		const reply = await authorize({ client_id: '99999999-9999-4999-8999-999999999999' });
		expect(reply.status).toBe(302);
		const location = new URL(reply.headers.location as string);
		expect(location.searchParams.get('error')).toBe('unauthorized_client');
		expect(location.searchParams.get('error_description')).toMatch(/^AADSTS700016: /);
		expect(location.searchParams.get('code')).toBeNull();

		const tenantReply = await authorize({}, 'fabrikam.test');
		expect(tenantReply.status).toBe(400);
		expect(tenantReply.text).toContain('AADSTS90002');
	});

	it('verifies PKCE code_verifier', async () => {
		const verifier = 'v'.repeat(64);
		const challenge = createHash('sha256').update(verifier).digest('base64url');
		const code = await getCode({ code_challenge: challenge, code_challenge_method: 'S256' });
		const wrong = await redeem({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, code_verifier: 'w'.repeat(64) });
		expect(wrong.status).toBe(400);
		const code2 = await getCode({ code_challenge: challenge, code_challenge_method: 'S256' });
		const right = await redeem({ grant_type: 'authorization_code', code: code2, redirect_uri: REDIRECT_URI, code_verifier: verifier });
		expect(right.status).toBe(200);
	});
});
