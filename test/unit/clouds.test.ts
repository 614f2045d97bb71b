import { CLOUD_PRESETS, cloudExpression, resolveCloudEndpoints, tokenEndpoint } from '../../nodes/shared/clouds';
import type { CredentialFieldError } from '../../nodes/shared/errors/credentialFieldError';
import { smtpServerFor } from '../../nodes/shared/transport/smtp';
import { MicrosoftSmtpOAuth2Api } from '../../credentials/MicrosoftSmtpOAuth2Api.credentials';

/** Evaluates a credential default the way n8n would for `={{ … }}` with `$self` = the credential. */
function evaluate(expression: string, self: Record<string, unknown>): unknown {
	const body = expression.replace(/^=\{\{/, '').replace(/\}\}$/, '');
	return new Function('$self', `return (${body});`)(self);
}

describe('clouds', () => {
	it('has the national cloud endpoints', () => {
		expect(CLOUD_PRESETS.global).toMatchObject({ authorityHost: 'login.microsoftonline.com', smtpHost: 'smtp.office365.com', smtpPort: 587, resource: 'https://outlook.office365.com' });
		expect(CLOUD_PRESETS.usGovHigh.authorityHost).toBe('login.microsoftonline.us');
		expect(CLOUD_PRESETS.china.resource).toBe('https://partner.outlook.cn');
	});

	it('custom cloud takes typed values and needs authority host and resource', () => {
		expect(resolveCloudEndpoints({ cloud: 'custom', authorityHost: 'https://adfs.contoso.com/', resource: 'https://mail.contoso.com/', smtpHost: 'mail.contoso.com', smtpPort: '25' })).toMatchObject({
			authorityHost: 'adfs.contoso.com',
			resource: 'https://mail.contoso.com',
			smtpPort: 25,
		});
		expect(() => resolveCloudEndpoints({ cloud: 'custom', resource: '' })).toThrow(/"Authority Host" and "Resource"/);
	});

	it('builds the tenant token endpoint', () => {
		expect(tokenEndpoint(CLOUD_PRESETS.global, 'contoso.onmicrosoft.com')).toBe('https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token');
	});

	it('delegated SMTP credential computes authorize URL, token URL and scope from cloud and tenant', () => {
		const properties = Object.fromEntries(new MicrosoftSmtpOAuth2Api().properties.map((p) => [p.name, p.default as string]));
		const gcc = { cloud: 'usGovHigh', tenantId: 'contoso.us' };
		expect(evaluate(properties.authUrl, gcc)).toBe('https://login.microsoftonline.us/contoso.us/oauth2/v2.0/authorize');
		expect(evaluate(properties.accessTokenUrl, gcc)).toBe('https://login.microsoftonline.us/contoso.us/oauth2/v2.0/token');
		expect(evaluate(properties.scope, gcc)).toBe('https://outlook.office365.us/SMTP.Send offline_access');
		const custom = { cloud: 'custom', tenantId: 't1', authorityHost: '127.0.0.1:9443', resource: 'https://outlook.office365.com' };
		expect(evaluate(properties.authUrl, custom)).toBe('https://127.0.0.1:9443/t1/oauth2/v2.0/authorize');
		expect(evaluate(`={{ ${cloudExpression('resource')} }}`, { cloud: 'global' })).toBe('https://outlook.office365.com');
	});
});

describe('custom cloud fields are checked, naming the field', () => {
	const base = { cloud: 'custom', authorityHost: 'adfs.contoso.com', resource: 'https://mail.contoso.com' };
	const fieldOf = (fields: Record<string, unknown>) => {
		try {
			resolveCloudEndpoints({ ...base, ...fields });
		} catch (error) {
			return (error as CredentialFieldError).field;
		}
		return undefined;
	};

	it.each([
		[{ authorityHost: 'adfs.contoso.com/adfs' }, 'Authority Host'],
		[{ authorityHost: 'user@adfs.contoso.com' }, 'Authority Host'],
		[{ authorityHost: 'adfs.contoso.com:99999' }, 'Authority Host'],
		[{ authorityHost: 'adfs contoso.com' }, 'Authority Host'],
		[{ ewsUrl: 'http://mail.contoso.com/EWS/Exchange.asmx' }, 'EWS URL'],
		[{ ewsUrl: 'mail.contoso.com/EWS/Exchange.asmx' }, 'EWS URL'],
		[{ ewsUrl: 'https://user:pw@mail.contoso.com/EWS/Exchange.asmx' }, 'EWS URL'],
		[{ smtpHost: 'smtp://mail.contoso.com' }, 'SMTP Host'],
		[{ smtpHost: 'mail.contoso.com:25' }, 'SMTP Host'],
		[{ smtpHost: 'mail.contoso.com\r\nRCPT' }, 'SMTP Host'],
		[{ smtpPort: 0 }, 'SMTP Port'],
		[{ smtpPort: 70000 }, 'SMTP Port'],
		[{ smtpPort: 'abc' }, 'SMTP Port'],
		[{ smtpPort: 25.5 }, 'SMTP Port'],
	])('%p → "%s"', (fields, field) => {
		expect(fieldOf(fields)).toBe(field);
	});

	it('takes the typed SMTP security and port, defaults to STARTTLS on 587; presets are STARTTLS', () => {
		expect(resolveCloudEndpoints({ ...base, smtpHost: 'mail.contoso.com', smtpPort: 465, smtpSecurity: 'tls' })).toMatchObject({ smtpHost: 'mail.contoso.com', smtpPort: 465, smtpSecurity: 'tls' });
		expect(resolveCloudEndpoints({ ...base, smtpHost: 'mail.contoso.com', smtpPort: '' })).toMatchObject({ smtpPort: 587, smtpSecurity: 'starttls' });
		expect(resolveCloudEndpoints({ ...base, ewsUrl: 'https://[::1]:8443/EWS/Exchange.asmx', smtpHost: '[::1]', authorityHost: '127.0.0.1:9443' })).toMatchObject({ smtpHost: '[::1]', authorityHost: '127.0.0.1:9443' });
		for (const preset of Object.values(CLOUD_PRESETS)) expect(preset.smtpSecurity).toBe('starttls');
	});

	it('an empty SMTP Host is refused when an SMTP server is needed, not replaced by localhost', () => {
		const endpoints = resolveCloudEndpoints({ ...base, smtpHost: '' });
		expect(() => smtpServerFor(endpoints, {})).toThrow(expect.objectContaining({ field: 'SMTP Host', message: 'The credential\'s Custom cloud has no "SMTP Host"' }));
		expect(smtpServerFor(resolveCloudEndpoints({ ...base, smtpHost: 'mail.contoso.com', smtpPort: 465, smtpSecurity: 'tls' }), {})).toMatchObject({ host: 'mail.contoso.com', port: 465, security: 'tls' });
	});
});
