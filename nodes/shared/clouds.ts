/**
 * Microsoft national clouds and the endpoints our nodes talk to in each.
 * One table, used by the credentials (as expressions) and by the token and transport code.
 */

export type CloudName = 'global' | 'usGovHigh' | 'usGovDod' | 'china' | 'custom';

export interface CloudEndpoints {
	/** Entra ID authority host, e.g. login.microsoftonline.com (host[:port], no scheme). */
	authorityHost: string;
	/** EWS endpoint of the cloud, used by the Exchange nodes. */
	ewsUrl: string;
	/** SMTP submission host and port (STARTTLS). */
	smtpHost: string;
	smtpPort: number;
	/** The "Office 365 Exchange Online" resource: prefix of every scope we request. */
	resource: string;
}

export const CLOUD_PRESETS: Record<Exclude<CloudName, 'custom'>, CloudEndpoints> = {
	global: {
		authorityHost: 'login.microsoftonline.com',
		ewsUrl: 'https://outlook.office365.com/EWS/Exchange.asmx',
		smtpHost: 'smtp.office365.com',
		smtpPort: 587,
		resource: 'https://outlook.office365.com',
	},
	usGovHigh: {
		authorityHost: 'login.microsoftonline.us',
		ewsUrl: 'https://outlook.office365.us/EWS/Exchange.asmx',
		smtpHost: 'smtp.office365.us',
		smtpPort: 587,
		resource: 'https://outlook.office365.us',
	},
	usGovDod: {
		authorityHost: 'login.microsoftonline.us',
		ewsUrl: 'https://webmail.apps.mil/EWS/Exchange.asmx',
		smtpHost: 'outlook-dod.office365.us',
		smtpPort: 587,
		resource: 'https://webmail.apps.mil',
	},
	china: {
		authorityHost: 'login.partner.microsoftonline.cn',
		ewsUrl: 'https://partner.outlook.cn/EWS/Exchange.asmx',
		smtpHost: 'smtp.partner.outlook.cn',
		smtpPort: 587,
		resource: 'https://partner.outlook.cn',
	},
};

export const CLOUD_OPTIONS: Array<{ name: string; value: CloudName; description: string }> = [
	{ name: 'Global (Microsoft 365, GCC)', value: 'global', description: 'Hosts: login.microsoftonline.com, outlook.office365.com' },
	{ name: 'US Government GCC High', value: 'usGovHigh', description: 'Hosts: login.microsoftonline.us, outlook.office365.us' },
	{ name: 'US Government DoD', value: 'usGovDod', description: 'Hosts: login.microsoftonline.us, webmail.apps.mil' },
	{ name: 'China (21Vianet)', value: 'china', description: 'Hosts: login.partner.microsoftonline.cn, partner.outlook.cn' },
	{
		name: 'Custom (On-Premises, Hybrid or Test)',
		value: 'custom',
		description: 'Type the authority host, EWS URL and SMTP host yourself',
	},
];

/** The fields of a credential that select endpoints (both credential types share them). */
export interface CloudFields {
	cloud?: string;
	authorityHost?: string;
	ewsUrl?: string;
	smtpHost?: string;
	smtpPort?: number | string;
	resource?: string;
}

function stripScheme(host: string): string {
	return host.replace(/^https?:\/\//i, '').replace(/\/+$/, '');
}

/** Endpoints for a credential: the preset of its cloud, or the custom values typed by the user. */
export function resolveCloudEndpoints(fields: CloudFields): CloudEndpoints {
	const cloud = (fields.cloud ?? 'global') as CloudName;
	if (cloud !== 'custom') {
		const preset = CLOUD_PRESETS[cloud];
		if (!preset) throw new Error(`Unknown cloud "${String(fields.cloud)}"`);
		return preset;
	}
	const missing = (['authorityHost', 'resource'] as const).filter((key) => !String(fields[key] ?? '').trim());
	if (missing.length) {
		throw new Error(`The custom cloud needs ${missing.join(' and ')}: set them in the credential`);
	}
	return {
		authorityHost: stripScheme(String(fields.authorityHost).trim()),
		ewsUrl: String(fields.ewsUrl ?? '').trim(),
		smtpHost: String(fields.smtpHost ?? '').trim(),
		smtpPort: Number(fields.smtpPort) || 587,
		resource: String(fields.resource).trim().replace(/\/+$/, ''),
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
export function cloudExpression(key: 'authorityHost' | 'resource'): string {
	const map: Record<string, string> = {};
	for (const [name, preset] of Object.entries(CLOUD_PRESETS)) map[name] = preset[key];
	return `(${JSON.stringify(map)}[$self["cloud"]] || $self["${key}"])`;
}
