// XML plumbing for the EWS stand-in: parse requests with @xmldom/xmldom (namespace-aware, with line numbers),
// read them with a few DOM helpers, and build responses as strings from small escaping builders.
import { DOMParser, type Document, type Element, type Node } from '@xmldom/xmldom';

export const NS = {
	soap: 'http://schemas.xmlsoap.org/soap/envelope/',
	m: 'http://schemas.microsoft.com/exchange/services/2006/messages',
	t: 'http://schemas.microsoft.com/exchange/services/2006/types',
	e: 'http://schemas.microsoft.com/exchange/services/2006/errors',
} as const;

export type { Element };

export class XmlParseError extends Error {
	constructor(
		message: string,
		readonly line: number,
		readonly position: number,
	) {
		super(message);
	}
}

/** Parses a request; a well-formedness error becomes XmlParseError (EXO answers it as ErrorSchemaValidation). */
export function parseXml(text: string): Document {
	let failure: XmlParseError | undefined;
	const parser = new DOMParser({
		onError: (level, message) => {
			if (level === 'warning' || failure) return;
			const at = /line:(\d+),col:(\d+)/.exec(message);
			failure = new XmlParseError(message.split('\n')[0].replace(/^\[xmldom [^\]]+\]\t?/, ''), Number(at?.[1] ?? 0), Number(at?.[2] ?? 0));
		},
	});
	let doc: Document | undefined;
	try {
		doc = parser.parseFromString(text, 'text/xml');
	} catch (error) {
		failure ??= new XmlParseError(error instanceof Error ? error.message : String(error), 0, 0);
	}
	if (failure || !doc?.documentElement) throw failure ?? new XmlParseError('The document is empty.', 1, 1);
	return doc;
}

const isElement = (node: Node | null): node is Element => node?.nodeType === 1;

/** Element children, optionally only those with this local name (any namespace). */
export function children(parent: Element | undefined, localName?: string): Element[] {
	const found: Element[] = [];
	if (!parent) return found;
	for (let node = parent.firstChild; node; node = node.nextSibling) {
		if (isElement(node) && (!localName || node.localName === localName)) found.push(node);
	}
	return found;
}

export const child = (parent: Element | undefined, localName: string): Element | undefined => children(parent, localName)[0];

/** Follows a path of local names: path(op, 'ItemShape', 'BaseShape'). */
export function path(parent: Element | undefined, ...names: string[]): Element | undefined {
	let current = parent;
	for (const name of names) current = child(current, name);
	return current;
}

export const text = (element: Element | undefined): string | undefined => (element ? (element.textContent ?? '') : undefined);
export const attr = (element: Element | undefined, name: string): string | undefined =>
	element?.hasAttribute(name) ? (element.getAttribute(name) ?? undefined) : undefined;
/** Attributes by name (namespace declarations left out). */
export function attributes(element: Element): Record<string, string> {
	const found: Record<string, string> = {};
	for (let i = 0; i < element.attributes.length; i++) {
		const attribute = element.attributes.item(i);
		if (attribute && !/^xmlns(:|$)/.test(attribute.name)) found[attribute.name] = attribute.value;
	}
	return found;
}

/**
 * Bytes of a base64 text node, refusing what is not base64 (Buffer.from silently skips bad characters).
 * For xs:string fields the schema can't check, such as t:MimeContent.
 */
export function base64Bytes(value: string, code: string): Buffer {
	const compact = value.replace(/\s+/g, '');
	if (!/^[A-Za-z0-9+/]*={0,2}$/.test(compact) || compact.length % 4 === 1) throw Object.assign(new Error(`${code}: not base64`), { code });
	return Buffer.from(compact, 'base64');
}

export const bool = (value: string | undefined, fallback = false): boolean =>
	value === undefined ? fallback : value === 'true' || value === '1';

// ---- building ----

export const esc = (value: unknown): string =>
	String(value).replace(/[&<>"]/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[ch] as string);

type Attrs = Record<string, string | number | boolean | undefined>;

/** `<name attrs>children</name>`, or self-closed when there are no children. Falsy children are dropped. */
export function el(name: string, attrs: Attrs = {}, ...content: (string | false | undefined | null)[]): string {
	const attributes = Object.entries(attrs)
		.filter(([, value]) => value !== undefined)
		.map(([key, value]) => ` ${key}="${esc(value)}"`)
		.join('');
	const inner = content.filter((part): part is string => typeof part === 'string').join('');
	return inner ? `<${name}${attributes}>${inner}</${name}>` : `<${name}${attributes}/>`;
}

/** Element with escaped text content; undefined value → nothing. */
export const tx = (name: string, value: unknown, attrs: Attrs = {}): string =>
	value === undefined || value === null ? '' : `<${name}${el('', attrs).slice(1, -2)}>${esc(value)}</${name}>`;

/** Version of Exchange Online the stand-in claims to be (EXO reports 15.20.x, V2018_01_08). */
const SERVER_VERSION = el('h:ServerVersionInfo', {
	MajorVersion: 15,
	MinorVersion: 20,
	MajorBuildNumber: 8005,
	MinorBuildNumber: 17,
	Version: 'V2018_01_08',
	'xmlns:h': NS.t,
	xmlns: NS.t,
	'xmlns:xsd': 'http://www.w3.org/2001/XMLSchema',
	'xmlns:xsi': 'http://www.w3.org/2001/XMLSchema-instance',
});

export function envelope(body: string): string {
	return `<?xml version="1.0" encoding="utf-8"?><s:Envelope xmlns:s="${NS.soap}"><s:Header>${SERVER_VERSION}</s:Header><s:Body xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema">${body}</s:Body></s:Envelope>`;
}

/** `m:<Op>Response` with its response messages, namespaces declared like Exchange does. */
export function operationResponse(operation: string, messages: string[]): string {
	return envelope(
		el(`m:${operation}Response`, { 'xmlns:m': NS.m, 'xmlns:t': NS.t }, el('m:ResponseMessages', {}, ...messages)),
	);
}

/** A SOAP fault as Exchange sends it (HTTP 500): faultcode a:<code>, detail with e:ResponseCode and t:MessageXml. */
export function soapFault(code: string, message: string, messageXml = '', faultString = message): string {
	return `<?xml version="1.0" encoding="utf-8"?><s:Envelope xmlns:s="${NS.soap}"><s:Body><s:Fault>${el(
		'faultcode',
		{ 'xmlns:a': NS.t },
		`a:${code}`,
	)}${tx('faultstring', faultString, { 'xml:lang': 'en-US' })}<detail>${tx('e:ResponseCode', code, { 'xmlns:e': NS.e })}${tx(
		'e:Message',
		message,
		{ 'xmlns:e': NS.e },
	)}${messageXml ? el('t:MessageXml', { 'xmlns:t': NS.t }, messageXml) : ''}</detail></s:Fault></s:Body></s:Envelope>`;
}

/** Local name of an element ('' if none). */
export const local = (element: Element): string => element.localName ?? '';

// ---- large content ----

/** From this size the base64 of content is written into the answer in pieces, never built as one string. */
const DEFERRED_FROM = 64 * 1024;
const deferred = new Map<string, Buffer>();
let deferredCount = 0;

/**
 * The base64 text of `bytes` for an answer: small content as it is, large content as a marker that
 * answerPieces() replaces with the base64 in slices as the answer is written.
 */
export function base64Text(bytes: Buffer): string {
	if (bytes.length < DEFERRED_FROM) return bytes.toString('base64');
	const marker = `\u0000b64:${deferredCount++}\u0000`;
	deferred.set(marker, bytes);
	return marker;
}

/** Base64 bytes per written slice (a multiple of 3, so that slices join without padding). */
const SLICE = 3 * 256 * 1024;

/** An answer's byte length and its pieces in order, large contents as base64 slices made one at a time. */
export function answerPieces(body: string): { length: number; pieces: () => Generator<string> } {
	const parts = body.split(/(\u0000b64:\d+\u0000)/);
	const contents = parts.map((part, index) => (index % 2 === 1 ? deferred.get(part) : undefined));
	parts.forEach((part, index) => index % 2 === 1 && deferred.delete(part));
	const length = parts.reduce((sum, part, index) => sum + (index % 2 === 1 ? 4 * Math.ceil((contents[index]?.length ?? 0) / 3) : Buffer.byteLength(part)), 0);
	return {
		length,
		*pieces() {
			for (const [index, part] of parts.entries()) {
				const bytes = contents[index];
				if (index % 2 === 0) {
					if (part) yield part;
				} else if (bytes) {
					for (let at = 0; at < bytes.length; at += SLICE) yield bytes.subarray(at, at + SLICE).toString('base64');
				}
			}
		},
	};
}
