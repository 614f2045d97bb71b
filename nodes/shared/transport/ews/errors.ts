import { MailError, type FailureKind, type MailFailure } from '../../mail/store';
import { ewsLibrary } from './library';
import { EwsHttpFailure } from './xhr';

/**
 * Every way an EWS call fails becomes one MailFailure (mail/store.ts): answers that are not EWS come
 * from our HTTP layer as EwsHttpFailure (by HTTP status first); SOAP faults come as
 * SoapFaultDetails (not Error instances), errors inside a 200 answer as ServiceResponseException,
 * per-item errors of batch calls as ServiceResponse objects. `code` stays the EWS ResponseCode
 * name (ErrorServerBusy, ErrorItemNotFound, …), HTTP401 / HTTP404 / …, a socket code, or
 * EwsDeadlineExceeded; `kind` is derived from it here and nowhere else (ewsFailure).
 */
export type EwsFailureFields = Omit<MailFailure, 'api' | 'kind'>;

/** Codes by what they mean for the workflow; anything else is 'other' (see kindOf). */
const KINDS: Record<string, FailureKind> = {
	ErrorItemNotFound: 'notFound',
	ErrorFolderNotFound: 'notFound',
	ErrorFolderExists: 'nameTaken',
	ErrorDeleteDistinguishedFolder: 'protectedFolder',
	ErrorInvalidRecipients: 'invalidRecipient',
	ErrorAccessDenied: 'accessDenied',
	ErrorImpersonateUserDenied: 'accessDenied',
	ErrorImpersonationDenied: 'accessDenied',
	ErrorSendAsDenied: 'accessDenied',
	ErrorServerBusy: 'throttled',
	ErrorExceededConnectionCount: 'throttled',
	ErrorTooManyObjectsOpened: 'throttled',
	ErrorMessageSizeExceeded: 'tooLarge',
	ErrorQuotaExceeded: 'quota',
	ErrorNonExistentMailbox: 'mailboxUnavailable',
	ErrorSchemaValidation: 'invalidRequest',
	ErrorInvalidRequest: 'invalidRequest',
	ErrorInternalServerTransientError: 'unavailable',
	ErrorMailboxStoreUnavailable: 'unavailable',
	ErrorMailboxMoveInProgress: 'unavailable',
	ErrorConnectionFailed: 'unavailable',
	ErrorTimeoutExpired: 'timeout',
	ErrorInvalidSyncStateData: 'invalidCursor',
	ErrorSyncFolderNotFound: 'invalidCursor',
	EwsDeadlineExceeded: 'timeout',
	ETIMEDOUT: 'timeout',
	EwsUnreadableAnswer: 'badAnswer',
	EwsAnswerTooLarge: 'badAnswer',
	HTTP401: 'unauthorized',
	HTTP403: 'accessDenied',
	HTTP413: 'tooLarge',
	HTTP429: 'throttled',
	HTTP400: 'invalidRequest',
};

function kindOf(code: string, httpStatus: number | undefined): FailureKind {
	const known = KINDS[code];
	if (known) return known;
	if (code.startsWith('ErrorInvalidId')) return 'invalidId';
	// An HTTP answer that is not EWS: a redirect or a 200 that is not SOAP is someone else's page.
	const status = /^HTTP(\d{3})$/.exec(code)?.[1];
	if (status) return Number(status) >= 500 ? 'unavailable' : Number(status) < 400 ? 'badAnswer' : 'other';
	// Sockets (ECONNRESET, ECONNREFUSED, ENOTFOUND, EPIPE, ESOCKET, …): no answer at all.
	if (/^E[A-Z0-9_]+$/.test(code)) return 'unavailable';
	return 'other';
}

/** A failure of an EWS call, its kind filled in: the one place EWS codes are given a meaning. */
export function ewsFailure(fields: EwsFailureFields): MailFailure {
	return { api: 'ews', kind: kindOf(fields.code, fields.httpStatus), ...fields };
}

function serviceErrorName(code: unknown): string | undefined {
	if (typeof code === 'string' && code) return code;
	if (typeof code !== 'number') return undefined;
	const names = ewsLibrary().ServiceError as unknown as Record<number, string>;
	return names[code];
}

function detail(details: unknown, key: string): string | undefined {
	const dictionary = details as { containsKey?: (k: string) => boolean; get?: (k: string) => string } | undefined;
	try {
		if (dictionary?.containsKey?.(key)) return dictionary.get?.(key);
	} catch {
		// Dictionary implementations differ between library versions: no detail is fine.
	}
	return undefined;
}

export function normalizeEwsError(error: unknown): MailFailure {
	if (error instanceof MailError) return error.failure;
	if (error instanceof EwsHttpFailure) {
		const { contentType: _contentType, ...failure } = error.details;
		return ewsFailure(failure);
	}
	// The library could not read an answer it was given as SOAP (ReadResponsePrivate wraps whatever
	// its parser threw, often a TypeError): the parser's text says nothing to an admin.
	if (error instanceof ewsLibrary().ServiceRequestException) return unreadableAnswer();
	const e = (error ?? {}) as Record<string, unknown> & { Response?: Record<string, unknown> };
	const httpStatus = typeof e.HttpStatusCode === 'number' ? e.HttpStatusCode : undefined;
	// A failed ServiceResponse of a batch call carries its text in ErrorMessage, not in message.
	const text = e.message ?? e.Message ?? e.ErrorMessage ?? e.Response?.ErrorMessage;
	const message = typeof text === 'string' && text ? text : typeof error === 'string' ? error : `the EWS call failed without a message (${describe(error)})`;

	// ServiceResponseException (error inside an HTTP 200 answer) or a failed ServiceResponse.
	const responseCode = serviceErrorName(e.responseCode ?? e.ErrorCode ?? e.Response?.ErrorCode ?? e.errorCode);
	const details = e.errorDetails ?? e.ErrorDetails ?? e.Response?.ErrorDetails;
	const backOff = Number(detail(details, 'BackOffMilliseconds'));
	const backOffMs = Number.isFinite(backOff) && backOff > 0 ? backOff : undefined;

	if (responseCode && responseCode !== 'NoError') {
		// The library reports an answer it could not read (a SOAP 200 without the expected response) as a
		// fault of its own making: no fault code, its default ResponseCode, the parser's message.
		if (httpStatus === 200 && e.faultCode == null && responseCode === 'ErrorInternalServerError') return unreadableAnswer();
		// A ResponseCode the library does not know becomes its ErrorInternalServerError; the fault code keeps the real one.
		const faultCode = typeof e.faultCode === 'string' ? /(?:^|:)(Error\w+)$/.exec(e.faultCode)?.[1] : undefined;
		return ewsFailure({ code: responseCode === 'ErrorInternalServerError' && faultCode ? faultCode : responseCode, httpStatus, message, backOffMs });
	}
	if (httpStatus && httpStatus >= 300) return ewsFailure({ code: `HTTP${httpStatus}`, httpStatus, message });
	return ewsFailure({ code: 'EwsError', httpStatus, message, backOffMs });
}

function unreadableAnswer(): MailFailure {
	return ewsFailure({ code: 'EwsUnreadableAnswer', httpStatus: 200, message: 'answered HTTP 200 with a SOAP envelope that is not an answer to this request' });
}

function describe(error: unknown): string {
	if (error === null || error === undefined) return String(error);
	const name = (error as { constructor?: { name?: unknown } }).constructor?.name;
	return typeof name === 'string' && name !== 'Object' ? name : typeof error;
}

/** Throttling, transient server errors and dropped connections: worth another attempt, but only for an operation that is safe to repeat. */
const RETRYABLE = new Set([
	'ErrorServerBusy',
	'ErrorExceededConnectionCount',
	'ErrorTimeoutExpired',
	'ErrorInternalServerTransientError',
	'HTTP429',
	'HTTP502',
	'HTTP503',
	'HTTP504',
	'ECONNRESET',
	'ETIMEDOUT',
	'ESOCKET',
	'EPIPE',
]);

export function isRetryable(failure: MailFailure): boolean {
	return RETRYABLE.has(failure.code);
}
