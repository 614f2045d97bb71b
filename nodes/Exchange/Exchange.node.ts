import {
	NodeConnectionTypes,
	type IExecuteFunctions,
	type INodeExecutionData,
	type INodeType,
	type INodeTypeDescription,
} from 'n8n-workflow';

import { ewsCredentialTests } from '../shared/credentialTests';
import * as attachment from './actions/attachment';
import * as folder from './actions/folder';
import * as message from './actions/message';
import { route } from './actions/router';
import { authenticationProperty, DELEGATED_CREDENTIAL_TYPE, mailboxProperties } from './descriptions/common';
import { searchFolders } from './methods/listSearch';

export class Exchange implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Microsoft Exchange',
		name: 'exchange',
		icon: { light: 'file:exchange.svg', dark: 'file:exchange.dark.svg' },
		group: ['transform'],
		version: 1,
		subtitle: '={{$parameter["operation"] + ": " + $parameter["resource"]}}',
		description: 'Read, search, move, flag, delete, reply to and forward mail and manage folders in Exchange mailboxes with OAuth, over Microsoft Graph or EWS (chosen by the credential)',
		defaults: { name: 'Microsoft Exchange' },
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		usableAsTool: true,
		credentials: [
			{
				name: 'microsoftExchangeAppOnlyApi',
				required: true,
				testedBy: 'microsoftExchangeAppOnlyApiEwsTest',
				displayOptions: { show: { authentication: ['appOnly'] } },
			},
			{
				name: DELEGATED_CREDENTIAL_TYPE,
				required: true,
				testedBy: 'microsoftExchangeOAuth2ApiTest',
				displayOptions: { show: { authentication: ['delegated'] } },
			},
		],
		properties: [
			authenticationProperty,
			...mailboxProperties,
			{
				displayName: 'Resource',
				name: 'resource',
				type: 'options',
				noDataExpression: true,
				options: [
					{ name: 'Attachment', value: 'attachment' },
					{ name: 'Folder', value: 'folder' },
					{ name: 'Message', value: 'message' },
				],
				default: 'message',
			},
			...message.description,
			...attachment.description,
			...folder.description,
		],
	};

	methods = {
		listSearch: { searchFolders },
		credentialTest: ewsCredentialTests,
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return await route.call(this);
	}
}
