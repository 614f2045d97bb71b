import {
	NodeConnectionTypes,
	type ICredentialTestFunctions,
	type ICredentialsDecrypted,
	type IExecuteFunctions,
	type INodeCredentialTestResult,
	type INodeExecutionData,
	type INodeType,
	type INodeTypeDescription,
} from 'n8n-workflow';

import { testAppOnlyCredential, testDelegatedSmtpCredential } from '../shared/credentialTests';
import * as send from './actions/send.operation';

export class SmtpOAuth implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Send Email (SMTP OAuth)',
		name: 'smtpOAuth',
		icon: { light: 'file:smtpOAuth.svg', dark: 'file:smtpOAuth.dark.svg' },
		group: ['output'],
		version: 1,
		subtitle: '={{"to: " + $parameter["toEmail"]}}',
		description: 'Send mail through Microsoft 365 or Exchange SMTP, signed in with OAuth (XOAUTH2)',
		defaults: { name: 'Send Email (SMTP OAuth)' },
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		usableAsTool: true,
		credentials: [
			{
				name: 'microsoftExchangeAppOnlyApi',
				required: true,
				testedBy: 'microsoftExchangeAppOnlyApiTest',
				displayOptions: { show: { authentication: ['appOnly'] } },
			},
			{
				name: send.DELEGATED_CREDENTIAL_TYPE,
				required: true,
				testedBy: 'microsoftSmtpOAuth2ApiTest',
				displayOptions: { show: { authentication: ['delegated'] } },
			},
		],
		properties: [
			{
				displayName: 'Authentication',
				name: 'authentication',
				type: 'options',
				noDataExpression: true,
				options: [
					{
						name: 'App-Only (Client Credentials)',
						value: 'appOnly',
						description: 'The app sends as a mailbox it was granted (SMTP.SendAsApp)',
					},
					{
						name: 'Delegated (OAuth2 Sign-In)',
						value: 'delegated',
						description: 'A user signs in once; mail goes out as that user (SMTP.Send)',
					},
				],
				default: 'appOnly',
			},
			...send.properties,
		],
	};

	methods = {
		credentialTest: {
			async microsoftExchangeAppOnlyApiTest(this: ICredentialTestFunctions, credential: ICredentialsDecrypted): Promise<INodeCredentialTestResult> {
				return await testAppOnlyCredential(credential);
			},
			async microsoftSmtpOAuth2ApiTest(this: ICredentialTestFunctions, credential: ICredentialsDecrypted): Promise<INodeCredentialTestResult> {
				return await testDelegatedSmtpCredential(credential);
			},
		},
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return [await send.execute.call(this)];
	}
}
