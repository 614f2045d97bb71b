import type { ICredentialType, INodeProperties } from 'n8n-workflow';

import {
	allowedMailboxesField,
	allowUnauthorizedCertsField,
	caCertificateField,
	cloudField,
	customAuthorityHostField,
	customEwsUrlField,
	customResourceField,
	delegatedOAuth2Fields,
	tenantIdField,
} from '../nodes/shared/credentialFields';


/**
 * Delegated mailbox access over EWS: a user signs in once (authorization code flow), n8n keeps and
 * refreshes the token. The node acts as that user, on their mailbox or on shared mailboxes they
 * have FullAccess to. Scope is hidden for the same reason as in the SMTP credential.
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
				'In the app registration, add the "OAuth Redirect URL" shown above as a Web redirect URI, add the delegated permission EWS.AccessAsUser.All (Office 365 Exchange Online) and offline_access (so n8n can refresh the sign-in), then click Connect and sign in. EWS in Exchange Online needs the app on the tenant\'s EWS allow list and ends on 1 April 2027; Exchange Server on-premises keeps it.',
			name: 'setupNotice',
			type: 'notice',
			default: '',
		},
		cloudField,
		customAuthorityHostField,
		customResourceField,
		customEwsUrlField,
		tenantIdField,
		...delegatedOAuth2Fields('/EWS.AccessAsUser.All offline_access openid'),
		allowedMailboxesField,
		caCertificateField,
		allowUnauthorizedCertsField,
	];
}
