/**
 * The streaming reader of GetAttachment / GetItem answers (nodes/shared/transport/ews/contentStream.ts):
 * a corpus of answers as Exchange (and the sandbox, whose builders are used here) writes them,
 * each fed whole, split at every position, and in random chunkings: the bytes must be identical,
 * and every broken or error answer must fail, never yield short content.
 */
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';

import { MailError } from '../../nodes/shared/mail/store';
import { AnswerScanner, contentOf, type ContentElement } from '../../nodes/shared/transport/ews/contentStream';
import { EwsHttpFailure } from '../../nodes/shared/transport/ews/xhr';
import { normalizeEwsError } from '../../nodes/shared/transport/ews/errors';
import { EwsError, failure, success } from '../sandbox/ews/context';
import { el, operationResponse, soapFault, tx } from '../sandbox/ews/xml';
import { seededRandom } from '../support/seededRandom';

const fileAnswer = (content: string | undefined, extra = '') =>
	operationResponse('GetAttachment', [
		success(
			'GetAttachment',
			el(
				'm:Attachments',
				{},
				el('t:FileAttachment', {}, el('t:AttachmentId', { Id: 'AAMkA=' }), tx('t:Name', 'a <b> & "c".pdf'), tx('t:ContentType', 'application/pdf'), tx('t:Size', 3), extra, content === undefined ? '' : `<t:Content>${content}</t:Content>`),
			),
		),
	]);

/** Exchange's own layout: other prefixes, indentation, attributes with '>' in quotes, a comment. */
const exchangeStyle = (base64: string) => `<?xml version="1.0" encoding="utf-8"?>
<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/">
  <s:Header><h:ServerVersionInfo MajorVersion="15" Version='V2018_01_08' xmlns:h="http://schemas.microsoft.com/exchange/services/2006/types"/></s:Header>
  <!-- a comment with <t:Content>AAAA</t:Content> inside -->
  <s:Body xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
    <GetAttachmentResponse xmlns="http://schemas.microsoft.com/exchange/services/2006/messages">
      <ResponseMessages>
        <GetAttachmentResponseMessage ResponseClass="Success">
          <ResponseCode>NoError</ResponseCode>
          <Attachments>
            <ItemAttachment xmlns="http://schemas.microsoft.com/exchange/services/2006/types">
              <AttachmentId Id="a&gt;b" Note="x>y"/><Name>Fwd: hello &amp; bye</Name>
              <Message>
                <MimeContent CharacterSet="UTF-8">${base64}</MimeContent>
                <ItemClass>IPM.Note</ItemClass>
                <Attachments><FileAttachment><Name>inner.txt</Name></FileAttachment></Attachments>
              </Message>
            </ItemAttachment>
          </Attachments>
        </GetAttachmentResponseMessage>
      </ResponseMessages>
    </GetAttachmentResponse>
  </s:Body>
</s:Envelope>
`;

const mimeAnswer = (base64: string) =>
	operationResponse('GetItem', [success('GetItem', el('m:Items', {}, el('t:Message', {}, tx('t:MimeContent', base64, { CharacterSet: 'UTF-8' }), el('t:ItemId', { Id: 'AAMk', ChangeKey: 'CQAA' }))))]);

/** The bytes the scanner yields for `answer` fed in the given pieces. */
function scan(answer: string, element: ContentElement, cuts: number[]): Buffer {
	const scanner = new AnswerScanner(element);
	const out: Buffer[] = [];
	let from = 0;
	for (const cut of cuts) {
		out.push(scanner.write(answer.slice(from, cut)));
		from = cut;
	}
	out.push(scanner.end(answer.slice(from)));
	return Buffer.concat(out);
}

function failureOf(run: () => unknown) {
	try {
		run();
	} catch (error) {
		expect(error).toBeInstanceOf(MailError);
		return (error as MailError).failure;
	}
	throw new Error('expected a failure');
}

const lineBroken = (base64: string) => base64.replace(/.{76}/g, '$&\r\n');

describe('the answer reader yields exact bytes however the answer is split', () => {
	const bytes = randomBytes(1500);
	const base64 = bytes.toString('base64');
	const cases: Array<[string, string, ContentElement, Buffer]> = [
		['a FileAttachment (sandbox layout)', fileAnswer(base64), 'Content', bytes],
		['base64 with CRLF line breaks and a trailing newline', fileAnswer(`${lineBroken(base64)}\n`), 'Content', bytes],
		['base64 with line breaks written as character references', fileAnswer(lineBroken(base64).replace(/\r\n/g, '&#13;&#x0A;')), 'Content', bytes],
		['an ItemAttachment as .eml (Exchange layout, a decoy in a comment)', exchangeStyle(lineBroken(base64)), 'MimeContent', bytes],
		['GetItem MimeContent', mimeAnswer(base64), 'MimeContent', bytes],
		['one byte (padded "==")', fileAnswer('QQ=='), 'Content', Buffer.from('A')],
		['two bytes (padded "=")', fileAnswer('QUI='), 'Content', Buffer.from('AB')],
	];

	it.each(cases)('%s: split at every position', (_, answer, element, expected) => {
		expect(scan(answer, element, []).equals(expected)).toBe(true);
		for (let cut = 1; cut < answer.length; cut++) {
			const got = scan(answer, element, [cut]);
			if (!got.equals(expected)) throw new Error(`split at ${cut} gave ${got.length} bytes`);
		}
	});

	it.each(cases)('%s: 300 random chunkings', (_, answer, element, expected) => {
		const random = seededRandom(14);
		for (let run = 0; run < 300; run++) {
			const cuts: number[] = [];
			for (let at = 0; ; ) {
				at += 1 + Math.floor(random() * (run % 3 === 0 ? 5 : 200));
				if (at >= answer.length) break;
				cuts.push(at);
			}
			const got = scan(answer, element, cuts);
			if (!got.equals(expected)) throw new Error(`run ${run} (cuts ${cuts.slice(0, 10).join(',')}…) gave ${got.length} bytes`);
		}
	});

	it('an empty attachment: <t:Content/>, an empty <t:Content></t:Content>, or no Content at all', () => {
		expect(scan(fileAnswer(''), 'Content', [])).toHaveLength(0);
		expect(scan(fileAnswer(undefined), 'Content', [])).toHaveLength(0);
		expect(scan(fileAnswer(undefined).replace('</t:Size>', '</t:Size><t:Content/>'), 'Content', [])).toHaveLength(0);
	});
});

describe('error answers and broken answers fail with the failure they are', () => {
	const errorAnswer = (code: string, messageXml = '') => operationResponse('GetAttachment', [failure('GetAttachment', new EwsError(code, `Text of ${code} & more.`, messageXml))]);

	it.each([
		['ErrorItemNotFound', 'notFound'],
		['ErrorAccessDenied', 'accessDenied'],
		['ErrorCorruptData', 'other'],
	])('%s in the response message → %s, with its MessageText', (code, kind) => {
		expect(failureOf(() => scan(errorAnswer(code), 'Content', []))).toMatchObject({ api: 'ews', code, kind, message: `Text of ${code} & more.` });
	});

	it('ErrorServerBusy with BackOffMilliseconds, in a response message and as a SOAP fault (also one relayed with HTTP 200)', () => {
		const busy = errorAnswer('ErrorServerBusy', tx('t:Value', 1234, { Name: 'BackOffMilliseconds' }));
		expect(failureOf(() => scan(busy, 'Content', [busy.length - 30]))).toMatchObject({ code: 'ErrorServerBusy', kind: 'throttled', backOffMs: 1234 });
		const fault = soapFault('ErrorServerBusy', 'The server cannot service this request right now.', tx('t:Value', 777, { Name: 'BackOffMilliseconds' }));
		expect(failureOf(() => scan(fault, 'Content', [50, 300]))).toMatchObject({ code: 'ErrorServerBusy', kind: 'throttled', backOffMs: 777, message: 'The server cannot service this request right now.' });
	});

	it('an HTML page, non-SOAP XML, text: a bad answer, not content', () => {
		const html = '<!DOCTYPE html><html><head><title>Sign in</title></head><body>login</body></html>';
		expect(failureOf(() => scan(html, 'Content', []))).toMatchObject({ code: 'HTTP200', kind: 'badAnswer' });
		expect(failureOf(() => scan('<html><body>proxy</body></html>', 'Content', []))).toMatchObject({ kind: 'badAnswer' });
		expect(failureOf(() => scan('<?xml version="1.0"?><Error><Code>500</Code></Error>', 'Content', []))).toMatchObject({ kind: 'badAnswer' });
		expect(failureOf(() => scan('Service Unavailable', 'Content', []))).toMatchObject({ kind: 'badAnswer' });
	});

	it('answers that are SOAP but not what was asked, or not well-formed', () => {
		const unexpected = '<?xml version="1.0"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><Ping xmlns="urn:x"/></s:Body></s:Envelope>';
		expect(failureOf(() => scan(unexpected, 'Content', []))).toMatchObject({ code: 'EwsUnreadableAnswer', kind: 'badAnswer' });
		// A FileAttachment asked for, an item attachment answered (and the reverse).
		expect(failureOf(() => scan(exchangeStyle('QQ=='), 'Content', []))).toMatchObject({ kind: 'badAnswer' });
		expect(failureOf(() => scan(fileAnswer('QQ=='), 'MimeContent', []))).toMatchObject({ kind: 'badAnswer' });
		expect(failureOf(() => scan(fileAnswer('QQ==').replace('</t:Name>', '</t:Nome>'), 'Content', []))).toMatchObject({ kind: 'badAnswer' });
		expect(failureOf(() => scan(fileAnswer('QQ==<b>x</b>'), 'Content', []))).toMatchObject({ kind: 'badAnswer' });
	});

	it.each([
		['a character outside base64', 'QUJD*EVG'],
		['data after the padding', 'QQ==QUJD'],
		['a lone last character', 'QUJDR'],
		['padding in the middle of a group', 'Q=QQ'],
	])('content with %s: a bad answer', (_, content) => {
		expect(failureOf(() => scan(fileAnswer(content), 'Content', [40, 300]))).toMatchObject({ code: 'EwsUnreadableAnswer', kind: 'badAnswer' });
	});

	it('an answer that ends early, anywhere (before, inside or after the content): never content that ends successfully', () => {
		const answer = fileAnswer(randomBytes(300).toString('base64'));
		for (let end = 0; end < answer.length - 1; end += 7) {
			expect(failureOf(() => scan(answer.slice(0, end), 'Content', [Math.floor(end / 2)]))).toMatchObject({ kind: 'badAnswer' });
		}
	});
});

describe('contentOf: the answer as a stream', () => {
	const fail = (error: unknown) => new MailError(normalizeEwsError(error));
	const pieces = (text: string, size: number) => Array.from({ length: Math.ceil(text.length / size) }, (_, i) => Buffer.from(text.slice(i * size, (i + 1) * size)));

	it('yields the bytes, reading the answer only as the stream is read', async () => {
		const bytes = randomBytes(200_000);
		let read = 0;
		const chunks = pieces(fileAnswer(bytes.toString('base64')), 4096);
		const body = new Readable({
			highWaterMark: 4096,
			read() {
				this.push(read < chunks.length ? chunks[read++] : null);
			},
		});
		const stream = await contentOf(body, 'Content', fail);
		// Resolved at the first content bytes: most of the answer is still unread.
		expect(read).toBeLessThan(10);
		const got: Buffer[] = [];
		for await (const piece of stream) got.push(piece as Buffer);
		expect(Buffer.concat(got).equals(bytes)).toBe(true);
	});

	it('rejects (so the client can retry) on an error answer before any content', async () => {
		const body = Readable.from(pieces(soapFault('ErrorServerBusy', 'Busy.'), 10));
		await expect(contentOf(body, 'Content', fail)).rejects.toMatchObject({ failure: { code: 'ErrorServerBusy' } });
	});

	it('a connection cut in the middle of the content ends the stream with a MailError (unavailable), not a short file', async () => {
		const answer = fileAnswer(randomBytes(100_000).toString('base64'));
		const cut = Math.floor(answer.length / 2);
		const body = new Readable({ read() {} });
		body.push(Buffer.from(answer.slice(0, cut)));
		const stream = await contentOf(body, 'Content', fail);
		setImmediate(() => body.destroy(new EwsHttpFailure({ code: 'ECONNRESET', httpStatus: 0, message: 'the connection closed' })));
		const got: Buffer[] = [];
		await expect(
			(async () => {
				for await (const piece of stream) got.push(piece as Buffer);
			})(),
		).rejects.toMatchObject({ failure: { code: 'ECONNRESET', kind: 'unavailable' } });
		expect(Buffer.concat(got).length).toBeLessThan(100_000);
	});

	it('an answer that ends cleanly but early (a body shorter than the XML) ends the stream with a bad-answer MailError', async () => {
		const answer = fileAnswer(randomBytes(50_000).toString('base64'));
		const stream = await contentOf(Readable.from(pieces(answer.slice(0, answer.length - 200), 1000)), 'Content', fail);
		await expect((async () => {
			for await (const _ of stream) void _;
		})()).rejects.toMatchObject({ failure: { kind: 'badAnswer' } });
	});
});
