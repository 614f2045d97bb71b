/**
 * Microsoft national clouds and the endpoints our nodes talk to in each.
 * One table, used by the credentials (as expressions) and by the token and transport code.
 */

import { CredentialFieldError } from './errors/credentialFieldError';

export type CloudName = 'global' | 'usGovHigh' | 'usGovDod' | 'china' | 'custom';

/** STARTTLS (TLS after EHLO, port 587) or TLS from the first byte (usually port 465). Never plain text. */
export type SmtpSecurity = 'starttls' | 'tls';

export interface CloudEndpoints {
	/** Entra ID authority host, e.g. login.microsoftonline.com (host[:port], no scheme). */
	authorityHost: string;
	/** EWS endpoint of the cloud, used by the Exchange nodes. */
	ewsUrl: string;
	/** SMTP submission host, port and TLS mode. The only SMTP server a token of this credential is sent to. */
	smtpHost: string;
	smtpPort: number;
	smtpSecurity: SmtpSecurity;
	/** The "Office 365 Exchange Online" resource: prefix of every EWS and SMTP scope we request. */
	resource: string;
	/** Microsoft Graph v1.0 base URL of the cloud (no trailing slash), used when the credential's Mailbox API is Graph. */
	graphUrl: string;
	/** The Microsoft Graph resource: prefix of every Graph scope; a Graph token is for it alone. */
	graphResource: string;
}

export const CLOUD_PRESETS: Record<Exclude<CloudName, 'custom'>, CloudEndpoints> = {
	global: {
		authorityHost: 'login.microsoftonline.com',
		ewsUrl: 'https://outlook.office365.com/EWS/Exchange.asmx',
		smtpHost: 'smtp.office365.com',
		smtpPort: 587,
		smtpSecurity: 'starttls',
		resource: 'https://outlook.office365.com',
		graphUrl: 'https://graph.microsoft.com/v1.0',
		graphResource: 'https://graph.microsoft.com',
	},
	usGovHigh: {
		authorityHost: 'login.microsoftonline.us',
		ewsUrl: 'https://outlook.office365.us/EWS/Exchange.asmx',
		smtpHost: 'smtp.office365.us',
		smtpPort: 587,
		smtpSecurity: 'starttls',
		resource: 'https://outlook.office365.us',
		graphUrl: 'https://graph.microsoft.us/v1.0',
		graphResource: 'https://graph.microsoft.us',
	},
	usGovDod: {
		authorityHost: 'login.microsoftonline.us',
		ewsUrl: 'https://webmail.apps.mil/EWS/Exchange.asmx',
		smtpHost: 'outlook-dod.office365.us',
		smtpPort: 587,
		smtpSecurity: 'starttls',
		resource: 'https://webmail.apps.mil',
		graphUrl: 'https://dod-graph.microsoft.us/v1.0',
		graphResource: 'https://dod-graph.microsoft.us',
	},
	china: {
		authorityHost: 'login.partner.microsoftonline.cn',
		ewsUrl: 'https://partner.outlook.cn/EWS/Exchange.asmx',
		smtpHost: 'smtp.partner.outlook.cn',
		smtpPort: 587,
		smtpSecurity: 'starttls',
		resource: 'https://partner.outlook.cn',
		graphUrl: 'https://microsoftgraph.chinacloudapi.cn/v1.0',
		graphResource: 'https://microsoftgraph.chinacloudapi.cn',
	},
};

export const CLOUD_OPTIONS: Array<{ name: string; value: CloudName; description: string }> = [
	{ name: 'Global (Microsoft 365, GCC)', value: 'global', description: 'Hosts: login.microsoftonline.com, graph.microsoft.com, outlook.office365.com' },
	{ name: 'US Government GCC High', value: 'usGovHigh', description: 'Hosts: login.microsoftonline.us, graph.microsoft.us, outlook.office365.us' },
	{ name: 'US Government DoD', value: 'usGovDod', description: 'Hosts: login.microsoftonline.us, dod-graph.microsoft.us, webmail.apps.mil' },
	{ name: 'China (21Vianet)', value: 'china', description: 'Hosts: login.partner.microsoftonline.cn, microsoftgraph.chinacloudapi.cn, partner.outlook.cn' },
	{
		name: 'Custom (On-Premises, Hybrid or Test)',
		value: 'custom',
		description: 'Type the authority host, EWS or Graph URL and SMTP host yourself',
	},
];

/** The fields of a credential that select endpoints (both credential types share them). */
export interface CloudFields {
	cloud?: string;
	authorityHost?: string;
	ewsUrl?: string;
	smtpHost?: string;
	smtpPort?: number | string;
	smtpSecurity?: string;
	resource?: string;
	graphUrl?: string;
	graphResource?: string;
}

function stripScheme(host: string): string {
	return host.replace(/^https?:\/\//i, '').replace(/\/+$/, '');
}

// A DNS name or an IPv4 address, or a bracketed IPv6 literal; for the authority an optional :port.
const HOST = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*|\[[0-9A-Fa-f:.]+\])$/;
const HOST_AND_PORT = /^(.+?)(?::(\d{1,5}))?$/;

function isPort(value: number): boolean {
	return Number.isInteger(value) && value >= 1 && value <= 65535;
}

function customAuthorityHost(value: string): string {
	const host = stripScheme(value);
	const [, name = '', port] = HOST_AND_PORT.exec(host) ?? [];
	if (!HOST.test(name) || (port !== undefined && !isPort(Number(port)))) {
		throw new CredentialFieldError('Authority Host', `"Authority Host" is not a host name: "${value}"`, 'Enter only the host (and :port if not 443) of the token service, e.g. login.microsoftonline.com or adfs.contoso.com, without a path.');
	}
	return host;
}

function customEwsUrl(value: string): string {
	if (!value) return '';
	let url: URL | undefined;
	try {
		url = new URL(value);
	} catch {
		url = undefined;
	}
	if (!url || url.protocol !== 'https:' || url.username || url.password) {
		throw new CredentialFieldError('EWS URL', `"EWS URL" is not an https:// address: "${value}"`, 'Enter the full EWS address, e.g. https://mail.contoso.com/EWS/Exchange.asmx (https only: a token never crosses the network unencrypted).');
	}
	return value;
}

/** An https:// URL without user info or a trailing slash, or the field's error naming `label`. */
function customHttpsUrl(value: string, label: string, fix: string): string {
	let url: URL | undefined;
	try {
		url = new URL(value);
	} catch {
		url = undefined;
	}
	if (!url || url.protocol !== 'https:' || url.username || url.password || url.search || url.hash) {
		throw new CredentialFieldError(label, `"${label}" is not an https:// address: "${value}"`, fix);
	}
	return value.replace(/\/+$/, '');
}

function customSmtpHost(value: string): string {
	if (value && !HOST.test(value)) {
		throw new CredentialFieldError('SMTP Host', `"SMTP Host" is not a host name: "${value}"`, 'Enter only the host name, e.g. smtp.office365.com or mail.contoso.com; the port goes into "SMTP Port".');
	}
	return value;
}

function customSmtpPort(value: unknown): number {
	if (value === undefined || value === null || value === '') return 587;
	const port = Number(value);
	if (!isPort(port)) throw new CredentialFieldError('SMTP Port', `"SMTP Port" is not a port number: "${String(value)}"`, 'Enter a port from 1 to 65535: 587 for STARTTLS, usually 465 for TLS.');
	return port;
}

/** Endpoints for a credential: the preset of its cloud, or the custom values typed by the user. */
export function resolveCloudEndpoints(fields: CloudFields): CloudEndpoints {
	const cloud = (fields.cloud ?? 'global') as CloudName;
	if (cloud !== 'custom') {
		const preset = CLOUD_PRESETS[cloud];
		if (!preset) throw new Error(`Unknown cloud "${String(fields.cloud)}"`);
		return preset;
	}
	const labels = { authorityHost: 'Authority Host', resource: 'Resource' } as const;
	const missing = (['authorityHost', 'resource'] as const).filter((key) => !String(fields[key] ?? '').trim());
	if (missing.length) {
		const names = missing.map((key) => `"${labels[key]}"`).join(' and ');
		throw new CredentialFieldError(labels[missing[0]], `The custom cloud needs ${names}`, `Fill in ${names} in the credential, or pick a Microsoft cloud.`);
	}
	return {
		authorityHost: customAuthorityHost(String(fields.authorityHost).trim()),
		ewsUrl: customEwsUrl(String(fields.ewsUrl ?? '').trim()),
		smtpHost: customSmtpHost(String(fields.smtpHost ?? '').trim()),
		smtpPort: customSmtpPort(fields.smtpPort),
		smtpSecurity: fields.smtpSecurity === 'tls' ? 'tls' : 'starttls',
		resource: String(fields.resource).trim().replace(/\/+$/, ''),
		graphUrl: customHttpsUrl(String(fields.graphUrl ?? '').trim() || CLOUD_PRESETS.global.graphUrl, 'Graph URL', 'Enter the Microsoft Graph v1.0 address, e.g. https://graph.microsoft.com/v1.0 (https only: a token never crosses the network unencrypted).'),
		graphResource: customHttpsUrl(String(fields.graphResource ?? '').trim() || CLOUD_PRESETS.global.graphResource, 'Graph Resource', 'Enter the Microsoft Graph resource the token is for, e.g. https://graph.microsoft.com.'),
	};
}

export function authorityUrl(endpoints: CloudEndpoints, tenantId: string): string {
	return `https://${endpoints.authorityHost}/${encodeURIComponent(tenantId.trim())}`;
}

export function tokenEndpoint(endpoints: CloudEndpoints, tenantId: string): string {
	return `${authorityUrl(endpoints, tenantId)}/oauth2/v2.0/token`;
}

/**
 * n8n expression (for hidden credential fields) that evaluates to the value of `key` for the
 * credential's cloud, falling back to the custom field of the same name. Built from the table
 * above so the credentials never carry a second copy of the endpoints. Kept free of regular
 * expressions: n8n evaluates it in its own expression sandbox.
 */
export function cloudExpression(key: 'authorityHost' | 'resource' | 'graphResource'): string {
	const map: Record<string, string> = {};
	for (const [name, preset] of Object.entries(CLOUD_PRESETS)) map[name] = preset[key];
	return `(${JSON.stringify(map)}[$self["cloud"]] || $self["${key}"])`;
}
