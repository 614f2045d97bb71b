import type { INodeProperties } from 'n8n-workflow';

import { WELL_KNOWN_FOLDERS, type DeleteMode } from '../../shared/mail/store';
import { valuesOf } from '../../shared/parameters';

export const DELEGATED_CREDENTIAL_TYPE = 'microsoftExchangeOAuth2Api';

export const authenticationProperty: INodeProperties = {
	displayName: 'Authentication',
	name: 'authentication',
	type: 'options',
	noDataExpression: true,
	options: [
		{
			name: 'App-Only (Client Credentials)',
			value: 'appOnly',
			description: 'The app opens mailboxes it was granted (full_access_as_app) by impersonating them',
		},
		{
			name: 'Delegated (OAuth2 Sign-In)',
			value: 'delegated',
			description: 'A user signs in once; the node acts as that user (EWS.AccessAsUser.All)',
		},
	],
	default: 'appOnly',
};

export const mailboxProperties: INodeProperties[] = [
	{
		displayName:
			'App-only access reaches every mailbox the app is granted. Limit it with "Allowed Mailboxes" in the credential, or on the server with RBAC for Applications.',
		name: 'appOnlyNotice',
		type: 'notice',
		default: '',
		displayOptions: { show: { authentication: ['appOnly'] } },
	},
	{
		displayName: 'Mailbox',
		name: 'mailbox',
		type: 'string',
		default: '',
		required: true,
		placeholder: 'invoices@contoso.com',
		description: 'SMTP address of the mailbox to work in (the app impersonates it)',
		displayOptions: { show: { authentication: ['appOnly'] } },
	},
	{
		displayName: 'Mailbox',
		name: 'mailbox',
		type: 'string',
		default: '',
		placeholder: 'shared@contoso.com',
		description: 'A shared mailbox the signed-in user has FullAccess to. Leave empty for the user\'s own mailbox.',
		displayOptions: { show: { authentication: ['delegated'] } },
	},
];

const WELL_KNOWN_NAMES = Object.keys(WELL_KNOWN_FOLDERS);

/** The names, any letter case, surrounding blanks allowed (n8n anchors the pattern and applies no flags). */
const WELL_KNOWN_PATTERN = `\\s*(${WELL_KNOWN_NAMES.map((name) => [...name].map((c) => `[${c.toLowerCase()}${c.toUpperCase()}]`).join('')).join('|')})\\s*`;

/** A folder picker: search by path, type a path, pick a well-known folder, or paste an ID. */
export function folderLocator(name: string, displayName: string, description: string, required = true): INodeProperties {
	return {
		displayName,
		name,
		type: 'resourceLocator',
		default: { mode: 'wellKnown', value: 'inbox' },
		required,
		description,
		modes: [
			{
				displayName: 'From List',
				name: 'list',
				type: 'list',
				placeholder: 'Select a folder…',
				typeOptions: { searchListMethod: 'searchFolders', searchable: true },
			},
			{
				displayName: 'Path',
				name: 'path',
				type: 'string',
				placeholder: 'Inbox/Processed',
				hint: 'Folder names separated by "/", from the top of the mailbox; may start with a well-known name such as "inbox"',
			},
			{
				// "Well-Known" and "Standard" were cut off in the mode selector (it shows about 7 average characters).
				displayName: 'Built-in',
				name: 'wellKnown',
				type: 'string',
				placeholder: 'inbox',
				hint: `A built-in folder of every mailbox (Exchange's well-known names): ${WELL_KNOWN_NAMES.join(', ')}`,
				// Checked in the editor, so "Inbox/Processed" is refused while typing, not at run time.
				validation: [
					{
						type: 'regex',
						properties: {
							regex: WELL_KNOWN_PATTERN,
							errorMessage: `Not a well-known folder name. Use one of ${WELL_KNOWN_NAMES.join(', ')}, or switch to Path for a folder path.`,
						},
					},
				],
			},
			{
				displayName: 'ID',
				name: 'id',
				type: 'string',
				placeholder: 'AAMkAGI2…',
			},
		],
	};
}

export const messageIdProperty: INodeProperties = {
	displayName: 'Message ID',
	name: 'messageId',
	type: 'string',
	default: '',
	required: true,
	placeholder: 'AAMkAGI2THVSAAA=',
	description: 'The "ID" of a message returned by this node (an Exchange item ID, not the Internet Message-ID)',
};

/** Message → Delete, Folder → Delete and Empty. */
export const deleteModeProperty: INodeProperties = {
	displayName: 'Delete Mode',
	name: 'deleteMode',
	type: 'options',
	options: [
		{ name: 'Move to Deleted Items', value: 'moveToDeletedItems', description: 'Recoverable from the Deleted Items folder' },
		{ name: 'Soft Delete', value: 'soft', description: 'Gone from the folders, recoverable by an admin or "Recover deleted items"' },
		{ name: 'Hard Delete', value: 'hard', description: 'Permanently deleted' },
	],
	default: 'moveToDeletedItems',
};

/** What a delete did, in words, for the output (a destructive operation says what it did). */
export const DELETE_MODE_WORDS: Record<DeleteMode, string> = {
	moveToDeletedItems: 'moved to Deleted Items',
	soft: 'soft-deleted (recoverable with "Recover deleted items")',
	hard: 'permanently deleted',
};

export const DELETE_MODES = valuesOf<DeleteMode>(deleteModeProperty.options);
