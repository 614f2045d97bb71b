import type { ICredentialType, INodeProperties } from 'n8n-workflow';

import {
	allowedMailboxesField,
	allowUnauthorizedCertsField,
	caCertificateField,
	cloudField,
	customAuthorityHostField,
	customEwsUrlField,
	customResourceField,
	customSmtpHostField,
	customSmtpPortField,
	customSmtpSecurityField,
	tenantIdField,
} from '../nodes/shared/credentialFields';

/**
 * App-only access (OAuth2 client credentials) to Exchange: the app signs in as itself with a client
 * secret or a certificate. One token carries every Exchange role granted to the app, so the same
 * credential sends over SMTP (SMTP.SendAsApp) and opens mailboxes over EWS (full_access_as_app).
 * Tokens are minted with MSAL by the nodes; nothing is stored back into the credential.
 */
export class MicrosoftExchangeAppOnlyApi implements ICredentialType {
	name = 'microsoftExchangeAppOnlyApi';

	displayName = 'Microsoft Exchange App-Only (Client Credentials) API';

	icon = { light: 'file:microsoftExchange.svg', dark: 'file:microsoftExchange.dark.svg' } as const;

	documentationUrl = 'https://github.com/n8n-nodes-exchange-oauth/n8n-nodes-exchange-oauth#app-only-credential';

	properties: INodeProperties[] = [
		{
			displayName:
				'Register an app in Entra ID, add the Office 365 Exchange Online application permissions it needs (SMTP.SendAsApp to send, full_access_as_app for mailboxes), grant admin consent, and register its service principal in Exchange. Step by step: see the README of this package.',
			name: 'setupNotice',
			type: 'notice',
			default: '',
		},
		cloudField,
		customAuthorityHostField,
		customResourceField,
		customEwsUrlField,
		customSmtpHostField,
		customSmtpPortField,
		customSmtpSecurityField,
		tenantIdField,
		{
			displayName: 'Client ID',
			name: 'clientId',
			type: 'string',
			default: '',
			required: true,
			description: 'Application (client) ID of the app registration',
		},
		{
			displayName: 'Client Authentication',
			name: 'authMethod',
			type: 'options',
			options: [
				{ name: 'Client Secret', value: 'clientSecret' },
				{ name: 'Certificate', value: 'certificate' },
			],
			default: 'clientSecret',
		},
		{
			displayName: 'Client Secret',
			name: 'clientSecret',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			description: 'The secret Value (shown once when created), not the Secret ID',
			displayOptions: { show: { authMethod: ['clientSecret'] } },
		},
		{
			displayName: 'Certificate (PEM)',
			name: 'certificate',
			type: 'string',
			// Public, but the community lint treats every certificate field as sensitive.
			typeOptions: { password: true, rows: 4 },
			default: '',
			placeholder: '-----BEGIN CERTIFICATE-----',
			description: 'The public certificate uploaded to the app registration. Its thumbprint is derived from it.',
			displayOptions: { show: { authMethod: ['certificate'] } },
		},
		{
			displayName: 'Private Key (PEM)',
			name: 'privateKey',
			type: 'string',
			typeOptions: { password: true, rows: 4 },
			default: '',
			placeholder: '-----BEGIN PRIVATE KEY-----',
			description: 'The private key of the certificate',
			displayOptions: { show: { authMethod: ['certificate'] } },
		},
		{
			displayName: 'Private Key Passphrase',
			name: 'privateKeyPassphrase',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			description: 'Only for an encrypted private key',
			displayOptions: { show: { authMethod: ['certificate'] } },
		},
		{
			displayName: 'Used For',
			name: 'usedFor',
			type: 'multiOptions',
			options: [
				{ name: 'Mailbox Access Over EWS (full_access_as_app)', value: 'ews' },
				{ name: 'Sending Mail Over SMTP (SMTP.SendAsApp)', value: 'smtp' },
			],
			default: ['ews', 'smtp'],
			description: 'What this credential serves. The Test button fails when the app lacks the permission a use needs.',
		},
		{
			displayName: 'Secret or Certificate Expires On',
			name: 'credentialExpiresOn',
			type: 'dateTime',
			default: '',
			description: 'Optional. From 30 days before this date the Test button fails with a reminder, so the secret is renewed before mail stops.',
		},
		{
			displayName: 'Test Mailbox',
			name: 'testMailbox',
			type: 'string',
			default: '',
			placeholder: 'invoices@contoso.com',
			description: 'Optional. The credential test opens the inbox of this mailbox over EWS to prove full_access_as_app works for it.',
		},
		allowedMailboxesField,
		caCertificateField,
		allowUnauthorizedCertsField,
	];
}
