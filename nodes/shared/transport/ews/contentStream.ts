import { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';

import { MailError } from '../../mail/store';
import type { EwsClient } from './client';
import { ewsFailure, type EwsFailureFields } from './errors';
import { faultFailure } from './rawSoap';

/**
 * A streaming reader for the one answer element whose text is too large to hold: the base64 text
 * of `<t:Content>` (a FileAttachment of GetAttachment) or `<t:MimeContent>` (GetItem, or the item of
 * an ItemAttachment), decoded to bytes as the answer arrives, chunk boundaries anywhere (inside
 * tags, entities and base64 groups). Of the rest only the envelope, a fault, and the first response
 * message's ResponseClass / ResponseCode / MessageText / BackOffMilliseconds are read; every other
 * text is skipped unread. Memory: one chunk plus one tag (at most MAX_TAG), never the answer.
 */

export type ContentElement = 'Content' | 'MimeContent';

const SOAP_NS = 'http://schemas.xmlsoap.org/soap/envelope/';
/** Longer than any tag of an EWS answer; a longer one means the text is not what we read. */
const MAX_TAG = 64 * 1024;
/** Longest fault or small field text kept (a fault's detail, MessageText). */
const MAX_KEPT = 64 * 1024;
const BASE64 = /^[A-Za-z0-9+/]*$/;

const unreadable = (message: string) => new MailError(ewsFailure({ code: 'EwsUnreadableAnswer', httpStatus: 200, message }));

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decodeEntities(text: string): string {
	if (!text.includes('&')) return text;
	return text.replace(/&([^;&<]{1,12});/g, (whole, entity: string) => {
		if (ENTITIES[entity]) return ENTITIES[entity];
		const code = /^#x([0-9a-f]+)$/i.test(entity) ? parseInt(entity.slice(2), 16) : /^#\d+$/.test(entity) ? parseInt(entity.slice(1), 10) : NaN;
		if (Number.isFinite(code) && code <= 0x10ffff) return String.fromCodePoint(code);
		throw unreadable(`answered with an unknown XML entity ${whole.slice(0, 20)}`);
	});
}

interface Tag {
	/** Local name (the prefix dropped). */
	name: string;
	raw: string;
	end: boolean;
	selfClosing: boolean;
}

function parseTag(raw: string): Tag {
	const end = raw[1] === '/';
	const match = /^<\/?([A-Za-z_][\w.-]*:)?([A-Za-z_][\w.-]*)/.exec(raw);
	if (!match) throw unreadable(`answered with XML that is not well-formed near "${raw.slice(0, 40)}"`);
	return { name: match[2], raw, end, selfClosing: !end && raw.endsWith('/>') };
}

const attribute = (tag: Tag, name: string) => new RegExp(`\\s${name}\\s*=\\s*(?:"([^"]*)"|'([^']*)')`).exec(tag.raw)?.slice(1).find((value) => value !== undefined);

/** Base64 text to bytes, group by group: a group split between chunks waits for its rest. */
class Base64Decoder {
	private rest = '';

	/** A '=' was read: only the rest of the padding may follow, and the last group is decoded at the end. */
	private padded = false;

	write(text: string): Buffer {
		const clean = /\s/.test(text) ? text.replace(/\s+/g, '') : text;
		if (!clean) return Buffer.alloc(0);
		if (this.padded) {
			if (!/^=+$/.test(clean)) throw unreadable('answered with base64 content that goes on after its padding');
			this.rest += clean;
			return Buffer.alloc(0);
		}
		const compact = this.rest + clean;
		const padding = compact.indexOf('=');
		const decodable = padding >= 0 ? compact.slice(0, padding - (padding % 4)) : compact.slice(0, compact.length - (compact.length % 4));
		this.rest = compact.slice(decodable.length);
		this.padded = padding >= 0;
		if (!BASE64.test(decodable) || !/^[A-Za-z0-9+/]*=*$/.test(this.rest)) throw unreadable('answered with content that is not base64');
		return Buffer.from(decodable, 'base64');
	}

	end(): Buffer {
		// Exchange pads its base64; an unpadded last group of 2 or 3 characters is still exact, one alone is not.
		const exact = this.padded ? this.rest.length === 4 && /^[A-Za-z0-9+/]{2,3}={1,2}$/.test(this.rest) : this.rest.length !== 1;
		if (!exact) throw unreadable('answered with base64 content cut in the middle of a group, or padded wrongly');
		const last = Buffer.from(this.rest, 'base64');
		this.rest = '';
		return last;
	}
}

/** The reader over one answer; write() the text as it arrives, end() when the answer is complete. */
export class AnswerScanner {
	/** The content has begun (its start tag was read). */
	contentStarted = false;

	/** The content element is closed: every byte of it was returned. */
	contentDone = false;

	private buffer = '';

	/** Local names of the open elements. */
	private readonly stack: string[] = [];

	private rootSeen = false;

	private rootClosed = false;

	private responseSeen = false;

	private responseClass = '';

	/** The small fields of the response message (ResponseCode, MessageText, BackOffMilliseconds value). */
	private readonly fields: Record<string, string> = {};

	private keeping: string | undefined;

	/** The depth of the Fault element while inside it; its text is kept raw. */
	private faultDepth = 0;

	private faultText = '';

	private containerSeen = false;

	private readonly base64 = new Base64Decoder();

	constructor(private readonly element: ContentElement) {}

	/** Decoded content bytes found in `text` (often none). Throws the answer's failure as a MailError. */
	write(text: string): Buffer {
		this.buffer += text;
		const out: Buffer[] = [];
		let position = 0;
		for (;;) {
			const open = this.buffer.indexOf('<', position);
			const textEnd = open < 0 ? this.buffer.length : open;
			if (textEnd > position) {
				let piece = this.buffer.slice(position, textEnd);
				if (open < 0) {
					// An entity may go on in the next chunk.
					const amp = piece.lastIndexOf('&');
					if (amp >= 0 && !piece.includes(';', amp)) piece = piece.slice(0, amp);
				}
				this.text(piece, out);
				position += piece.length;
			}
			if (open < 0) break;
			const close = this.markupEnd(open);
			if (close < 0) {
				if (this.buffer.length - open > MAX_TAG) throw unreadable('answered with an XML tag longer than any EWS answer has');
				break;
			}
			this.markup(this.buffer.slice(open, close), out);
			position = close;
		}
		this.buffer = this.buffer.slice(position);
		if (this.buffer.length > MAX_TAG) throw unreadable('answered with XML text the reader cannot place');
		return out.length === 1 ? out[0] : Buffer.concat(out);
	}

	/** The rest of the answer has arrived: it must be complete, and its content whole. */
	end(text = ''): Buffer {
		const last = this.write(text);
		// As the library path reports a SOAP answer that is not whole (xhr.ts classifyAnswer).
		if (!this.rootSeen || this.buffer.trim() || !this.rootClosed) throw new MailError(ewsFailure({ code: 'HTTP200', httpStatus: 200, message: 'answered HTTP 200 with a SOAP answer that ends in the middle' }));
		if (!this.contentDone) throw unreadable(`answered without the <${this.element}> asked for`);
		return last;
	}

	/** Index just past the markup that starts at `open`, or -1 when it is not all here yet. */
	private markupEnd(open: number): number {
		const rest = this.buffer.startsWith('<!--', open) ? '-->' : this.buffer.startsWith('<![CDATA[', open) ? ']]>' : this.buffer.startsWith('<?', open) ? '?>' : undefined;
		if (rest) {
			const at = this.buffer.indexOf(rest, open);
			return at < 0 ? -1 : at + rest.length;
		}
		// A '>' inside a quoted attribute value does not end the tag.
		let quote = '';
		for (let index = open + 1; index < this.buffer.length; index++) {
			const ch = this.buffer[index];
			if (quote) {
				if (ch === quote) quote = '';
			} else if (ch === '"' || ch === "'") quote = ch;
			else if (ch === '>') return index + 1;
		}
		return -1;
	}

	private text(piece: string, out: Buffer[]): void {
		if (this.faultDepth) return this.keepFault(piece);
		if (this.contentStarted && !this.contentDone) {
			out.push(this.base64.write(decodeEntities(piece)));
			return;
		}
		if (this.keeping !== undefined && this.fields[this.keeping].length < MAX_KEPT) this.fields[this.keeping] += decodeEntities(piece);
		else if (!this.rootSeen && piece.trim()) throw this.notSoap();
	}

	private markup(raw: string, out: Buffer[]): void {
		if (raw.startsWith('<![CDATA[')) return this.text(raw.slice(9, -3).replace(/&/g, '&amp;'), out);
		if (raw.startsWith('<!--') || raw.startsWith('<?')) return this.faultDepth ? this.keepFault(raw) : undefined;
		if (raw.startsWith('<!') && !this.rootSeen) throw this.notSoap();
		if (raw.startsWith('<!')) throw unreadable('answered with a document type declaration, which EWS answers never carry');
		const tag = parseTag(raw);
		if (this.faultDepth) this.keepFault(raw);
		if (tag.end) return this.close(tag, out);
		this.open(tag, out);
		if (tag.selfClosing) this.close({ ...tag, end: true }, out);
	}

	private open(tag: Tag, out: Buffer[]): void {
		const depth = this.stack.length;
		if (this.rootClosed) throw unreadable('answered with XML after the end of the SOAP envelope');
		if (!this.rootSeen) {
			if (tag.name !== 'Envelope' || !tag.raw.includes(SOAP_NS)) throw this.notSoap();
			this.rootSeen = true;
		}
		if (this.contentStarted && !this.contentDone) throw unreadable(`answered with markup inside <${this.element}>`);
		this.stack.push(tag.name);
		const parent = this.stack[depth - 1];
		if (!this.faultDepth && tag.name === 'Fault' && parent === 'Body') {
			this.faultDepth = depth + 1;
			this.keepFault(tag.raw);
			return;
		}
		// Envelope / Body / <Op>Response / ResponseMessages / <Op>ResponseMessage: only the first response message is ours.
		if (depth === 4 && tag.name.endsWith('ResponseMessage')) {
			if (this.responseSeen) throw unreadable('answered with more response messages than ids asked for');
			this.responseSeen = true;
			this.responseClass = attribute(tag, 'ResponseClass') ?? '';
			return;
		}
		if (!this.responseSeen || this.stack[4] === undefined) return;
		if (depth === 5 && ['MessageText', 'ResponseCode'].includes(tag.name)) this.keep(tag.name);
		else if (tag.name === 'Value' && parent === 'MessageXml' && attribute(tag, 'Name') === 'BackOffMilliseconds') this.keep('BackOffMilliseconds');
		else if (this.responseClass !== 'Error' && !this.contentStarted && tag.name === this.element && (this.element === 'MimeContent' || parent === 'FileAttachment')) this.contentStarted = true;
		else if (depth === 6 && (this.element === 'MimeContent' || tag.name === 'FileAttachment')) this.containerSeen = true;
		void out;
	}

	private close(tag: Tag, out: Buffer[]): void {
		const name = this.stack.pop();
		if (name !== tag.name) throw unreadable(`answered with XML that is not well-formed (</${tag.name}> closes <${name ?? 'nothing'}>)`);
		const depth = this.stack.length;
		this.keeping = undefined;
		if (this.faultDepth && depth + 1 === this.faultDepth) {
			this.faultDepth = 0;
			const fault = faultFailure(this.faultText, 200);
			throw new MailError(ewsFailure(fault as EwsFailureFields));
		}
		if (this.contentStarted && !this.contentDone && name === this.element) {
			this.contentDone = true;
			out.push(this.base64.end());
			return;
		}
		if (depth === 4 && this.responseSeen && name?.endsWith('ResponseMessage')) return this.responseEnded();
		if (depth === 0) {
			this.rootClosed = true;
			if (!this.responseSeen) throw unreadable('answered HTTP 200 with a SOAP envelope that is not an answer to this request');
		}
	}

	private responseEnded(): void {
		const code = this.fields.ResponseCode?.trim() ?? '';
		if (this.responseClass === 'Error' || (code && code !== 'NoError' && !this.contentStarted)) {
			const backOff = Number(this.fields.BackOffMilliseconds);
			const failure: EwsFailureFields = { code: code || 'ErrorInternalServerError', httpStatus: 200, message: this.fields.MessageText?.trim() || `answered ${code || 'an error'}`, ...(backOff > 0 ? { backOffMs: backOff } : {}) };
			throw new MailError(ewsFailure(failure));
		}
		if (this.contentStarted) return;
		// An empty attachment may come without its (empty) Content element.
		if (this.element === 'Content' && this.containerSeen) {
			this.contentStarted = true;
			this.contentDone = true;
			return;
		}
		throw unreadable(`answered without the <${this.element}> asked for`);
	}

	private keep(field: string): void {
		this.keeping = field;
		this.fields[field] = '';
	}

	private keepFault(text: string): void {
		if (this.faultText.length < MAX_KEPT) this.faultText += text;
	}

	private notSoap(): MailError {
		const start = this.buffer.slice(0, 200).replace(/\s+/g, ' ').trim();
		const what = /<html|<!doctype html/i.test(start) ? 'an HTML page' : 'XML that is not a SOAP envelope';
		return new MailError(ewsFailure({ code: 'HTTP200', httpStatus: 200, message: `answered HTTP 200 with ${what} instead of a SOAP answer` }));
	}
}

/**
 * The content of an answer as a stream of bytes. Resolves once the first bytes are decoded (or
 * the content is known to be empty): failures up to then reject, so the client can still retry;
 * later ones (a dropped connection, a broken answer) end the stream with `fail(error)`. Reads
 * `body` only as the stream is read.
 */
export async function contentOf(body: Readable, element: ContentElement, fail: (error: unknown) => MailError): Promise<Readable> {
	const scanner = new AnswerScanner(element);
	const decoder = new StringDecoder('utf8');
	const pieces = body[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
	const first: Buffer[] = [];
	let ended = false;
	while (!scanner.contentDone && !first.length) {
		const next = await pieces.next();
		if (next.done) {
			first.push(scanner.end(decoder.end()));
			ended = true;
			break;
		}
		const bytes = scanner.write(decoder.write(next.value));
		if (bytes.length) first.push(bytes);
	}
	return Readable.from(
		(async function* () {
			try {
				for (const bytes of first) if (bytes.length) yield bytes;
				if (ended) return;
				for (;;) {
					const next = await pieces.next();
					if (next.done) break;
					const bytes = scanner.write(decoder.write(next.value));
					if (bytes.length) yield bytes;
				}
				const last = scanner.end(decoder.end());
				if (last.length) yield last;
			} catch (error) {
				throw fail(error);
			} finally {
				body.destroy();
			}
		})(),
		{ objectMode: false },
	);
}

/**
 * The content of one answer as a stream that sends `request` (one id) only when first read: streams
 * handed out together are fetched one by one as the reader stores them, each holding a request
 * slot only while it is read (as GraphClient.stream does for `$value`).
 */
export function streamedContent(client: EwsClient, mailbox: string, request: string, element: ContentElement): Readable {
	const open = async () => await client.post(mailbox, { body: request }, { idempotent: true }, async (answer, fail) => await contentOf(answer.body, element, fail));
	return Readable.from(
		(async function* () {
			yield* await open();
		})(),
		{ objectMode: false },
	);
}
