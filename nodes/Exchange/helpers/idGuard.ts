import { NodeOperationError, type IExecuteFunctions, type INode } from 'n8n-workflow';

import { foreignIdRefusal, type MailboxPolicy } from '../../shared/auth/allowedMailboxes';
import { MailError, type FolderRef, type IdRefusal, type IdUse } from '../../shared/mail/store';
import type { RunContext } from '../actions/types';
import { mailNodeError } from './utils';

/** The id of a folder reference given by ID (paths and well-known names are always in the item's own mailbox). */
export const folderIdUse = (ref: FolderRef, field: string): IdUse[] => ('id' in ref ? [{ field, id: ref.id }] : []);

/** A refused id as the error of its item: names the field, the mailbox and the fix. */
export function foreignIdError(node: INode, policy: MailboxPolicy, refusal: IdRefusal, itemIndex: number): NodeOperationError | MailError {
	if ('failure' in refusal) return new MailError(refusal.failure);
	const { message, description } = foreignIdRefusal(refusal.owner, policy, refusal.use.field);
	return new NodeOperationError(node, message, { itemIndex, description });
}

/**
 * Allowed Mailboxes for ids. An id can name its mailbox (EWS ids do), and the server acts on that
 * mailbox whenever the user the request acts as may open it, whatever the Mailbox field says; so
 * the store places each id and it is refused when its mailbox is not allowed. `uses[i]` are the
 * ids of item `itemIndexes[i]`; the answer is its refusal or undefined. No call when every mailbox
 * is allowed.
 */
export async function idRefusals(ctx: IExecuteFunctions, run: RunContext, mailbox: string, uses: IdUse[][], itemIndexes: number[], action: string): Promise<Array<Error | undefined>> {
	const refusals = await run.store.refusedIds(mailbox, run.auth.mailboxPolicy, uses);
	return refusals.map((refusal, position) => {
		if (!refusal) return undefined;
		const error = foreignIdError(ctx.getNode(), run.auth.mailboxPolicy, refusal, itemIndexes[position]);
		return mailNodeError(ctx, run, error, itemIndexes[position], action, refusal.use.field);
	});
}

/** The same for one item: throws its refusal. */
export async function assertIdsAllowed(ctx: IExecuteFunctions, run: RunContext, itemIndex: number, mailbox: string, uses: IdUse[], action: string): Promise<void> {
	const [refusal] = await idRefusals(ctx, run, mailbox, [uses], [itemIndex], action);
	if (refusal) throw refusal;
}
