// What every operation handler gets (caller, default mailbox, store) and the shared helpers to resolve
// folder/item ids with EWS's per-item error codes and to build ResponseMessages.
import type { Principal } from './auth';
import { idShape, type MailboxStore, type StoredFolder, type StoredItem } from './store';
import { attr, child, el, text, tx, type Element, local } from './xml';

export interface OpContext {
	store: MailboxStore;
	principal: Principal;
	/** Impersonated mailbox (app-only) or the token's user (delegated): the user the request acts as. */
	mailbox: string;
	/** Other mailboxes that user has FullAccess on. Exchange applies the acting user's own rights, also under impersonation. */
	fullAccess: string[];
	/** Mailboxes the request reached (for the request log and the X-AnchorMailbox check). */
	touched: Set<string>;
	operation: string;
	op: Element;
}

export interface OpResult {
	messages: string[];
	itemCount?: number;
}

export type OpHandler = (ctx: OpContext) => OpResult | Promise<OpResult>;

/** An error that becomes one ResponseMessage with ResponseClass="Error". */
export class EwsError extends Error {
	constructor(
		readonly code: string,
		message = MESSAGE_TEXT[code] ?? code,
		readonly messageXml = '',
	) {
		super(message);
	}
}

/** Exchange's MessageText for the codes the stand-in returns. */
export const MESSAGE_TEXT: Record<string, string> = {
	ErrorItemNotFound: 'The specified object was not found in the store., The process failed to get the correct properties.',
	ErrorFolderNotFound: 'The specified folder could not be found in the store.',
	ErrorInvalidIdMalformed: 'Id is malformed.',
	ErrorAccessDenied: 'Access is denied. Check credentials and try again.',
	ErrorNonExistentMailbox: 'The SMTP address has no mailbox associated with it.',
	ErrorInvalidSyncStateData: 'Synchronization state data is corrupt or otherwise invalid.',
	ErrorSyncFolderNotFound: 'The specified folder could not be found in the store.',
	ErrorFolderExists: 'A folder with the specified name already exists.',
	ErrorDeleteDistinguishedFolder: 'Distinguished folders cannot be deleted.',
	ErrorIrresolvableConflict: 'The send or update operation could not be performed because the change key passed in the request does not match the current change key for the item.',
	ErrorNameResolutionNoResults: 'No results were found.',
	ErrorNameResolutionMultipleResults: 'Multiple results were found.',
	ErrorInvalidRecipients: 'At least one recipient isn\'t valid.',
	ErrorInvalidPropertySet: 'The property set is invalid.',
	ErrorInvalidOperation: 'The operation is not valid.',
	ErrorMoveCopyFailed: 'The move or copy operation failed.',
	ErrorInvalidPropertyRequest: 'Property is not valid for this object type.',
	ErrorCorruptData: 'The item or attachment is corrupt and cannot be read.',
	ErrorInternalServerError: 'An internal server error occurred. The operation failed.',
	ErrorInvalidChangeKey: 'The change key is invalid.',
	ErrorMimeContentInvalidBase64String: 'Invalid base64 string for MIME content.',
	ErrorInvalidRestriction: 'The restriction or sort order is too complex for this operation.',
};

export function success(operation: string, ...content: (string | undefined | false)[]): string {
	return el(`m:${operation}ResponseMessage`, { ResponseClass: 'Success' }, tx('m:ResponseCode', 'NoError'), ...content);
}

export function warning(operation: string, code: string, ...content: (string | undefined | false)[]): string {
	return el(
		`m:${operation}ResponseMessage`,
		{ ResponseClass: 'Warning' },
		tx('m:MessageText', MESSAGE_TEXT[code] ?? code),
		tx('m:ResponseCode', code),
		tx('m:DescriptiveLinkKey', 0),
		...content,
	);
}

/** What an operation's error answers carry after the error fields (SyncFolderItems: Microsoft's documented ErrorInvalidSyncStateData answer). */
const ERROR_TAILS: Record<string, string[]> = {
	SyncFolderItems: [el('m:SyncState'), tx('m:IncludesLastItemInRange', true)],
};

export function failure(operation: string, error: EwsError): string {
	return el(
		`m:${operation}ResponseMessage`,
		{ ResponseClass: 'Error' },
		tx('m:MessageText', error.message),
		tx('m:ResponseCode', error.code),
		tx('m:DescriptiveLinkKey', 0),
		error.messageXml ? el('m:MessageXml', {}, error.messageXml) : undefined,
		...(ERROR_TAILS[operation] ?? []),
	);
}

/** One ResponseMessage per entry, in order; an EwsError turns into that entry's error message only. */
export async function perEntry<T>(operation: string, entries: T[], run: (entry: T) => string | Promise<string>): Promise<string[]> {
	const messages: string[] = [];
	for (const entry of entries) {
		try {
			messages.push(await run(entry));
		} catch (error) {
			if (error instanceof EwsError) messages.push(failure(operation, error));
			else if (error && typeof error === 'object' && 'code' in error && typeof error.code === 'string' && error.code.startsWith('Error')) {
				messages.push(failure(operation, new EwsError(error.code)));
			} else throw error;
		}
	}
	return messages;
}

/**
 * Runs an operation the way Exchange answers: an EwsError raised before the per-entry work (a restriction or
 * shape it refuses) becomes the operation's one error ResponseMessage (HTTP 200, as Exchange answers
 * ErrorInvalidRestriction or ErrorInvalidPropertyRequest). Anything else is a defect of the stand-in and is
 * rethrown, for the caller to answer as ErrorInternalServerError.
 */
export async function runOperation(handler: OpHandler, ctx: OpContext): Promise<OpResult> {
	try {
		return await handler(ctx);
	} catch (error) {
		if (error instanceof EwsError) return { messages: [failure(ctx.operation, error)], itemCount: 0 };
		throw error;
	}
}

/**
 * Checks the acting user may open `mailbox` (ErrorNonExistentMailbox / ErrorAccessDenied otherwise).
 * Ids name their mailbox, so a folder, item or attachment id of another mailbox reaches that
 * mailbox; Exchange then applies the rights of the user the request acts as (the impersonated
 * user for app-only, not the app's scope): its own mailbox, or one it has FullAccess on.
 */
export function assertMailboxAccess(ctx: OpContext, mailbox: string): void {
	const smtp = mailbox.toLowerCase();
	if (!ctx.store.mailbox(smtp)) throw new EwsError('ErrorNonExistentMailbox');
	if (smtp !== ctx.mailbox && !ctx.fullAccess.includes(smtp)) throw new EwsError('ErrorAccessDenied');
	ctx.touched.add(smtp);
}

/** t:FolderId / t:DistinguishedFolderId (with optional t:Mailbox) → folder. */
export function resolveFolder(ctx: OpContext, element: Element | undefined): StoredFolder {
	if (!element) throw new EwsError('ErrorFolderNotFound');
	if (local(element) === 'DistinguishedFolderId') {
		const explicit = text(child(child(element, 'Mailbox'), 'EmailAddress'))?.trim();
		const mailbox = explicit ? explicit.toLowerCase() : ctx.mailbox;
		assertMailboxAccess(ctx, mailbox);
		const folder = ctx.store.distinguishedFolder(mailbox, attr(element, 'Id') ?? '');
		if (!folder) throw new EwsError('ErrorFolderNotFound');
		return folder;
	}
	const id = attr(element, 'Id') ?? '';
	if (idShape(id, 'folder') !== 'ok') throw new EwsError('ErrorInvalidIdMalformed');
	const folder = ctx.store.folder(id);
	if (!folder) throw new EwsError('ErrorFolderNotFound');
	assertMailboxAccess(ctx, folder.mailbox);
	return folder;
}

/** The folder-id elements inside a container such as m:FolderIds / m:ParentFolderIds / m:ToFolderId. */
export const folderIdElements = (container: Element | undefined): Element[] =>
	container
		? Array.from({ length: container.childNodes.length }, (_, i) => container.childNodes[i] as unknown as Element).filter(
				(node) => node.nodeType === 1 && ['FolderId', 'DistinguishedFolderId'].includes(local(node)),
			)
		: [];

export function resolveItem(ctx: OpContext, id: string | undefined): StoredItem {
	if (!id || idShape(id, 'item') !== 'ok') throw new EwsError('ErrorInvalidIdMalformed');
	const item = ctx.store.getItem(id);
	if (!item) throw new EwsError('ErrorItemNotFound');
	assertMailboxAccess(ctx, item.mailbox);
	return item;
}

/** A change key that isn't one of ours in shape: ErrorInvalidChangeKey (the documented UpdateFolder answer). */
export function assertChangeKeyShape(changeKey: string | undefined): void {
	if (changeKey !== undefined && !/^[A-Za-z0-9+/]+={0,2}$/.test(changeKey)) throw new EwsError('ErrorInvalidChangeKey');
}

export const itemIdXml = (item: { id: string; changeKey: string }) => el('t:ItemId', { Id: item.id, ChangeKey: item.changeKey });
export const folderIdXml = (folder: { id: string; changeKey: string }) => el('t:FolderId', { Id: folder.id, ChangeKey: folder.changeKey });
