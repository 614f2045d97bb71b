import type { IExecuteFunctions } from 'n8n-workflow';

import type { FolderRef, IdUse } from '../../shared/mail/store';
import { itemParameters } from '../../shared/parameters';
import { folderLocator, messageIdProperty } from '../descriptions/common';
import type { RunContext } from '../actions/types';
import { folderIdUse } from './idGuard';

/** What Move and Copy read from an item: the message and where it goes. */
export interface DestinationInput {
	id: string;
	folder: FolderRef;
}

export const destinationProperties = (verb: 'move' | 'copy') => [messageIdProperty, folderLocator('destination', 'Destination Folder', `The folder to ${verb} the message to`)];

/** Items with the same destination go out in one call. */
function readDestination(ctx: IExecuteFunctions, itemIndex: number): { key: string; input: DestinationInput } {
	const parameters = itemParameters(ctx, itemIndex);
	const id = parameters.id('messageId', 'Message ID');
	const folder = parameters.folder('destination', 'Destination Folder');
	return { key: JSON.stringify(folder), input: { id, folder } };
}

const destinationIds = (input: DestinationInput): IdUse[] => [{ field: 'Message ID', id: input.id }, ...folderIdUse(input.folder, 'Destination Folder')];

/** What Move and Copy share as batch operations: the fields a failure names, reading an item, the ids to guard. */
export const destinationBatch = {
	kind: 'batch' as const,
	field: 'Message ID',
	callField: 'Destination Folder',
	prepare(this: IExecuteFunctions, _run: RunContext, itemIndex: number) {
		return readDestination(this, itemIndex);
	},
	ids: destinationIds,
};
