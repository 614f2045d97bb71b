// FindItem search: t:Restriction trees (IsEqualTo…, Contains, Exists, And/Or/Not), SortOrder, and a small AQS subset
// (subject:, from:, free text) for QueryString.
import { EwsError } from './context';
import type { StoredItem } from './store';
import { attr, child, children, el, text, type Element, local } from './xml';

export type Predicate = (item: StoredItem) => boolean;
type Value = string | number | boolean | undefined;

const senderOf = (item: StoredItem) => item.sender ?? item.from;

/** The searchable FieldURIs and their values on an item, normalised for comparison. */
const FIELD_VALUES: Record<string, (item: StoredItem) => Value | Value[]> = {
	'item:Subject': (item) => item.subject,
	'message:IsRead': (item) => item.isRead,
	'message:From': (item) => (item.from ? [item.from.email, item.from.name] : undefined),
	'message:Sender': (item) => (senderOf(item) ? [senderOf(item)?.email, senderOf(item)?.name] : undefined),
	'item:DateTimeReceived': (item) => item.dateTimeReceived.getTime(),
	'item:DateTimeSent': (item) => item.dateTimeSent.getTime(),
	'item:HasAttachments': (item) => item.attachments.some((attachment) => !attachment.isInline),
	'item:Importance': (item) => item.importance,
	'item:Categories': (item) => item.categories,
	'message:InternetMessageId': (item) => item.internetMessageId,
	'item:ItemClass': (item) => item.itemClass,
	'item:Body': (item) => item.text ?? item.html,
};

/** Fields were checked when the restriction was read (fieldOf), so this never meets an unknown one. */
const fieldValue = (item: StoredItem, field: string): Value | Value[] => FIELD_VALUES[field](item);

/** ews-javascript-api writes enum constants as numbers ("2"); .NET's Enum.Parse (and so, presumably, EXO) accepts both. */
const IMPORTANCE_BY_NUMBER: Record<string, string> = { '0': 'Low', '1': 'Normal', '2': 'High' };

function constantOf(field: string, raw: string): Value {
	if (field === 'item:Importance') return IMPORTANCE_BY_NUMBER[raw] ?? raw;
	if (field === 'item:DateTimeReceived' || field === 'item:DateTimeSent') return Date.parse(raw);
	if (field === 'message:IsRead' || field === 'item:HasAttachments') return raw === 'true' || raw === '1';
	return raw;
}

const normalize = (value: Value) => (typeof value === 'string' ? value.toLowerCase() : value);
const IMPORTANCE_ORDER: Record<string, number> = { low: 0, normal: 1, high: 2 };

function compare(left: Value, right: Value, field: string): number {
	if (field === 'item:Importance') return IMPORTANCE_ORDER[String(left).toLowerCase()] - IMPORTANCE_ORDER[String(right).toLowerCase()];
	const a = normalize(left);
	const b = normalize(right);
	if (a === b) return 0;
	if (a === undefined) return -1;
	if (b === undefined) return 1;
	return a < b ? -1 : 1;
}

const COMPARISONS: Record<string, (order: number) => boolean> = {
	IsEqualTo: (order) => order === 0,
	IsNotEqualTo: (order) => order !== 0,
	IsGreaterThan: (order) => order > 0,
	IsGreaterThanOrEqualTo: (order) => order >= 0,
	IsLessThan: (order) => order < 0,
	IsLessThanOrEqualTo: (order) => order <= 0,
};

/**
 * The FieldURI a restriction or sort order names, checked when the request is read (as Exchange does), so an
 * unsupported path fails even on an empty folder. Indexed and extended paths are beyond the stand-in.
 */
function fieldOf(element: Element): string {
	const uri = child(element, 'FieldURI') ?? child(element, 'IndexedFieldURI') ?? child(element, 'ExtendedFieldURI');
	const field = attr(uri, 'FieldURI');
	if (uri && local(uri) === 'FieldURI' && field && field in FIELD_VALUES) return field;
	const named = uri ? `${local(uri)} ${field ?? attr(uri, 'PropertyTag') ?? attr(uri, 'PropertyName') ?? attr(uri, 'PropertyId') ?? ''}`.trim() : 'no property';
	throw new EwsError('ErrorUnsupportedPathForQuery', `The property ${named} can't be used in a restriction or sort order here.`, field ? el('t:FieldURI', { FieldURI: field }) : '');
}

/** The constant a comparison is made against; comparing two properties with each other is not supported here. */
function constantValueOf(element: Element): string {
	const constant = child(child(element, 'FieldURIOrConstant'), 'Constant') ?? child(element, 'Constant');
	const value = attr(constant, 'Value');
	if (value === undefined) throw new EwsError('ErrorUnsupportedQueryFilter', `Restriction ${local(element)} compares two properties; the stand-in compares a property with a constant only.`);
	return value;
}

export function parseRestriction(element: Element): Predicate {
	const name = local(element);
	if (name === 'Restriction') return parseRestriction(children(element)[0]);
	if (name === 'And' || name === 'Or') {
		const parts = children(element).map(parseRestriction);
		return name === 'And' ? (item) => parts.every((part) => part(item)) : (item) => parts.some((part) => part(item));
	}
	if (name === 'Not') {
		const inner = parseRestriction(children(element)[0]);
		return (item) => !inner(item);
	}
	if (name === 'Exists') {
		const field = fieldOf(element);
		return (item) => {
			const value = fieldValue(item, field);
			return Array.isArray(value) ? value.some((entry) => entry !== undefined && entry !== '') : value !== undefined;
		};
	}
	if (name === 'Contains') {
		const field = fieldOf(element);
		const wanted = constantValueOf(element);
		const mode = attr(element, 'ContainmentMode') ?? 'FullString';
		const ignoreCase = /IgnoreCase|Loose/.test(attr(element, 'ContainmentComparison') ?? 'Exact');
		const matches = (value: Value) => {
			if (typeof value !== 'string') return false;
			const [hay, needle] = ignoreCase ? [value.toLowerCase(), wanted.toLowerCase()] : [value, wanted];
			if (mode === 'FullString') return hay === needle;
			if (mode === 'Prefixed') return hay.startsWith(needle);
			if (mode === 'PrefixOnWords') return hay.split(/\W+/).some((word) => word.startsWith(needle));
			return hay.includes(needle); // Substring, ExactPhrase
		};
		return (item) => {
			const value = fieldValue(item, field);
			return Array.isArray(value) ? value.some(matches) : matches(value);
		};
	}
	const comparison = COMPARISONS[name];
	if (!comparison) throw new EwsError('ErrorUnsupportedQueryFilter', `Restriction ${name} is not supported by the stand-in.`);
	const field = fieldOf(element);
	const constant = constantOf(field, constantValueOf(element));
	return (item) => {
		const value = fieldValue(item, field);
		if (Array.isArray(value)) return name === 'IsNotEqualTo' ? value.every((entry) => compare(entry, constant, field) !== 0) : value.some((entry) => comparison(compare(entry, constant, field)));
		return comparison(compare(value, constant, field));
	};
}

/** AQS subset: `subject:word`, `from:someone`, `"quoted phrase"`, free words (subject, body, sender). All terms AND. */
export function parseQueryString(query: string): Predicate {
	const terms = [...query.matchAll(/(?:(\w+):)?(?:"([^"]*)"|(\S+))/g)].map((match) => ({
		key: match[1]?.toLowerCase(),
		value: (match[2] ?? match[3] ?? '').toLowerCase(),
	}));
	return (item) =>
		terms.every(({ key, value }) => {
			const subject = item.subject.toLowerCase();
			const from = `${item.from?.name ?? ''} ${item.from?.email ?? ''}`.toLowerCase();
			if (key === 'subject') return subject.includes(value);
			if (key === 'from') return from.includes(value);
			if (key === 'to') return item.to.some((address) => `${address.name ?? ''} ${address.email}`.toLowerCase().includes(value));
			const body = (item.text ?? item.html ?? '').toLowerCase();
			return subject.includes(value) || from.includes(value) || body.includes(value);
		});
}

/** SortOrder/FieldOrder list; default newest first by DateTimeReceived (as Outlook views sort). */
export function sortItems(items: StoredItem[], sortOrder: Element | undefined): StoredItem[] {
	const orders = children(sortOrder, 'FieldOrder').map((order) => ({ field: fieldOf(order), descending: attr(order, 'Order') === 'Descending' }));
	if (orders.length === 0) orders.push({ field: 'item:DateTimeReceived', descending: true });
	return [...items].sort((a, b) => {
		for (const { field, descending } of orders) {
			const left = fieldValue(a, field);
			const right = fieldValue(b, field);
			const order = compare(Array.isArray(left) ? left[0] : left, Array.isArray(right) ? right[0] : right, field);
			if (order !== 0) return descending ? -order : order;
		}
		return 0;
	});
}

export const queryStringOf = (op: Element) => text(child(op, 'QueryString'))?.trim() || undefined;
