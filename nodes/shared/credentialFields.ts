import type { INodeProperties } from 'n8n-workflow';

import { CLOUD_OPTIONS, cloudExpression } from './clouds';

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
	displayOptions: showForCustomCloud,
};

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

/**
 * The hidden fields of n8n's OAuth2 credential for a Microsoft delegated sign-in: authorization code
 * flow against the tenant of the credential's cloud, and the scopes (Exchange resource + `scopes`).
 * Hidden, because n8n ignores user-typed scopes on OAuth2 types other than its generic ones.
 */
export function delegatedOAuth2Fields(scopes: string): INodeProperties[] {
	const authority = `"https://" + ${cloudExpression('authorityHost')} + "/" + $self["tenantId"]`;
	return [
		{ displayName: 'Grant Type', name: 'grantType', type: 'hidden', default: 'authorizationCode' },
		{ displayName: 'Authorization URL', name: 'authUrl', type: 'hidden', default: `={{ ${authority} + "/oauth2/v2.0/authorize" }}` },
		{ displayName: 'Access Token URL', name: 'accessTokenUrl', type: 'hidden', default: `={{ ${authority} + "/oauth2/v2.0/token" }}` },
		{ displayName: 'Scope', name: 'scope', type: 'hidden', default: `={{ ${cloudExpression('resource')} + "${scopes}" }}` },
		{ displayName: 'Auth URI Query Parameters', name: 'authQueryParameters', type: 'hidden', default: 'response_mode=query' },
		{ displayName: 'Authentication', name: 'authentication', type: 'hidden', default: 'body' },
	];
}
