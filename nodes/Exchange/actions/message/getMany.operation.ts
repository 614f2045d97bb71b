import { NodeOperationError, type IExecuteFunctions, type INodeExecutionData, type INodeProperties } from 'n8n-workflow';

import type { BodyChoice } from '../../../shared/mail/messageShape';
import { unwrap } from '../../../shared/transport/ews/batch';
import { findMessageIds, getMessages, type MessageFilter } from '../../../shared/transport/ews/messages';
import { folderLocator } from '../../descriptions/common';
import { assertIdsAllowed, folderIdUse } from '../../helpers/idGuard';
import { folderRef, withField } from '../../helpers/utils';
import { showFor, type ItemOperation } from '../types';
import { messageOutputOptions } from './get.operation';

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
				displayName: 'Search Query (AQS)',
				name: 'query',
				type: 'string',
				default: '',
				placeholder: 'subject:invoice AND from:contoso.com',
				description: 'Advanced Query Syntax, searched by Exchange. When set, the other filters are not used (EWS takes one or the other).',
			},
			{ displayName: 'Subject Contains', name: 'subjectContains', type: 'string', default: '', description: 'Only messages whose subject contains this text (case-insensitive)' },
			{ displayName: 'Unread Only', name: 'unreadOnly', type: 'boolean', default: true, description: 'Whether to return only unread messages' },
		],
	},
	messageOutputOptions,
];

function isoDate(ctx: IExecuteFunctions, value: unknown, field: string, itemIndex: number): string | undefined {
	if (value === undefined || value === null || value === '') return undefined;
	const time = Date.parse(String(value));
	if (Number.isNaN(time)) throw new NodeOperationError(ctx.getNode(), `"${String(value)}" in "${field}" is not a date`, { itemIndex, description: 'Use an ISO date such as 2026-01-31T00:00:00Z.' });
	return new Date(time).toISOString();
}

export const operation: ItemOperation = {
	kind: 'item',
	description: showFor('message', 'getMany', properties),
	async execute(run, itemIndex): Promise<INodeExecutionData[]> {
		const mailbox = run.mailboxOf(itemIndex);
		const folder = folderRef(this, 'folder', 'Folder', itemIndex);
		const returnAll = this.getNodeParameter('returnAll', itemIndex, false) as boolean;
		const limit = returnAll ? undefined : (this.getNodeParameter('limit', itemIndex, 50) as number);
		const given = this.getNodeParameter('filters', itemIndex, {}) as MessageFilter & { receivedAfter?: string; receivedBefore?: string };
		const filter: MessageFilter = {
			unreadOnly: given.unreadOnly === true,
			from: given.from?.trim() || undefined,
			subjectContains: given.subjectContains?.trim() || undefined,
			receivedAfter: isoDate(this, given.receivedAfter, 'Received After', itemIndex),
			receivedBefore: isoDate(this, given.receivedBefore, 'Received Before', itemIndex),
			hasAttachments: given.hasAttachments,
			query: given.query?.trim() || undefined,
		};
		const body = this.getNodeParameter('options.body', itemIndex, 'text') as BodyChoice;
		const headers = this.getNodeParameter('options.includeHeaders', itemIndex, false) as boolean;
		await assertIdsAllowed(this, run, itemIndex, mailbox, folderIdUse(folder, 'Folder'), 'Listing messages');
		const ids = await withField(this, run, itemIndex, 'Listing messages', 'Folder', async () => await findMessageIds(run.client, mailbox, folder, filter, limit));
		// A message deleted between FindItem and GetItem is skipped, not an error.
		const messages = await getMessages(run.client, mailbox, ids, { body, headers });
		return messages
			.filter((result) => result.ok || result.failure.code !== 'ErrorItemNotFound')
			.map((result) => ({ json: unwrap(result) }));
	},
};
