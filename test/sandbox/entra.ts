// Entra ID stand-in: the parts of login.microsoftonline.com v2.0 that the nodes and msal-node use
// (token endpoint, authorize with auto-consent, OpenID discovery, JWKS, instance discovery).
import { createHash, randomBytes, randomUUID, timingSafeEqual, X509Certificate } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { certificateThumbprints } from './certs';
import { EntraError, type EntraErrorContext } from './entra-errors';
import { readBody, sendJson, type Router } from './routes';
import { decodeJwt, SigningKey, TokenVerificationError, verifyJwtSignature } from './tokens';
import type {
	AccessTokenClaims,
	EntraErrorCode,
	EntraStandIn,
	RegisteredApp,
	SandboxUser,
	TokenRequestRecord,
} from './types';

export interface EntraConfig {
	origin: string; // https://host:port
	port: number;
	apps: RegisteredApp[];
	users: SandboxUser[];
	audiences: string[];
	tokenLifetimeSeconds: number;
	log: (line: string) => void;
}

interface Tenant {
	id: string;
	displayName: string;
}

interface AuthorizationCode {
	clientId: string;
	tenantId: string;
	redirectUri: string;
	scopes: string[];
	user: SandboxUser;
	nonce?: string;
	codeChallenge?: string;
	codeChallengeMethod?: string;
	expiresAt: number;
	redeemed: boolean;
}

interface RefreshTokenGrant {
	clientId: string;
	tenantId: string;
	scopes: string[];
	user: SandboxUser;
}

/** Scopes that are about the sign-in itself, not a resource. */
const OIDC_SCOPES = new Set(['openid', 'profile', 'email', 'offline_access']);
/** Short scope names without a resource prefix mean Microsoft Graph, as on the real service. */
const GRAPH_RESOURCE = 'https://graph.microsoft.com';
/** Microsoft Graph of each cloud: every tenant knows it, whatever the sandbox's `audiences`. */
export const GRAPH_RESOURCES = [GRAPH_RESOURCE, 'https://graph.microsoft.us', 'https://dod-graph.microsoft.us', 'https://microsoftgraph.chinacloudapi.cn'];
const isGraphResource = (resource: string) => GRAPH_RESOURCES.includes(normalizeResource(resource));
/** Both host names name the one "Office 365 Exchange Online" resource principal. */
const EXCHANGE_ALIASES = new Set(['https://outlook.office365.com', 'https://outlook.office.com']);
const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const CODE_LIFETIME_MS = 10 * 60 * 1000;
const MULTI_TENANT_ALIASES = new Set(['common', 'organizations', 'consumers']);

const normalizeResource = (resource: string) => resource.trim().replace(/\/+$/, '').toLowerCase();
const sameAddress = (a: string, b: string) => a.trim().toLowerCase() === b.trim().toLowerCase();
const nowSeconds = () => Math.floor(Date.now() / 1000);

/** Stable GUID-shaped id derived from a name (object ids of users and service principals). */
export function stableGuid(name: string): string {
	const hex = createHash('sha256').update(name).digest('hex');
	return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

export class Entra implements EntraStandIn {
	readonly origin: string;
	readonly authorityHost: string;
	readonly port: number;
	readonly requests: TokenRequestRecord[] = [];
	readonly signingKey = new SigningKey();

	private readonly apps = new Map<string, RegisteredApp>();
	private readonly users: SandboxUser[];
	private readonly tenantsByAlias = new Map<string, Tenant>();
	/** What EWS and SMTP accept as `aud` (verifyToken): the Exchange resources. Graph checks its own audience. */
	private readonly audiences: Set<string>;
	/** Resources tokens can be minted for: the Exchange ones and Microsoft Graph. */
	private readonly resources: Set<string>;
	private readonly codes = new Map<string, AuthorizationCode>();
	private readonly refreshTokens = new Map<string, RefreshTokenGrant>();
	private readonly pendingFailures: EntraErrorCode[] = [];

	constructor(
		private readonly config: EntraConfig,
		router: Router,
	) {
		this.origin = config.origin;
		this.port = config.port;
		this.authorityHost = new URL(config.origin).host;
		this.users = config.users.map((user) => ({ ...user }));
		this.audiences = new Set(config.audiences.map(normalizeResource));
		this.resources = new Set([...config.audiences, ...GRAPH_RESOURCES].map(normalizeResource));
		for (const user of this.users) this.addTenant(user.tenantId, []);
		for (const app of config.apps) this.registerApp(app);
		this.addRoutes(router);
	}

	tokenUrl(tenant: string): string {
		return `${this.origin}/${tenant}/oauth2/v2.0/token`;
	}

	authorizeUrl(tenant: string): string {
		return `${this.origin}/${tenant}/oauth2/v2.0/authorize`;
	}

	registerApp(app: RegisteredApp): void {
		this.apps.set(app.clientId.toLowerCase(), { ...app });
		this.addTenant(app.tenantId, app.tenantDomains ?? []);
	}

	findApp(clientId: string): RegisteredApp | undefined {
		return this.apps.get(clientId.toLowerCase());
	}

	findUser(upn: string): SandboxUser | undefined {
		return this.users.find((user) => sameAddress(user.upn, upn));
	}

	failNext(code: EntraErrorCode, count = 1): void {
		for (let i = 0; i < count; i++) this.pendingFailures.push(code);
	}

	clearRequests(): void {
		this.requests.length = 0;
	}

	issueToken(claims: {
		tenantId: string;
		clientId: string;
		roles?: string[];
		scp?: string;
		upn?: string;
		audience?: string;
		lifetimeSeconds?: number;
	}): string {
		const app = this.findApp(claims.clientId);
		const user = claims.upn ? (this.findUser(claims.upn) ?? { upn: claims.upn, displayName: claims.upn, tenantId: claims.tenantId }) : undefined;
		return this.mintAccessToken({
			tenantId: claims.tenantId,
			clientId: claims.clientId,
			appName: app?.displayName,
			audience: claims.audience ?? this.config.audiences[0],
			roles: claims.roles,
			scp: claims.scp,
			user,
			lifetimeSeconds: claims.lifetimeSeconds ?? this.config.tokenLifetimeSeconds,
		});
	}

	async verifyToken(token: string): Promise<AccessTokenClaims> {
		const claims = this.signingKey.verify(token) as AccessTokenClaims;
		const now = nowSeconds();
		// No clock-skew allowance: loopback clocks agree and tests mint tokens that expired seconds ago.
		if (typeof claims.exp !== 'number' || claims.exp <= now) throw new TokenVerificationError('expired', 'The token has expired.');
		if (typeof claims.nbf === 'number' && claims.nbf > now) throw new TokenVerificationError('not_yet_valid', 'The token is not yet valid.');
		if (claims.iss !== `https://sts.windows.net/${claims.tid}/`) throw new TokenVerificationError('issuer', 'The token issuer is invalid.');
		if (typeof claims.aud !== 'string' || !this.audiences.has(normalizeResource(claims.aud))) {
			throw new TokenVerificationError('audience', `The audience '${String(claims.aud)}' is invalid.`);
		}
		return claims;
	}

	// ---- routes ----

	private addRoutes(router: Router): void {
		router.addRoute('GET', /^\/([^/]+)\/discovery\/instance$/i, (req, res, { url }) => this.instanceDiscovery(res, url));
		router.addRoute('POST', /^\/([^/]+)\/oauth2\/v2\.0\/token$/i, (req, res, { params }) => this.tokenEndpoint(req, res, params[0]));
		router.addRoute('GET', /^\/([^/]+)\/oauth2\/v2\.0\/authorize$/i, (req, res, { url, params }) => this.authorize(res, url, params[0]));
		router.addRoute('GET', /^\/([^/]+)\/oauth2\/v2\.0\/logout$/i, (req, res, { url }) => this.logout(res, url));
		router.addRoute('GET', /^\/([^/]+)\/v2\.0\/\.well-known\/openid-configuration$/i, (req, res, { params }) =>
			this.openidConfiguration(res, params[0]),
		);
		router.addRoute('GET', /^\/([^/]+)\/discovery\/(?:v2\.0\/)?keys$/i, (req, res) => sendJson(res, 200, this.signingKey.jwks()));
	}

	private instanceDiscovery(res: ServerResponse, url: URL): void {
		// msal asks with ?authorization_endpoint=https://host/<tenant>/oauth2/v2.0/authorize
		const endpoint = url.searchParams.get('authorization_endpoint');
		const tenant = endpoint ? (new URL(endpoint).pathname.split('/')[1] ?? 'common') : 'common';
		sendJson(res, 200, {
			tenant_discovery_endpoint: `${this.origin}/${tenant}/v2.0/.well-known/openid-configuration`,
			'api-version': '1.1',
			metadata: [
				{
					preferred_network: this.authorityHost,
					preferred_cache: this.authorityHost,
					aliases: [this.authorityHost, `localhost:${this.port}`],
				},
			],
		});
	}

	private openidConfiguration(res: ServerResponse, tenantInUrl: string): void {
		const multiTenant = MULTI_TENANT_ALIASES.has(tenantInUrl.toLowerCase());
		const tenant = multiTenant ? undefined : this.tenantsByAlias.get(tenantInUrl.toLowerCase());
		if (!multiTenant && !tenant) {
			sendJson(res, 400, new EntraError(90002, { tenant: tenantInUrl }).toBody(randomUUID()));
			return;
		}
		// Like the real service: endpoints name the tenant GUID; /common answers with a {tenantid} placeholder.
		const pathTenant = tenant ? tenant.id : tenantInUrl;
		const issuerTenant = tenant ? tenant.id : '{tenantid}';
		sendJson(res, 200, {
			token_endpoint: this.tokenUrl(pathTenant),
			token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
			jwks_uri: `${this.origin}/${pathTenant}/discovery/v2.0/keys`,
			response_modes_supported: ['query', 'fragment', 'form_post'],
			subject_types_supported: ['pairwise'],
			id_token_signing_alg_values_supported: ['RS256'],
			response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
			scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
			issuer: `${this.origin}/${issuerTenant}/v2.0`,
			request_uri_parameter_supported: false,
			authorization_endpoint: this.authorizeUrl(pathTenant),
			end_session_endpoint: `${this.origin}/${pathTenant}/oauth2/v2.0/logout`,
			http_logout_supported: true,
			frontchannel_logout_supported: true,
			claims_supported: ['sub', 'iss', 'aud', 'exp', 'iat', 'nonce', 'name', 'oid', 'tid', 'preferred_username', 'ver'],
			tenant_region_scope: 'EU',
			cloud_instance_name: 'sandbox.invalid',
			cloud_graph_host_name: 'graph.windows.net',
			msgraph_host: 'graph.microsoft.com',
		});
	}

	private logout(res: ServerResponse, url: URL): void {
		const target = url.searchParams.get('post_logout_redirect_uri');
		if (target) {
			res.writeHead(302, { Location: target });
			res.end();
			return;
		}
		res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
		res.end('<!doctype html><title>Signed out</title><p>You signed out of your account (sandbox).</p>');
	}

	// ---- authorize (browser) ----

	private authorize(res: ServerResponse, url: URL, tenantInUrl: string): void {
		const param = (name: string) => url.searchParams.get(name) ?? undefined;
		const clientId = param('client_id');
		const redirectUri = param('redirect_uri');
		const state = param('state');
		const app = clientId ? this.findApp(clientId) : undefined;

		if (MULTI_TENANT_ALIASES.has(tenantInUrl.toLowerCase())) {
			return this.errorPage(res, new EntraError(50194, { clientId, appName: app?.displayName }));
		}
		const tenant = this.tenantsByAlias.get(tenantInUrl.toLowerCase());
		if (!tenant) return this.errorPage(res, new EntraError(90002, { tenant: tenantInUrl }));
		if (!clientId) return this.errorPage(res, new EntraError(900144, { parameter: 'client_id' }));
		if (!redirectUri) return this.errorPage(res, new EntraError(900144, { parameter: 'redirect_uri' }));

		const redirectWith = (values: Record<string, string | undefined>) => {
			const target = new URL(redirectUri);
			for (const [key, value] of Object.entries({ ...values, state })) if (value !== undefined) target.searchParams.set(key, value);
			res.writeHead(302, { Location: target.toString() });
			res.end();
		};

		if (!app || app.tenantId.toLowerCase() !== tenant.id.toLowerCase()) {
			const error = new EntraError(700016, { clientId, tenant: tenantInUrl, tenantName: tenant.displayName });
			this.config.log(`authorize: ${error.description}`);
			return redirectWith({ error: error.error, error_description: error.description });
		}
		// A redirect URI the app doesn't list is never redirected to: Entra shows an error page instead.
		if (app.redirectUris && !app.redirectUris.includes(redirectUri)) {
			return this.errorPage(res, new EntraError(50011, { clientId, redirectUri }));
		}
		if (param('response_type') !== 'code') {
			return redirectWith({
				error: 'unsupported_response_type',
				error_description: `AADSTS700054: response_type '${param('response_type') ?? ''}' is not enabled for the application.`,
			});
		}
		const loginHint = param('login_hint');
		const user =
			(loginHint ? this.findUser(loginHint) : undefined) ??
			this.users.find((candidate) => candidate.tenantId.toLowerCase() === tenant.id.toLowerCase());
		if (!user || user.tenantId.toLowerCase() !== tenant.id.toLowerCase()) {
			return redirectWith({ error: 'access_denied', error_description: 'AADSTS50020: User account does not exist in this tenant.' });
		}

		const code = randomBytes(48).toString('base64url');
		this.codes.set(code, {
			clientId: app.clientId,
			tenantId: tenant.id,
			redirectUri,
			scopes: splitScopes(param('scope') ?? ''),
			user,
			nonce: param('nonce'),
			codeChallenge: param('code_challenge'),
			codeChallengeMethod: param('code_challenge_method'),
			expiresAt: Date.now() + CODE_LIFETIME_MS,
			redeemed: false,
		});
		this.config.log(`authorize: signed in ${user.upn} for app ${app.clientId}, redirecting to ${new URL(redirectUri).origin}`);
		redirectWith({ code, session_state: randomUUID() });
	}

	private errorPage(res: ServerResponse, error: EntraError): void {
		this.config.log(`authorize: ${error.description}`);
		const escaped = error.description.replace(/[&<>"]/g, (ch) => `&#${ch.charCodeAt(0)};`);
		res.writeHead(400, { 'Content-Type': 'text/html; charset=utf-8' });
		res.end(`<!doctype html><title>Sign in to your account</title><h1>Sorry, but we're having trouble signing you in.</h1><p>${escaped}</p>`);
	}

	// ---- token endpoint ----

	private async tokenEndpoint(req: IncomingMessage, res: ServerResponse, tenantInUrl: string): Promise<void> {
		const body = new URLSearchParams((await readBody(req)).toString('utf8'));
		const basic = parseBasicAuth(req.headers.authorization);
		const clientId = body.get('client_id') ?? basic?.clientId ?? '';
		const record: TokenRequestRecord = {
			grantType: body.get('grant_type') ?? '',
			clientId,
			tenant: tenantInUrl,
			scope: body.get('scope') ?? '',
			ok: false,
			at: new Date(),
		};
		this.requests.push(record);
		// Entra echoes the client's request id (msal sends client-request-id) as the correlation id.
		const requestId = req.headers['client-request-id'];
		const correlationId = typeof requestId === 'string' && requestId ? requestId : randomUUID();

		try {
			const reply = this.grant(body, basic, tenantInUrl, record);
			record.ok = true;
			this.config.log(`token: ${record.grantType} for ${clientId} on ${tenantInUrl}: ok (${record.clientAuth})`);
			sendJson(res, 200, reply, { 'client-request-id': correlationId });
		} catch (error) {
			if (!(error instanceof EntraError)) throw error;
			record.error = `AADSTS${error.code}`;
			this.config.log(`token: ${record.grantType || '-'} for ${clientId || '-'} on ${tenantInUrl}: ${error.error} AADSTS${error.code}`);
			sendJson(res, error.status, error.toBody(correlationId), { 'client-request-id': correlationId });
		}
	}

	private grant(
		body: URLSearchParams,
		basic: { clientId: string; secret: string } | undefined,
		tenantInUrl: string,
		record: TokenRequestRecord,
	): Record<string, unknown> {
		const clientId = record.clientId;
		const grantType = record.grantType;
		const pending = this.pendingFailures.shift();
		if (pending !== undefined) {
			throw new EntraError(pending, {
				clientId,
				tenant: tenantInUrl,
				scope: record.scope,
				redirectUri: body.get('redirect_uri') ?? undefined,
				appName: this.findApp(clientId)?.displayName,
				reason: 'The key was not found.',
			});
		}

		const app = clientId ? this.findApp(clientId) : undefined;
		if (MULTI_TENANT_ALIASES.has(tenantInUrl.toLowerCase())) throw new EntraError(50194, { clientId, appName: app?.displayName });
		const tenant = this.tenantsByAlias.get(tenantInUrl.toLowerCase());
		if (!tenant) throw new EntraError(90002, { tenant: tenantInUrl });
		if (!grantType) throw new EntraError(900144, { parameter: 'grant_type' });
		if (!['client_credentials', 'authorization_code', 'refresh_token'].includes(grantType)) throw new EntraError(70003, { grantType });
		if (!clientId) throw new EntraError(900144, { parameter: 'client_id' });
		if (!app || app.tenantId.toLowerCase() !== tenant.id.toLowerCase()) {
			throw new EntraError(700016, { clientId, tenant: tenantInUrl, tenantName: tenant.displayName });
		}
		record.clientAuth = this.authenticateClient(app, body, basic, tenantInUrl, tenant);

		if (grantType === 'client_credentials') return this.clientCredentials(app, tenant, body.get('scope'));
		if (grantType === 'authorization_code') return this.redeemCode(app, tenant, body);
		return this.redeemRefreshToken(app, tenant, body);
	}

	private authenticateClient(
		app: RegisteredApp,
		body: URLSearchParams,
		basic: { clientId: string; secret: string } | undefined,
		tenantInUrl: string,
		tenant: Tenant,
	): 'secret' | 'certificate' {
		const assertion = body.get('client_assertion');
		if (assertion) {
			this.verifyClientAssertion(app, assertion, body.get('client_assertion_type'), tenantInUrl, tenant);
			return 'certificate';
		}
		const secret = body.get('client_secret') ?? basic?.secret;
		if (!secret) throw new EntraError(7000218);
		if (!app.clientSecret || !safeEqual(secret, app.clientSecret)) throw new EntraError(7000215, { clientId: app.clientId });
		if (app.secretExpiresAt && app.secretExpiresAt.getTime() <= Date.now()) throw new EntraError(7000222, { clientId: app.clientId });
		return 'secret';
	}

	private verifyClientAssertion(
		app: RegisteredApp,
		assertion: string,
		assertionType: string | null,
		tenantInUrl: string,
		tenant: Tenant,
	): void {
		const fail = (reason: string, thumbprint = '') => new EntraError(700027, { clientId: app.clientId, reason, thumbprint });
		if (assertionType !== ASSERTION_TYPE) {
			throw fail(`client_assertion_type must be '${ASSERTION_TYPE}'.`);
		}
		let decoded;
		try {
			decoded = decodeJwt(assertion);
		} catch {
			throw fail('The client assertion is not a valid JWT.');
		}
		// msal-node: PS256 + x5t#S256 (SHA-256 of the DER); older clients: RS256 + x5t (SHA-1).
		const x5tS256 = typeof decoded.header['x5t#S256'] === 'string' ? (decoded.header['x5t#S256'] as string) : undefined;
		const x5t = typeof decoded.header.x5t === 'string' ? (decoded.header.x5t as string) : undefined;
		const usedThumbprint = Buffer.from(x5tS256 ?? x5t ?? '', 'base64url').toString('hex').toUpperCase();
		if (!app.certificatePem) throw fail('The key was not found.', usedThumbprint);
		const registered = certificateThumbprints(app.certificatePem);
		const matches = x5tS256 ? usedThumbprint === registered.thumbprintSha256 : x5t ? usedThumbprint === registered.thumbprintSha1 : false;
		if (!matches) throw fail('The key was not found.', usedThumbprint);
		try {
			verifyJwtSignature(decoded, new X509Certificate(app.certificatePem).publicKey, ['PS256', 'RS256']);
		} catch {
			throw fail('The signature of the client assertion is invalid.', usedThumbprint);
		}
		const claims = decoded.payload;
		if (claims.iss !== app.clientId || claims.sub !== app.clientId) {
			throw fail(`The 'iss' and 'sub' claims must be the client id.`, usedThumbprint);
		}
		const audiences = this.tokenUrlAliases(tenantInUrl, tenant);
		if (typeof claims.aud !== 'string' || !audiences.has(claims.aud.toLowerCase())) {
			throw fail(`The 'aud' claim must be the token endpoint.`, usedThumbprint);
		}
		const now = nowSeconds();
		if (typeof claims.exp !== 'number' || claims.exp <= now) throw fail('The client assertion has expired.', usedThumbprint);
		if (typeof claims.nbf === 'number' && claims.nbf > now + 300) throw fail('The client assertion is not yet valid.', usedThumbprint);
	}

	/** Token URLs a client assertion may name as `aud`: tenant GUID or any domain, on 127.0.0.1 or localhost. */
	private tokenUrlAliases(tenantInUrl: string, tenant: Tenant): Set<string> {
		const tenantNames = new Set([tenantInUrl, tenant.id]);
		for (const [alias, candidate] of this.tenantsByAlias) if (candidate === tenant) tenantNames.add(alias);
		const origins = [this.origin, `https://localhost:${this.port}`];
		const urls = new Set<string>();
		for (const origin of origins) for (const name of tenantNames) urls.add(`${origin}/${name}/oauth2/v2.0/token`.toLowerCase());
		return urls;
	}

	private clientCredentials(app: RegisteredApp, tenant: Tenant, scopeParam: string | null): Record<string, unknown> {
		if (!scopeParam) throw new EntraError(900144, { parameter: 'scope' });
		const scopes = splitScopes(scopeParam);
		const resources = new Set<string>();
		for (const scope of scopes) {
			if (!scope.endsWith('/.default')) throw new EntraError(1002012, { scope });
			resources.add(scope.slice(0, -'/.default'.length));
		}
		if (resources.size !== 1) throw new EntraError(28000, { scope: scopeParam });
		const resource = [...resources][0];
		if (!this.resources.has(normalizeResource(resource))) {
			throw new EntraError(500011, { resource, tenant: tenant.id, tenantName: tenant.displayName });
		}
		// Roles are per resource: the Exchange ones (full_access_as_app, SMTP.SendAsApp) never reach a Graph token.
		const accessToken = this.mintAccessToken({
			tenantId: tenant.id,
			clientId: app.clientId,
			appName: app.displayName,
			audience: resource,
			roles: isGraphResource(resource) ? (app.graphRoles ?? []) : app.roles,
			lifetimeSeconds: this.config.tokenLifetimeSeconds,
		});
		return {
			token_type: 'Bearer',
			expires_in: this.config.tokenLifetimeSeconds,
			ext_expires_in: this.config.tokenLifetimeSeconds,
			access_token: accessToken,
		};
	}

	private redeemCode(app: RegisteredApp, tenant: Tenant, body: URLSearchParams): Record<string, unknown> {
		const codeValue = body.get('code');
		if (!codeValue) throw new EntraError(900144, { parameter: 'code' });
		const code = this.codes.get(codeValue);
		if (!code || code.expiresAt <= Date.now() || code.clientId !== app.clientId || code.tenantId !== tenant.id) {
			throw new EntraError(70008);
		}
		if (code.redeemed) throw new EntraError(54005);
		const redirectUri = body.get('redirect_uri') ?? '';
		if (redirectUri !== code.redirectUri) {
			throw new EntraError(500112, { redirectUri, expectedRedirectUri: code.redirectUri });
		}
		if (code.codeChallenge) {
			const verifier = body.get('code_verifier') ?? '';
			const computed =
				code.codeChallengeMethod === 'S256' ? createHash('sha256').update(verifier).digest('base64url') : verifier;
			if (computed !== code.codeChallenge) throw new EntraError(501481);
		}
		code.redeemed = true;
		const requested = body.get('scope') ? splitScopes(body.get('scope') as string) : code.scopes;
		return this.delegatedReply(app, tenant, code.user, requested, code.nonce);
	}

	private redeemRefreshToken(app: RegisteredApp, tenant: Tenant, body: URLSearchParams): Record<string, unknown> {
		const tokenValue = body.get('refresh_token');
		if (!tokenValue) throw new EntraError(900144, { parameter: 'refresh_token' });
		const grant = this.refreshTokens.get(tokenValue);
		if (!grant) throw new EntraError(9002313);
		if (grant.clientId !== app.clientId || grant.tenantId !== tenant.id) throw new EntraError(70000);
		// The old refresh token stays valid (Entra does not revoke it on rotation).
		const requested = body.get('scope') ? splitScopes(body.get('scope') as string) : grant.scopes;
		return this.delegatedReply(app, tenant, grant.user, requested);
	}

	private delegatedReply(
		app: RegisteredApp,
		tenant: Tenant,
		user: SandboxUser,
		requestedScopes: string[],
		nonce?: string,
	): Record<string, unknown> {
		const parsed = this.parseDelegatedScopes(app, tenant, requestedScopes);
		const missingConsent = parsed.shortNames.filter((name) => !app.delegatedScopes.includes(name));
		if (missingConsent.length > 0) throw new EntraError(65001, { clientId: app.clientId, appName: app.displayName });

		const lifetime = this.config.tokenLifetimeSeconds;
		const reply: Record<string, unknown> = {
			token_type: 'Bearer',
			scope: parsed.resourceScopes.join(' '),
			expires_in: lifetime,
			ext_expires_in: lifetime,
			access_token: this.mintAccessToken({
				tenantId: tenant.id,
				clientId: app.clientId,
				appName: app.displayName,
				audience: parsed.resource,
				scp: parsed.resourceShortNames.join(' '),
				user,
				lifetimeSeconds: lifetime,
			}),
		};
		if (parsed.shortNames.includes('offline_access')) {
			const refreshToken = `0.SANDBOX.${randomBytes(96).toString('base64url')}`;
			this.refreshTokens.set(refreshToken, {
				clientId: app.clientId,
				tenantId: tenant.id,
				scopes: requestedScopes,
				user,
			});
			reply.refresh_token = refreshToken;
		}
		if (parsed.shortNames.includes('openid')) reply.id_token = this.mintIdToken(app, tenant, user, nonce);
		return reply;
	}

	/** Splits delegated scopes into one resource and its scope names; OIDC scopes ride along. */
	private parseDelegatedScopes(app: RegisteredApp, tenant: Tenant, requested: string[]) {
		if (requested.length === 0) throw new EntraError(900144, { parameter: 'scope' });
		const shortNames: string[] = [];
		const resourceScopes: string[] = [];
		const resourceShortNames: string[] = [];
		let resource: string | undefined;
		for (const scope of requested) {
			if (OIDC_SCOPES.has(scope)) {
				shortNames.push(scope);
				continue;
			}
			const slash = scope.lastIndexOf('/');
			const scopeResource = slash > 0 ? scope.slice(0, slash) : GRAPH_RESOURCE;
			const name = slash > 0 ? scope.slice(slash + 1) : scope;
			if (resource === undefined) resource = scopeResource;
			else if (!sameResource(resource, scopeResource)) throw new EntraError(28000, { scope: requested.join(' ') });
			// '<resource>/.default' in a delegated request = everything already consented for the app.
			const names = name === '.default' ? app.delegatedScopes.filter((consented) => !OIDC_SCOPES.has(consented)) : [name];
			for (const short of names) {
				shortNames.push(short);
				resourceShortNames.push(short);
				resourceScopes.push(`${scopeResource}/${short}`);
			}
		}
		if (resource === undefined) throw new EntraError(70011, { scope: requested.join(' ') });
		if (!this.resources.has(normalizeResource(resource))) {
			throw new EntraError(500011, { resource, tenant: tenant.id, tenantName: tenant.displayName });
		}
		return { resource, shortNames, resourceScopes, resourceShortNames };
	}

	private mintAccessToken(input: {
		tenantId: string;
		clientId: string;
		appName?: string;
		audience: string;
		roles?: string[];
		scp?: string;
		user?: SandboxUser;
		lifetimeSeconds: number;
	}): string {
		const now = nowSeconds();
		const exp = now + input.lifetimeSeconds;
		// A negative lifetime (tests) yields a token that was valid for an hour and has just expired.
		const iat = input.lifetimeSeconds >= 0 ? now : exp - 3600;
		const servicePrincipalId = stableGuid(`sp:${input.tenantId}:${input.clientId}`.toLowerCase());
		const claims: Record<string, unknown> = {
			aud: input.audience,
			iss: `https://sts.windows.net/${input.tenantId}/`,
			iat,
			nbf: iat,
			exp,
			app_displayname: input.appName ?? input.clientId,
			appid: input.clientId,
			appidacr: '1',
			idp: `https://sts.windows.net/${input.tenantId}/`,
			tid: input.tenantId,
			uti: randomBytes(16).toString('base64url'),
			ver: '1.0',
		};
		if (input.user) {
			const userId = stableGuid(`user:${input.user.upn}`.toLowerCase());
			Object.assign(claims, {
				amr: ['pwd'],
				idtyp: 'user',
				name: input.user.displayName,
				oid: userId,
				sub: userId,
				upn: input.user.upn,
				unique_name: input.user.upn,
			});
		} else {
			Object.assign(claims, { idtyp: 'app', oid: servicePrincipalId, sub: servicePrincipalId });
		}
		if (input.roles && input.roles.length > 0) claims.roles = [...input.roles];
		if (input.scp) claims.scp = input.scp;
		return this.signingKey.sign(claims);
	}

	private mintIdToken(app: RegisteredApp, tenant: Tenant, user: SandboxUser, nonce?: string): string {
		const now = nowSeconds();
		const userId = stableGuid(`user:${user.upn}`.toLowerCase());
		return this.signingKey.sign({
			aud: app.clientId,
			iss: `${this.origin}/${tenant.id}/v2.0`,
			iat: now,
			nbf: now,
			exp: now + this.config.tokenLifetimeSeconds,
			name: user.displayName,
			oid: userId,
			preferred_username: user.upn,
			email: user.upn,
			sub: stableGuid(`pairwise:${app.clientId}:${user.upn}`.toLowerCase()),
			tid: tenant.id,
			ver: '2.0',
			...(nonce ? { nonce } : {}),
		});
	}

	private addTenant(tenantId: string, domains: string[]): void {
		const key = tenantId.toLowerCase();
		const tenant = this.tenantsByAlias.get(key) ?? { id: tenantId, displayName: tenantId };
		// Entra names a tenant by its display name in errors; the first domain stands in for it.
		if (domains[0] && tenant.displayName === tenant.id) tenant.displayName = domains[0];
		this.tenantsByAlias.set(key, tenant);
		for (const domain of domains) this.tenantsByAlias.set(domain.toLowerCase(), tenant);
	}
}

function splitScopes(value: string): string[] {
	return value.split(/\s+/).filter(Boolean);
}

function sameResource(a: string, b: string): boolean {
	const left = normalizeResource(a);
	const right = normalizeResource(b);
	return left === right || (EXCHANGE_ALIASES.has(left) && EXCHANGE_ALIASES.has(right));
}

function safeEqual(given: string, expected: string): boolean {
	const left = Buffer.from(given);
	const right = Buffer.from(expected);
	return left.length === right.length && timingSafeEqual(left, right);
}

/** client_secret_basic: `Authorization: Basic base64(urlencode(id):urlencode(secret))`. */
function parseBasicAuth(header: string | undefined): { clientId: string; secret: string } | undefined {
	if (!header?.toLowerCase().startsWith('basic ')) return undefined;
	const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
	const colon = decoded.indexOf(':');
	if (colon < 0) return undefined;
	try {
		return { clientId: decodeURIComponent(decoded.slice(0, colon)), secret: decodeURIComponent(decoded.slice(colon + 1)) };
	} catch {
		return undefined;
	}
}
