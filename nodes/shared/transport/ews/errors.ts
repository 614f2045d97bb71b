import { ewsLibrary } from './library';
import { EwsHttpFailure } from './xhr';

/**
 * One shape for every way a call fails: answers that are not EWS come from our HTTP layer as
 * EwsHttpFailure (by HTTP status first); SOAP faults come as SoapFaultDetails (not Error instances),
 * errors inside a 200 answer as ServiceResponseException, per-item errors of batch calls as
 * ServiceResponse objects.
 */
export interface EwsFailure {
	/** EWS ResponseCode name (ErrorServerBusy, ErrorItemNotFound, …), HTTP401 / HTTP404 / …, a socket code, or EwsDeadlineExceeded. */
	code: string;
	httpStatus?: number;
	message: string;
	/** Server-requested wait (BackOffMilliseconds of ErrorServerBusy, Retry-After of a 429/503), if any. */
	backOffMs?: number;
	/** x-ms-diagnostics of a 401, e.g. 2000008;reason="The token has expired.";error_category="invalid_lifetime" */
	diagnostics?: string;
	/** Where a 3xx pointed. */
	location?: string;
	/** Filled in by the client for the error message: the EWS URL, its host, the token's app (client) ID, the mailbox. */
	ewsUrl?: string;
	server?: string;
	clientId?: string;
	mailbox?: string;
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

export function normalizeEwsError(error: unknown): EwsFailure {
	if (error instanceof EwsHttpFailure) {
		const { contentType: _contentType, ...failure } = error.details;
		return failure;
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
		return { code: responseCode === 'ErrorInternalServerError' && faultCode ? faultCode : responseCode, httpStatus, message, backOffMs };
	}
	if (httpStatus && httpStatus >= 300) return { code: `HTTP${httpStatus}`, httpStatus, message };
	return { code: 'EwsError', httpStatus, message, backOffMs };
}

function unreadableAnswer(): EwsFailure {
	return { code: 'EwsUnreadableAnswer', httpStatus: 200, message: 'answered HTTP 200 with a SOAP envelope that is not an answer to this request' };
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

export function isRetryable(failure: EwsFailure): boolean {
	return RETRYABLE.has(failure.code);
}


/** An EwsFailure as an Error, so it can be thrown and diagnosed (nodes/shared/errors). */
export class EwsError extends Error {
	constructor(readonly failure: EwsFailure) {
		super(failure.message);
		this.name = 'EwsError';
	}

	get code(): string {
		return this.failure.code;
	}
}
