import type { IDataObject, INodeProperties } from 'n8n-workflow';

import type { BodyFormat, ResponseKind } from '../../../shared/mail/store';
import { respondToMessage } from '../../../shared/transport/ews/compose';
import { messageIdProperty } from '../../descriptions/common';
import { bodyFormatProperty, composeOptions } from '../../descriptions/message';
import { itemParameters, valuesOf } from '../../../shared/parameters';
import { assertIdsAllowed } from '../../helpers/idGuard';
import { composeOptionsOf, withField } from '../../helpers/utils';
import { showFor, type ItemOperation } from '../types';

const BODY_FORMATS = valuesOf<BodyFormat>(bodyFormatProperty.options);

function properties(kind: 'reply' | 'forward'): INodeProperties[] {
	return [
		messageIdProperty,
		...(kind === 'forward'
			? [
					{
						displayName: 'To Email',
						name: 'toEmail',
						type: 'string' as const,
						default: '',
						required: true,
						placeholder: 'someone@example.com',
						description: 'Recipients of the forward, separated by commas',
					},
				]
			: [
					{
						displayName: 'Reply to All',
						name: 'replyAll',
						type: 'boolean' as const,
						default: false,
						description: 'Whether to answer every recipient of the original (except the mailbox itself), not only its sender',
					},
				]),
		{
			displayName: 'Comment',
			name: 'comment',
			type: 'string',
			typeOptions: { rows: 4 },
			default: '',
			description: 'Text above the quoted original message',
		},
		{ ...bodyFormatProperty, displayName: 'Comment Format', name: 'commentFormat' },
		{
			displayName: 'Options',
			name: 'options',
			type: 'collection',
			placeholder: 'Add option',
			default: {},
			options: [
				...composeOptions,
				...(kind === 'reply'
					? [{ displayName: 'Additional To Email', name: 'toEmail', type: 'string' as const, default: '', description: 'More recipients besides the ones Exchange picks, separated by commas' }]
					: []),
				{ displayName: 'Subject', name: 'subject', type: 'string', default: '', description: 'Replaces the default "RE:" / "FW:" subject' },
			],
		},
	];
}

export function respond(kind: 'reply' | 'forward'): ItemOperation {
	return {
		kind: 'item',
		description: showFor('message', kind, properties(kind)),
		async execute(run, itemIndex) {
			const mailbox = run.mailboxOf(itemIndex);
			const parameters = itemParameters(this, itemIndex);
			const id = parameters.id('messageId', 'Message ID');
			const to = kind === 'forward' ? parameters.addresses('toEmail', 'To Email', { required: true }) : parameters.addresses('options.toEmail', 'Additional To Email');
			const responseKind: ResponseKind = kind === 'forward' ? 'forward' : parameters.boolean('replyAll', 'Reply to All', false) ? 'replyAll' : 'reply';
			const input = {
				kind: responseKind,
				comment: parameters.text('comment', 'Comment'),
				commentFormat: parameters.option('commentFormat', 'Comment Format', BODY_FORMATS, 'text'),
				subject: parameters.optionalString('options.subject', 'Subject'),
				to,
				...(await composeOptionsOf(this, parameters)),
			};
			const action = kind === 'forward' ? 'Forwarding the message' : 'Replying to the message';
			await assertIdsAllowed(this, run, itemIndex, mailbox, [{ field: 'Message ID', id }], action);
			const summary = await withField(this, run, itemIndex, action, 'Message ID', async () => await respondToMessage(run.client, mailbox, id, input));
			return [{ json: { sent: true, ...summary } as unknown as IDataObject }];
		},
	};
}
