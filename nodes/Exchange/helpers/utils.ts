import { NodeApiError, NodeOperationError, type IExecuteFunctions } from 'n8n-workflow';

import type { ExchangeAuth } from '../../shared/auth/exchangeAuth';
import { toNodeApiError } from '../../shared/errors/nodeErrors';
import type { EwsClient } from '../../shared/transport/ews/client';
import { binaryFiles, type ParameterReader } from '../../shared/parameters';
import { MailError } from '../../shared/mail/store';

/** What every operation gets from the router: the credential, one EWS client, the mailbox per item. */
export interface RunContext {
	auth: ExchangeAuth;
	client: EwsClient;
	/** The mailbox of item `i`, already checked against Allowed Mailboxes. */
	mailboxOf(itemIndex: number): string;
}

/** A failed id in a batch answer, or an EWS call that failed, as the error of item `itemIndex`. */
/** The field a failure points at: one field, or one per EWS code (a taken name is the name's fault, not the folder's). */
export type FieldOf = string | ((code: string) => string);

export function ewsNodeError(ctx: IExecuteFunctions, run: RunContext, error: unknown, itemIndex: number, action: string, field?: FieldOf): Error {
	if (error instanceof NodeOperationError || error instanceof NodeApiError) return error;
	return namingField(toNodeApiError(ctx.getNode(), error, { itemIndex, secrets: run.auth.secrets, action }), error, field);
}

/** Prefixes the message with the field when the EWS failure means the value in that field is wrong. */
export function namingField<T extends Error>(nodeError: T, error: unknown, field: FieldOf | undefined, codes: ReadonlySet<string> = FIELD_CODES): T {
	if (field && error instanceof MailError && codes.has(error.code)) nodeError.message = `"${typeof field === 'string' ? field : field(error.code)}": ${nodeError.message}`;
	return nodeError;
}

/** Codes that mean "the value in this field is wrong", so the message names the field. */
const FIELD_CODES = new Set(['ErrorFolderNotFound', 'ErrorInvalidIdMalformed', 'ErrorInvalidIdEmpty', 'ErrorItemNotFound', 'ErrorAttachmentNotFound', 'ErrorFolderExists', 'ErrorDeleteDistinguishedFolder', 'ErrorInvalidRecipients']);

/** Runs `call`, turning an EWS failure into a NodeApiError that names `field` when the value is at fault. */
export async function withField<T>(ctx: IExecuteFunctions, run: RunContext, itemIndex: number, action: string, field: FieldOf, call: () => Promise<T>): Promise<T> {
	try {
		return await call();
	} catch (error) {
		throw ewsNodeError(ctx, run, error, itemIndex, action, field);
	}
}

/** Options → CC, BCC, Attachments and Save to Sent Items, shared by Send, Reply and Forward. */
export async function composeOptionsOf(ctx: IExecuteFunctions, parameters: ParameterReader) {
	const itemIndex = parameters.itemIndex ?? 0;
	return {
		cc: parameters.addresses('options.ccEmail', 'CC Email'),
		bcc: parameters.addresses('options.bccEmail', 'BCC Email'),
		attachments: await binaryFiles(ctx, itemIndex, parameters.list('options.attachments', 'Attachments'), 'Attachments'),
		saveToSentItems: parameters.boolean('options.saveToSentItems', 'Save to Sent Items', true),
	};
}
