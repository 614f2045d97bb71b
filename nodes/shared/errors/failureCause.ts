import type { Failure } from 'n8n-workflow';

import type { FailureKind, MailFailure } from '../mail/store';
import { findEntraCode } from './catalogue';

/**
 * Why an operation failed, in n8n's words (n8n-workflow `errors/failure`, n8n 2.36+): the poll
 * back-off of n8n's scheduler reads `failure` off the thrown error, waits at least `retryAfterMs`
 * after a timed cause and backs off long after an actionable one. Older n8n ignores the field.
 * Only what a failure really means is declared; anything else is left to n8n's own reading.
 */
const CAUSE_BY_KIND: Partial<Record<FailureKind, Failure['cause']>> = {
	throttled: 'rate-limited',
	// The mailbox is over its storage quota: it works again once mail is removed (retention, archiving, a user).
	quota: 'quota-exhausted',
	unavailable: 'temporarily-unavailable',
	timeout: 'temporarily-unavailable',
	// Refused after the one token refresh the transports make: the credential has to be fixed or reconnected.
	unauthorized: 'credential-invalid',
	// The node points at a folder, mailbox or permission that is not (or no longer) there.
	accessDenied: 'configuration-invalid',
	mailboxUnavailable: 'configuration-invalid',
	notFound: 'configuration-invalid',
	invalidId: 'configuration-invalid',
};

/** Entra ID codes that are the service's trouble, not the credential's. */
const TRANSIENT_ENTRA_CODES = new Set(['90033', '50196', '500021']);
/** Entra ID codes of a missing consent or an unknown resource: the app registration's configuration. */
const CONFIGURATION_ENTRA_CODES = new Set(['65001', '500011']);

function causeOfMailFailure(failure: MailFailure): Failure | undefined {
	const entra = /^AADSTS(\d+)$/.exec(failure.code)?.[1];
	if (entra) return causeOfEntraCode(entra);
	const cause = CAUSE_BY_KIND[failure.kind];
	if (cause === 'rate-limited' || cause === 'quota-exhausted' || cause === 'temporarily-unavailable') {
		return failure.backOffMs ? { cause, retryAfterMs: failure.backOffMs } : { cause };
	}
	return cause ? { cause } : undefined;
}

function causeOfEntraCode(code: string): Failure {
	if (TRANSIENT_ENTRA_CODES.has(code)) return { cause: 'temporarily-unavailable' };
	return { cause: CONFIGURATION_ENTRA_CODES.has(code) ? 'configuration-invalid' : 'credential-invalid' };
}

/** n8n's failure cause of an error our code threw (a MailError, a token request Entra ID refused), if it has a clear one. */
export function failureCauseOf(error: unknown): Failure | undefined {
	const failure = (error as { failure?: MailFailure } | undefined)?.failure;
	if (failure && typeof failure.code === 'string' && typeof failure.kind === 'string') return causeOfMailFailure(failure);
	const entra = findEntraCode(error);
	return entra ? causeOfEntraCode(entra) : undefined;
}
