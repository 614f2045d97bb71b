import { NodeApiError, NodeOperationError, type IExecuteFunctions } from 'n8n-workflow';

import { toNodeApiError } from '../../shared/errors/nodeErrors';
import { MailError, type FailureKind } from '../../shared/mail/store';
import { binaryFiles, type ParameterReader } from '../../shared/parameters';
import type { RunContext } from '../actions/types';

/** The field a failure points at: one field, or one per failure kind (a taken name is the name's fault, not the folder's). */
export type FieldOf = string | ((kind: FailureKind) => string);

/** A failed id in a batch answer, or a store call that failed, as the error of item `itemIndex`. */
export function mailNodeError(ctx: IExecuteFunctions, run: RunContext, error: unknown, itemIndex: number, action: string, field?: FieldOf): Error {
	if (error instanceof NodeOperationError || error instanceof NodeApiError) return error;
	return namingField(toNodeApiError(ctx.getNode(), error, { itemIndex, secrets: run.auth.secrets, action }), error, field);
}

/** Failure kinds that mean "the value in this field is wrong", so the message names the field. */
const FIELD_KINDS: ReadonlySet<FailureKind> = new Set(['notFound', 'invalidId', 'nameTaken', 'protectedFolder', 'invalidRecipient']);

/** Prefixes the message with the field when the failure means the value in that field is wrong. */
export function namingField<T extends Error>(nodeError: T, error: unknown, field: FieldOf | undefined, kinds: ReadonlySet<FailureKind> = FIELD_KINDS): T {
	if (field && error instanceof MailError && kinds.has(error.kind)) nodeError.message = `"${typeof field === 'string' ? field : field(error.kind)}": ${nodeError.message}`;
	return nodeError;
}

/** Runs `call`, turning a mail failure into a NodeApiError that names `field` when the value is at fault. */
export async function withField<T>(ctx: IExecuteFunctions, run: RunContext, itemIndex: number, action: string, field: FieldOf, call: () => Promise<T>): Promise<T> {
	try {
		return await call();
	} catch (error) {
		throw mailNodeError(ctx, run, error, itemIndex, action, field);
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
