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
	delegatedOAuth2Fields,
	mailboxApiFields,
	MAILBOX_SCOPE_EXPRESSION,
	tenantIdField,
} from '../nodes/shared/credentialFields';

/**
 * Delegated mailbox access over Microsoft Graph or EWS (the Mailbox API field): a user signs in once
 * (authorization code flow), n8n keeps and refreshes the token. The node acts as that user, on their
 * mailbox or on shared mailboxes they have FullAccess to. The hidden Scope follows the Mailbox API.
 */
export class MicrosoftExchangeOAuth2Api implements ICredentialType {
	name = 'microsoftExchangeOAuth2Api';

	extends = ['oAuth2Api'];

	displayName = 'Microsoft Exchange (Delegated) OAuth2 API';

	icon = { light: 'file:microsoftExchange.svg', dark: 'file:microsoftExchange.dark.svg' } as const;

	documentationUrl = 'https://github.com/n8n-nodes-exchange-oauth/n8n-nodes-exchange-oauth#ews-credentials-exchange-node-and-trigger';

	properties: INodeProperties[] = [
		{
			displayName:
				'In the app registration, add the "OAuth Redirect URL" shown above as a Web redirect URI and the delegated permissions of the Mailbox API below: Microsoft Graph Mail.ReadWrite, Mail.Send, Mail.ReadWrite.Shared and Mail.Send.Shared, or EWS.AccessAsUser.All (Office 365 Exchange Online); plus offline_access so n8n can refresh the sign-in. Then click Connect and sign in, and connect again after changing the Mailbox API. EWS in Exchange Online needs the app on the tenant\'s EWS allow list and ends on 1 April 2027; Exchange Server on-premises keeps it.',
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
		tenantIdField,
		...delegatedOAuth2Fields(MAILBOX_SCOPE_EXPRESSION),
		allowedMailboxesField,
		caCertificateField,
		allowUnauthorizedCertsField,
	];
}
