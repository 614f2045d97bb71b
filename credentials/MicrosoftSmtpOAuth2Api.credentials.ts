import type { ICredentialType, INodeProperties } from 'n8n-workflow';

import {
	allowedMailboxesField,
	allowUnauthorizedCertsField,
	caCertificateField,
	cloudField,
	customAuthorityHostField,
	customResourceField,
	customSmtpHostField,
	customSmtpPortField,
	customSmtpSecurityField,
	delegatedOAuth2Fields,
	SMTP_SCOPE_EXPRESSION,
	tenantIdField,
} from '../nodes/shared/credentialFields';


/**
 * Delegated SMTP sending: a user signs in once (authorization code flow) and n8n keeps and
 * refreshes the token. Scope SMTP.Send plus offline_access for the refresh token. The scope is a
 * hidden field because n8n ignores user-typed scopes on OAuth2 credential types other than its own
 * generic ones.
 */
export class MicrosoftSmtpOAuth2Api implements ICredentialType {
	name = 'microsoftSmtpOAuth2Api';

	extends = ['oAuth2Api'];

	displayName = 'Microsoft SMTP (Delegated) OAuth2 API';

	icon = { light: 'file:microsoftExchange.svg', dark: 'file:microsoftExchange.dark.svg' } as const;

	documentationUrl = 'https://github.com/n8n-nodes-exchange-oauth/n8n-nodes-exchange-oauth#delegated-smtp-credential';

	properties: INodeProperties[] = [
		{
			displayName:
				'In the app registration, add the "OAuth Redirect URL" shown above as a Web redirect URI, add the delegated permission SMTP.Send (Office 365 Exchange Online) and offline_access, then click Connect and sign in as the mailbox user. SMTP AUTH must be enabled for that mailbox.',
			name: 'setupNotice',
			type: 'notice',
			default: '',
		},
		cloudField,
		customAuthorityHostField,
		customResourceField,
		customSmtpHostField,
		customSmtpPortField,
		customSmtpSecurityField,
		tenantIdField,
		...delegatedOAuth2Fields(SMTP_SCOPE_EXPRESSION),
		allowedMailboxesField,
		caCertificateField,
		allowUnauthorizedCertsField,
	];
}
