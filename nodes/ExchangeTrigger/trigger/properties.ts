import type { INodeProperties } from 'n8n-workflow';

import { authenticationProperty, folderLocator, mailboxProperties } from '../../Exchange/descriptions/common';
import { IMPORTANCE_OPTIONS } from '../../shared/mail/fields';

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
	{
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add option',
		default: {},
		options: [
			{ displayName: 'Attachment Property Prefix', name: 'attachmentPrefix', type: 'string', default: 'attachment_', description: 'Binary properties are named prefix + number: attachment_0, attachment_1, …' },
			{ displayName: 'Download Attachments', name: 'downloadAttachments', type: 'boolean', default: false, description: 'Whether to add attachments as binary data' },
			{ displayName: 'Include HTML Body', name: 'includeHtml', type: 'boolean', default: false, description: 'Whether to add bodyHtml next to bodyText' },
			{ displayName: 'Include Inline Images', name: 'includeInline', type: 'boolean', default: false, description: 'Whether to download images embedded in the HTML body too' },
			{ displayName: 'Include Internet Headers', name: 'includeHeaders', type: 'boolean', default: false, description: 'Whether to add every header of the message' },
			{ displayName: 'Include Message as EML File', name: 'includeEml', type: 'boolean', default: false, description: 'Whether to add the whole message (MIME) as binary property "eml"' },
			{ displayName: 'Max Attachment Size (MB)', name: 'maxAttachmentMb', type: 'number', default: 25, description: 'Larger attachments are not downloaded; their metadata says so' },
		],
	},
];
