// Validates EWS request fragments against Microsoft's schema (../shared/ews-schemas) with libxml2 (xmllint-wasm).
// xmllint-wasm recompiles the schema on every call (~0.3 s); schema-worker.js keeps ONE xmllint run alive instead,
// so a request fragment costs about a millisecond once the worker is warm.
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { MessageChannel, type MessagePort, Worker } from 'node:worker_threads';
import { XMLSerializer } from '@xmldom/xmldom';
import { children, NS, type Element } from './xml';

export interface SchemaViolation {
	line: number; // in the original request
	position: number;
	message: string;
}

/** Where the shared schema folder lives: beside the repository root. */
export function defaultSchemaDir(): string {
	return resolve(__dirname, '..', '..', '..', '..', 'shared', 'ews-schemas');
}

/** Documents one worker validates before it is replaced (argv lives on the 64 KiB wasm stack). */
const DEFAULT_SLOTS_PER_WORKER = 1000;

interface Job {
	xml: string;
	resolve: (errors: string[]) => void;
	reject: (error: Error) => void;
}

/** Schema files as libxml2 needs them: a wrapper importing xml.xsd + messages.xsd, and the ArrayOfTransitionsType patch. */
export function loadSchemaFiles(dir: string): { fileName: string; contents: string }[] {
	const read = (name: string) => readFileSync(resolve(dir, name), 'utf8').replace(/^\uFEFF/, '');
	const transitions = /(<xs:complexType name="ArrayOfTransitionsType">\s*)<xs:sequence>[\s\S]*?<\/xs:sequence>/;
	const types = read('types.xsd');
	if (!transitions.test(types)) throw new Error('types.xsd: ArrayOfTransitionsType not found, cannot apply the libxml2 patch');
	const wrapper = `<?xml version="1.0" encoding="utf-8"?>
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">
  <xs:import namespace="http://www.w3.org/XML/1998/namespace" schemaLocation="xml.xsd"/>
  <xs:import namespace="${NS.m}" schemaLocation="messages.xsd"/>
</xs:schema>`;
	return [
		{ fileName: 'wrapper.xsd', contents: wrapper },
		{ fileName: 'messages.xsd', contents: read('messages.xsd') },
		// libxml2 rejects the original (substitution-group members overlap): one Transition particle accepts a superset.
		{
			fileName: 'types.xsd',
			contents: types.replace(transitions, '$1<xs:sequence><xs:element ref="t:Transition" minOccurs="0" maxOccurs="unbounded"/></xs:sequence>'),
		},
		{ fileName: 'xml.xsd', contents: read('xml.xsd') },
	];
}

/** One warm xmllint run; documents are validated strictly in the order they are handed over. */
class WarmXmllint {
	private readonly worker: Worker;
	private readonly port: MessagePort;
	private readonly control = new Int32Array(new SharedArrayBuffer(4));
	private readonly queue: Job[] = [];
	private readonly inFlight: Job[] = []; // handed to the worker, result pending (at most one)
	private lines: string[] = [];
	private ready = -1; // device index the worker waits for, -1 = none
	private accepted = 0;
	exited = false;

	constructor(
		schemaFiles: { fileName: string; contents: string }[],
		private readonly slots: number,
	) {
		const { port1, port2 } = new MessageChannel();
		this.port = port1;
		this.worker = new Worker(resolve(__dirname, 'schema-worker.js'), {
			workerData: {
				xmllintPath: require.resolve('xmllint-wasm/xmllint-node.js'),
				schemaFiles,
				slots,
				docPort: port2,
				signal: this.control.buffer,
			},
			transferList: [port2],
		});
		this.worker.unref();
		this.worker.on('message', (message: { type: string; index?: number; line?: string; reason?: string }) => {
			if (message.type === 'line') this.onLine(message.line ?? '');
			else if (message.type === 'ready') {
				this.finishCurrent(); // a document that printed no verdict (parser error) ends when the next one is read
				this.ready = message.index ?? -1;
				this.pump();
			} else if (message.type === 'exit') {
				// A worker ends after its last slot; anything still waiting (should be nothing) fails loudly.
				this.fail(new Error(`xmllint exited${message.reason ? `: ${message.reason}` : ''}`));
				void this.stop();
			}
		});
		this.worker.on('error', (error) => this.fail(error));
		// A thread that ends without its 'exit' message (killed, crashed) must not leave documents waiting forever.
		this.worker.on('exit', (code) => this.fail(new Error(`xmllint worker ended (exit code ${code})`)));
	}

	/** Slots not yet promised to a document (counted when queued, so a burst can't overrun the worker). */
	get capacityLeft(): number {
		return this.slots - this.accepted;
	}

	validate(xml: string): Promise<string[]> {
		this.accepted++;
		return new Promise((resolvePromise, reject) => {
			this.queue.push({ xml, resolve: resolvePromise, reject });
			this.pump();
		});
	}

	async stop(): Promise<void> {
		this.port.close();
		await this.worker.terminate();
	}

	private pump(): void {
		if (this.ready < 0 || this.inFlight.length > 0 || this.queue.length === 0) return;
		const job = this.queue.shift() as Job;
		this.inFlight.push(job);
		this.lines = [];
		this.port.postMessage(job.xml);
		this.ready = -1;
		Atomics.add(this.control, 0, 1);
		Atomics.notify(this.control, 0);
	}

	private onLine(line: string): void {
		const verdict = /^d\d+ (validates|fails to validate|validation generated an internal error)$/.exec(line);
		if (!verdict) {
			this.lines.push(line);
			return;
		}
		const job = this.inFlight.shift();
		job?.resolve(verdict[1] === 'validates' ? [] : this.lines.length ? this.lines : [line]);
		this.lines = [];
	}

	private finishCurrent(): void {
		const job = this.inFlight.shift();
		if (job) job.resolve(this.lines.length ? this.lines : ['The document could not be parsed.']);
		this.lines = [];
	}

	private fail(error: Error): void {
		this.exited = true;
		for (const job of [...this.inFlight.splice(0), ...this.queue.splice(0)]) job.reject(error);
	}
}

export class EwsSchemaValidator {
	private readonly schemaFiles: { fileName: string; contents: string }[];
	private current?: WarmXmllint;
	private next?: WarmXmllint;
	private readonly workers = new Set<WarmXmllint>();
	/** Fragments validated and time spent waiting for verdicts (for the cost report). */
	readonly stats = { fragments: 0, totalMs: 0, workersStarted: 0 };

	constructor(
		dir: string,
		private readonly slotsPerWorker = DEFAULT_SLOTS_PER_WORKER,
	) {
		this.schemaFiles = loadSchemaFiles(dir);
	}

	static available(dir: string): boolean {
		return ['messages.xsd', 'types.xsd', 'xml.xsd'].every((name) => existsSync(resolve(dir, name)));
	}

	/** Starts the first worker now so the first request doesn't pay the schema compile. */
	warmUp(): void {
		this.worker();
	}

	/**
	 * Validates every SOAP header child and the body's operation element as its own document.
	 * Returns the first violation (with line/position in the original request), or undefined.
	 */
	async validateRequest(headerChildren: Element[], operation: Element): Promise<SchemaViolation | undefined> {
		const started = Date.now();
		const fragments = [...headerChildren, operation];
		const verdicts = await Promise.all(fragments.map((element) => this.validateElement(element)));
		this.stats.fragments += fragments.length;
		this.stats.totalMs += Date.now() - started;
		for (let i = 0; i < fragments.length; i++) if (verdicts[i]) return verdicts[i];
		return undefined;
	}

	async stop(): Promise<void> {
		await Promise.all([...this.workers].map((worker) => worker.stop()));
		this.workers.clear();
		this.current = this.next = undefined;
	}

	private async validateElement(element: Element): Promise<SchemaViolation | undefined> {
		const errors = await this.worker().validate(fragmentDocument(element));
		if (errors.length === 0) return undefined;
		const first = errors.find((line) => /^d\d+:\d+:/.test(line)) ?? errors[0];
		const match = /^d\d+:(\d+): (?:[^:]*error : )?(.*)$/.exec(first);
		const fragmentLine = Number(match?.[1] ?? 1);
		const line = ((element as unknown as { lineNumber?: number }).lineNumber ?? 1) + fragmentLine - 1;
		return { line, position: positionOnLine(element, line), message: shortenValues((match?.[2] ?? first).trim()) };
	}

	/** The warm worker; a replacement is started before the current one runs out of device slots. */
	private worker(): WarmXmllint {
		if (!this.current || this.current.exited || this.current.capacityLeft <= 0) {
			// The old worker finishes the documents it already accepted, then exits by itself.
			this.current = this.next && !this.next.exited ? this.next : this.start();
			this.next = undefined;
		}
		if (!this.next && this.current.capacityLeft < Math.min(50, this.slotsPerWorker / 2)) this.next = this.start();
		return this.current;
	}

	private start(): WarmXmllint {
		this.stats.workersStarted++;
		const worker = new WarmXmllint(this.schemaFiles, this.slotsPerWorker);
		this.workers.add(worker);
		return worker;
	}
}

/** The element serialized as a document of its own, with m:/t: declared on its root. */
export function fragmentDocument(element: Element): string {
	let xml = new XMLSerializer().serializeToString(element);
	const rootTag = /^<[^\s/>]+/.exec(xml)?.[0] ?? '';
	const declarations = ['m', 't']
		.filter((prefix) => !new RegExp(`^<[^>]*\\sxmlns:${prefix}=`).test(xml))
		.map((prefix) => ` xmlns:${prefix}="${NS[prefix as 'm' | 't']}"`)
		.join('');
	xml = rootTag + declarations + xml.slice(rootTag.length);
	return xml;
}

/** libxml2 quotes the offending value (up to 64 KB of it): a big attachment must not come back in the fault. */
const shortenValues = (message: string) => message.replace(/'([^']{120})[^']{16,}('|$)/g, "'$1…$2");

/** Column of the first element starting on `line` inside `root` (libxml2 reports lines only). */
function positionOnLine(root: Element, line: number): number {
	const stack: Element[] = [root];
	while (stack.length) {
		const element = stack.shift() as Element;
		const located = element as unknown as { lineNumber?: number; columnNumber?: number };
		if (located.lineNumber === line) return located.columnNumber ?? 1;
		stack.push(...children(element));
	}
	return 1;
}
