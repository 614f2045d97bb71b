/**
 * ews-javascript-api, loaded on first use (about 900 modules, ~0.3 s: not when n8n loads the
 * package) and corrected once: its XML writer puts values into the request as they are, so an "&"
 * in a subject or an HTML body makes a request Exchange rejects as invalid XML. We escape in the
 * writer itself, where every value passes, instead of at each call site.
 */
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

export function ewsLibrary(): EwsLibrary {
	if (!library) {
		const loaded = require('ews-javascript-api') as EwsLibrary & { EwsServiceXmlWriter: { prototype: object } };
		escapeWriterValues(loaded.EwsServiceXmlWriter);
		library = loaded;
	}
	return library;
}
