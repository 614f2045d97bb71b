import type { IDataObject, INodeProperties } from 'n8n-workflow';

import { sendMessage, type BodyFormat } from '../../../shared/transport/ews/compose';
import { bodyFormatProperty, composeOptions } from '../../descriptions/message';
import { addressList, binaryAttachments, options, withField } from '../../helpers/utils';
import { showFor, type ItemOperation } from '../types';
import { IMPORTANCE_OPTIONS } from '../../../shared/mail/fields';

const properties: INodeProperties[] = [
	{
		displayName: 'To Email',
		name: 'toEmail',
		type: 'string',
		default: '',
		required: true,
		placeholder: 'someone@example.com, Other <other@example.com>',
		description: 'Recipients, separated by commas',
	},
	{ displayName: 'Subject', name: 'subject', type: 'string', default: '' },
	bodyFormatProperty,
	{
		displayName: 'Body',
		name: 'bodyContent',
		type: 'string',
		typeOptions: { rows: 5 },
		default: '',
	},
	{
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add option',
		default: {},
		options: [
			...composeOptions,
			{
				displayName: 'Importance',
				name: 'importance',
				type: 'options',
				options: IMPORTANCE_OPTIONS,
				default: 'normal',
			},
			{
				displayName: 'Reply To',
				name: 'replyTo',
				type: 'string',
				default: '',
				description: 'Addresses replies should go to, separated by commas',
			},
		],
	},
];

export const operation: ItemOperation = {
	kind: 'item',
	description: showFor('message', 'send', properties),
	async execute(run, itemIndex) {
		const mailbox = run.mailboxOf(itemIndex);
		const extra = options(this, itemIndex);
		const to = addressList(this, this.getNodeParameter('toEmail', itemIndex, '') as string, 'To Email', itemIndex, true);
		const cc = addressList(this, String(extra.ccEmail ?? ''), 'CC Email', itemIndex);
		const bcc = addressList(this, String(extra.bccEmail ?? ''), 'BCC Email', itemIndex);
		const replyTo = addressList(this, String(extra.replyTo ?? ''), 'Reply To', itemIndex);
		const attachments = await binaryAttachments(this, itemIndex, String(extra.attachments ?? ''), 'Attachments');
		const asDelegate = run.auth.kind === 'delegated' && mailbox.toLowerCase() !== (run.auth.signedInUser ?? '').toLowerCase();
		const summary = await withField(this, run, itemIndex, 'Sending the message', 'To Email', async () =>
			await sendMessage(
				run.client,
				mailbox,
				{
					subject: this.getNodeParameter('subject', itemIndex, '') as string,
					bodyFormat: this.getNodeParameter('bodyFormat', itemIndex, 'text') as BodyFormat,
					body: this.getNodeParameter('bodyContent', itemIndex, '') as string,
					to,
					cc,
					bcc,
					replyTo,
					importance: extra.importance as 'low' | 'normal' | 'high' | undefined,
					attachments,
					saveToSentItems: extra.saveToSentItems !== false,
				},
				{ asDelegate },
			),
		);
		return [{ json: { sent: true, ...summary } as unknown as IDataObject }];
	},
};
