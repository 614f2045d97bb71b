import type { IDataObject, INodeProperties } from 'n8n-workflow';

import type { BodyFormat } from '../../../shared/mail/store';
import { bodyFormatProperty, composeOptions } from '../../descriptions/message';
import { itemParameters, valuesOf } from '../../../shared/parameters';
import { composeOptionsOf, withField } from '../../helpers/utils';
import { showFor, type ItemOperation } from '../types';
import { IMPORTANCE_OPTIONS } from '../../../shared/mail/fields';

const BODY_FORMATS = valuesOf<BodyFormat>(bodyFormatProperty.options);
const IMPORTANCES = valuesOf<'low' | 'normal' | 'high'>(IMPORTANCE_OPTIONS);

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
		const parameters = itemParameters(this, itemIndex);
		const message = {
			subject: parameters.string('subject', 'Subject', { keepSpaces: true }),
			bodyFormat: parameters.option('bodyFormat', 'Body Format', BODY_FORMATS, 'text'),
			body: parameters.text('bodyContent', 'Body'),
			to: parameters.addresses('toEmail', 'To Email', { required: true }),
			replyTo: parameters.addresses('options.replyTo', 'Reply To'),
			importance: parameters.option('options.importance', 'Importance', IMPORTANCES),
			...(await composeOptionsOf(this, parameters)),
		};
		const asDelegate = run.auth.kind === 'delegated' && mailbox.toLowerCase() !== (run.auth.signedInUser ?? '').toLowerCase();
		const summary = await withField(this, run, itemIndex, 'Sending the message', 'To Email', async () => await run.store.sendMessage(mailbox, message, { asDelegate }));
		return [{ json: { sent: true, ...summary } as unknown as IDataObject }];
	},
};
