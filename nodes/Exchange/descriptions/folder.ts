import type { INodeProperties } from 'n8n-workflow';

import { folderLocator } from './common';

/** Parameters shared by the folder operations. */

export const folderProperty = folderLocator('folder', 'Folder', 'The folder to work on');

export const parentFolderProperty = (description: string) => folderLocator('parentFolder', 'Parent Folder', description);

/** Empty and Delete: a well-known folder only when it is picked as one (helpers/folderTarget.ts). */
export const destructiveFolderProperty = (verb: 'empty' | 'delete') =>
	folderLocator('folder', 'Folder', `The folder to ${verb}. A well-known folder (Inbox, Sent Items, Deleted Items…) is ${verb === 'empty' ? 'emptied' : 'deleted'} only when picked in Well-Known mode.`);

export const folderNameProperty = (displayName: string): INodeProperties => ({ displayName, name: 'displayName', type: 'string', default: '', required: true, placeholder: 'Processed' });
