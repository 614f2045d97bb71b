import { ewsLibrary } from './library';

/**
 * One shape for every way ews-javascript-api reports a failure: SOAP faults and HTTP errors come as
 * SoapFaultDetails (not Error instances), errors inside a 200 answer as ServiceResponseException,
 * per-item errors of batch calls as ServiceResponse objects.
 */
export interface EwsFailure {
	/** EWS ResponseCode name (ErrorServerBusy, ErrorItemNotFound, …), or HTTP401 / HTTP503 / the socket code. */
	code: string;
	httpStatus?: number;
	message: string;
	/** Server-requested wait for ErrorServerBusy, if any. */
	backOffMs?: number;
	/** x-ms-diagnostics of a 401, e.g. 2000008;reason="The token has expired.";error_category="invalid_lifetime" */
	diagnostics?: string;
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
	const e = (error ?? {}) as Record<string, unknown> & { Response?: Record<string, unknown> };
	const httpStatus = typeof e.HttpStatusCode === 'number' ? e.HttpStatusCode : undefined;
	// A failed ServiceResponse of a batch call carries its text in ErrorMessage, not in message.
	const text = e.message ?? e.Message ?? e.ErrorMessage ?? e.Response?.ErrorMessage;
	const message = typeof text === 'string' && text ? text : typeof error === 'string' ? error : 'Unknown EWS error';

	// ServiceResponseException (error inside an HTTP 200 answer) or a failed ServiceResponse.
	const responseCode = serviceErrorName(e.responseCode ?? e.ErrorCode ?? e.Response?.ErrorCode ?? e.errorCode);
	const details = e.errorDetails ?? e.ErrorDetails ?? e.Response?.ErrorDetails;
	const backOff = Number(detail(details, 'BackOffMilliseconds'));
	const backOffMs = Number.isFinite(backOff) && backOff > 0 ? backOff : undefined;

	if (responseCode && responseCode !== 'NoError' && !(httpStatus === 401 || httpStatus === 503)) {
		return { code: responseCode, httpStatus, message, backOffMs };
	}
	if (httpStatus === 401) return { code: 'HTTP401', httpStatus, message, diagnostics: message };
	if (httpStatus && httpStatus >= 400) return { code: `HTTP${httpStatus}`, httpStatus, message };
	const socketCode = /^([A-Z][A-Z0-9_]+): /.exec(message)?.[1];
	if (socketCode) return { code: socketCode, httpStatus: 0, message: message.slice(socketCode.length + 2) };
	return { code: responseCode ?? 'EwsError', httpStatus, message, backOffMs };
}

/** Throttling and dropped connections: worth another attempt, but only for an operation that is safe to repeat. */
export function isRetryable(failure: EwsFailure): boolean {
	return ['ErrorServerBusy', 'ErrorExceededConnectionCount', 'ErrorTimeoutExpired', 'HTTP503', 'ECONNRESET', 'ETIMEDOUT', 'ESOCKET', 'EPIPE'].includes(failure.code);
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
