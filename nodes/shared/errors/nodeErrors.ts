import { NodeApiError, NodeOperationError, type INode, type JsonObject } from 'n8n-workflow';

import {
	diagnoseEntraError,
	diagnoseMailFailure,
	diagnoseNetworkError,
	diagnoseSmtpReply,
	diagnoseTlsError,
	type Diagnosis,
	type DiagnosisFacts,
} from './catalogue';
import { CredentialFieldError } from './credentialFieldError';
import { failureCauseOf } from './failureCause';
import { redactSecrets } from './redact';

/**
 * A failure tagged with the step it happened in and the server that step talked to, so the message
 * can say "Getting an access token failed" (not "Sending the message failed") and name the host.
 * The original error is kept for diagnosis.
 */
export class StepError extends Error {
	constructor(
		/** "Getting an access token", "Sending the message", … */
		readonly step: string,
		/** host:port of the server, as the credential names it. */
		readonly server: string | undefined,
		readonly original: unknown,
	) {
		super(rawMessage(original));
		this.name = 'StepError';
	}
}

/** Tags `error` with its step and server, unless an inner step already did. */
export function atStep(step: string, server: string | undefined, error: unknown): StepError {
	return error instanceof StepError ? error : new StepError(step, server, error);
}

/** SMTP reply text of a nodemailer error ("535 5.7.3 Authentication unsuccessful …"), if any. */
export function smtpReplyOf(error: unknown): string | undefined {
	const e = (error instanceof StepError ? error.original : (error ?? {})) as Record<string, unknown>;
	if (typeof e.response === 'string' && /^\d{3}[ -]/.test(e.response)) return e.response;
	if (typeof e.responseCode === 'number' && typeof e.message === 'string') {
		const match = /\b\d{3} \d\.\d\.\d+\b.*/.exec(e.message);
		if (match) return match[0];
	}
	return undefined;
}

/** Everything we know how to explain, most specific first. */
export function diagnose(error: unknown, facts: DiagnosisFacts = {}): Diagnosis | undefined {
	if (error instanceof StepError) return diagnose(error.original, { ...facts, server: error.server ?? facts.server });
	if (error instanceof CredentialFieldError) return { code: `credential field "${error.field}"`, message: error.message, fix: error.fix };
	const server = (error as { server?: unknown } | undefined)?.server;
	const known = typeof server === 'string' && !facts.server ? { ...facts, server } : facts;
	const reply = smtpReplyOf(error);
	// A MailError (mail/store.ts) carries its failure: the mail API catalogues know its code.
	const mailFailure = (error as { failure?: { code?: unknown } } | undefined)?.failure;
	return (
		(mailFailure && typeof mailFailure.code === 'string' ? diagnoseMailFailure(mailFailure as { code: string }) : undefined) ??
		(reply ? diagnoseSmtpReply(reply, known) : undefined) ??
		diagnoseEntraError(error, known) ??
		diagnoseTlsError(error, known) ??
		diagnoseNetworkError(error, known)
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
	/** Values the fixes can name (addresses, client ID, tenant, server). */
	facts?: DiagnosisFacts;
}

/**
 * Turns a library error (MSAL, nodemailer, sockets) into a NodeApiError whose message says what is
 * wrong and whose description says how to fix it. Nothing secret survives: the original error
 * object is not attached, only a redacted summary of it. Errors that already are n8n errors (the
 * OAuth2 refresh of n8n throws them) are rebuilt from their redacted text the same way.
 */
export function toNodeApiError(node: INode, error: unknown, context: ErrorContext = {}): NodeApiError {
	let action = context.action;
	let facts = context.facts ?? {};
	if (error instanceof StepError) {
		action = error.step;
		facts = { ...facts, server: error.server ?? facts.server };
		error = error.original;
	}
	const diagnosis = error instanceof NodeApiError || error instanceof NodeOperationError ? undefined : diagnose(error, facts);
	const detail = redactSecrets(rawMessage(error), context.secrets);
	const prefix = action ? `${action} failed: ` : '';
	const serverNote = facts.server && !diagnosis ? ` (${facts.server})` : '';
	const message = diagnosis ? `${prefix}${diagnosis.message} (${diagnosis.code})` : `${prefix}${detail}${serverNote}`;
	const ownDescription = (error as { description?: unknown } | undefined)?.description;
	const description = diagnosis
		? `${redactSecrets(diagnosis.fix, context.secrets)}\n\nServer said: ${detail}`
		: typeof ownDescription === 'string' && ownDescription
			? redactSecrets(ownDescription, context.secrets)
			: undefined;
	const e = (error ?? {}) as Record<string, unknown>;
	const summary: JsonObject = {
		message: detail,
		...(diagnosis ? { diagnosisCode: diagnosis.code } : {}),
		...(typeof e.responseCode === 'number' ? { responseCode: e.responseCode } : {}),
		...(typeof e.correlationId === 'string' && e.correlationId ? { correlationId: e.correlationId } : {}),
		...(facts.server ? { server: facts.server } : {}),
	};
	const httpCode = typeof e.status === 'number' ? String(e.status) : typeof e.httpCode === 'string' ? e.httpCode : undefined;
	// n8n's failure cause (rate-limited with the Retry-After, credential-invalid, …) drives its poll back-off.
	const failure = error instanceof NodeApiError || error instanceof NodeOperationError ? (error as { failure?: NodeApiError['failure'] }).failure : failureCauseOf(error);
	const nodeError = new NodeApiError(node, summary, { message, description, itemIndex: context.itemIndex ?? (e.context as { itemIndex?: number } | undefined)?.itemIndex, httpCode, ...(failure ? { failure } : {}) });
	// n8n swaps any message that mentions ECONNREFUSED, ETIMEDOUT, … for its generic "The service
	// refused the connection": ours names the server and stays.
	nodeError.message = message;
	return nodeError;
}
