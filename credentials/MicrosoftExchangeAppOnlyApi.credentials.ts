import type { ICredentialType, INodeProperties } from 'n8n-workflow';

import {
	allowedMailboxesField,
	allowUnauthorizedCertsField,
	caCertificateField,
	cloudField,
	customAuthorityHostField,
	customEwsUrlField,
	customGraphUrlFields,
	customResourceField,
	customSmtpHostField,
	customSmtpPortField,
	customSmtpSecurityField,
	mailboxApiFields,
	tenantIdField,
} from '../nodes/shared/credentialFields';

/**
 * App-only access (OAuth2 client credentials) to Exchange: the app signs in as itself with a client
 * secret or a certificate. It opens mailboxes over the Mailbox API (Microsoft Graph: Mail.ReadWrite and
 * Mail.Send; EWS: full_access_as_app) and sends over SMTP (SMTP.SendAsApp), with one token per resource
 * (Graph, Exchange). Tokens are minted with MSAL by the nodes; nothing is stored back into the credential.
 */
export class MicrosoftExchangeAppOnlyApi implements ICredentialType {
	name = 'microsoftExchangeAppOnlyApi';

	displayName = 'Microsoft Exchange App-Only (Client Credentials) API';

	icon = { light: 'file:microsoftExchange.svg', dark: 'file:microsoftExchange.dark.svg' } as const;

	documentationUrl = 'https://github.com/n8n-nodes-exchange-oauth/n8n-nodes-exchange-oauth#app-only-credential';

	properties: INodeProperties[] = [
		{
			displayName:
				'Register an app in Entra ID and add the application permissions it needs: for mailboxes over Microsoft Graph, Mail.ReadWrite and Mail.Send (Microsoft Graph); over EWS, full_access_as_app; to send over SMTP, SMTP.SendAsApp (both Office 365 Exchange Online). Grant admin consent, and scope the app to its mailboxes (RBAC for Applications). Step by step: see the README of this package.',
			name: 'setupNotice',
			type: 'notice',
			default: '',
		},
		cloudField,
		...mailboxApiFields,
		customAuthorityHostField,
		customResourceField,
		customEwsUrlField,
		...customGraphUrlFields,
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
				// The value stays 'ews' (saved data); the role it needs follows the Mailbox API.
				{ name: 'Mailbox Access (Graph: Mail.ReadWrite, Mail.Send; EWS: full_access_as_app)', value: 'ews' },
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
			description: 'Optional. The credential test opens the inbox of this mailbox over the Mailbox API, to prove the app may open it.',
		},
		allowedMailboxesField,
		caCertificateField,
		allowUnauthorizedCertsField,
	];
}
