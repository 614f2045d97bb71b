import type { INodeProperties } from 'n8n-workflow';

import { authenticationProperty, folderLocator, mailboxProperties } from '../../Exchange/descriptions/common';
import { IMPORTANCE_OPTIONS } from '../../shared/mail/fields';
import { DEFAULT_DOWNLOAD_BUDGET_MB } from './poll';

/** "Redeliver Until Processed" (redelivery.ts): what marks a message processed, when and how often it comes again. */
const redeliveryProperties: INodeProperties[] = [
	{
		displayName: 'Redeliver Until Processed',
		name: 'redeliver',
		type: 'boolean',
		default: false,
		description:
			'Whether to emit a message again when the workflow has not marked it processed in time (a crashed worker, a failed execution). The workflow marks a message processed as its last step, e.g. with an Exchange node that moves it to Processed.',
	},
	{
		displayName: 'Processed When',
		name: 'processedWhen',
		type: 'options',
		noDataExpression: true,
		options: [
			{ name: 'Moved Out or Deleted', value: 'leftFolder', description: 'The message is no longer in the watched folder' },
			{ name: 'Has Category', value: 'category', description: 'The message has the category below' },
			{ name: 'Marked as Read', value: 'read', description: 'The message is marked as read' },
		],
		default: 'leftFolder',
		description: 'What the workflow does to a message at its end to mark it processed',
		displayOptions: { show: { redeliver: [true] } },
	},
	{
		displayName: 'Processed Category',
		name: 'processedCategory',
		type: 'string',
		default: 'Processed',
		description: 'The category the workflow adds to a message when it is done with it',
		displayOptions: { show: { redeliver: [true], processedWhen: ['category'] } },
	},
	{
		displayName: 'Redeliver After (Minutes)',
		name: 'redeliverAfterMinutes',
		type: 'number',
		typeOptions: { minValue: 0.01, numberPrecision: 2 },
		default: 15,
		description: 'How long a workflow may take before a message not marked processed is emitted again. Longer than the slowest successful execution.',
		displayOptions: { show: { redeliver: [true] } },
	},
	{
		displayName: 'Max Attempts',
		name: 'maxAttempts',
		type: 'number',
		typeOptions: { minValue: 1, maxValue: 20, numberPrecision: 0 },
		default: 3,
		description: 'How many times a message is emitted in all (the first time included); after that it is reported with a warning',
		displayOptions: { show: { redeliver: [true] } },
	},
	{
		...folderLocator('deadLetterFolder', 'Dead-Letter Folder', 'Where a message goes that was still not processed after the last attempt. Leave empty to keep it where it is (a warning is logged either way).', false),
		default: { mode: 'list', value: '' },
		displayOptions: { show: { redeliver: [true] } },
	},
	{
		displayName: 'After Emitting "Move to Folder" takes every message out of the watched folder right away, so nothing could be redelivered. Set After Emitting to Do Nothing and move the message with an Exchange node at the end of the workflow.',
		name: 'redeliverMoveNotice',
		type: 'notice',
		default: '',
		displayOptions: { show: { redeliver: [true], afterEmit: ['move'] } },
	},
	{
		displayName: 'After Emitting "Mark as Read" would mark every message processed right away. Set After Emitting to Do Nothing and mark the message read with an Exchange node at the end of the workflow.',
		name: 'redeliverReadNotice',
		type: 'notice',
		default: '',
		displayOptions: { show: { redeliver: [true], processedWhen: ['read'], afterEmit: ['markRead'] } },
	},
	{
		displayName: 'After Emitting "Add Category" must not add the Processed Category, or every message is marked processed right away.',
		name: 'redeliverCategoryNotice',
		type: 'notice',
		default: '',
		displayOptions: { show: { redeliver: [true], processedWhen: ['category'], afterEmit: ['category'] } },
	},
];

export const triggerProperties: INodeProperties[] = [
	authenticationProperty,
	...mailboxProperties,
	{
		displayName: 'Event',
		name: 'event',
		type: 'options',
		noDataExpression: true,
		options: [{ name: 'Message Received', value: 'messageReceived', description: 'A message arrives in the folder (or is moved into it)' }],
		default: 'messageReceived',
	},
	folderLocator('folder', 'Folder', 'The folder to watch'),
	{
		displayName: 'Start With',
		name: 'startFrom',
		type: 'options',
		noDataExpression: true,
		options: [
			{ name: 'New Mail Only', value: 'newOnly', description: 'Skip what is in the folder when the workflow is activated' },
			{ name: 'Mail From the Last Days', value: 'recentDays', description: 'Also mail already in the folder, received in the last N days' },
			{ name: 'All Mail in the Folder', value: 'all', description: 'Also every message already in the folder' },
		],
		default: 'newOnly',
		description: 'Where the trigger starts on first activation, or after the mailbox, folder or credential changed',
	},
	{
		displayName: 'Days',
		name: 'startDays',
		type: 'number',
		typeOptions: { minValue: 1, maxValue: 3650 },
		default: 7,
		displayOptions: { show: { startFrom: ['recentDays'] } },
	},
	{
		displayName: 'Max Messages per Poll',
		name: 'maxMessages',
		type: 'number',
		typeOptions: { minValue: 1, maxValue: 2000 },
		default: 100,
		description: 'More mail waits for the next polls; nothing is skipped',
	},
	{
		displayName: 'Filters',
		name: 'filters',
		type: 'collection',
		placeholder: 'Add filter',
		default: {},
		description: 'Mail that does not match is skipped; the trigger still moves past it',
		options: [
			{ displayName: 'Has Attachments', name: 'hasAttachments', type: 'boolean', default: true },
			{
				displayName: 'Importance',
				name: 'importance',
				type: 'options',
				options: IMPORTANCE_OPTIONS,
				default: 'high',
			},
			{ displayName: 'Senders', name: 'senders', type: 'string', default: '', placeholder: 'billing@vendor.com, ap@other.com', description: 'Sender addresses, separated by commas' },
			{ displayName: 'Subject Contains', name: 'subjectContains', type: 'string', default: '' },
			{ displayName: 'To or CC Contains', name: 'recipientContains', type: 'string', default: '', description: 'Part of a recipient name or address' },
			{ displayName: 'Unread Only', name: 'unreadOnly', type: 'boolean', default: true },
		],
	},
	{
		displayName: 'Output',
		name: 'output',
		type: 'options',
		options: [
			{ name: 'Simple', value: 'simple', description: 'The documented message fields, text body' },
			{ name: 'Raw', value: 'raw', description: 'Every field, both bodies and all internet headers' },
		],
		default: 'simple',
	},
	{
		displayName: 'After Emitting',
		name: 'afterEmit',
		type: 'options',
		options: [
			{ name: 'Do Nothing', value: 'nothing' },
			{ name: 'Mark as Read', value: 'markRead' },
			{ name: 'Move to Folder', value: 'move' },
			{ name: 'Add Category', value: 'category' },
		],
		default: 'nothing',
		description: 'Done right after the poll. To act only when the workflow succeeded, put an Exchange node at the end of the workflow instead.',
	},
	{
		...folderLocator('moveTo', 'Move To', 'Folder to move emitted mail to. Must not be the watched folder.'),
		// No default: a default of Inbox would "move" mail into the folder being watched.
		default: { mode: 'list', value: '' },
		displayOptions: { show: { afterEmit: ['move'] } },
	},
	{ displayName: 'Category', name: 'category', type: 'string', default: 'n8n', displayOptions: { show: { afterEmit: ['category'] } } },
	...redeliveryProperties,
	{
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add option',
		default: {},
		options: [
			{ displayName: 'Attachment Property Prefix', name: 'attachmentPrefix', type: 'string', default: 'attachment_', description: 'Binary properties are named prefix + number: attachment_0, attachment_1, …' },
			{ displayName: 'Download Attachments', name: 'downloadAttachments', type: 'boolean', default: false, description: 'Whether to add attachments as binary data' },
			{
				displayName: 'Download Memory Budget (MB)',
				name: 'downloadBudgetMb',
				type: 'number',
				typeOptions: { minValue: 1 },
				default: DEFAULT_DOWNLOAD_BUDGET_MB,
				description:
					'Attachments and .eml files are fetched and stored in groups of at most this many MB, one group at a time; a larger attachment goes alone, streamed. The default suits a 512 MB container.',
			},
			{ displayName: 'Include HTML Body', name: 'includeHtml', type: 'boolean', default: false, description: 'Whether to add bodyHtml next to bodyText' },
			{ displayName: 'Include Inline Images', name: 'includeInline', type: 'boolean', default: false, description: 'Whether to download images embedded in the HTML body too' },
			{ displayName: 'Include Internet Headers', name: 'includeHeaders', type: 'boolean', default: false, description: 'Whether to add every header of the message' },
			{ displayName: 'Include Message as EML File', name: 'includeEml', type: 'boolean', default: false, description: 'Whether to add the whole message (MIME) as binary property "eml"' },
			{ displayName: 'Max Attachment Size (MB)', name: 'maxAttachmentMb', type: 'number', default: 25, description: 'Larger attachments are not downloaded; their metadata says so' },
		],
	},
];
