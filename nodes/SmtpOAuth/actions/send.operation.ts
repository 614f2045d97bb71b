import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';

import { loadExchangeAuth, type AuthenticationKind, type ExchangeAuth } from '../../shared/auth/exchangeAuth';
import { toNodeApiError } from '../../shared/errors/nodeErrors';
import { redactSecrets } from '../../shared/errors/redact';
import type { DiagnosisFacts } from '../../shared/errors/catalogue';
import { buildMessage, summariseSent, type BuiltMessage } from '../helpers/message';
import { SmtpSession, smtpServerFor } from '../../shared/transport/smtp';
import { IMPORTANCE_OPTIONS } from '../../shared/mail/fields';

export const DELEGATED_CREDENTIAL_TYPE = 'microsoftSmtpOAuth2Api';

export const properties: INodeProperties[] = [
	// Two properties of one name, as the Exchange node does for Mailbox: required (and marked so) for app-only only.
	{
		displayName: 'From Email',
		name: 'fromEmail',
		type: 'string',
		default: '',
		required: true,
		placeholder: 'Invoices <invoices@contoso.com>',
		description: 'Sender address, with an optional display name. The app sends as this mailbox (SMTP.SendAsApp).',
		displayOptions: { show: { authentication: ['appOnly'] } },
	},
	{
		displayName: 'From Email',
		name: 'fromEmail',
		type: 'string',
		default: '',
		placeholder: 'Invoices <invoices@contoso.com>',
		description: 'Sender address, with an optional display name. Leave empty to send as the signed-in user.',
		displayOptions: { show: { authentication: ['delegated'] } },
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
				displayName: 'SMTP Login Mailbox',
				name: 'smtpUser',
				type: 'string',
				default: '',
				placeholder: 'shared-mailbox@contoso.com',
				description: 'The mailbox that logs in (XOAUTH2 user) when it differs from From Email, e.g. From is a Send-As address. Defaults to From Email (app-only) or the signed-in user (delegated).',
			},
		],
	},
];

/**
 * Sends one message per item over one SMTP session. The server comes from the credential only (its
 * cloud, or the Custom cloud's SMTP Host, Port and Security): no parameter, expression or item can
 * point the session, and so the access token, anywhere else. Every item is checked (fields,
 * attachments, Allowed Mailboxes) before the first message goes out, so a bad item never leaves the
 * items before it sent and the run failed; with continueOnFail the bad items report and the rest go.
 */
export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[]> {
	const items = this.getInputData();
	const kind = this.getNodeParameter('authentication', 0) as AuthenticationKind;

	let session: SmtpSession | undefined;
	let auth: ExchangeAuth | undefined;
	let secrets: string[] = [];
	try {
		auth = await loadExchangeAuth(this, kind, DELEGATED_CREDENTIAL_TYPE, 'smtp');
		secrets = auth.secrets;
		session = new SmtpSession(smtpServerFor(auth.endpoints, auth.tls), auth.getAccessToken);
	} catch (error) {
		// Bad credential setup fails every item alike; with continueOnFail each item reports it.
		const nodeError = toNodeApiError(this.getNode(), error, { secrets, action: 'Loading the credential' });
		if (!this.continueOnFail()) throw nodeError;
		return items.map((_, itemIndex) => ({ json: { error: nodeError.message, description: nodeError.description ?? undefined }, pairedItem: { item: itemIndex } }));
	}
	const facts = (built?: BuiltMessage): DiagnosisFacts => ({
		fromAddress: built?.fromAddress,
		loginMailbox: built?.loginMailbox,
		clientId: auth.clientId,
		tenantId: auth.tenantId,
	});
	const returnData: Array<INodeExecutionData | undefined> = new Array(items.length);
	const fail = (itemIndex: number, error: unknown, built?: BuiltMessage) => {
		const nodeError =
			error && (error as { name?: string }).name === 'NodeOperationError'
				? (error as Error & { description?: string })
				: toNodeApiError(this.getNode(), error, { itemIndex, secrets, action: 'Sending the message', facts: facts(built) });
		if (!this.continueOnFail()) throw nodeError;
		returnData[itemIndex] = {
			json: { error: redactSecrets(nodeError.message, secrets), description: nodeError.description ? redactSecrets(nodeError.description, secrets) : undefined },
			pairedItem: { item: itemIndex },
		};
	};

	try {
		// 1. Check every item before anything is sent. The messages are built again in step 2 rather
		// than kept, so a run holds one message's attachments in memory at a time, not all of them.
		const valid: boolean[] = new Array(items.length).fill(false);
		for (let itemIndex = 0; itemIndex < items.length; itemIndex++) {
			try {
				await checkedMessage(this, auth, kind, itemIndex);
				valid[itemIndex] = true;
			} catch (error) {
				fail(itemIndex, error);
			}
		}
		// 2. Send.
		for (let itemIndex = 0; itemIndex < items.length; itemIndex++) {
			if (!valid[itemIndex]) continue;
			let built: BuiltMessage | undefined;
			try {
				built = await checkedMessage(this, auth, kind, itemIndex);
				const first = built.message;
				// Attachments stored by id are streams read by the send; a second attempt needs new ones.
				let composed = 0;
				const info = (await session.send(built.loginMailbox, async () => (composed++ === 0 ? first : (await checkedMessage(this, auth, kind, itemIndex)).message))) as IDataObject;
				returnData[itemIndex] = { json: summariseSent(info), pairedItem: { item: itemIndex } };
			} catch (error) {
				fail(itemIndex, error, built);
			}
		}
	} finally {
		session.close();
	}
	return returnData.filter((item): item is INodeExecutionData => item !== undefined);
}

/** The message of one item with every check that needs no network done, Allowed Mailboxes included. */
async function checkedMessage(ctx: IExecuteFunctions, auth: ExchangeAuth, kind: AuthenticationKind, itemIndex: number): Promise<BuiltMessage> {
	const built = await buildMessage(ctx, itemIndex, { signedInUser: auth.signedInUser, requireFrom: kind === 'appOnly' });
	// A delegated login is always the signed-in user, so there only From (the mailbox acted for) is
	// checked; app-only logs in as the mailbox.
	auth.assertMailboxAllowed(built.fromAddress, 'From Email', itemIndex);
	if (kind === 'appOnly') auth.assertMailboxAllowed(built.loginMailbox, 'SMTP Login Mailbox', itemIndex);
	return built;
}

