import type { ICredentialType, INodeProperties } from 'n8n-workflow';

import { cloudExpression } from '../nodes/shared/clouds';
import {
	allowedMailboxesField,
	allowUnauthorizedCertsField,
	caCertificateField,
	cloudField,
	customAuthorityHostField,
	customEwsUrlField,
	customResourceField,
	tenantIdField,
} from '../nodes/shared/credentialFields';

const authority = `"https://" + ${cloudExpression('authorityHost')} + "/" + $self["tenantId"]`;

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

	documentationUrl = 'https://github.com/n8n-nodes-exchange-oauth/n8n-nodes-exchange-oauth/blob/main/README.md';

	properties: INodeProperties[] = [
		{
			displayName:
				'In the app registration, add the "OAuth Redirect URL" shown above as a Web redirect URI, add the delegated permission EWS.AccessAsUser.All (Office 365 Exchange Online), then click Connect and sign in. EWS in Exchange Online needs the app on the tenant\'s EWS allow list and ends on 1 April 2027; Exchange Server on-premises keeps it.',
			name: 'setupNotice',
			type: 'notice',
			default: '',
		},
		cloudField,
		customAuthorityHostField,
		customResourceField,
		customEwsUrlField,
		tenantIdField,
		{
			displayName: 'Grant Type',
			name: 'grantType',
			type: 'hidden',
			default: 'authorizationCode',
		},
		{
			displayName: 'Authorization URL',
			name: 'authUrl',
			type: 'hidden',
			default: `={{ ${authority} + "/oauth2/v2.0/authorize" }}`,
		},
		{
			displayName: 'Access Token URL',
			name: 'accessTokenUrl',
			type: 'hidden',
			default: `={{ ${authority} + "/oauth2/v2.0/token" }}`,
		},
		{
			displayName: 'Scope',
			name: 'scope',
			type: 'hidden',
			default: `={{ ${cloudExpression('resource')} + "/EWS.AccessAsUser.All offline_access openid" }}`,
		},
		{
			displayName: 'Auth URI Query Parameters',
			name: 'authQueryParameters',
			type: 'hidden',
			default: 'response_mode=query',
		},
		{
			displayName: 'Authentication',
			name: 'authentication',
			type: 'hidden',
			default: 'body',
		},
		allowedMailboxesField,
		caCertificateField,
		allowUnauthorizedCertsField,
	];
}
