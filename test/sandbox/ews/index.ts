// EWS stand-in (outlook.office365.com/EWS/Exchange.asmx): SOAP 1.1 on the sandbox's HTTPS server.
// Order per request, as in Exchange Online: fault injection → latency → Bearer auth (401) → schema validation
// (ErrorSchemaValidation fault) → impersonation rules (SOAP faults) → the operation on the in-memory store.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Entra } from '../entra';
import { readBody } from '../routes';
import type { RouteRegistry } from '../types';
import { authenticateHttp, exchangeImpersonationOf, resolveDefaultMailbox, SoapAuthError } from './auth';
import { MESSAGE_TEXT, runOperation, type OpContext, type OpHandler } from './context';
import { FaultQueue, type EwsFault, type FaultOptions } from './faults';
import { folderOperations } from './ops-folders';
import { itemOperations } from './ops-items';
import { idOperations } from './ops-ids';
import { miscOperations } from './ops-misc';
import { sendOperations } from './ops-send';
import { defaultSchemaDir, EwsSchemaValidator, type SchemaViolation } from './schema';
import { MailboxStore } from './store';
import { answerPieces, children, NS, operationResponse, parseXml, soapFault, tx, XmlParseError, type Element, local } from './xml';

export { MailboxStore, type DeliverInput, type StoredItem, type StoredFolder, type StoredAttachment, type SentMessage } from './store';
export { encodeSyncState } from './ops-misc';
export { FIND_LIMIT, FIND_LIMIT_RESTRICTED } from './ops-items';
export type { EwsFault, FaultBody, FaultOptions } from './faults';

export const EWS_PATH = '/EWS/Exchange.asmx';
/** Largest request body accepted (EXO's default message size limit, base64-inflated). */
const MAX_BODY_BYTES = 50 * 1024 * 1024;

export interface EwsRequestRecord {
	operation: string;
	/** The mailbox the request acted on (impersonated, the token's user, or a delegate's target). */
	mailbox?: string;
	impersonated?: string;
	anchorMailbox?: string;
	/** True when the request reached another mailbox than the caller's own without a matching X-AnchorMailbox. */
	anchorMismatch?: boolean;
	/** Ids/entries in the request (Get/Move/Copy/Delete/Update…) or items returned (FindItem, SyncFolderItems). */
	itemCount?: number;
	status: number; // HTTP status; 0 = connection dropped
	/** First non-NoError ResponseCode, a fault code, 'NoError', or the 401 category. */
	responseCode?: string;
	/** Injected fault that answered this request, if any. */
	fault?: EwsFault;
	/** The raw SOAP request, kept only while `keepBodies` is on (tests that inspect what was sent). */
	body?: string;
	at: Date;
}

export interface EwsConfig {
	entra: Entra;
	origin: string;
	mailboxes: { smtp: string; displayName?: string }[];
	/** Folder with messages.xsd/types.xsd/xml.xsd; default ../shared/ews-schemas beside the repository. */
	schemaDir?: string;
	log: (line: string) => void;
	/** Default console.warn. */
	warn?: (line: string) => void;
}

const OPERATIONS: Record<string, OpHandler> = { ...folderOperations, ...itemOperations, ...sendOperations, ...miscOperations, ...idOperations };
const XML_HEADERS = { 'Content-Type': 'text/xml; charset=utf-8' };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class EwsService {
	readonly url: string;
	readonly store: MailboxStore;
	readonly requests: EwsRequestRecord[] = [];
	/** Keep each request's raw body in its record (off by default: bodies can be tens of MB). */
	keepBodies = false;
	/** Undefined when the schema folder is missing (validation skipped, with a warning). */
	readonly validator?: EwsSchemaValidator;
	private readonly faults = new FaultQueue();
	private readonly recordOf = new WeakMap<IncomingMessage, EwsRequestRecord>();
	private latencyMs = 0;

	constructor(private readonly config: EwsConfig) {
		this.url = `${config.origin}${EWS_PATH}`;
		this.store = new MailboxStore(config.mailboxes);
		const schemaDir = config.schemaDir ?? defaultSchemaDir();
		if (EwsSchemaValidator.available(schemaDir)) {
			this.validator = new EwsSchemaValidator(schemaDir);
			this.validator.warmUp();
		} else {
			(config.warn ?? console.warn)(
				`EWS sandbox: requests are not checked against Microsoft's EWS schema: the schema files are looked for in ${schemaDir} (a folder beside this repository, not part of it; the project's test machines have it). Everything else works without them.`,
			);
		}
	}

	register(router: RouteRegistry): void {
		// Case-sensitive on purpose for now: entra.test.ts still mounts its own placeholder at /ews/exchange.asmx
		// (first match wins). Exchange itself matches case-insensitively; switch to /i once that placeholder is gone.
		router.addRoute('POST', /^\/EWS\/Exchange\.asmx$/, (req, res) => this.handle(req, res).catch((error: unknown) => this.internalError(req, res, error)));
	}

	/** Requests per operation. */
	counts(): Record<string, number> {
		const counts: Record<string, number> = {};
		for (const request of this.requests) counts[request.operation] = (counts[request.operation] ?? 0) + 1;
		return counts;
	}

	failNext(fault: EwsFault, count = 1, options: FaultOptions = {}): void {
		this.faults.add(fault, count, options);
	}

	/** Delay before every answer (0 = none). */
	setLatency(ms: number): void {
		this.latencyMs = ms;
	}

	clearRequests(): void {
		this.requests.length = 0;
	}

	/** Clears requests, queued faults and latency (the store is kept). */
	reset(): void {
		this.clearRequests();
		this.faults.clear();
		this.latencyMs = 0;
	}

	async stop(): Promise<void> {
		await this.validator?.stop();
	}

	/**
	 * A failure of the stand-in itself answers as Exchange answers its own: a SOAP fault ErrorInternalServerError
	 * (HTTP 500), never a bare 500. A body over the size limit gets 413, as the EXO front end answers it.
	 */
	private internalError(req: IncomingMessage, res: ServerResponse, error: unknown): void {
		const message = error instanceof Error ? error.message : String(error);
		const tooLarge = message.startsWith('request body over');
		const record = this.recordOf.get(req);
		this.config.log(`ews: ${record?.operation ?? 'request'} failed inside the sandbox: ${error instanceof Error ? (error.stack ?? message) : message}`);
		const code = tooLarge ? 'HTTP413' : 'ErrorInternalServerError';
		if (record) Object.assign(record, { status: tooLarge ? 413 : 500, responseCode: code });
		if (res.headersSent) return void res.end();
		const body = tooLarge ? '' : soapFault(code, MESSAGE_TEXT[code]);
		res.writeHead(tooLarge ? 413 : 500, { ...XML_HEADERS, 'Content-Length': Buffer.byteLength(body), ...(tooLarge ? { Connection: 'close' } : {}) });
		res.end(body);
	}

	private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
		const anchorHeader = req.headers['x-anchormailbox'];
		const record: EwsRequestRecord = {
			operation: 'Unknown',
			anchorMailbox: typeof anchorHeader === 'string' ? anchorHeader : undefined,
			status: 0,
			at: new Date(),
		};
		this.requests.push(record);
		this.recordOf.set(req, record);
		// A cutAnswer fault: the answer is cut after this many bytes (NaN: half of it).
		let cutAfter: number | undefined;
		const reply = (status: number, body: string, headers: Record<string, string> = XML_HEADERS, responseCode?: string) => {
			record.status = status;
			record.responseCode = responseCode;
			const answer = answerPieces(body);
			res.writeHead(status, { ...headers, 'Content-Length': answer.length, 'request-id': randomUUID(), 'X-FEServer': 'SB1PR01CA0001' });
			void writeAnswer(res, answer.pieces(), cutAfter === undefined ? undefined : Number.isNaN(cutAfter) ? Math.floor(answer.length / 2) : cutAfter);
		};

		const raw = (await readBody(req, MAX_BODY_BYTES)).toString('utf8');
		if (this.keepBodies) record.body = raw;
		let parts: { headerChildren: Element[]; operation: Element };
		try {
			parts = splitEnvelope(raw);
		} catch (error) {
			if (!(error instanceof XmlParseError)) throw error;
			return reply(500, schemaValidationFault({ line: error.line, position: error.position, message: error.message }), XML_HEADERS, 'ErrorSchemaValidation');
		}
		const operation = local(parts.operation);
		record.operation = operation;

		const fault = this.faults.take(operation, this.config.origin, req.headers.authorization);
		if (fault) {
			record.fault = fault.fault;
			if (fault.kind === 'drop') {
				req.socket.destroy();
				return;
			}
			if (fault.kind === 'truncate') {
				record.status = fault.status;
				record.responseCode = fault.responseCode;
				res.writeHead(fault.status, { ...fault.headers, 'Content-Length': fault.declaredLength });
				res.write(fault.body, () => res.destroy());
				return;
			}
			if (fault.kind === 'trickle') {
				record.status = fault.status;
				record.responseCode = fault.responseCode;
				res.writeHead(fault.status, fault.headers);
				res.write('<?xml version="1.0" encoding="utf-8"?>');
				// Stops as soon as the client closes the connection (or the sandbox stops).
				const trickle = setInterval(() => res.write(' '), fault.intervalMs);
				res.on('close', () => clearInterval(trickle));
				return;
			}
			if (fault.kind === 'delay') await sleep(fault.ms);
			else if (fault.kind === 'cut') cutAfter = fault.afterBytes ?? Number.NaN;
			else return reply(fault.status, fault.body, fault.headers, fault.responseCode);
		}
		if (this.latencyMs > 0) await sleep(this.latencyMs);

		const auth = await authenticateHttp(this.config.entra, req.headers.authorization, `${this.config.origin}${req.url ?? EWS_PATH}`);
		if (!auth.ok) {
			// Never log the token; the reason category is enough.
			this.config.log(`ews: ${operation} 401 (${auth.reason})`);
			return reply(401, '', auth.headers, auth.reason);
		}

		if (this.validator) {
			const violation = await this.validator.validateRequest(parts.headerChildren, parts.operation);
			if (violation) {
				this.config.log(`ews: ${operation} failed schema validation: ${violation.message}`);
				return reply(500, schemaValidationFault(violation), XML_HEADERS, 'ErrorSchemaValidation');
			}
		}

		let mailbox: string;
		try {
			mailbox = resolveDefaultMailbox(auth.principal, exchangeImpersonationOf(parts.headerChildren), this.store);
		} catch (error) {
			if (!(error instanceof SoapAuthError)) throw error;
			return reply(500, soapFault(error.code, error.message), XML_HEADERS, error.code);
		}
		if (auth.principal.kind === 'app') record.impersonated = mailbox;

		const handler = OPERATIONS[operation];
		if (!handler || parts.operation.namespaceURI !== NS.m) {
			return reply(500, soapFault('ErrorInvalidRequest', `The request is invalid. The stand-in does not implement ${operation}.`), XML_HEADERS, 'ErrorInvalidRequest');
		}
		const actingUser = auth.principal.kind === 'app' ? this.config.entra.findUser(mailbox) : auth.principal.user;
		const fullAccess = (actingUser?.sendAs ?? []).map((smtp) => smtp.toLowerCase());
		const ctx: OpContext = { store: this.store, principal: auth.principal, mailbox, fullAccess, touched: new Set(), operation, op: parts.operation };
		const result = await runOperation(handler, ctx);

		const own = auth.principal.kind === 'user' ? auth.principal.upn : undefined;
		const target = auth.principal.kind === 'app' ? mailbox : ([...ctx.touched].find((smtp) => smtp !== own) ?? mailbox);
		record.mailbox = target;
		record.itemCount = result.itemCount;
		if (target !== own && record.anchorMailbox?.toLowerCase() !== target) record.anchorMismatch = true;
		const body = operationResponse(operation, result.messages);
		reply(200, body, XML_HEADERS, firstResponseCode(result.messages));
	}
}

/**
 * Writes an answer piece by piece as the client reads it (large contents are never one string),
 * stopping when the client goes away; with `cutAfter`, drops the connection after that many bytes.
 */
async function writeAnswer(res: ServerResponse, pieces: Iterable<string>, cutAfter?: number): Promise<void> {
	let written = 0;
	for (const piece of pieces) {
		if (res.destroyed) return;
		const bytes = Buffer.from(piece);
		if (cutAfter !== undefined && written + bytes.length >= cutAfter) {
			res.write(bytes.subarray(0, cutAfter - written), () => res.destroy());
			return;
		}
		written += bytes.length;
		if (!res.write(bytes)) {
			await new Promise<void>((resolve) => {
				const done = () => {
					res.off('drain', done);
					res.off('close', done);
					resolve();
				};
				res.on('drain', done);
				res.on('close', done);
			});
		}
	}
	res.end();
}

/** Header children and the operation element of a SOAP 1.1 envelope. */
function splitEnvelope(raw: string): { headerChildren: Element[]; operation: Element } {
	const doc = parseXml(raw);
	const envelope = doc.documentElement as unknown as Element;
	if (local(envelope) !== 'Envelope' || envelope.namespaceURI !== NS.soap) {
		throw new XmlParseError('The root element is not a SOAP 1.1 Envelope.', 1, 1);
	}
	const header = children(envelope, 'Header')[0];
	const body = children(envelope, 'Body')[0];
	const operation = children(body)[0];
	if (!operation) throw new XmlParseError('The SOAP Body is empty.', 1, 1);
	return { headerChildren: children(header), operation };
}

function schemaValidationFault(violation: SchemaViolation): string {
	const detail = `${violation.message} Line ${violation.line}, position ${violation.position}.`;
	return soapFault(
		'ErrorSchemaValidation',
		'The request failed schema validation.',
		tx('t:LineNumber', violation.line) + tx('t:LinePosition', violation.position) + tx('t:Violation', detail),
		`The request failed schema validation: ${detail}`,
	);
}

function firstResponseCode(messages: string[]): string {
	for (const message of messages) {
		const code = /<m:ResponseCode>([^<]+)<\/m:ResponseCode>/.exec(message)?.[1];
		if (code && code !== 'NoError') return code;
	}
	return 'NoError';
}
