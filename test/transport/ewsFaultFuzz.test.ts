/**
 * Property: every EWS call settles, whatever the server answers, with a mapped error. Every exported
 * transport call is fed randomly chosen statuses and bodies (valid SOAP faults, garbage, HTML, JSON,
 * non-SOAP XML, empty, redirects, cut-short and never-ending bodies, dropped connections) by the
 * sandbox, through the real ews-javascript-api. The seed is printed; EWS_FUZZ_SEED=<seed> repeats a run.
 */
import { diagnose, toNodeApiError } from '../../nodes/shared/errors/nodeErrors';
import type { EwsClient } from '../../nodes/shared/transport/ews/client';
import { sendMessage, respondToMessage } from '../../nodes/shared/transport/ews/compose';
import { MailError, type MailFailure, type ResponseKind } from '../../nodes/shared/mail/store';
import { createFolder, deleteFolder, emptyFolder, getFolder, listFolders, renameFolder, resolveFolder, wellKnownFolderId } from '../../nodes/shared/transport/ews/folders';
import { downloadAttachments, listAttachments } from '../../nodes/shared/transport/ews/attachments';
import { copyMessages, deleteMessages, findMessageIds, getMessages, getMime, getMimes, moveMessages, updateMessages } from '../../nodes/shared/transport/ews/messages';
import { syncFolderItems } from '../../nodes/shared/transport/ews/sync';
import { DEMO, type Sandbox } from '../sandbox';
import type { EwsFault, FaultBody, FaultOptions } from '../sandbox/ews';
import { useSandbox } from '../support/useSandbox';
import { appOnlyAuth, clientOn, EWS_FAULT_CODES } from './ewsSupport';
import { seededRandom } from '../support/seededRandom';

jest.setTimeout(240_000);

const currentSandbox = useSandbox();
let sandbox: Sandbox;
beforeAll(() => {
	sandbox = currentSandbox();
});

const SEED = Number(process.env.EWS_FUZZ_SEED ?? Date.now() % 2_147_483_647);
const CASES_PER_OPERATION = Number(process.env.EWS_FUZZ_CASES ?? 6);
/** Short for never-ending answers, so they keep the suite fast (the property is the same at 300 s)… */
const SHORT_DEADLINE_MS = 300;
/** …and roomy for the rest, so that a loaded machine answering a fault slowly does not count as never-ending. */
const DEADLINE_MS = 10_000;
/** Past this, a call counts as hung. */
const HUNG_AFTER_MS = DEADLINE_MS + 5_000;
const MAILBOX = DEMO.sharedMailbox;


interface Fixture {
	messageId: string;
	attachmentId: string;
	largeAttachmentId: string;
	folderId: string;
}

const LARGE = Buffer.alloc(1024 * 1024 + 1, 7);

/** Every result's content read to its end; the first failure (of a result or a stream) rejects. */
async function readAll(results: Array<{ ok: true; value: Buffer | NodeJS.ReadableStream } | { ok: false; failure: MailFailure }>): Promise<number> {
	let bytes = 0;
	for (const result of results) {
		if (!result.ok) throw new MailError(result.failure);
		if (Buffer.isBuffer(result.value)) bytes += result.value.length;
		else for await (const piece of result.value) bytes += (piece as Buffer).length;
	}
	return bytes;
}

const person = { name: 'Vendor', address: 'vendor@example.test' };
const respond = (kind: ResponseKind) => (client: EwsClient, fixture: Fixture) =>
	respondToMessage(client, MAILBOX, fixture.messageId, { kind, comment: 'Thanks', commentFormat: 'text', to: kind === 'forward' ? [person] : [], cc: [], bcc: [], attachments: [], saveToSentItems: true });

const OPERATIONS: Record<string, (client: EwsClient, fixture: Fixture) => Promise<unknown>> = {
	getMessages: (client, { messageId }) => getMessages(client, MAILBOX, [messageId], { body: 'text', headers: true }),
	findMessageIds: (client) => findMessageIds(client, MAILBOX, { wellKnown: 'inbox' }, { subjectContains: 'invoice' }),
	moveMessages: (client, { messageId }) => moveMessages(client, MAILBOX, [messageId], { wellKnown: 'drafts' }),
	copyMessages: (client, { messageId }) => copyMessages(client, MAILBOX, [messageId], { wellKnown: 'drafts' }),
	deleteMessages: (client, { messageId }) => deleteMessages(client, MAILBOX, [messageId], 'moveToDeletedItems'),
	updateMessages: (client, { messageId }) => updateMessages(client, MAILBOX, [{ id: messageId, isRead: true, categories: ['Fuzz'] }]),
	getMime: (client, { messageId }) => getMime(client, MAILBOX, messageId),
	// Streams send their request when read: read them, as n8n does.
	getMimes: async (client, { messageId }) => await readAll(await getMimes(client, MAILBOX, [messageId])),
	listFolders: (client) => listFolders(client, MAILBOX),
	resolveFolder: (client) => resolveFolder(client, MAILBOX, { path: 'Inbox/Fuzz' }),
	getFolder: (client, { folderId }) => getFolder(client, MAILBOX, { id: folderId }),
	createFolder: (client) => createFolder(client, MAILBOX, { wellKnown: 'inbox' }, 'Fuzz child'),
	renameFolder: (client, { folderId }) => renameFolder(client, MAILBOX, { id: folderId }, 'Fuzz renamed'),
	deleteFolder: (client, { folderId }) => deleteFolder(client, MAILBOX, { id: folderId }, 'hard'),
	emptyFolder: (client, { folderId }) => emptyFolder(client, MAILBOX, { id: folderId }, 'hard', false),
	listAttachments: (client, { messageId }) => listAttachments(client, MAILBOX, messageId),
	downloadAttachments: (client, { messageId, attachmentId }) => downloadAttachments(client, MAILBOX, [{ messageId, attachmentId, size: 13 }]),
	// A listed size of 1 MB or more: a GetAttachment of its own, read as a stream (rawSoap.ts, contentStream.ts).
	downloadLargeAttachment: async (client, { messageId, largeAttachmentId }) => await readAll((await downloadAttachments(client, MAILBOX, [{ messageId, attachmentId: largeAttachmentId, size: LARGE.length }])).map((result) => (result.ok ? { ok: true, value: result.value.content } : result))),
	sendMessage: (client) =>
		sendMessage(client, MAILBOX, { to: [person], cc: [], bcc: [], replyTo: [], subject: 'Fuzz', bodyFormat: 'text', body: 'Hello', attachments: [], saveToSentItems: true }, { asDelegate: false }),
	reply: respond('reply'),
	replyAll: respond('replyAll'),
	forward: respond('forward'),
	syncFolderItems: (client) => syncFolderItems(client, MAILBOX, wellKnownFolderId('inbox', MAILBOX), undefined),
};

interface FaultCase {
	fault: EwsFault;
	options: FaultOptions;
	/** The failure code the call must end with: the HTTP status first. */
	expected: RegExp;
}

const STATUSES = [200, 301, 302, 303, 307, 400, 403, 404, 405, 408, 413, 429, 500, 502, 503, 504];
const BODIES: FaultBody[] = ['empty', 'json', 'html', 'xml', 'garbage', 'brokenSoap', 'unexpectedSoap', 'soapFault'];

function pickCase(next: () => number): FaultCase {
	const pick = <T>(values: T[]): T => values[Math.floor(next() * values.length)];
	const kind = next();
	if (kind < 0.5) {
		const status = pick(STATUSES);
		const body = pick(BODIES);
		// SOAP with 200 goes to the library: an envelope that answers nothing is unreadable; a fault with 200 or 500 is a fault.
		const expected = status === 200 && body === 'unexpectedSoap' ? 'EwsUnreadableAnswer' : (status === 200 || status === 500) && body === 'soapFault' ? 'ErrorInternalServerTransientError' : `HTTP${status}`;
		return { fault: 'http', options: { status, body }, expected: new RegExp(`^${expected}$`) };
	}
	if (kind < 0.65) {
		const code = pick(EWS_FAULT_CODES);
		return { fault: 'soapFault', options: { code }, expected: new RegExp(`^${code}$`) };
	}
	if (kind < 0.75) {
		const status = pick([301, 302, 307, 308]);
		return { fault: 'redirect', options: { status }, expected: new RegExp(`^HTTP${status}$`) };
	}
	if (kind < 0.85) return { fault: 'truncated', options: { status: pick([200, 500]) }, expected: /^ECONNRESET$/ };
	if (kind < 0.93) return { fault: 'neverEnding', options: { status: pick([200, 500]), intervalMs: 20 }, expected: /^EwsDeadlineExceeded$/ };
	return { fault: 'drop', options: {}, expected: /^(ECONNRESET|EPIPE)$/ };
}

/** What a mapped error looks like: a diagnosis with a known code, the server named for transport failures. */
const KNOWN_CODE = /^(HTTP \d{3}( not SOAP)?|HTTP 401 \w+|Error\w+|Ews\w+|E[A-Z0-9_]+)$/;

it(`every EWS operation settles with a mapped error on any answer (seed ${SEED})`, async () => {
	console.log(`EWS fault fuzz: seed ${SEED}, ${CASES_PER_OPERATION} cases per operation (EWS_FUZZ_SEED=${SEED} repeats this run)`);
	const next = seededRandom(SEED);
	const auth = await appOnlyAuth(sandbox);
	const client = clientOn(sandbox, auth, [], { maxAttempts: 1, deadlineMs: DEADLINE_MS });
	const impatientClient = clientOn(sandbox, auth, [], { maxAttempts: 1, deadlineMs: SHORT_DEADLINE_MS });
	const host = new URL(sandbox.ews.url).host;

	sandbox.ews.store.createFolder(MAILBOX, 'inbox', 'Fuzz');
	const folderId = sandbox.ews.store.folderByPath(MAILBOX, 'Inbox/Fuzz')!.id;
	const messageId = sandbox.ews.store.deliver(MAILBOX, {
		from: person.address,
		to: MAILBOX,
		subject: 'Invoice 42',
		text: 'See attached',
		attachments: [
			{ filename: 'invoice.pdf', content: Buffer.from('%PDF-1.4 fuzz'), contentType: 'application/pdf' },
			{ filename: 'scan.tif', content: LARGE, contentType: 'image/tiff' },
		],
	});
	const [attachment, large] = await listAttachments(clientOn(sandbox, auth), MAILBOX, messageId);
	const fixture: Fixture = { messageId, attachmentId: attachment.id, largeAttachmentId: large.id, folderId };

	const problems: string[] = [];
	const tally: Record<string, number> = {};
	for (const [operation, call] of Object.entries(OPERATIONS)) {
		for (let i = 0; i < CASES_PER_OPERATION; i++) {
			const fault = pickCase(next);
			const label = `${operation} ← ${fault.fault} ${JSON.stringify(fault.options)}`;
			sandbox.ews.reset();
			// The large download first lists the message (GetItem): the fault is for its own GetAttachment.
			sandbox.ews.failNext(fault.fault, 1, operation === 'downloadLargeAttachment' ? { ...fault.options, operation: 'GetAttachment' } : fault.options);
			let hung: NodeJS.Timeout | undefined;
			const outcome = await Promise.race([
				call(fault.fault === 'neverEnding' ? impatientClient : client, fixture).then(
					() => ({ settled: 'resolved' as const }),
					(error: unknown) => ({ settled: 'rejected' as const, error }),
				),
				new Promise<{ settled: 'hung' }>((resolve) => (hung = setTimeout(() => resolve({ settled: 'hung' }), HUNG_AFTER_MS))),
			]);
			clearTimeout(hung);
			tally[fault.fault] = (tally[fault.fault] ?? 0) + 1;
			if (outcome.settled !== 'rejected') {
				problems.push(`${label}: ${outcome.settled}`);
				continue;
			}
			const { error } = outcome;
			if (!(error instanceof MailError)) {
				problems.push(`${label}: not an MailError but ${(error as Error)?.constructor?.name}: ${String((error as Error)?.message ?? error)}`);
				continue;
			}
			const diagnosis = diagnose(error);
			const shown = toNodeApiError({ id: '1', name: 'Exchange', type: 'x', typeVersion: 1, position: [0, 0], parameters: {} }, error);
			const text = `${shown.message} ${shown.description ?? ''}`;
			if (!fault.expected.test(error.code)) problems.push(`${label}: code ${error.code}, expected ${fault.expected}`);
			if (!diagnosis || !KNOWN_CODE.test(diagnosis.code)) problems.push(`${label}: no mapped diagnosis (${diagnosis?.code}) for ${error.code}: ${error.message}`);
			if (/Unknown EWS error|TypeError|Cannot read prop|is not a function|is not defined|\bundefined\b|\[object /.test(text)) problems.push(`${label}: shown as "${text}"`);
			if (!error.code.startsWith('Error') && !text.includes(host)) problems.push(`${label}: does not name the server: "${shown.message}"`);
		}
	}
	console.log(`EWS fault fuzz: ${Object.keys(OPERATIONS).length} operations, faults drawn ${JSON.stringify(tally)}, ${problems.length} problem(s)`);
	expect(problems).toEqual([]);
});
