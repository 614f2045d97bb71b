import { NodeApiError, NodeOperationError, type IDataObject, type IExecuteFunctions, type INodeParameterResourceLocator } from 'n8n-workflow';

import { parseAddressList } from '../../shared/mail/addresses';
import type { ExchangeAuth } from '../../shared/auth/exchangeAuth';
import { toNodeApiError } from '../../shared/errors/nodeErrors';
import type { MailAddress } from '../../shared/mail/messageShape';
import type { EwsClient } from '../../shared/transport/ews/client';
import type { OutgoingAttachment } from '../../shared/transport/ews/compose';
import { EwsError } from '../../shared/transport/ews/errors';
import { isWellKnownFolder, looksLikeFolderId, type FolderRef, type WellKnownFolder } from '../../shared/transport/ews/folders';

/** What every operation gets from the router: the credential, one EWS client, the mailbox per item. */
export interface RunContext {
	auth: ExchangeAuth;
	client: EwsClient;
	/** The mailbox of item `i`, already checked against Allowed Mailboxes. */
	mailboxOf(itemIndex: number): string;
}

/** A failed id in a batch answer, or an EWS call that failed, as the error of item `itemIndex`. */
export function ewsNodeError(ctx: IExecuteFunctions, run: RunContext, error: unknown, itemIndex: number, action: string, field?: string): Error {
	if (error instanceof NodeOperationError || error instanceof NodeApiError) return error;
	const nodeError = toNodeApiError(ctx.getNode(), error, { itemIndex, secrets: run.auth.secrets, action });
	if (field && error instanceof EwsError && FIELD_CODES.has(error.code)) nodeError.message = `"${field}": ${nodeError.message}`;
	return nodeError;
}

/** Codes that mean "the value in this field is wrong", so the message names the field. */
const FIELD_CODES = new Set(['ErrorFolderNotFound', 'ErrorInvalidIdMalformed', 'ErrorInvalidIdEmpty', 'ErrorItemNotFound', 'ErrorAttachmentNotFound', 'ErrorFolderExists', 'ErrorDeleteDistinguishedFolder', 'ErrorInvalidRecipients']);

/** Runs `call`, turning an EWS failure into a NodeApiError that names `field` when the value is at fault. */
export async function withField<T>(ctx: IExecuteFunctions, run: RunContext, itemIndex: number, action: string, field: string, call: () => Promise<T>): Promise<T> {
	try {
		return await call();
	} catch (error) {
		throw ewsNodeError(ctx, run, error, itemIndex, action, field);
	}
}

export function requiredString(ctx: IExecuteFunctions, name: string, field: string, itemIndex: number): string {
	const value = String(ctx.getNodeParameter(name, itemIndex, '') ?? '').trim();
	if (!value) throw new NodeOperationError(ctx.getNode(), `"${field}" is empty`, { itemIndex, description: `Fill in "${field}".` });
	return value;
}

/** The folder a resource locator points at. */
export function folderRef(ctx: IExecuteFunctions, name: string, field: string, itemIndex: number): FolderRef {
	const locator = ctx.getNodeParameter(name, itemIndex) as INodeParameterResourceLocator | string;
	const mode = typeof locator === 'string' ? 'path' : locator.mode;
	const value = String(typeof locator === 'string' ? locator : (locator.value ?? '')).trim();
	if (!value) throw new NodeOperationError(ctx.getNode(), `"${field}" is empty`, { itemIndex, description: `Pick a folder in "${field}".` });
	// The list stores folder IDs; workflows saved before stored the path, which still works.
	if (mode === 'id' || (mode === 'list' && looksLikeFolderId(value))) return { id: value };
	if (mode === 'wellKnown') {
		if (!isWellKnownFolder(value)) {
			throw new NodeOperationError(ctx.getNode(), `"${value}" in "${field}" is not a well-known folder`, {
				itemIndex,
				description: 'Use inbox, sentitems, deleteditems, drafts, junkemail, outbox, msgfolderroot or archiveinbox, or switch the mode to Path.',
			});
		}
		return { wellKnown: value.toLowerCase() as WellKnownFolder };
	}
	return { path: value };
}

export function addressList(ctx: IExecuteFunctions, value: string, field: string, itemIndex: number, required = false): MailAddress[] {
	const { addresses, invalid } = parseAddressList(value ?? '');
	if (invalid !== undefined) {
		throw new NodeOperationError(ctx.getNode(), `Invalid email address "${invalid}" in "${field}"`, { itemIndex, description: 'Use addresses like someone@example.com or Name <someone@example.com>, separated by commas.' });
	}
	if (required && addresses.length === 0) throw new NodeOperationError(ctx.getNode(), `"${field}" is empty`, { itemIndex, description: `Give at least one address in "${field}".` });
	return addresses;
}

/** Binary properties named in a comma-separated field, read through n8n's helpers (works with external binary storage). */
export async function binaryAttachments(ctx: IExecuteFunctions, itemIndex: number, names: string, field: string): Promise<OutgoingAttachment[]> {
	const attachments: OutgoingAttachment[] = [];
	for (const property of names.split(',').map((name) => name.trim()).filter(Boolean)) {
		const available = Object.keys(ctx.getInputData()[itemIndex]?.binary ?? {});
		if (!available.includes(property)) {
			throw new NodeOperationError(ctx.getNode(), `Binary property "${property}" named in "${field}" does not exist on item ${itemIndex}`, {
				itemIndex,
				description: available.length ? `The item has these binary properties: ${available.join(', ')}.` : 'The item has no binary data.',
			});
		}
		const binary = ctx.helpers.assertBinaryData(itemIndex, property);
		const content = await ctx.helpers.getBinaryDataBuffer(itemIndex, property);
		attachments.push({ name: binary.fileName ?? property, contentType: binary.mimeType ?? 'application/octet-stream', content });
	}
	return attachments;
}

export function options(ctx: IExecuteFunctions, itemIndex: number): IDataObject {
	return (ctx.getNodeParameter('options', itemIndex, {}) ?? {}) as IDataObject;
}
