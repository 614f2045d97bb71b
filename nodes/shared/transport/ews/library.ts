/**
 * ews-javascript-api, loaded on first use (about 900 modules, ~0.3 s: not when n8n loads the
 * package) and corrected once: its XML writer puts values into the request as they are, so an "&"
 * in a subject or an HTML body makes a request Exchange rejects as invalid XML. We escape in the
 * writer itself, where every value passes, instead of at each call site. And its error path
 * (ProcessWebException) parses any HTTP 500 body as SOAP and throws inside a promise handler when
 * it is not, so the call never settles: failures our HTTP layer already classified pass through
 * unchanged, and whatever else the error path throws becomes a failure instead of a hang.
 */
import { EwsHttpFailure } from './xhr';

type EwsLibrary = typeof import('ews-javascript-api');

let library: EwsLibrary | undefined;

// Characters XML 1.0 does not allow at all; Exchange would refuse the request.
const INVALID_XML_CHARACTERS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g;

export function escapeXml(value: unknown): string {
	return String(value)
		.replace(INVALID_XML_CHARACTERS, '')
		.replace(/&/g, '&amp;')
		.replace(/</g, '&lt;')
		.replace(/>/g, '&gt;')
		.replace(/"/g, '&quot;');
}

interface XmlWriter {
	soapData: string;
	CloseTag(): void;
	PushUris(prefix: string, uri: string): void;
}

function escapeWriterValues(writerClass: { prototype: object; __valuesEscaped?: boolean }) {
	if (writerClass.__valuesEscaped) return;
	const prototype = writerClass.prototype as Record<string, unknown>;
	prototype.WriteValue = function (this: XmlWriter, value: unknown) {
		this.CloseTag();
		this.soapData += escapeXml(value);
	};
	prototype.WriteAttributeString = function (this: XmlWriter, ...args: string[]) {
		const [prefix, localName, value] = args.length === 3 ? args : ['', args[0], args[1]];
		this.soapData += ` ${prefix ? `${prefix}:` : ''}${localName}="${escapeXml(value)}"`;
		if (prefix === 'xmlns') this.PushUris(localName, value);
	};
	writerClass.__valuesEscaped = true;
}

interface WebException {
	status?: number;
	statusText?: string;
}

function settleWebExceptions(requestClass: { prototype: object; __failuresSettle?: boolean }) {
	if (requestClass.__failuresSettle) return;
	const prototype = requestClass.prototype as { ProcessWebException(error: unknown): unknown };
	const processWebException = prototype.ProcessWebException;
	prototype.ProcessWebException = function (this: unknown, error: unknown) {
		if (error instanceof EwsHttpFailure) return error;
		const status = (error as WebException | undefined)?.status ?? 0;
		try {
			const fault = processWebException.call(this, error);
			if (fault) return fault;
		} catch (parseError) {
			return new EwsHttpFailure({ code: `HTTP${status}`, httpStatus: status, message: `answered HTTP ${status} with a SOAP fault that could not be read (${(parseError as Error).message})` });
		}
		return new EwsHttpFailure({ code: `HTTP${status}`, httpStatus: status, message: `answered HTTP ${status} without a SOAP fault` });
	};
	requestClass.__failuresSettle = true;
}

export function ewsLibrary(): EwsLibrary {
	if (!library) {
		const loaded = require('ews-javascript-api') as EwsLibrary & { EwsServiceXmlWriter: { prototype: object }; ServiceRequestBase: { prototype: object } };
		escapeWriterValues(loaded.EwsServiceXmlWriter);
		settleWebExceptions(loaded.ServiceRequestBase);
		library = loaded;
	}
	return library;
}
