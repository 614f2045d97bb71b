import type { IDataObject, INodeProperties } from 'n8n-workflow';

import { respondToMessage, type BodyFormat, type ResponseKind } from '../../../shared/transport/ews/compose';
import { messageIdProperty } from '../../descriptions/common';
import { bodyFormatProperty, composeOptions } from '../../descriptions/message';
import { assertIdsAllowed } from '../../helpers/idGuard';
import { addressList, binaryAttachments, options, requiredString, withField } from '../../helpers/utils';
import { showFor, type ItemOperation } from '../types';

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
			const id = requiredString(this, 'messageId', 'Message ID', itemIndex);
			const extra = options(this, itemIndex);
			const to =
				kind === 'forward'
					? addressList(this, this.getNodeParameter('toEmail', itemIndex, '') as string, 'To Email', itemIndex, true)
					: addressList(this, String(extra.toEmail ?? ''), 'Additional To Email', itemIndex);
			const responseKind: ResponseKind = kind === 'forward' ? 'forward' : this.getNodeParameter('replyAll', itemIndex, false) ? 'replyAll' : 'reply';
			const input = {
				kind: responseKind,
				comment: this.getNodeParameter('comment', itemIndex, '') as string,
				commentFormat: this.getNodeParameter('commentFormat', itemIndex, 'text') as BodyFormat,
				subject: String(extra.subject ?? '').trim() || undefined,
				to,
				cc: addressList(this, String(extra.ccEmail ?? ''), 'CC Email', itemIndex),
				bcc: addressList(this, String(extra.bccEmail ?? ''), 'BCC Email', itemIndex),
				attachments: await binaryAttachments(this, itemIndex, String(extra.attachments ?? ''), 'Attachments'),
				saveToSentItems: extra.saveToSentItems !== false,
			};
			const action = kind === 'forward' ? 'Forwarding the message' : 'Replying to the message';
			await assertIdsAllowed(this, run, itemIndex, mailbox, [{ field: 'Message ID', id }], action);
			const summary = await withField(this, run, itemIndex, action, 'Message ID', async () => await respondToMessage(run.client, mailbox, id, input));
			return [{ json: { sent: true, ...summary } as unknown as IDataObject }];
		},
	};
}
