import type { INodeExecutionData, INodeProperties } from 'n8n-workflow';

import { itemParameters } from '../../../shared/parameters';
import { unwrap, type MessageFilter } from '../../../shared/mail/store';
import { folderLocator } from '../../descriptions/common';
import { assertIdsAllowed, folderIdUse } from '../../helpers/idGuard';
import { withField } from '../../helpers/utils';
import { showFor, type ItemOperation } from '../types';
import { messageOutputOptions, outputOptions } from './get.operation';

const properties: INodeProperties[] = [
	folderLocator('folder', 'Folder', 'The folder to list messages from'),
	{
		displayName: 'Return All',
		name: 'returnAll',
		type: 'boolean',
		default: false,
		description: 'Whether to return all results or only up to a given limit',
	},
	{
		displayName: 'Limit',
		name: 'limit',
		type: 'number',
		typeOptions: { minValue: 1 },
		default: 50,
		description: 'Max number of results to return',
		displayOptions: { show: { returnAll: [false] } },
	},
	{
		displayName: 'Filters',
		name: 'filters',
		type: 'collection',
		placeholder: 'Add filter',
		default: {},
		options: [
			{ displayName: 'From', name: 'from', type: 'string', default: '', placeholder: 'someone@example.com', description: 'Only messages from this sender address' },
			{ displayName: 'Has Attachments', name: 'hasAttachments', type: 'boolean', default: true, description: 'Whether to return only messages with (true) or without (false) attachments' },
			{ displayName: 'Received After', name: 'receivedAfter', type: 'dateTime', default: '', description: 'Only messages received at or after this time' },
			{ displayName: 'Received Before', name: 'receivedBefore', type: 'dateTime', default: '', description: 'Only messages received before this time' },
			{
				displayName: 'Search Query',
				name: 'query',
				type: 'string',
				default: '',
				placeholder: 'subject:invoice AND from:contoso.com',
				description: 'A search text: Advanced Query Syntax (AQS) on EWS, KQL ($search) on Microsoft Graph, searched by Exchange. When set, the other filters are not used (neither API combines them).',
			},
			{ displayName: 'Subject Contains', name: 'subjectContains', type: 'string', default: '', description: 'Only messages whose subject contains this text (case-insensitive)' },
			{ displayName: 'Unread Only', name: 'unreadOnly', type: 'boolean', default: true, description: 'Whether to return only unread messages' },
		],
	},
	messageOutputOptions,
];

export const operation: ItemOperation = {
	kind: 'item',
	description: showFor('message', 'getMany', properties),
	async execute(run, itemIndex): Promise<INodeExecutionData[]> {
		const mailbox = run.mailboxOf(itemIndex);
		const parameters = itemParameters(this, itemIndex);
		const folder = parameters.folder('folder', 'Folder');
		const returnAll = parameters.boolean('returnAll', 'Return All', false);
		const limit = returnAll ? undefined : parameters.number('limit', 'Limit', 50, { min: 1, integer: true });
		const filter: MessageFilter = {
			unreadOnly: parameters.boolean('filters.unreadOnly', 'Unread Only', false),
			from: parameters.optionalString('filters.from', 'From'),
			subjectContains: parameters.optionalString('filters.subjectContains', 'Subject Contains'),
			receivedAfter: parameters.date('filters.receivedAfter', 'Received After'),
			receivedBefore: parameters.date('filters.receivedBefore', 'Received Before'),
			hasAttachments: parameters.boolean('filters.hasAttachments', 'Has Attachments'),
			query: parameters.optionalString('filters.query', 'Search Query'),
		};
		const { body, headers } = outputOptions(parameters);
		await assertIdsAllowed(this, run, itemIndex, mailbox, folderIdUse(folder, 'Folder'), 'Listing messages');
		const ids = await withField(this, run, itemIndex, 'Listing messages', 'Folder', async () => await run.store.findMessageIds(mailbox, folder, filter, limit));
		// A message deleted between listing and reading is skipped, not an error.
		const messages = await run.store.getMessages(mailbox, ids, { body, headers });
		return messages
			.filter((result) => result.ok || result.failure.kind !== 'notFound')
			.map((result) => ({ json: unwrap(result) }));
	},
};
