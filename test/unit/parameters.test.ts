/** The parameter reader: what it coerces, what it refuses, and that every refusal names the field. */
import type { INodeTypeDescription } from 'n8n-workflow';

import { folderPathSegments } from '../../nodes/shared/mail/folderRefs';
import { itemParameters, type ParameterReader } from '../../nodes/shared/parameters';
import { createExecuteContext } from '../support/executeContext';

const description = {
	displayName: 'Test',
	name: 'test',
	group: [],
	version: 1,
	description: '',
	defaults: {},
	inputs: [],
	outputs: [],
	properties: [
		{ displayName: 'Text', name: 'text', type: 'string', default: '' },
		{ displayName: 'Limit', name: 'limit', type: 'number', default: 50 },
		{ displayName: 'Flag', name: 'flag', type: 'boolean', default: false },
		{ displayName: 'Folder', name: 'folder', type: 'resourceLocator', default: { mode: 'wellKnown', value: 'inbox' }, modes: [] },
		{ displayName: 'Options', name: 'options', type: 'collection', default: {}, options: [{ displayName: 'CC Email', name: 'ccEmail', type: 'string', default: '' }] },
	],
} as unknown as INodeTypeDescription;

/** The reader over parameters whose expressions returned `values` (n8n hands them over uncoerced). */
function reader(values: Record<string, unknown>): ParameterReader {
	const { context } = createExecuteContext({ description, parameters: {}, expressions: () => values, credentials: {} });
	return itemParameters(context, 0);
}

const refusal = (read: () => unknown): string => {
	try {
		read();
	} catch (error) {
		const { message, description: text } = error as Error & { description?: string };
		return `${message} | ${text}`;
	}
	throw new Error('expected a refusal');
};

describe('text', () => {
	it('writes out numbers and true/false, treats null as empty, trims unless told not to', () => {
		expect(reader({ text: 42 }).string('text', 'Text')).toBe('42');
		expect(reader({ text: 2.5 }).string('text', 'Text')).toBe('2.5');
		expect(reader({ text: false }).string('text', 'Text')).toBe('false');
		expect(reader({ text: null }).string('text', 'Text')).toBe('');
		expect(reader({}).string('text', 'Text')).toBe('');
		expect(reader({ text: '  a b  ' }).string('text', 'Text')).toBe('a b');
		expect(reader({ text: '  a b  ' }).string('text', 'Text', { keepSpaces: true })).toBe('  a b  ');
		expect(reader({ text: 'line 1\r\nline\t2' }).text('text', 'Text')).toBe('line 1\r\nline\t2');
	});

	it.each([
		[{ a: 1 }, /^"Text" must be text, not an object \(with a\)/],
		[[], /^"Text" must be text, not a list \(array\) of 0 values/],
		[['a', 'b'], /^"Text" must be text, not a list \(array\) of 2 values/],
		[new Date(0), /^"Text" must be text, not a date object/],
		[Number.NaN, /^"Text" must be text, not the number NaN/],
		['a\u0001b', /^"Text" contains the control character U\+0001/],
		['two\nlines', /^"Text" contains a line break \(U\+000A\)/],
		['\uD800 lone surrogate', /^"Text" contains the character U\+D800/],
	])('refuses %p naming the field', (value, pattern) => {
		expect(refusal(() => reader({ text: value }).string('text', 'Text'))).toMatch(pattern);
	});

	it('a body may have line breaks, but no other control characters', () => {
		expect(refusal(() => reader({ text: 'a\u0000b' }).text('text', 'Text'))).toMatch(/^"Text" contains the control character U\+0000/);
	});

	it('required text says it is empty', () => {
		expect(refusal(() => reader({ text: '   ' }).string('text', 'Text', { required: true }))).toMatch(/^"Text" is empty \| Fill in "Text"/);
	});

	it('quotes a huge value shortened, without markup', () => {
		const message = refusal(() => reader({ text: `<b>${'x'.repeat(2_000_000)}` }).id('text', 'Text'));
		expect(message.length).toBeLessThan(600);
		expect(message).not.toMatch(/<b>/);
		expect(message).toMatch(/\(2000003 characters\)/);
	});
});

describe('numbers, booleans, options, dates', () => {
	it('reads numbers and numeric text, falls back only when not set', () => {
		expect(reader({ limit: 7 }).number('limit', 'Limit', 50)).toBe(7);
		expect(reader({ limit: ' 25 ' }).number('limit', 'Limit', 50)).toBe(25);
		expect(reader({ limit: '1e3' }).number('limit', 'Limit', 50)).toBe(1000);
		expect(reader({}).number('options.missing', 'Limit', 50)).toBe(50);
	});

	it.each([
		['abc', /^"Limit" must be a number, not "abc"/],
		[null, /^"Limit" is empty/],
		['', /^"Limit" is empty/],
		[{}, /^"Limit" must be a number, not an empty object/],
		[[3], /^"Limit" must be a number, not a list/],
		[true, /^"Limit" must be a number, not a boolean/],
		[Number.NaN, /^"Limit" must be a whole number at least 1, not NaN/],
		[0, /^"Limit" must be a whole number at least 1, not 0/],
		[2.5, /^"Limit" must be a whole number at least 1, not 2.5/],
	])('refuses %p as a Limit', (value, pattern) => {
		expect(refusal(() => reader({ limit: value }).number('limit', 'Limit', 50, { min: 1, integer: true }))).toMatch(pattern);
	});

	it('booleans: true/false and their text; anything else is refused', () => {
		expect(reader({ flag: 'TRUE ' }).boolean('flag', 'Flag', false)).toBe(true);
		expect(reader({ flag: 'false' }).boolean('flag', 'Flag', true)).toBe(false);
		expect(reader({}).boolean('options.missing', 'Flag')).toBeUndefined();
		expect(refusal(() => reader({ flag: 1 }).boolean('flag', 'Flag', false))).toMatch(/^"Flag" must be true or false, not the number 1/);
		expect(refusal(() => reader({ flag: null }).boolean('flag', 'Flag', false))).toMatch(/^"Flag" must be true or false, not null/);
	});

	it('options: one of the offered values', () => {
		expect(reader({ text: 'hard' }).option('text', 'Delete Mode', ['soft', 'hard'], 'soft')).toBe('hard');
		expect(refusal(() => reader({ text: 'HARD' }).option('text', 'Delete Mode', ['soft', 'hard'], 'soft'))).toMatch(/^"Delete Mode" must be one of soft, hard, not "HARD"/);
		expect(refusal(() => reader({ text: ['hard'] }).option('text', 'Delete Mode', ['soft', 'hard'], 'soft'))).toMatch(/^"Delete Mode" must be one of soft, hard, not a list/);
	});

	it('dates: ISO and RFC 2822 text or a date object; bare numbers are not dates', () => {
		expect(reader({ text: '2026-01-31T10:00:00Z' }).date('text', 'Received After')).toBe('2026-01-31T10:00:00.000Z');
		expect(reader({ text: 'Sat, 31 Jan 2026 10:00:00 +0000' }).date('text', 'Received After')).toBe('2026-01-31T10:00:00.000Z');
		expect(reader({ text: new Date('2026-01-31T10:00:00Z') }).date('text', 'Received After')).toBe('2026-01-31T10:00:00.000Z');
		expect(reader({ text: '' }).date('text', 'Received After')).toBeUndefined();
		expect(refusal(() => reader({ text: '42' }).date('text', 'Received After'))).toMatch(/^"42" in "Received After" is not a date/);
		expect(refusal(() => reader({ text: 1_700_000_000_000 }).date('text', 'Received After'))).toMatch(/in "Received After" is not a date/);
	});
});

describe('lists and addresses', () => {
	it('a list is comma-separated text or an array', () => {
		expect(reader({ text: 'a, b,,c ' }).list('text', 'Attachments')).toEqual(['a', 'b', 'c']);
		expect(reader({ text: ['a', ' b ', 3] }).list('text', 'Attachments')).toEqual(['a', 'b', '3']);
		expect(reader({ text: 42 }).list('text', 'Attachments')).toEqual(['42']);
		expect(refusal(() => reader({ text: [{ a: 1 }] }).list('text', 'Attachments'))).toMatch(/^"Attachments" must be text, not an object/);
	});

	it('addresses from text, arrays of text and { address, name } objects: never glued into one', () => {
		expect(reader({ text: 'Ann <ann@example.com>; bob@example.com' }).addresses('text', 'To Email')).toEqual([
			{ name: 'Ann', address: 'ann@example.com' },
			{ name: '', address: 'bob@example.com' },
		]);
		expect(reader({ text: ['ann@example.com', 'Bob <bob@example.com>, cy@example.com'] }).addresses('text', 'To Email').map((a) => a.address)).toEqual(['ann@example.com', 'bob@example.com', 'cy@example.com']);
		expect(reader({ text: [{ name: 'Ann', address: 'ann@example.com' }] }).addresses('text', 'To Email')).toEqual([{ name: 'Ann', address: 'ann@example.com' }]);
		expect(reader({ text: { address: 'ann@example.com' } }).addresses('text', 'To Email')).toEqual([{ name: '', address: 'ann@example.com' }]);
		expect(reader({ text: null }).addresses('text', 'CC Email')).toEqual([]);
	});

	it.each([
		[{ email: 'ann@example.com' }, /^"To Email" must be text, not an object \(with email\)/],
		[[['ann@example.com']], /^"To Email" must be a list of addresses, not a list holding a list/],
		[[{ a: 1 }], /^"To Email" must be a list of addresses, not a list holding an object/],
		[42, /^Invalid email address "42" in "To Email"/],
		['ann@example.com\u0001', /^"To Email" contains the control character U\+0001/],
		[`${'a'.repeat(250)}@example.com`, /^Invalid email address "a+… \(262 characters\)" in "To Email"/],
		[{ address: 'not an address' }, /^Invalid email address "not an address" in "To Email"/],
		['', /^"To Email" is empty/],
	])('refuses %p', (value, pattern) => {
		expect(refusal(() => reader({ text: value }).addresses('text', 'To Email', { required: true }))).toMatch(pattern);
	});

	it('single: at most one address', () => {
		expect(refusal(() => reader({ text: ['a@example.com', 'b@example.com'] }).addresses('text', 'From Email', { single: true }))).toMatch(/^"From Email" must hold one address, not 2/);
	});
});

describe('the Mailbox field', () => {
	it('takes one bare address, Latin-1 allowed', () => {
		expect(reader({ text: ' invoices@contoso.com ' }).mailbox('text', 'Mailbox')).toBe('invoices@contoso.com');
		expect(reader({ text: 'jürgen@contoso.com' }).mailbox('text', 'Mailbox')).toBe('jürgen@contoso.com');
		expect(reader({ text: '' }).mailbox('text', 'Mailbox')).toBeUndefined();
	});

	it.each([
		['in\u0001voices@contoso.com', /contains the control character U\+0001/],
		['in\u0085voices@contoso.com', /contains the control character U\+0085/],
		['invoices\u00a0@contoso.com', /contains the character U\+00A0/],
		['in voices@contoso.com', /contains the character U\+0020/],
		['Invoices <invoices@contoso.com>', /contains the character U\+0020/],
		['<invoices@contoso.com>', /contains the character U\+003C/],
		['"invoices"@contoso.com', /contains the character U\+0022/],
		['请@contoso.com', /contains the character U\+8BF7/],
		['😀@contoso.com', /contains the character U\+1F600/],
		['a@contoso.com,b@contoso.com', /contains the character U\+002C/],
		['invoices', /^Invalid email address "invoices" in "Mailbox" \|/],
		['a'.repeat(1 << 20), /^Invalid email address "a+… \(1048576 characters\)" in "Mailbox"/],
	])('refuses %p naming the field', (value, pattern) => {
		const message = refusal(() => reader({ text: value }).mailbox('text', 'Mailbox'));
		expect(message).toMatch(/"Mailbox"/);
		expect(message).toMatch(pattern);
	});

	it('refuses non-text', () => {
		expect(refusal(() => reader({ text: ['invoices@contoso.com'] }).mailbox('text', 'Mailbox'))).toMatch(/^"Mailbox" must be text, not a list/);
		expect(refusal(() => reader({ text: { address: 'invoices@contoso.com' } }).mailbox('text', 'Mailbox'))).toMatch(/^"Mailbox" must be text, not an object/);
	});
});

describe('folders', () => {
	const folder = (value: unknown, mode = 'path') => reader({ folder: { __rl: true, mode, value } }).folder('folder', 'Folder');

	it('paths, well-known names, IDs; a bare text is a path; a number names a folder', () => {
		expect(folder(' Inbox / Processed ')).toEqual({ path: 'Inbox / Processed' });
		expect(folder('Inbox/Processed', 'list')).toEqual({ path: 'Inbox/Processed' });
		expect(folder(2026)).toEqual({ path: '2026' });
		expect(folder('INBOX', 'wellKnown')).toEqual({ wellKnown: 'inbox' });
		expect(folder('AAMkAGI2=', 'id')).toEqual({ id: 'AAMkAGI2=' });
		expect(reader({ folder: 'Archive' }).folder('folder', 'Folder')).toEqual({ path: 'Archive' });
	});

	it.each(['Inbox/', 'Inbox//x', ' / ', '/', '/Inbox', 'Inbox/ /x'])('refuses the path %p: an empty segment would point at another folder', (path) => {
		expect(refusal(() => folder(path))).toMatch(/^"Folder" has an empty folder name in the path/);
		expect(folderPathSegments(path)).toBeUndefined();
	});

	it.each([
		[{ a: 1 }, 'path', /^"Folder" must be text, not an object/],
		[['Inbox'], 'path', /^"Folder" must be text, not a list/],
		[null, 'path', /^"Folder" is empty/],
		['Inbox\u0000', 'path', /^"Folder" contains the control character U\+0000/],
		['Nope', 'wellKnown', /^"Nope" in "Folder" is not a well-known folder/],
		['AA MkAGI2', 'id', /^"AA MkAGI2" in "Folder" is not an Exchange ID/],
		['x'.repeat(5000), 'id', /in "Folder" is not an Exchange ID/],
		['Inbox', 'url', /^"Folder" has an unknown mode "url"/],
	])('refuses %p (mode %s)', (value, mode, pattern) => {
		expect(refusal(() => folder(value, mode))).toMatch(pattern);
	});

	it('splits a good path into trimmed names', () => {
		expect(folderPathSegments(' Inbox / Processed ')).toEqual(['Inbox', 'Processed']);
	});
});

describe('fixed collection rows', () => {
	it('reads each row like parameters, and refuses rows that are not entries', () => {
		const rows = reader({ 'options.headers': { header: [{ name: 'X-A', value: 1 }] } }).rows('options.headers', 'header', 'Custom Headers');
		expect(rows.map((row) => [row.string('name', 'Name'), row.string('value', 'Value')])).toEqual([['X-A', '1']]);
		expect(reader({}).rows('options.headers', 'header', 'Custom Headers')).toEqual([]);
		expect(refusal(() => reader({ 'options.headers': { header: ['X-A'] } }).rows('options.headers', 'header', 'Custom Headers'))).toMatch(/^"Custom Headers" must be a list of entries, not a string/);
	});
});
