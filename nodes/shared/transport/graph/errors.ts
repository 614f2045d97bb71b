import type { FailureKind, MailFailure } from '../../mail/store';

/**
 * Every way a Graph call fails, as one MailFailure (`api: 'graph'`): an error answer (Graph's
 * `{"error": {"code", "message", "innerError"}}` by status), an answer that is not Graph's, a socket
 * error or the deadline. `kind` is computed here only, in `failureKind`.
 */

/** Graph's error codes (and the Exchange codes Graph passes on) → what they mean for a workflow. */
const KIND_BY_CODE: Record<string, FailureKind> = {
	ErrorItemNotFound: 'notFound',
	ErrorFolderNotFound: 'notFound',
	itemNotFound: 'notFound',
	ErrorInvalidIdMalformed: 'invalidId',
	ErrorInvalidId: 'invalidId',
	// An id of another mailbox under /users/{mailbox}: Graph acts only inside the mailbox of the URL.
	ErrorInvalidMailboxItemId: 'invalidId',
	ErrorFolderExists: 'nameTaken',
	nameAlreadyExists: 'nameTaken',
	ErrorDeleteDistinguishedFolder: 'protectedFolder',
	ErrorCannotDeleteObject: 'protectedFolder',
	ErrorInvalidRecipients: 'invalidRecipient',
	ErrorInvalidRecipient: 'invalidRecipient',
	ErrorAccessDenied: 'accessDenied',
	accessDenied: 'accessDenied',
	ErrorSendAsDenied: 'accessDenied',
	Authorization_RequestDenied: 'accessDenied',
	InvalidAuthenticationToken: 'unauthorized',
	unauthenticated: 'unauthorized',
	TooManyRequests: 'throttled',
	ApplicationThrottled: 'throttled',
	activityLimitReached: 'throttled',
	ErrorServerBusy: 'throttled',
	ErrorMessageSizeExceeded: 'tooLarge',
	ErrorQuotaExceeded: 'quota',
	quotaLimitReached: 'quota',
	MailboxNotEnabledForRESTAPI: 'mailboxUnavailable',
	MailboxNotHostedInExchangeOnline: 'mailboxUnavailable',
	ErrorInvalidUser: 'mailboxUnavailable',
	ErrorNonExistentMailbox: 'mailboxUnavailable',
	ResourceNotFound: 'mailboxUnavailable',
	InefficientFilter: 'invalidRequest',
	ErrorInvalidRestriction: 'invalidRequest',
	BadRequest: 'invalidRequest',
	invalidRequest: 'invalidRequest',
	RequestBodyRead: 'invalidRequest',
	ErrorInvalidRequest: 'invalidRequest',
	ErrorInvalidProperty: 'invalidRequest',
	ErrorAttachmentSizeShouldNotBeLessThanMinimumSize: 'invalidRequest',
	syncStateNotFound: 'invalidCursor',
	resyncRequired: 'invalidCursor',
	GraphCursorNotForThisFolder: 'invalidCursor',
	serviceNotAvailable: 'unavailable',
	ErrorInternalServerTransientError: 'unavailable',
	GraphDeadlineExceeded: 'timeout',
	ETIMEDOUT: 'timeout',
	GraphUnreadableAnswer: 'badAnswer',
	GraphForeignLink: 'badAnswer',
};

const KIND_BY_STATUS: Record<number, FailureKind> = {
	400: 'invalidRequest',
	401: 'unauthorized',
	403: 'accessDenied',
	404: 'notFound',
	409: 'nameTaken',
	// A delta link Graph no longer knows ("synchronization reset").
	410: 'invalidCursor',
	413: 'tooLarge',
	429: 'throttled',
	507: 'quota',
};

/** The one place that decides a failure's kind: Graph's code first, then the HTTP status, then the socket. */
export function failureKind(code: string, httpStatus?: number): FailureKind {
	const byCode = KIND_BY_CODE[code];
	if (byCode) return byCode;
	// A token for the Graph resource was refused by Entra ID: missing consent is a permission problem.
	if (/^AADSTS\d+$/.test(code)) return code === 'AADSTS65001' ? 'accessDenied' : 'unauthorized';
	if (httpStatus) {
		const byStatus = KIND_BY_STATUS[httpStatus];
		if (byStatus) return byStatus;
		if (httpStatus >= 500) return 'unavailable';
		if (httpStatus >= 300 && httpStatus < 400) return 'badAnswer';
	}
	if (/^E[A-Z0-9_]+$/.test(code)) return 'unavailable';
	return 'other';
}

/** A MailFailure of the Graph API with its kind filled in. */
export function graphFailure(fields: Omit<MailFailure, 'api' | 'kind'>): MailFailure {
	return { api: 'graph', kind: failureKind(fields.code, fields.httpStatus), ...fields };
}

/** Retry-After in seconds (fractions allowed, "2.128") or as an HTTP date, in ms; capped at 5 minutes. */
export function retryAfterMs(value: string | undefined, now = Date.now()): number | undefined {
	if (!value) return undefined;
	const seconds = Number(value);
	if (Number.isFinite(seconds)) return seconds > 0 ? Math.min(Math.ceil(seconds * 1000), 300_000) : undefined;
	const date = Date.parse(value);
	return Number.isNaN(date) || date <= now ? undefined : Math.min(date - now, 300_000);
}

interface GraphErrorBody {
	error?: { code?: unknown; message?: unknown; innerError?: unknown; innererror?: unknown };
}

/** Never repeat a token a proxy echoed, and keep server text short and printable. */
function cleanText(text: string, limit = 300): string {
	return text
		.replace(/\b(?:Bearer\s+)?eyJ[\w-]+\.[\w-]+\.[\w-]*/g, '[token]')
		.replace(/[^\x20-\x7e\u00a0-\uffff]+/g, ' ')
		.replace(/\s+/g, ' ')
		.trim()
		.slice(0, limit);
}

/** Graph's innerError (request-id, date, nested codes) as one line, for support cases. */
function innerErrorText(inner: unknown): string | undefined {
	if (!inner || typeof inner !== 'object') return undefined;
	const parts: string[] = [];
	for (const [key, value] of Object.entries(inner as Record<string, unknown>)) {
		if (typeof value === 'string' || typeof value === 'number') parts.push(`${key}=${value}`);
		else if (value && typeof value === 'object') {
			const nested = innerErrorText(value);
			if (nested) parts.push(`${key}: ${nested}`);
		}
	}
	return parts.length ? cleanText(parts.join('; ')) : undefined;
}

/** What an error answer (an HTTP status other than 2xx) of Graph, or of a request inside a $batch, means. */
export function failureFromAnswer(status: number, headers: Record<string, string>, body: unknown): MailFailure {
	const header = (name: string) => headers[name] ?? headers[name.toLowerCase()] ?? Object.entries(headers).find(([key]) => key.toLowerCase() === name.toLowerCase())?.[1];
	const backOffMs = retryAfterMs(header('retry-after'));
	if (status >= 300 && status < 400) {
		const location = header('location');
		return graphFailure({ code: `HTTP${status}`, httpStatus: status, location, message: `redirected${location ? ` to ${cleanText(location, 200)}` : ''} (HTTP ${status}); redirects are not followed` });
	}
	const error = body && typeof body === 'object' ? (body as GraphErrorBody).error : undefined;
	if (error && typeof error === 'object' && typeof error.code === 'string' && error.code) {
		const message = typeof error.message === 'string' && error.message ? cleanText(error.message) : `HTTP ${status} ${error.code}`;
		const diagnostics = innerErrorText(error.innerError ?? error.innererror) ?? (status === 401 ? header('www-authenticate') : undefined);
		return graphFailure({ code: error.code, httpStatus: status, message, ...(backOffMs ? { backOffMs } : {}), ...(diagnostics ? { diagnostics } : {}) });
	}
	const text = typeof body === 'string' ? cleanText(body, 120) : Buffer.isBuffer(body) ? cleanText(body.toString('utf8', 0, 4096), 120) : '';
	return graphFailure({
		code: `HTTP${status}`,
		httpStatus: status,
		message: `answered HTTP ${status} without a Graph error${text ? ` ("${text}")` : ''}`,
		...(backOffMs ? { backOffMs } : {}),
		...(status === 401 && header('www-authenticate') ? { diagnostics: cleanText(header('www-authenticate') ?? '') } : {}),
	});
}

/** A socket, TLS or DNS error of a request (no complete answer). */
export function failureFromSocket(error: NodeJS.ErrnoException): MailFailure {
	return graphFailure({ code: error.code ?? 'ESOCKET', message: cleanText(error.message || 'the connection failed') });
}

export function deadlineFailure(deadlineMs: number): MailFailure {
	const seconds = deadlineMs >= 10_000 ? `${Math.round(deadlineMs / 1000)} s` : `${deadlineMs} ms`;
	return graphFailure({ code: 'GraphDeadlineExceeded', message: `no complete answer within ${seconds}` });
}

/** Throttling, a busy or failing server, a dropped connection: worth another attempt for a call that is safe to repeat. */
export function isRetryable(failure: MailFailure): boolean {
	if (failure.httpStatus === 429 || failure.httpStatus === 503 || failure.httpStatus === 504) return true;
	return failure.kind === 'throttled' || RETRYABLE_SOCKET_CODES.has(failure.code);
}

/** Not the deadline: an attempt that took that long would most likely take it again. */
const RETRYABLE_SOCKET_CODES = new Set(['ECONNRESET', 'ETIMEDOUT', 'ESOCKET', 'EPIPE']);
