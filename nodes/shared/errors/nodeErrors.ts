import { NodeApiError, type INode, type JsonObject } from 'n8n-workflow';

import {
	diagnoseEntraError,
	diagnoseEwsFailure,
	diagnoseNetworkError,
	diagnoseSmtpReply,
	diagnoseTlsError,
	type Diagnosis,
} from './catalogue';
import { redactSecrets } from './redact';

/** SMTP reply text of a nodemailer error ("535 5.7.3 Authentication unsuccessful …"), if any. */
export function smtpReplyOf(error: unknown): string | undefined {
	const e = (error ?? {}) as Record<string, unknown>;
	if (typeof e.response === 'string' && /^\d{3}[ -]/.test(e.response)) return e.response;
	if (typeof e.responseCode === 'number' && typeof e.message === 'string') {
		const match = /\b\d{3} \d\.\d\.\d+\b.*/.exec(e.message);
		if (match) return match[0];
	}
	return undefined;
}

/** Everything we know how to explain, most specific first. */
export function diagnose(error: unknown): Diagnosis | undefined {
	const reply = smtpReplyOf(error);
	const ewsFailure = (error as { failure?: { code?: unknown } } | undefined)?.failure;
	return (
		(ewsFailure && typeof ewsFailure.code === 'string' ? diagnoseEwsFailure(ewsFailure as { code: string }) : undefined) ??
		(reply ? diagnoseSmtpReply(reply) : undefined) ??
		diagnoseEntraError(error) ??
		diagnoseTlsError(error) ??
		diagnoseNetworkError(error)
	);
}

function rawMessage(error: unknown): string {
	if (error instanceof Error) return error.message;
	if (error && typeof error === 'object' && 'message' in error) return String((error as { message: unknown }).message);
	return String(error);
}

export interface ErrorContext {
	itemIndex?: number;
	/** Credential values to blank out of anything shown (secret, key, tokens). */
	secrets?: Array<string | undefined>;
	/** What we were doing, e.g. "Getting a token", "Sending the message". */
	action?: string;
}

/**
 * Turns a library error (MSAL, nodemailer, sockets) into a NodeApiError whose message says what is
 * wrong and whose description says how to fix it. Nothing secret survives: the original error
 * object is not attached, only a redacted summary of it.
 */
export function toNodeApiError(node: INode, error: unknown, context: ErrorContext = {}): NodeApiError {
	if (error instanceof NodeApiError) return error;
	const diagnosis = diagnose(error);
	const detail = redactSecrets(rawMessage(error), context.secrets);
	const prefix = context.action ? `${context.action} failed: ` : '';
	const message = diagnosis
		? `${prefix}${diagnosis.message} (${diagnosis.code})`
		: `${prefix}${detail}`;
	const description = diagnosis ? `${diagnosis.fix}\n\nServer said: ${detail}` : undefined;
	const e = (error ?? {}) as Record<string, unknown>;
	const summary: JsonObject = {
		message: detail,
		...(diagnosis ? { code: diagnosis.code } : {}),
		...(typeof e.responseCode === 'number' ? { responseCode: e.responseCode } : {}),
		...(typeof e.correlationId === 'string' && e.correlationId ? { correlationId: e.correlationId } : {}),
	};
	const apiError = new NodeApiError(node, summary, {
		message,
		description,
		itemIndex: context.itemIndex,
		httpCode: typeof e.status === 'number' ? String(e.status) : undefined,
	});
	// NodeApiError swaps a message mentioning ECONNRESET, ETIMEDOUT, … for a generic one; ours names the server.
	apiError.message = message;
	return apiError;
}
