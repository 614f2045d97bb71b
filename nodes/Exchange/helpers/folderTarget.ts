import { NodeOperationError, type IDataObject, type IExecuteFunctions } from 'n8n-workflow';

import type { FolderRef, FolderTarget } from '../../shared/mail/store';
import type { RunContext } from '../actions/types';
import { assertIdsAllowed, folderIdUse } from './idGuard';
import { withField } from './utils';

/**
 * The folder Empty or Delete would act on, looked up first, so that its output can say what was
 * done and a well-known folder is never emptied or deleted by accident: a path, an ID or a list pick
 * that lands on one (an expression that evaluates to nothing in "Inbox/…" is the Inbox) is refused;
 * only Well-Known mode with that very name goes ahead. An ID is compared with the protected folders
 * of the mailbox it belongs to, and that mailbox must be allowed.
 */
export async function destructiveTarget(ctx: IExecuteFunctions, run: RunContext, itemIndex: number, mailbox: string, ref: FolderRef, action: string): Promise<FolderTarget> {
	await assertIdsAllowed(ctx, run, itemIndex, mailbox, folderIdUse(ref, 'Folder'), action);
	const target = await withField(ctx, run, itemIndex, action, 'Folder', async () => await run.store.inspectFolder(mailbox, ref));
	const pickedAsSuch = 'wellKnown' in ref && ref.wellKnown === target.wellKnownName;
	if (target.wellKnownName && !pickedAsSuch) {
		const how = 'id' in ref ? `ID ${ref.id}` : 'path' in ref ? `path "${ref.path}"` : `well-known name "${ref.wellKnown}"`;
		throw new NodeOperationError(ctx.getNode(), `"Folder" (${how}) is the well-known folder "${target.wellKnownName}" (${target.displayName}) of ${target.ownerMailbox ?? mailbox}, which Empty and Delete refuse unless it is picked as such`, {
			itemIndex,
			description: `A path, an ID or a list entry can land on a well-known folder by mistake (an empty expression in a path such as "Inbox/" gives the Inbox), so Empty and Delete act on one only when it is picked by its well-known name. To do it on purpose, switch "Folder" to Well-Known mode and enter ${target.wellKnownName}.`,
		});
	}
	return target;
}

/** The output fields of Empty and Delete that say what was acted on. */
export function describeTarget(target: FolderTarget, ref: FolderRef, mailbox: string): IDataObject {
	const { ownerMailbox: _owner, ...folder } = target;
	const pickedBy = 'id' in ref ? 'id' : 'path' in ref ? 'path' : 'wellKnown';
	return { ...folder, mailbox, pickedBy };
}

export const targetName = (target: FolderTarget) => `"${target.path ?? target.displayName}" (ID ${target.id})`;
