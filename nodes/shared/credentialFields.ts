import type { INodeProperties } from 'n8n-workflow';

import { CLOUD_OPTIONS, cloudExpression } from './clouds';
import type { MailApi } from './mail/store';

/**
 * Credential fields shared by every credential of the package: the cloud and its custom endpoints,
 * and the TLS settings. Each credential picks the subset it needs.
 */

const showForCustomCloud = { show: { cloud: ['custom'] } };

export const cloudField: INodeProperties = {
	displayName: 'Cloud',
	name: 'cloud',
	type: 'options',
	options: CLOUD_OPTIONS,
	default: 'global',
	description: 'The Microsoft cloud the tenant lives in. Pick Custom for Exchange Server on-premises, a hybrid setup or a test server.',
};

export const customAuthorityHostField: INodeProperties = {
	displayName: 'Authority Host',
	name: 'authorityHost',
	type: 'string',
	default: '',
	placeholder: 'login.microsoftonline.com',
	description: 'Host (and port, if not 443) of the Entra ID or AD FS token service, without https://',
	displayOptions: showForCustomCloud,
};

export const customResourceField: INodeProperties = {
	displayName: 'Resource',
	name: 'resource',
	type: 'string',
	default: 'https://outlook.office365.com',
	description: 'The Exchange resource the token is for. Exchange Server on-premises with hybrid modern authentication uses its external URL, e.g. https://mail.contoso.com.',
	displayOptions: showForCustomCloud,
};

export const customEwsUrlField: INodeProperties = {
	displayName: 'EWS URL',
	name: 'ewsUrl',
	type: 'string',
	default: '',
	placeholder: 'https://mail.contoso.com/EWS/Exchange.asmx',
	description: 'Exchange Web Services endpoint, used by the Exchange nodes',
	displayOptions: { show: { cloud: ['custom'], customMailboxApi: ['ews'] } },
};

const showForCustomGraph = { show: { cloud: ['custom'], customMailboxApi: ['graph'] } };

export const customGraphUrlFields: INodeProperties[] = [
	{
		displayName: 'Graph URL',
		name: 'graphUrl',
		type: 'string',
		default: 'https://graph.microsoft.com/v1.0',
		description: 'Microsoft Graph v1.0 endpoint the Exchange nodes call. The token goes only there.',
		displayOptions: showForCustomGraph,
	},
	{
		displayName: 'Graph Resource',
		name: 'graphResource',
		type: 'string',
		default: 'https://graph.microsoft.com',
		description: 'The Microsoft Graph resource the token is for (its audience)',
		displayOptions: showForCustomGraph,
	},
];

/*
 * The Mailbox API: Microsoft Graph or EWS. A credential saved by version 0.1 has no such value and must keep
 * using EWS, while a new one starts on Graph (Microsoft 365 clouds) or EWS (Custom). n8n fills a value missing from
 * saved data with the default of the property that is displayed (when it decrypts the data for a node, a credential
 * test or the OAuth2 sign-in), so the displayed property's default is EWS. The editor starts a new form (and fills a
 * value an opened credential lacks) with the default of the FIRST property of that name, and saves only values that
 * differ from the displayed default: the never-displayed first property below makes a new form start on Graph, and
 * that choice is then saved explicitly. (An old credential opened in the editor therefore shows Graph too: the field
 * description says so; saving it then moves it to Graph, which its Test checks.) The Custom cloud has its own key, so
 * its new form starts on EWS.
 */
const MAILBOX_API_OPTIONS = [
	{ name: 'Microsoft Graph', value: 'graph', description: 'Exchange Online (Microsoft 365). App-only: application permissions Mail.ReadWrite and Mail.Send.' },
	{ name: 'EWS (Exchange Web Services)', value: 'ews', description: 'Exchange Server on-premises. Exchange Online only until 1 April 2027, and only for apps on the tenant\'s EWS allow list.' },
];

export const mailboxApiFields: INodeProperties[] = [
	// Editor-only: what a new form starts with. Never displayed, so n8n never fills or saves a value from it.
	{ displayName: 'Mailbox API', name: 'mailboxApi', type: 'hidden', default: 'graph', displayOptions: { show: { cloud: [] } } },
	{
		displayName: 'Mailbox API',
		name: 'mailboxApi',
		type: 'options',
		options: MAILBOX_API_OPTIONS,
		default: 'ews',
		description: 'How the Microsoft Exchange nodes reach mailboxes. A credential saved before this field existed keeps using EWS; opened here it shows Microsoft Graph, so pick EWS before saving it if it should stay on EWS.',
		displayOptions: { hide: { cloud: ['custom'] } },
	},
	{
		displayName: 'Mailbox API',
		name: 'customMailboxApi',
		type: 'options',
		options: [...MAILBOX_API_OPTIONS].reverse(),
		default: 'ews',
		description: 'How the Microsoft Exchange nodes reach mailboxes: EWS for Exchange Server, Microsoft Graph for a Graph endpoint',
		displayOptions: showForCustomCloud,
	},
];

/** The Mailbox API a credential's (decrypted) data selects: Graph only when chosen, EWS otherwise (0.1's data has no choice). */
export function mailboxApiOf(data: { cloud?: unknown; mailboxApi?: unknown; customMailboxApi?: unknown }): MailApi {
	const chosen = data.cloud === 'custom' ? data.customMailboxApi : data.mailboxApi;
	return chosen === 'graph' ? 'graph' : 'ews';
}

/** `mailboxApiOf` as an n8n expression over the credential (for the delegated Scope field). */
const MAILBOX_API_EXPRESSION = '(($self["cloud"] === "custom" ? $self["customMailboxApi"] : $self["mailboxApi"]) === "graph" ? "graph" : "ews")';

export const customSmtpHostField: INodeProperties = {
	displayName: 'SMTP Host',
	name: 'smtpHost',
	type: 'string',
	default: '',
	placeholder: 'smtp.office365.com',
	description: 'The SMTP server mail (and the access token) goes to. Workflows cannot change it.',
	displayOptions: showForCustomCloud,
};

export const customSmtpPortField: INodeProperties = {
	displayName: 'SMTP Port',
	name: 'smtpPort',
	type: 'number',
	default: 587,
	description: '587 for STARTTLS, usually 465 for TLS',
	displayOptions: showForCustomCloud,
};

export const customSmtpSecurityField: INodeProperties = {
	displayName: 'SMTP Security',
	name: 'smtpSecurity',
	type: 'options',
	options: [
		{ name: 'STARTTLS', value: 'starttls', description: 'TLS after EHLO (Exchange Online, Exchange Server on port 587)' },
		{ name: 'TLS', value: 'tls', description: 'TLS from the first byte (usually port 465)' },
	],
	default: 'starttls',
	description: 'There is no plain-text option: an OAuth token must never cross the network unencrypted',
	displayOptions: showForCustomCloud,
};

export const caCertificateField: INodeProperties = {
	displayName: 'Trusted CA Certificates (PEM)',
	name: 'caCertificate',
	type: 'string',
	typeOptions: { rows: 4 },
	default: '',
	placeholder: '-----BEGIN CERTIFICATE-----',
	description: 'Extra certificate authorities to trust for the token service, SMTP and EWS, e.g. the internal CA of an on-premises Exchange. The public CAs stay trusted.',
};

export const allowUnauthorizedCertsField: INodeProperties = {
	displayName: 'Ignore TLS Certificate Errors',
	name: 'allowUnauthorizedCerts',
	type: 'boolean',
	default: false,
	description: 'Whether to connect even if SSL certificate validation is not possible',
	hint: 'Anyone in the network path could then read tokens and mail: prefer adding the CA above',
};

export const tenantIdField: INodeProperties = {
	displayName: 'Tenant ID',
	name: 'tenantId',
	type: 'string',
	default: '',
	required: true,
	placeholder: '00000000-0000-0000-0000-000000000000 or contoso.onmicrosoft.com',
	description: 'Directory (tenant) ID, or a verified domain of the tenant',
};

export const allowedMailboxesField: INodeProperties = {
	displayName: 'Allowed Mailboxes',
	name: 'allowedMailboxes',
	type: 'string',
	default: '',
	placeholder: 'invoices@contoso.com, *@shared.contoso.com',
	description: 'Mailboxes workflows may use with this credential: addresses or *@domain patterns, separated by commas. Empty allows any mailbox the app or user can reach. Checked before anything is sent to Microsoft.',
};

/** An expression for `names` on `resource` (an expression), space-separated, plus the sign-in scopes `extra`. */
function scopeExpression(resource: string, names: readonly string[], extra: string): string {
	return `${names.map((name) => `${resource} + "/${name}`).join(' " + ')} ${extra}"`;
}

/** Delegated Graph permissions of the Exchange nodes: the user's mailbox and shared mailboxes they have FullAccess to. */
export const DELEGATED_GRAPH_SCOPES = ['Mail.ReadWrite', 'Mail.Send', 'Mail.ReadWrite.Shared', 'Mail.Send.Shared'] as const;

/** What the delegated SMTP credential signs in for: SMTP.Send on the Exchange resource. */
export const SMTP_SCOPE_EXPRESSION = scopeExpression(cloudExpression('resource'), ['SMTP.Send'], 'offline_access');

/**
 * What the delegated Exchange credential signs in for: its Mailbox API's resource. EWS.AccessAsUser.All (Exchange)
 * and Mail.* (Graph) are on different resources and cannot be in one token.
 */
export const MAILBOX_SCOPE_EXPRESSION = `(${MAILBOX_API_EXPRESSION} === "graph" ? ${scopeExpression(cloudExpression('graphResource'), DELEGATED_GRAPH_SCOPES, 'offline_access openid')} : ${scopeExpression(cloudExpression('resource'), ['EWS.AccessAsUser.All'], 'offline_access openid')})`;

/**
 * The hidden fields of n8n's OAuth2 credential for a Microsoft delegated sign-in: authorization code
 * flow against the tenant of the credential's cloud, and the scopes (an expression over the credential).
 * Hidden, because n8n ignores user-typed scopes on OAuth2 types other than its generic ones.
 */
export function delegatedOAuth2Fields(scope: string): INodeProperties[] {
	const authority = `"https://" + ${cloudExpression('authorityHost')} + "/" + $self["tenantId"]`;
	return [
		{ displayName: 'Grant Type', name: 'grantType', type: 'hidden', default: 'authorizationCode' },
		{ displayName: 'Authorization URL', name: 'authUrl', type: 'hidden', default: `={{ ${authority} + "/oauth2/v2.0/authorize" }}` },
		{ displayName: 'Access Token URL', name: 'accessTokenUrl', type: 'hidden', default: `={{ ${authority} + "/oauth2/v2.0/token" }}` },
		{ displayName: 'Scope', name: 'scope', type: 'hidden', default: `={{ ${scope} }}` },
		{ displayName: 'Auth URI Query Parameters', name: 'authQueryParameters', type: 'hidden', default: 'response_mode=query' },
		{ displayName: 'Authentication', name: 'authentication', type: 'hidden', default: 'body' },
	];
}
