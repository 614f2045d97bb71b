// The OData query options of message lists, as Exchange's Graph endpoint applies them: $filter (a parsed
// subset: eq/ne/gt/ge/lt/le, and/or/not, contains/startswith, categories/any), $orderby with Exchange's
// InefficientFilter rule, $top (1..1000, default 10), $skip, $search (alone only) and $select.
import type { StoredFolder, StoredItem } from '../ews/store';
import { textFromHtml } from '../ews/shapes';
import { errors } from './errors';
import { findProperty } from './schema';

export const DEFAULT_PAGE_SIZE = 10;
export const MAX_PAGE_SIZE = 1000;

type Value = string | number | boolean | Date | null;

/** Filterable / sortable message properties (Graph path -> value on the stored item). */
const PROPERTIES: Record<string, (item: StoredItem) => Value> = {
	isread: (item) => item.isRead,
	isdraft: (item) => item.isDraft,
	receiveddatetime: (item) => item.dateTimeReceived,
	sentdatetime: (item) => item.dateTimeSent,
	createddatetime: (item) => item.dateTimeCreated,
	lastmodifieddatetime: (item) => item.lastModified,
	hasattachments: (item) => item.attachments.some((attachment) => !attachment.isInline),
	subject: (item) => item.subject,
	importance: (item) => item.importance.toLowerCase(),
	'from/emailaddress/address': (item) => item.from?.email ?? null,
	'from/emailaddress/name': (item) => item.from?.name ?? null,
	'sender/emailaddress/address': (item) => item.sender?.email ?? null,
	'flag/flagstatus': (item) => item.flag.status[0].toLowerCase() + item.flag.status.slice(1),
	conversationid: (item) => item.conversationId,
	internetmessageid: (item) => item.internetMessageId,
	inferenceclassification: () => 'focused',
};

/** What $filter may name on an entity: its properties and its string collections (for any()). */
export interface FilterSchema<T> {
	typeName: 'Message' | 'MailFolder';
	properties: Record<string, (entity: T) => Value>;
	collections: Record<string, (entity: T) => string[]>;
}

export const MESSAGE_FILTER: FilterSchema<StoredItem> = { typeName: 'Message', properties: PROPERTIES, collections: { categories: (item) => item.categories } };
export const FOLDER_FILTER: FilterSchema<StoredFolder> = {
	typeName: 'MailFolder',
	properties: { displayname: (folder) => folder.displayName, ishidden: (folder) => folder.isHidden ?? false },
	collections: {},
};

interface Token {
	kind: 'word' | 'string' | 'punct';
	text: string;
}

function tokenize(filter: string): Token[] {
	const tokens: Token[] = [];
	let at = 0;
	while (at < filter.length) {
		const rest = filter.slice(at);
		const space = /^\s+/.exec(rest);
		if (space) {
			at += space[0].length;
			continue;
		}
		if (rest[0] === "'") {
			let value = '';
			let end = 1;
			for (;;) {
				if (end >= rest.length) throw errors.badQuery(`Invalid filter clause: unterminated string literal at position ${at}.`);
				if (rest[end] === "'") {
					if (rest[end + 1] === "'") {
						value += "'";
						end += 2;
						continue;
					}
					break;
				}
				value += rest[end++];
			}
			tokens.push({ kind: 'string', text: value });
			at += end + 1;
			continue;
		}
		if ('(),:'.includes(rest[0])) {
			tokens.push({ kind: 'punct', text: rest[0] });
			at++;
			continue;
		}
		const word = /^\d{4}-\d{2}-\d{2}T[\d:.]+(Z|[+-]\d{2}:\d{2})?/.exec(rest) ?? /^[A-Za-z0-9_./+-]+/.exec(rest);
		if (!word) throw errors.badQuery(`Invalid filter clause: unexpected '${rest[0]}'.`);
		tokens.push({ kind: 'word', text: word[0] });
		at += word[0].length;
	}
	return tokens;
}

export interface ParsedFilter<T = StoredItem> {
	test: (entity: T) => boolean;
	/** Properties in order of first appearance (for the InefficientFilter rule). */
	properties: string[];
}

const COMPARATORS = ['eq', 'ne', 'gt', 'ge', 'lt', 'le'];

/** Parses `$filter` (messages by default); unknown properties and unsupported syntax answer as Graph does. */
export function parseFilter<T = StoredItem>(filter: string, schema: FilterSchema<T> = MESSAGE_FILTER as unknown as FilterSchema<T>): ParsedFilter<T> {
	type Predicate = (entity: T) => boolean;
	const tokens = tokenize(filter);
	const properties: string[] = [];
	let at = 0;
	const peek = () => tokens[at];
	const next = () => tokens[at++];
	const expect = (text: string) => {
		const token = next();
		if (!token || token.text !== text) throw errors.badQuery(`Invalid filter clause: '${text}' expected.`);
	};
	const property = (name: string): ((entity: T) => Value) => {
		const key = name.toLowerCase();
		const accessor = schema.properties[key];
		if (!accessor) {
			const top = name.split('/')[0];
			if (!findProperty(schema.typeName, top)) throw errors.unknownProperty(top, schema.typeName);
			throw errors.badQuery(`Invalid filter clause: the property '${name}' cannot be used in $filter.`);
		}
		if (!properties.includes(key)) properties.push(key);
		return accessor;
	};
	const literal = (token: Token | undefined): Value => {
		if (!token) throw errors.badQuery('Invalid filter clause: a value is missing.');
		if (token.kind === 'string') return token.text;
		if (token.text === 'true' || token.text === 'false') return token.text === 'true';
		if (token.text === 'null') return null;
		if (/^-?\d+(\.\d+)?$/.test(token.text)) return Number(token.text);
		if (/^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:\d{2})?)?$/.test(token.text)) return new Date(token.text);
		throw errors.badQuery(`Invalid filter clause: '${token.text}' is not a value.`);
	};
	const compare = (left: Value, op: string, right: Value): boolean => {
		const norm = (value: Value) => (value instanceof Date ? value.getTime() : typeof value === 'string' ? value.toLowerCase() : value);
		const a = norm(left);
		let b = norm(right);
		if (left instanceof Date && typeof right === 'string') b = new Date(right).getTime();
		if (typeof left === 'boolean' && typeof b !== 'boolean' && b !== null) throw errors.badQuery(`Invalid filter clause: a Boolean cannot be compared with '${String(right)}'.`);
		switch (op) {
			case 'eq':
				return a === b;
			case 'ne':
				return a !== b;
		}
		if (a === null || b === null) return false;
		if (op === 'gt') return a > b;
		if (op === 'ge') return a >= b;
		if (op === 'lt') return a < b;
		return a <= b;
	};
	const primary = (): Predicate => {
		const token = next();
		if (!token) throw errors.badQuery('Invalid filter clause: the expression ends early.');
		if (token.text === '(') {
			const inner = or();
			expect(')');
			return inner;
		}
		if (token.text.toLowerCase() === 'not') {
			const inner = primary();
			return (item) => !inner(item);
		}
		const fn = token.text.toLowerCase();
		if ((fn === 'contains' || fn === 'startswith') && peek()?.text === '(') {
			next();
			const accessor = property(next()?.text ?? '');
			expect(',');
			const needle = literal(next());
			expect(')');
			if (typeof needle !== 'string') throw errors.badQuery(`Invalid filter clause: ${fn} takes a string.`);
			return (item) => {
				const value = accessor(item);
				if (typeof value !== 'string') return false;
				return fn === 'contains' ? value.toLowerCase().includes(needle.toLowerCase()) : value.toLowerCase().startsWith(needle.toLowerCase());
			};
		}
		const collection = /^(\w+)\/any$/i.exec(token.text)?.[1]?.toLowerCase();
		if (collection && schema.collections[collection] && peek()?.text === '(') {
			const values = schema.collections[collection];
			next();
			const variable = next()?.text;
			expect(':');
			const path = next()?.text;
			if (path !== variable) throw errors.badQuery(`Invalid filter clause: ${collection}/any compares the lambda variable.`);
			const op = next()?.text.toLowerCase();
			if (op !== 'eq') throw errors.badQuery(`Invalid filter clause: ${collection}/any supports eq only.`);
			const value = literal(next());
			expect(')');
			if (!properties.includes(collection)) properties.push(collection);
			return (entity) => values(entity).some((entry) => entry.toLowerCase() === String(value).toLowerCase());
		}
		if (token.kind !== 'word') throw errors.badQuery(`Invalid filter clause: unexpected '${token.text}'.`);
		if (peek()?.text === '(') throw errors.badQuery(`Invalid filter clause: the function '${token.text}' is not supported.`);
		const accessor = property(token.text);
		const op = next()?.text.toLowerCase();
		if (!op || !COMPARATORS.includes(op)) throw errors.badQuery(`Invalid filter clause: a comparison (eq, ne, gt, ge, lt, le) is expected after '${token.text}'.`);
		const right = literal(next());
		return (item) => compare(accessor(item), op, right);
	};
	/** operand (WORD operand)*, joined left to right. */
	const chain = (operand: () => Predicate, word: 'and' | 'or'): (() => Predicate) => () => {
		let left = operand();
		while (peek()?.text.toLowerCase() === word) {
			next();
			const right = operand();
			const previous = left;
			left = word === 'and' ? (entity) => previous(entity) && right(entity) : (entity) => previous(entity) || right(entity);
		}
		return left;
	};
	const and = chain(primary, 'and');
	const or = chain(and, 'or');
	const test = or();
	if (at < tokens.length) throw errors.badQuery(`Invalid filter clause: unexpected '${tokens[at].text}'.`);
	return { test, properties };
}

export interface OrderBy {
	property: string;
	descending: boolean;
}

export function parseOrderBy(orderby: string): OrderBy[] {
	return orderby.split(',').map((part) => {
		const [name, direction, extra] = part.trim().split(/\s+/);
		const key = (name ?? '').toLowerCase();
		if (!PROPERTIES[key]) {
			const top = (name ?? '').split('/')[0];
			if (!findProperty('Message', top)) throw errors.unknownProperty(top, 'Message');
			throw errors.badQuery(`The property '${name}' cannot be used in $orderby.`);
		}
		if (extra !== undefined || (direction !== undefined && !/^(asc|desc)$/i.test(direction))) throw errors.badQuery(`Invalid $orderby clause '${part.trim()}'.`);
		return { property: key, descending: direction?.toLowerCase() === 'desc' };
	});
}

/**
 * Exchange's rule for $filter with $orderby (user-list-messages.md): the $orderby properties appear in $filter,
 * in the same order, before any other property; otherwise InefficientFilter.
 */
export function checkFilterOrder(filter: ParsedFilter<StoredItem>, orderBy: OrderBy[]): void {
	orderBy.forEach((order, index) => {
		if (filter.properties[index] !== order.property) throw errors.inefficientFilter();
	});
}

export function sortItems(items: StoredItem[], orderBy: OrderBy[]): StoredItem[] {
	const keys = orderBy.length ? orderBy : [{ property: 'receiveddatetime', descending: true }];
	const norm = (value: Value) => (value instanceof Date ? value.getTime() : typeof value === 'string' ? value.toLowerCase() : value === null ? '' : value);
	return [...items].sort((a, b) => {
		for (const key of keys) {
			const left = norm(PROPERTIES[key.property](a));
			const right = norm(PROPERTIES[key.property](b));
			if (left === right) continue;
			const order = left < right ? -1 : 1;
			return key.descending ? -order : order;
		}
		return 0;
	});
}

/** $search on messages: a quoted phrase, or words; `from:`, `subject:`, `to:`, `body:` narrow a word (KQL-like). */
export function searchPredicate(search: string): (item: StoredItem) => boolean {
	// The whole value is one quoted string; quotes inside it are escaped (\") and quote a phrase, as in subject:"big deal".
	const outer = /^"(.*)"$/s.exec(search.trim())?.[1] ?? search.trim();
	const kql = outer.replace(/\\"/g, '"');
	const terms = [...kql.matchAll(/(?:(from|subject|to|body):)?(?:"([^"]*)"|(\S+))/gi)].map(([, field, quoted, word]) => ({ field, word: quoted ?? word }));
	return (item) =>
		terms.every(({ field, word }) => {
			const needle = (word ?? '').toLowerCase();
			const body = (item.text ?? textFromHtml(item.html ?? '')).toLowerCase();
			const from = `${item.from?.name ?? ''} ${item.from?.email ?? ''}`.toLowerCase();
			const to = item.to.map((address) => `${address.name ?? ''} ${address.email}`).join(' ').toLowerCase();
			switch (field?.toLowerCase()) {
				case 'from':
					return from.includes(needle);
				case 'subject':
					return item.subject.toLowerCase().includes(needle);
				case 'to':
					return to.includes(needle);
				case 'body':
					return body.includes(needle);
				default:
					return [item.subject.toLowerCase(), body, from, to].some((field) => field.includes(needle));
			}
		});
}

/** $top: 1..1000. */
export function pageSize(top: string | null): number {
	if (top === null) return DEFAULT_PAGE_SIZE;
	const size = Number(top);
	if (!/^\d+$/.test(top) || size < 1 || size > MAX_PAGE_SIZE) {
		throw errors.badQuery(`Invalid page size specified: '${top}'. Must be between 1 and ${MAX_PAGE_SIZE} inclusive.`);
	}
	return size;
}
