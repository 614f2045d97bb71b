// Entra ID (login.microsoftonline.com v2.0) error replies: OAuth error, HTTP status and Microsoft's AADSTS wording.
import { randomUUID } from 'node:crypto';

export interface EntraErrorContext {
	clientId?: string;
	tenant?: string; // as the client wrote it
	tenantName?: string; // display name, e.g. 'Contoso (sandbox)'
	appName?: string;
	resource?: string;
	scope?: string;
	redirectUri?: string;
	expectedRedirectUri?: string;
	parameter?: string;
	grantType?: string;
	reason?: string;
	thumbprint?: string;
	issuedAt?: Date;
}

interface ErrorDefinition {
	error: string;
	status: number;
	suberror?: string;
	message: (ctx: EntraErrorContext) => string;
}

const q = (value: string | undefined) => value ?? '';

const DEFINITIONS: Record<number, ErrorDefinition> = {
	7000215: {
		error: 'invalid_client',
		status: 401,
		message: (c) =>
			`Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${q(c.clientId)}'.`,
	},
	7000222: {
		error: 'invalid_client',
		status: 401,
		message: (c) =>
			`The provided client secret keys for app '${q(c.clientId)}' are expired. Visit the Azure portal to create new keys for your app: https://aka.ms/NewClientSecret, or consider using certificate credentials for added security: https://aka.ms/certCreds.`,
	},
	7000218: {
		error: 'invalid_client',
		status: 401,
		message: () => `The request body must contain the following parameter: 'client_assertion' or 'client_secret'.`,
	},
	700016: {
		error: 'unauthorized_client',
		status: 400,
		message: (c) =>
			`Application with identifier '${q(c.clientId)}' was not found in the directory '${q(c.tenantName ?? c.tenant)}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`,
	},
	700027: {
		error: 'invalid_client',
		status: 401,
		message: (c) =>
			`Client assertion failed signature validation. [Reason - ${c.reason ?? 'The key was not found.'}, Thumbprint of key used by client: '${q(c.thumbprint)}', Please visit the Azure Portal, Graph Explorer or directly use MS Graph to see configured keys for app Id '${q(c.clientId)}'. Review the documentation at https://docs.microsoft.com/en-us/graph/deployments to determine the corresponding service endpoint and https://docs.microsoft.com/en-us/graph/api/application-get?view=graph-rest-1.0&tabs=http to build a query request URL, such as 'https://graph.microsoft.com/beta/applications/${q(c.clientId)}']`,
	},
	90002: {
		error: 'invalid_request',
		status: 400,
		message: (c) =>
			`Tenant '${q(c.tenant)}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.`,
	},
	65001: {
		error: 'invalid_grant',
		status: 400,
		suberror: 'consent_required',
		message: (c) =>
			`The user or administrator has not consented to use the application with ID '${q(c.clientId)}' named '${q(c.appName ?? c.clientId)}'. Send an interactive authorization request for this user and resource.`,
	},
	500011: {
		error: 'invalid_resource',
		status: 400,
		message: (c) =>
			`The resource principal named ${q(c.resource)} was not found in the tenant named ${q(c.tenantName ?? c.tenant)}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.`,
	},
	50011: {
		error: 'invalid_request',
		status: 400,
		message: (c) =>
			`The redirect URI '${q(c.redirectUri)}' specified in the request does not match the redirect URIs configured for the application '${q(c.clientId)}'. Make sure the redirect URI sent in the request matches one added to your application in the Azure portal. Navigate to https://aka.ms/redirectUriMismatchError to learn more about how to fix this.`,
	},
	700082: {
		error: 'invalid_grant',
		status: 400,
		message: (c) =>
			`The refresh token has expired due to inactivity. The token was issued on ${(c.issuedAt ?? new Date()).toISOString()} and was inactive for 90.00:00:00.`,
	},
	1002012: {
		error: 'invalid_scope',
		status: 400,
		message: (c) =>
			`The provided value for scope ${q(c.scope)} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`,
	},
	70011: {
		error: 'invalid_scope',
		status: 400,
		message: (c) => `The provided value for the input parameter 'scope' is not valid. The scope '${q(c.scope)}' is not valid.`,
	},
	28000: {
		error: 'invalid_scope',
		status: 400,
		message: (c) =>
			`Provided value for the input parameter scope is not valid because it contains more than one resource. Scope ${q(c.scope)} is not valid.`,
	},
	900144: {
		error: 'invalid_request',
		status: 400,
		message: (c) => `The request body must contain the following parameter: '${q(c.parameter)}'.`,
	},
	70003: {
		error: 'unsupported_grant_type',
		status: 400,
		message: (c) => `The app requested an unsupported grant type '${q(c.grantType)}'.`,
	},
	70008: {
		error: 'invalid_grant',
		status: 400,
		message: () =>
			'The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource.',
	},
	54005: {
		error: 'invalid_grant',
		status: 400,
		message: () =>
			'OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token.',
	},
	500112: {
		error: 'invalid_grant',
		status: 400,
		message: (c) =>
			`The reply address '${q(c.redirectUri)}' does not match the reply address '${q(c.expectedRedirectUri)}' provided when requesting Authorization code.`,
	},
	501481: {
		error: 'invalid_grant',
		status: 400,
		message: () => 'The Code_Verifier does not match the code_challenge supplied in the authorization request.',
	},
	70000: {
		error: 'invalid_grant',
		status: 400,
		message: () => 'Provided grant is invalid or malformed.',
	},
	9002313: {
		error: 'invalid_grant',
		status: 400,
		message: () => 'Invalid request. Request is malformed or invalid.',
	},
	50194: {
		error: 'invalid_request',
		status: 400,
		message: (c) =>
			`Application '${q(c.clientId)}'(${q(c.appName ?? c.clientId)}) is not configured as a multi-tenant application. Usage of the /common endpoint is not supported for such applications created after '10/15/2018'. Use a tenant-specific endpoint or configure the application to be multi-tenant.`,
	},
};

/** Entra's timestamp format in error bodies: '2025-01-31 12:34:56Z'. */
function entraTimestamp(date: Date): string {
	return `${date.toISOString().slice(0, 19).replace('T', ' ')}Z`;
}

export class EntraError extends Error {
	readonly error: string;
	readonly status: number;
	readonly suberror?: string;
	readonly description: string;

	constructor(
		readonly code: number,
		context: EntraErrorContext = {},
	) {
		const definition = DEFINITIONS[code];
		if (!definition) throw new Error(`No Entra error definition for AADSTS${code}`);
		const description = `AADSTS${code}: ${definition.message(context)}`;
		super(description);
		this.name = 'EntraError';
		this.error = definition.error;
		this.status = definition.status;
		this.suberror = definition.suberror;
		this.description = description;
	}

	/** The JSON body login.microsoftonline.com sends. */
	toBody(correlationId: string): Record<string, unknown> {
		const now = new Date();
		const traceId = randomUUID();
		return {
			error: this.error,
			error_description: `${this.description}\r\nTrace ID: ${traceId}\r\nCorrelation ID: ${correlationId}\r\nTimestamp: ${entraTimestamp(now)}`,
			error_codes: [this.code],
			timestamp: entraTimestamp(now),
			trace_id: traceId,
			correlation_id: correlationId,
			error_uri: `https://login.microsoftonline.com/error?code=${this.code}`,
			...(this.suberror ? { suberror: this.suberror } : {}),
		};
	}
}
