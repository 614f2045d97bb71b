/**
 * The one way node code reads its parameters. n8n does not coerce an expression's result to the
 * parameter's declared type: `{{ $json.invoiceNo }}` hands a text field a number, and an expression
 * can as well return an array, an object or null. Each reader here coerces what has one obvious
 * meaning (a number or true/false in a text field is written out, a list of addresses or names is a
 * list, "25" in a number field is 25) and refuses everything else with an error that names the
 * field (its display name) and the fix, before any network call.
 */
import { Readable } from 'node:stream';
import { NodeOperationError, type IExecuteFunctions, type ILoadOptionsFunctions, type INode, type INodeProperties, type IPollFunctions } from 'n8n-workflow';

import type { ExchangeAuth } from './auth/exchangeAuth';
import { isValidAddress, parseAddressList, type ParsedAddress } from './mail/addresses';
import { folderPathSegments, isWellKnownFolder, looksLikeFolderId } from './mail/folderRefs';
import { WELL_KNOWN_FOLDERS, type FolderRef, type MailContent, type WellKnownFolder } from './mail/store';

// getNodeParameter throws for a parameter that is not set (an option not added) unless it gets a
// fallback, and returns the fallback untouched: this marker tells "not set" from an expression's null.
const NOT_SET = '\u0000not set';

// XML 1.0 cannot carry these at all (EWS), and they have no business in mail text.
const INVALID_IN_TEXT = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
// Single-line fields (subjects, names, addresses, IDs) take no line breaks or other control characters either.
const INVALID_IN_LINE = /[\u0000-\u0008\u000A-\u001F\u007F-\u009F\u2028\u2029\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
// A mailbox travels in the X-AnchorMailbox HTTP header and the impersonation header: printable Latin-1 only.
const MAILBOX_CHARACTERS = /^[\u0021-\u007E\u00A1-\u00FF]+$/;
/** RFC 5321: a path holds at most 256 octets, so an address at most 254 characters. */
const MAX_ADDRESS_LENGTH = 254;
/** EWS item, folder and attachment IDs are a few hundred characters; anything far longer is not one. */
const MAX_ID_LENGTH = 2048;
const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?$/i;

/** A value shortened and stripped of markup for an error message (n8n renders descriptions as HTML). */
export function quote(value: string, max = 80): string {
	const shown = value.length > max ? `${value.slice(0, max)}… (${value.length} characters)` : value;
	return `"${shown.replace(/[<>&]/g, ' ').replace(INVALID_IN_LINE, '?')}"`;
}

/** What an expression returned, in words: "an object", "a list (array) of 3 values", "null". */
function kindOf(value: unknown): string {
	if (value === null) return 'null';
	if (Array.isArray(value)) return `a list (array) of ${value.length} value${value.length === 1 ? '' : 's'}`;
	if (value instanceof Date) return 'a date object';
	if (typeof value === 'number') return `the number ${String(value)}`;
	if (typeof value === 'object') {
		const keys = Object.keys(value).slice(0, 3).map((key) => key.replace(/[^\w.-]/g, '').slice(0, 30));
		return keys.length ? `an object (with ${keys.join(', ')})` : 'an empty object';
	}
	return `a ${typeof value}`;
}

function describeCharacter(character: string): string {
	const code = character.codePointAt(0) ?? 0;
	const hex = `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
	if (character === '\n' || character === '\r') return `a line break (${hex})`;
	if (code < 0x20 || (code >= 0x7f && code <= 0x9f)) return `the control character ${hex}`;
	return `the character ${hex}`;
}

export interface TextOptions {
	/** An empty value is an error. */
	required?: boolean;
	/** Line breaks and tabs are allowed (message bodies, comments). */
	multiline?: boolean;
	/** Keep leading and trailing spaces (default: trimmed). */
	keepSpaces?: boolean;
}

export interface NumberOptions {
	min?: number;
	max?: number;
	integer?: boolean;
}

/**
 * Reads the parameters of one item (an execution) or of the node (a poll, a list search). Every
 * method takes the parameter's name (a path like "options.ccEmail" for a collection entry) and
 * the field's display name, which the error messages use.
 */
export class ParameterReader {
	constructor(
		private readonly node: INode,
		readonly itemIndex: number | undefined,
		private readonly read: (name: string) => unknown,
	) {}

	/** An error about `field`, tied to this item. */
	error(message: string, description: string): NodeOperationError {
		return new NodeOperationError(this.node, message, { itemIndex: this.itemIndex, description });
	}

	/** The value as n8n hands it over; undefined when the parameter is not set. */
	raw(name: string): unknown {
		const value = this.read(name);
		return value === NOT_SET ? undefined : value;
	}

	isSet(name: string): boolean {
		return this.raw(name) !== undefined;
	}

	/** Text. Numbers and true/false are written out; null and "not set" are empty; anything else is refused. */
	string(name: string, field: string, options: TextOptions = {}): string {
		return this.asText(this.raw(name), field, options);
	}

	/** Text that may be left empty: undefined when it is. */
	optionalString(name: string, field: string, options: TextOptions = {}): string | undefined {
		return this.string(name, field, options) || undefined;
	}

	/** A message body or comment: line breaks kept, spaces kept. */
	text(name: string, field: string): string {
		return this.string(name, field, { multiline: true, keepSpaces: true });
	}

	/** An Exchange ID (message, folder, attachment). */
	id(name: string, field: string, options: { required?: boolean } = { required: true }): string {
		return this.asId(this.raw(name), field, options.required !== false);
	}

	/** A list: a text of entries separated by `separator`, or an array of texts and numbers. */
	list(name: string, field: string, separator: RegExp = /,/): string[] {
		const value = this.raw(name);
		const entries = Array.isArray(value) ? value.map((entry) => this.asText(entry, field, {})) : this.asText(value, field, {}).split(separator);
		return entries.map((entry) => entry.trim()).filter(Boolean);
	}

	/**
	 * Email addresses: "Ann <ann@contoso.com>, bob@contoso.com" (commas or semicolons), or an array of
	 * such texts and of `{ address, name }` objects (the shape this package outputs). `single`: at
	 * most one address.
	 */
	addresses(name: string, field: string, options: { required?: boolean; single?: boolean } = {}): ParsedAddress[] {
		const value = this.raw(name);
		const addresses = (Array.isArray(value) ? value : [value]).flatMap((entry) => this.addressesIn(entry, field, Array.isArray(value)));
		if (options.required && addresses.length === 0) throw this.error(`"${field}" is empty`, `Enter at least one email address in "${field}".`);
		if (options.single && addresses.length > 1) throw this.error(`"${field}" must hold one address, not ${addresses.length}`, `Enter a single email address in "${field}".`);
		return addresses;
	}

	/**
	 * A number: a number, or a text that is one ("25"). Not set: `fallback`. Empty, null and
	 * anything else are refused, so a broken expression never turns into a silent default.
	 */
	number(name: string, field: string, fallback: number, options: NumberOptions = {}): number {
		const value = this.raw(name);
		if (value === undefined) return fallback;
		const number = typeof value === 'number' ? value : typeof value === 'string' && NUMBER.test(value.trim()) ? Number(value.trim()) : undefined;
		if (number === undefined) {
			const empty = value === null || (typeof value === 'string' && !value.trim());
			throw this.error(empty ? `"${field}" is empty` : `"${field}" must be a number, not ${typeof value === 'string' ? quote(value) : kindOf(value)}`, `Enter a number in "${field}", or an expression that returns one.`);
		}
		const range = `${options.min !== undefined ? ` at least ${options.min}` : ''}${options.min !== undefined && options.max !== undefined ? ' and' : ''}${options.max !== undefined ? ` at most ${options.max}` : ''}`;
		if (!Number.isFinite(number) || (options.integer && !Number.isInteger(number)) || (options.min !== undefined && number < options.min) || (options.max !== undefined && number > options.max)) {
			throw this.error(`"${field}" must be a ${options.integer ? 'whole number' : 'number'}${range}, not ${String(number)}`, `Enter a ${options.integer ? 'whole number' : 'number'}${range} in "${field}".`);
		}
		return number;
	}

	/** true / false, or the texts "true" / "false". Not set: `fallback`. */
	boolean(name: string, field: string, fallback: boolean): boolean;
	boolean(name: string, field: string): boolean | undefined;
	boolean(name: string, field: string, fallback?: boolean): boolean | undefined {
		const value = this.raw(name);
		if (value === undefined) return fallback;
		if (typeof value === 'boolean') return value;
		const text = typeof value === 'string' ? value.trim().toLowerCase() : undefined;
		if (text === 'true' || text === 'false') return text === 'true';
		throw this.error(`"${field}" must be true or false, not ${typeof value === 'string' ? quote(value) : kindOf(value)}`, `Switch "${field}" on or off, or use an expression that returns true or false.`);
	}

	/** One of the values an options field offers. Not set: `fallback`. */
	option<T extends string>(name: string, field: string, allowed: readonly T[], fallback: T): T;
	option<T extends string>(name: string, field: string, allowed: readonly T[]): T | undefined;
	option<T extends string>(name: string, field: string, allowed: readonly T[], fallback?: T): T | undefined {
		const value = this.raw(name);
		if (value === undefined) return fallback;
		const match = allowed.find((option) => option === value);
		if (match !== undefined) return match;
		throw this.error(`"${field}" must be one of ${allowed.join(', ')}, not ${typeof value === 'string' ? quote(value) : kindOf(value)}`, `Pick a value from the list in "${field}", or use an expression that returns one of: ${allowed.join(', ')}.`);
	}

	/** A point in time as an ISO string: an ISO or RFC 2822 date text, or a date object. Empty: undefined. */
	date(name: string, field: string): string | undefined {
		const value = this.raw(name);
		if (value === undefined || value === null || value === '') return undefined;
		const candidate = value instanceof Date ? value.getTime() : typeof value === 'string' && /\d{4}/.test(value) && !NUMBER.test(value.trim()) ? Date.parse(value) : Number.NaN;
		if (Number.isNaN(candidate)) {
			throw this.error(`${typeof value === 'string' ? quote(value) : kindOf(value)} in "${field}" is not a date`, `Use an ISO date such as 2026-01-31T00:00:00Z in "${field}".`);
		}
		return new Date(candidate).toISOString();
	}

	/**
	 * The folder a resource locator points at: by path ("Inbox/Processed", no empty names), a
	 * well-known name, or an ID. A bare text (older workflows) is a path.
	 */
	folder(name: string, field: string): FolderRef {
		const locator = this.raw(name);
		const isLocator = typeof locator === 'object' && locator !== null && !Array.isArray(locator) && 'mode' in locator;
		const mode = isLocator ? (locator as { mode?: unknown }).mode : 'path';
		const value = isLocator ? (locator as { value?: unknown }).value : locator;
		if (mode === 'id') return { id: this.asId(value, field, true) };
		// The list stores folder IDs; workflows saved before stored the path, which still works.
		if (mode === 'list' && typeof value === 'string' && looksLikeFolderId(value.trim())) return { id: this.asId(value, field, true) };
		const text = this.asText(value, field, { required: true });
		if (mode === 'wellKnown') {
			if (!isWellKnownFolder(text)) {
				throw this.error(`${quote(text)} in "${field}" is not a well-known folder`, `Use one of ${Object.keys(WELL_KNOWN_FOLDERS).join(', ')}, or switch the mode to Path.`);
			}
			return { wellKnown: text.toLowerCase() as WellKnownFolder };
		}
		if (mode !== 'path' && mode !== 'list') throw this.error(`"${field}" has an unknown mode ${quote(String(mode))}`, `Pick the folder again in "${field}".`);
		// A path: typed, or picked from the list by a workflow saved before the list stored IDs.
		if (!folderPathSegments(text)) {
			throw this.error(`"${field}" has an empty folder name in the path ${quote(text)}`, `Write the path as folder names separated by "/", e.g. Inbox/Processed, with no leading, trailing or doubled "/" (check expressions that may be empty). For the top of the mailbox use the well-known folder msgfolderroot.`);
		}
		return { path: text };
	}

	/** The SMTP address of a mailbox to work in (one bare address), or undefined when empty. */
	mailbox(name: string, field: string): string | undefined {
		const mailbox = this.string(name, field);
		if (!mailbox) return undefined;
		const offending = [...mailbox].find((character) => !MAILBOX_CHARACTERS.test(character) || '<>"(),;:[]\\'.includes(character));
		if (offending !== undefined || !isValidAddress(mailbox) || mailbox.length > MAX_ADDRESS_LENGTH) {
			const reason = offending !== undefined ? `: it contains ${describeCharacter(offending)}` : '';
			throw this.error(`Invalid email address ${quote(mailbox)} in "${field}"${reason}`, `Give the bare SMTP address of one mailbox, e.g. invoices@contoso.com (no display name, no spaces).`);
		}
		return mailbox;
	}

	/** The rows of a fixed collection (`name` = "options.customHeaders", `key` = "header"), each read like the node's parameters. */
	rows(name: string, key: string, field: string): ParameterReader[] {
		const value = this.raw(name);
		if (value === undefined || value === null) return [];
		const rows = typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>)[key] : value;
		if (rows === undefined || rows === null) return [];
		const list = Array.isArray(rows) ? rows : [rows];
		return list.map((row) => {
			if (typeof row !== 'object' || row === null || Array.isArray(row)) {
				throw this.error(`"${field}" must be a list of entries, not ${kindOf(row)}`, `Add the entries in "${field}" one by one, or use expressions inside each entry.`);
			}
			return new ParameterReader(this.node, this.itemIndex, (entry) => (row as Record<string, unknown>)[entry]);
		});
	}

	private asText(value: unknown, field: string, options: TextOptions): string {
		let text: string;
		if (value === undefined || value === null) text = '';
		else if (typeof value === 'string') text = value;
		else if ((typeof value === 'number' && Number.isFinite(value)) || typeof value === 'boolean' || typeof value === 'bigint') text = String(value);
		else {
			throw this.error(`"${field}" must be text, not ${kindOf(value)}`, `The expression in "${field}" returned ${kindOf(value)}. Pick the text out of it (e.g. {{ $json.customer.name }}), join a list with .join(', '), or write an object out with JSON.stringify().`);
		}
		const invalid = (options.multiline ? INVALID_IN_TEXT : INVALID_IN_LINE).exec(text);
		if (invalid) {
			throw this.error(`"${field}" contains ${describeCharacter(invalid[0])}`, options.multiline ? `Remove control characters from "${field}".` : `"${field}" takes a single line: remove line breaks and control characters (e.g. with .replace(/\\s+/g, ' ')).`);
		}
		if (!options.keepSpaces) text = text.trim();
		if (options.required && !text.trim()) throw this.error(`"${field}" is empty`, `Fill in "${field}".`);
		return text;
	}

	private asId(value: unknown, field: string, required: boolean): string {
		const id = this.asText(value, field, { required });
		if (/\s/.test(id) || id.length > MAX_ID_LENGTH) {
			throw this.error(`${quote(id, 40)} in "${field}" is not an Exchange ID`, `Use the "id" of a message, folder or attachment returned by an Exchange node (IDs have no spaces and are a few hundred characters at most).`);
		}
		return id;
	}

	private addressesIn(entry: unknown, field: string, inList: boolean): ParsedAddress[] {
		if (typeof entry === 'object' && entry !== null && !Array.isArray(entry) && 'address' in entry) {
			// { address, name }: the shape of `from`, `to`… in this package's output.
			const { address, name } = entry as { address?: unknown; name?: unknown };
			const parsed = { address: this.asText(address, field, {}), name: this.asText(name, field, {}) };
			this.checkAddress(parsed.address, field);
			return [parsed];
		}
		if (inList && (Array.isArray(entry) || (typeof entry === 'object' && entry !== null))) {
			throw this.error(`"${field}" must be a list of addresses, not a list holding ${kindOf(entry)}`, `Use texts like someone@example.com or objects with an "address" in the list given to "${field}".`);
		}
		const { addresses, invalid } = parseAddressList(this.asText(entry, field, {}));
		if (invalid !== undefined) throw this.invalidAddress(invalid, field);
		for (const { address } of addresses) this.checkAddress(address, field);
		return addresses;
	}

	private checkAddress(address: string, field: string): void {
		if (!isValidAddress(address) || address.length > MAX_ADDRESS_LENGTH) throw this.invalidAddress(address, field);
	}

	private invalidAddress(value: string, field: string): NodeOperationError {
		return this.error(`Invalid email address ${quote(value)} in "${field}"`, 'Use addresses like someone@example.com or Name someone@example.com in angle brackets, separated by commas.');
	}
}

/** The parameters of input item `itemIndex` of an execution. */
export function itemParameters(ctx: IExecuteFunctions, itemIndex: number): ParameterReader {
	return new ParameterReader(ctx.getNode(), itemIndex, (name) => ctx.getNodeParameter(name, itemIndex, NOT_SET));
}

/** The parameters of a poll or a list search (no items). */
export function nodeParameters(ctx: IPollFunctions | ILoadOptionsFunctions): ParameterReader {
	return new ParameterReader(ctx.getNode(), undefined, (name) => ctx.getNodeParameter(name, NOT_SET));
}

/**
 * The mailbox to work in, checked against the credential's Allowed Mailboxes: the Mailbox field,
 * or for delegated access the signed-in user when it is empty.
 */
export function mailboxToUse(parameters: ParameterReader, auth: ExchangeAuth): string {
	let mailbox = parameters.mailbox('mailbox', 'Mailbox');
	if (!mailbox) {
		if (auth.kind === 'appOnly') throw parameters.error('"Mailbox" is empty', 'App-only access has no mailbox of its own: give the address of the mailbox to work in.');
		if (!auth.signedInUser) throw parameters.error('The signed-in user is not known: fill in "Mailbox"', 'The stored token names no user (upn claim). Give the mailbox address, or reconnect the credential.');
		mailbox = auth.signedInUser;
	}
	// The Allowed Mailboxes guard runs before any call.
	auth.assertMailboxAllowed(mailbox, 'Mailbox', parameters.itemIndex ?? 0);
	return mailbox;
}

export interface BinaryFile {
	name: string;
	contentType: string;
	/** Bytes, from n8n's metadata: known before the content is read (size limits, upload sessions). */
	size: number;
	/**
	 * A Buffer when n8n keeps the file in the item (its in-memory mode); a stream that opens the stored
	 * file only when first read when n8n stores it by id (filesystem, database, S3), so an upload holds
	 * a chunk at a time. Read it once; a read failure ends it with an error naming the field.
	 */
	content: MailContent;
	/** Another stream of the same bytes, for a request sent again (after a token refresh); only with a stream. */
	reread?: () => MailContent;
}

/** The binary properties `names` of input item `itemIndex`, read through n8n's helpers (works with external binary storage). */
export async function binaryFiles(ctx: IExecuteFunctions, itemIndex: number, names: string[], field: string): Promise<BinaryFile[]> {
	const files: BinaryFile[] = [];
	const available = Object.keys(ctx.getInputData()[itemIndex]?.binary ?? {});
	for (const property of names) {
		if (!available.includes(property)) {
			throw new NodeOperationError(ctx.getNode(), `Binary property ${quote(property)} named in "${field}" does not exist on item ${itemIndex}`, {
				itemIndex,
				description: available.length
					? `The item has these binary properties: ${available.join(', ')}. Use one of them in "${field}".`
					: `The item has no binary data. Add a node that reads or downloads the file before this one, or clear "${field}".`,
			});
		}
		const binary = ctx.helpers.assertBinaryData(itemIndex, property);
		const name = binary.fileName ?? property;
		const unreadable = (reason: string) => {
			const message = `The binary property ${quote(property)} (${quote(name)}) named in "${field}" could not be read: ${reason}`;
			const error = new NodeOperationError(ctx.getNode(), message, {
				itemIndex,
				description: `Nothing of this item was sent. Check that the node that made the file ran in this execution and that n8n's binary data storage (N8N_DEFAULT_BINARY_DATA_MODE: its folder, database or bucket) is reachable, then run the item again.`,
			});
			// n8n swaps a message that mentions ENOENT, EIO… for a generic one; this one names the field.
			error.message = message;
			return error;
		};
		const { id } = binary;
		// Stored by id: metadata for the size, the bytes later as a stream. getBinaryStream and
		// getBinaryMetadata exist on every n8n line this package supports; the check keeps a context without them working.
		if (id && typeof ctx.helpers.getBinaryStream === 'function' && typeof ctx.helpers.getBinaryMetadata === 'function') {
			let size: number;
			try {
				size = (await ctx.helpers.getBinaryMetadata(id)).fileSize;
			} catch (error) {
				throw unreadable(reasonOf(error));
			}
			if (!Number.isSafeInteger(size) || size < 0) throw unreadable(`n8n gives its size as ${String(size)}`);
			const open = () => storedBinaryStream(async () => await ctx.helpers.getBinaryStream(id), size, unreadable);
			files.push({ name, contentType: binary.mimeType ?? 'application/octet-stream', size, content: open(), reread: open });
			continue;
		}
		let content: Buffer;
		try {
			content = await ctx.helpers.getBinaryDataBuffer(itemIndex, property);
		} catch (error) {
			throw unreadable(reasonOf(error));
		}
		files.push({ name, contentType: binary.mimeType ?? 'application/octet-stream', size: content.length, content });
	}
	return files;
}

function reasonOf(error: unknown): string {
	const message = (error as { message?: unknown } | undefined)?.message;
	return typeof message === 'string' && message ? message : String(error);
}

/**
 * The stored file as a stream opened on first read (building a message that is never sent, or
 * checked before sending, opens nothing). It fails rather than end short or long: a file whose
 * length differs from its metadata would give a wrong upload session or MIME part.
 */
function storedBinaryStream(open: () => Promise<Readable>, size: number, unreadable: (reason: string) => Error): Readable {
	return Readable.from(
		(async function* () {
			let source: Readable;
			try {
				source = await open();
			} catch (error) {
				throw unreadable(reasonOf(error));
			}
			let read = 0;
			try {
				for await (const chunk of source as AsyncIterable<Buffer | string>) {
					const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
					read += bytes.length;
					yield bytes;
				}
			} catch (error) {
				throw unreadable(reasonOf(error));
			}
			if (read !== size) throw unreadable(`it held ${read} bytes where n8n's metadata gives ${size}`);
		})(),
		{ objectMode: false },
	);
}

/** The values of an options property's `options`, for `ParameterReader.option`. */
export function valuesOf<T extends string = string>(options: INodeProperties['options']): T[] {
	return ((options ?? []) as Array<{ value?: unknown }>).map((option) => option.value as T);
}
