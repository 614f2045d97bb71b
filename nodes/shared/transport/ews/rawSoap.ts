import https from 'https';
import type { IncomingMessage } from 'http';
import { Readable, Transform } from 'node:stream';

import { classifyAnswer, EwsHttpFailure, type HttpFailureDetails } from './xhr';

/**
 * SOAP requests written and read without ews-javascript-api, for answers too large to hold (an
 * attachment's content, a message's MIME) and requests too large to build as one string (uploads).
 * Only the HTTP exchange lives here; EwsClient.post adds the token, the per-mailbox slots and the
 * retries, as for every other call.
 */

const NS = {
	soap: 'http://schemas.xmlsoap.org/soap/envelope/',
	t: 'http://schemas.microsoft.com/exchange/services/2006/types',
	m: 'http://schemas.microsoft.com/exchange/services/2006/messages',
};

/**
 * What goes inside `<soap:Body>` (the operation element, `m:` and `t:` are declared): text, or a
 * function that gives it as a stream, called once per attempt so that a retry sends it again.
 */
export type SoapBody = string | Buffer | (() => Readable);

export interface RawSoapRequest {
	body: SoapBody;
	/** Bytes of a streamed body when known: sent as Content-Length (otherwise the request is chunked). */
	bodyLength?: number;
}

/** A 200 answer with an XML (or no) content type, its body not yet read. Anything else is thrown as a failure. */
export interface RawSoapAnswer {
	status: number;
	headers: Record<string, string>;
	body: Readable;
}

export const escapeXml = (value: string): string =>
	value.replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[ch] as string);

/** The envelope around a body: the version our library calls use, and impersonation for app-only tokens (delegated ones must not impersonate). */
export function soapEnvelope(mailbox: string, impersonate: boolean): { head: string; tail: string } {
	const impersonation = impersonate ? `<t:ExchangeImpersonation><t:ConnectingSID><t:SmtpAddress>${escapeXml(mailbox)}</t:SmtpAddress></t:ConnectingSID></t:ExchangeImpersonation>` : '';
	return {
		head: `<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="${NS.soap}" xmlns:t="${NS.t}" xmlns:m="${NS.m}"><soap:Header><t:RequestServerVersion Version="Exchange2013_SP1"/>${impersonation}</soap:Header><soap:Body>`,
		tail: '</soap:Body></soap:Envelope>',
	};
}

/** An answer can be a 150 MB message as base64 in XML; a stream past this is not EWS. */
const MAX_ANSWER_BYTES = 256 * 1024 * 1024;
/** How much of an error answer (a fault, a proxy's page) is read to describe it. */
const MAX_ERROR_BYTES = 1024 * 1024;

export interface ExchangeSettings {
	url: string;
	agent: https.Agent;
	token: string;
	mailbox: string;
	impersonate: boolean;
	timeoutMs: number;
	deadlineMs: number;
	deadlineFailure: () => EwsHttpFailure;
}

const decodeEntities = (text: string) =>
	text.replace(/&(#x[0-9a-f]+|#\d+|amp|lt|gt|quot|apos);/gi, (_, entity: string) => {
		const named: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
		if (entity[0] !== '#') return named[entity.toLowerCase()];
		const code = entity[1] === 'x' || entity[1] === 'X' ? parseInt(entity.slice(2), 16) : parseInt(entity.slice(1), 10);
		return Number.isFinite(code) && code <= 0x10ffff ? String.fromCodePoint(code) : '';
	});

/** The ResponseCode, text and BackOffMilliseconds of a SOAP fault's text (Exchange's layout: faultcode a:Error…, detail e:ResponseCode / e:Message / t:MessageXml). */
export function faultFailure(text: string, httpStatus: number): HttpFailureDetails {
	const element = (name: string) => new RegExp(`<(?:[\\w.-]+:)?${name}\\b[^>]*>([^<]*)<`).exec(text)?.[1];
	const faultCode = /(?:^|:)(Error\w+)\s*$/.exec(element('faultcode') ?? '')?.[1];
	const code = (element('ResponseCode') ?? '').trim() || faultCode || 'ErrorInternalServerError';
	const message = decodeEntities(element('Message') ?? element('faultstring') ?? '').trim() || `answered with a SOAP fault ${code}`;
	const backOff = Number(/<(?:[\w.-]+:)?Value\s+Name="BackOffMilliseconds"\s*>\s*(\d+)\s*</.exec(text)?.[1]);
	return { code, httpStatus, message, ...(backOff > 0 ? { backOffMs: backOff } : {}) };
}

function headerReader(response: IncomingMessage) {
	return (name: string) => {
		const value = response.headers[name.toLowerCase()];
		return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
	};
}

function flatHeaders(response: IncomingMessage): Record<string, string> {
	const flat: Record<string, string> = {};
	for (const [name, value] of Object.entries(response.headers)) if (value !== undefined) flat[name] = Array.isArray(value) ? value.join(', ') : value;
	return flat;
}

/** Head, body and tail as one request body (a stream when the body is one). */
function requestBody(request: RawSoapRequest, envelope: { head: string; tail: string }): { payload: Buffer | Readable; length?: number } {
	const { body } = request;
	if (typeof body !== 'function') {
		const payload = Buffer.concat([Buffer.from(envelope.head), Buffer.isBuffer(body) ? body : Buffer.from(body), Buffer.from(envelope.tail)]);
		return { payload, length: payload.length };
	}
	const inner = body();
	const payload = Readable.from(
		(async function* () {
			yield Buffer.from(envelope.head);
			for await (const piece of inner) yield typeof piece === 'string' ? Buffer.from(piece) : (piece as Buffer);
			yield Buffer.from(envelope.tail);
		})(),
		{ objectMode: false },
	);
	return { payload, length: request.bodyLength === undefined ? undefined : request.bodyLength + Buffer.byteLength(envelope.head) + Buffer.byteLength(envelope.tail) };
}

/**
 * One POST to the EWS URL, never redirected. A 200 XML answer resolves as soon as its headers are
 * in, its body a stream that errors (EwsHttpFailure) when the connection drops before the answer is
 * complete, at the deadline, or past MAX_ANSWER_BYTES; closing it early aborts the request. Any
 * other answer is read (up to 1 MB) and rejected as the failure it is: a SOAP fault by its
 * ResponseCode, anything else by HTTP status (xhr.ts classifyAnswer, as for library calls).
 */
export async function soapExchange(settings: ExchangeSettings, request: RawSoapRequest): Promise<RawSoapAnswer> {
	const { payload, length } = requestBody(request, soapEnvelope(settings.mailbox, settings.impersonate));
	const headers: Record<string, string | number> = {
		'Content-Type': 'text/xml; charset=utf-8',
		Accept: 'text/xml',
		Authorization: `Bearer ${settings.token}`,
		// Routes the request to the mailbox's server in Exchange Online, as for library calls.
		'X-AnchorMailbox': settings.mailbox,
		...(length === undefined ? {} : { 'Content-Length': length }),
	};
	return await new Promise<RawSoapAnswer>((resolve, reject) => {
		let settled = false;
		const settle = (outcome: () => void) => {
			if (!settled) outcome();
			settled = true;
		};
		// Past the deadline every way the connection ends reports the deadline, whichever event comes first.
		let expired = false;
		const ended = (failure: EwsHttpFailure) => (expired ? settings.deadlineFailure() : failure);
		const call = https.request(settings.url, { method: 'POST', headers, timeout: settings.timeoutMs, agent: settings.agent }, (response) => {
			const status = response.statusCode ?? 0;
			const header = headerReader(response);
			const contentType = header('content-type') ?? '';
			if (status === 200 && (!contentType || /xml/i.test(contentType))) {
				settle(() => resolve({ status, headers: flatHeaders(response), body: streamedBody(call, response, ended, () => clearTimeout(deadline)) }));
				return;
			}
			let text = '';
			response.setEncoding('utf8');
			response.on('data', (piece: string) => {
				if (text.length < MAX_ERROR_BYTES) text += piece;
			});
			response.on('error', (error) => settle(() => reject(ended(socketFailure(error)))));
			response.on('close', () => {
				clearTimeout(deadline);
				if (!response.complete) settle(() => reject(ended(new EwsHttpFailure({ code: 'ECONNRESET', httpStatus: 0, message: `the connection closed before the whole answer arrived (HTTP ${status})` }))));
			});
			response.on('end', () => {
				const kind = classifyAnswer(status, response.statusMessage ?? '', header, text);
				if (kind instanceof EwsHttpFailure) return settle(() => reject(kind));
				// A SOAP answer that is not 200 is a fault (or, from a proxy, a 200 with a non-XML type that classifyAnswer refused).
				settle(() => reject(new EwsHttpFailure(kind === 'fault' ? faultFailure(text, status) : { code: `HTTP${status}`, httpStatus: status, message: `answered HTTP ${status} without a readable SOAP answer` })));
			});
		});
		const deadline = setTimeout(() => {
			expired = true;
			call.destroy(settings.deadlineFailure());
		}, settings.deadlineMs);
		deadline.unref();
		call.on('timeout', () => call.destroy(Object.assign(new Error(`no answer within ${Math.round(settings.timeoutMs / 1000)} s`), { code: 'ETIMEDOUT' })));
		call.on('error', (error: NodeJS.ErrnoException) => {
			clearTimeout(deadline);
			settle(() => reject(ended(error instanceof EwsHttpFailure ? error : socketFailure(error))));
		});
		if (Buffer.isBuffer(payload)) call.end(payload);
		else {
			payload.on('error', (error) => call.destroy(error));
			payload.pipe(call);
		}
	});
}

/** A 200 body as it arrives; see soapExchange. */
function streamedBody(call: ReturnType<typeof https.request>, response: IncomingMessage, ended: (failure: EwsHttpFailure) => EwsHttpFailure, done: () => void): Readable {
	let size = 0;
	const body = new Transform({
		transform(piece: Buffer, _encoding, next) {
			size += piece.length;
			if (size > MAX_ANSWER_BYTES) next(new EwsHttpFailure({ code: 'EwsAnswerTooLarge', httpStatus: 200, message: `answered HTTP 200 with more than ${MAX_ANSWER_BYTES / 1024 / 1024} MB, which is not an EWS answer` }));
			else next(null, piece);
		},
	});
	const fail = (error: unknown) => body.destroy(ended(error instanceof EwsHttpFailure ? error : socketFailure(error as NodeJS.ErrnoException)));
	call.on('error', fail);
	response.on('error', fail);
	response.on('close', () => {
		if (!response.complete) fail(new EwsHttpFailure({ code: 'ECONNRESET', httpStatus: 0, message: `the connection closed after ${size} bytes of the answer (HTTP 200)` }));
	});
	body.on('close', () => {
		done();
		if (!response.complete) call.destroy();
	});
	response.pipe(body);
	return body;
}

function socketFailure(error: NodeJS.ErrnoException): EwsHttpFailure {
	return new EwsHttpFailure({ code: error.code ?? 'ESOCKET', httpStatus: 0, message: error.message });
}
