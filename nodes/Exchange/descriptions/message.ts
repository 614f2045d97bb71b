import type { INodeProperties } from 'n8n-workflow';

/** Options that shape a message in the output (Get, Get Many). */
export const readOptions: INodeProperties[] = [
	{
		displayName: 'Body',
		name: 'body',
		type: 'options',
		options: [
			{ name: 'None', value: 'none', description: 'No body: the fastest' },
			{ name: 'Text', value: 'text', description: 'The body as plain text (bodyText)' },
			{ name: 'HTML', value: 'html', description: 'The body as HTML (bodyHtml); plain-text messages give bodyText' },
			{ name: 'Both', value: 'both', description: 'The body as HTML (bodyHtml) and as plain text (bodyText)' },
		],
		default: 'text',
	},
	{
		displayName: 'Include Internet Headers',
		name: 'includeHeaders',
		type: 'boolean',
		default: false,
		description: 'Whether to add the message\'s Internet headers (internetHeaders: name → value)',
	},
];

/** Options shared by Send, Reply and Forward. */
export const composeOptions: INodeProperties[] = [
	{
		displayName: 'Attachments',
		name: 'attachments',
		type: 'string',
		default: '',
		placeholder: 'data, invoice',
		description: 'Names of the binary properties of the input item to attach, separated by commas',
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
		displayName: 'Save to Sent Items',
		name: 'saveToSentItems',
		type: 'boolean',
		default: true,
		description: 'Whether to keep a copy in the Sent Items folder of the mailbox',
	},
];

export const bodyFormatProperty: INodeProperties = {
	displayName: 'Body Format',
	name: 'bodyFormat',
	type: 'options',
	options: [
		{ name: 'Text', value: 'text' },
		{ name: 'HTML', value: 'html' },
	],
	default: 'text',
};
