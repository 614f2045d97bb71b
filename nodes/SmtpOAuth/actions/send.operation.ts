import { NodeOperationError, type IDataObject, type IExecuteFunctions, type INodeExecutionData, type INodeProperties } from 'n8n-workflow';

import { loadExchangeAuth, type AuthenticationKind, type ExchangeAuth } from '../../shared/auth/exchangeAuth';
import { toNodeApiError } from '../../shared/errors/nodeErrors';
import { redactSecrets } from '../../shared/errors/redact';
import { buildMessage, summariseSent } from '../helpers/message';
import { SmtpSession, type SmtpSecurity } from '../../shared/transport/smtp';
import { IMPORTANCE_OPTIONS } from '../../shared/mail/fields';
import { itemParameters } from '../../shared/parameters';

export const DELEGATED_CREDENTIAL_TYPE = 'microsoftSmtpOAuth2Api';

export const properties: INodeProperties[] = [
	{
		displayName: 'From Email',
		name: 'fromEmail',
		type: 'string',
		default: '',
		placeholder: 'Invoices <invoices@contoso.com>',
		description: 'Sender address, with an optional display name. Required for app-only; for delegated it defaults to the signed-in user.',
	},
	{
		displayName: 'To Email',
		name: 'toEmail',
		type: 'string',
		default: '',
		required: true,
		placeholder: 'someone@example.com, other@example.com',
		description: 'Recipients, separated by commas',
	},
	{
		displayName: 'Subject',
		name: 'subject',
		type: 'string',
		default: '',
	},
	{
		displayName: 'Email Format',
		name: 'emailFormat',
		type: 'options',
		options: [
			{ name: 'Text', value: 'text' },
			{ name: 'HTML', value: 'html' },
			{ name: 'Both', value: 'both', description: 'HTML with a plain-text alternative' },
		],
		default: 'text',
	},
	{
		displayName: 'Text',
		name: 'text',
		type: 'string',
		typeOptions: { rows: 5 },
		default: '',
		description: 'Plain-text body',
		displayOptions: { show: { emailFormat: ['text', 'both'] } },
	},
	{
		displayName: 'HTML',
		name: 'html',
		type: 'string',
		typeOptions: { rows: 5, editor: 'htmlEditor' },
		default: '',
		description: 'HTML body',
		displayOptions: { show: { emailFormat: ['html', 'both'] } },
	},
	{
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add option',
		default: {},
		options: [
			{
				displayName: 'Attachments',
				name: 'attachments',
				type: 'string',
				default: '',
				placeholder: 'data, invoice',
				description: 'Names of the binary properties to attach, separated by commas',
			},
			{
				displayName: 'BCC Email',
				name: 'bccEmail',
				type: 'string',
				default: '',
				description: 'Blind-copy recipients, separated by commas',
			},
			{
				displayName: 'CC Email',
				name: 'ccEmail',
				type: 'string',
				default: '',
				description: 'Copy recipients, separated by commas',
			},
			{
				displayName: 'Custom Headers',
				name: 'customHeaders',
				type: 'fixedCollection',
				typeOptions: { multipleValues: true },
				default: {},
				options: [
					{
						displayName: 'Header',
						name: 'header',
						values: [
							{ displayName: 'Name', name: 'name', type: 'string', default: '', placeholder: 'X-Workflow-ID' },
							{ displayName: 'Value', name: 'value', type: 'string', default: '' },
						],
					},
				],
			},
			{
				displayName: 'In-Reply-To',
				name: 'inReplyTo',
				type: 'string',
				default: '',
				placeholder: '<original-message-ID@contoso.com>',
				description: 'Message-ID of the message this one answers, so mail clients thread it',
			},
			{
				displayName: 'Inline Images',
				name: 'inlineImages',
				type: 'fixedCollection',
				typeOptions: { multipleValues: true },
				default: {},
				description: 'Images shown in the HTML body: reference each as &lt;img src="cid:CONTENT-ID"&gt;',
				options: [
					{
						displayName: 'Image',
						name: 'image',
						values: [
							{ displayName: 'Binary Property', name: 'binaryPropertyName', type: 'string', default: 'data' },
							{ displayName: 'Content-ID', name: 'contentId', type: 'string', default: '', placeholder: 'logo@workflow' },
						],
					},
				],
			},
			{
				displayName: 'Priority',
				name: 'priority',
				type: 'options',
				options: IMPORTANCE_OPTIONS,
				default: 'normal',
			},
			{
				displayName: 'References',
				name: 'references',
				type: 'string',
				default: '',
				description: 'Message-IDs of the thread, separated by spaces or commas',
			},
			{
				displayName: 'Reply To',
				name: 'replyTo',
				type: 'string',
				default: '',
				description: 'Addresses replies should go to, separated by commas',
			},
			{
				displayName: 'Security',
				name: 'security',
				type: 'options',
				options: [
					{ name: 'STARTTLS', value: 'starttls', description: 'Port 587, TLS after EHLO (Exchange Online)' },
					{ name: 'TLS', value: 'tls', description: 'Port 465, TLS from the first byte' },
				],
				default: 'starttls',
				description: 'There is no plain-text option: an OAuth token must never cross the network unencrypted',
			},
			{
				displayName: 'SMTP Host',
				name: 'host',
				type: 'string',
				default: '',
				description: 'Overrides the SMTP host of the credential\'s cloud',
			},
			{
				displayName: 'SMTP Login Mailbox',
				name: 'smtpUser',
				type: 'string',
				default: '',
				placeholder: 'shared-mailbox@contoso.com',
				description: 'The mailbox that logs in (XOAUTH2 user) when it differs from From Email, e.g. From is a Send-As address. Defaults to From Email (app-only) or the signed-in user (delegated).',
			},
			{
				displayName: 'SMTP Port',
				name: 'port',
				type: 'number',
				default: 587,
				description: 'Overrides the SMTP port of the credential\'s cloud',
			},
		],
	},
];

export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[]> {
	const items = this.getInputData();
	const returnData: INodeExecutionData[] = [];
	const kind = this.getNodeParameter('authentication', 0) as AuthenticationKind;

	let session: SmtpSession | undefined;
	let auth: ExchangeAuth | undefined;
	let secrets: string[] = [];
	try {
		auth = await loadExchangeAuth(this, kind, DELEGATED_CREDENTIAL_TYPE);
		secrets = auth.secrets;
		// Server settings come from the credential's cloud; options the user added override them.
		const server = itemParameters(this, 0);
		const security = server.option<SmtpSecurity>('options.security', 'Security', ['starttls', 'tls'], 'starttls');
		session = new SmtpSession(
			{
				host: server.string('options.host', 'SMTP Host') || auth.endpoints.smtpHost,
				port: server.number('options.port', 'SMTP Port', security === 'tls' ? 465 : auth.endpoints.smtpPort, { min: 1, max: 65535, integer: true }),
				security,
				tls: auth.tls,
			},
			auth.getAccessToken,
		);
	} catch (error) {
		// Bad credential setup (or server options) fails every item alike; with continueOnFail each item reports it.
		const nodeError = error instanceof NodeOperationError ? error : toNodeApiError(this.getNode(), error, { secrets, action: 'Loading the credential' });
		if (!this.continueOnFail()) throw nodeError;
		return items.map((_, itemIndex) => ({ json: { error: nodeError.message, description: nodeError.description ?? undefined }, pairedItem: { item: itemIndex } }));
	}

	try {
		for (let itemIndex = 0; itemIndex < items.length; itemIndex++) {
			try {
				const { message, loginMailbox, fromAddress } = await buildMessage(this, itemIndex, { signedInUser: auth.signedInUser, requireFrom: kind === 'appOnly' });
				// Checked before any network call. A delegated login is always the signed-in user, so
				// there only From (the mailbox acted for) is checked; app-only logs in as the mailbox.
				auth.assertMailboxAllowed(fromAddress, 'From Email', itemIndex);
				if (kind === 'appOnly') auth.assertMailboxAllowed(loginMailbox, 'SMTP Login Mailbox', itemIndex);
				const info = (await session.send(loginMailbox, message)) as IDataObject;
				returnData.push({ json: summariseSent(info), pairedItem: { item: itemIndex } });
			} catch (error) {
				const nodeError =
					error && (error as { name?: string }).name === 'NodeOperationError'
						? (error as Error & { description?: string })
						: toNodeApiError(this.getNode(), error, { itemIndex, secrets, action: 'Sending the message' });
				if (this.continueOnFail()) {
					returnData.push({
						json: { error: redactSecrets(nodeError.message, secrets), description: nodeError.description ?? undefined },
						pairedItem: { item: itemIndex },
					});
					continue;
				}
				throw nodeError;
			}
		}
	} finally {
		session.close();
	}
	return returnData;
}
