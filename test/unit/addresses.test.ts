import { isValidAddress, parseAddressList } from '../../nodes/shared/mail/addresses';

describe('address lists', () => {
	it('parses names and addresses separated by commas', () => {
		expect(parseAddressList('Ann Example <ann@contoso.com>, bob@example.org').addresses).toEqual([
			{ name: 'Ann Example', address: 'ann@contoso.com' },
			{ name: '', address: 'bob@example.org' },
		]);
	});

	it.each(['bob', 'bob@', '@contoso.com', 'bob@localhost', 'a b@contoso.com', 'Ann <ann@contoso.com', '<>'])('rejects %p', (value) => {
		expect(parseAddressList(value).invalid).toBeDefined();
	});

	it('accepts semicolons as Outlook users type them, and commas inside quoted names', () => {
		expect(parseAddressList('"Doe, Jane" <jane@contoso.com>; bob@contoso.com').addresses).toEqual([
			{ name: 'Doe, Jane', address: 'jane@contoso.com' },
			{ name: '', address: 'bob@contoso.com' },
		]);
	});

	it('names the first invalid entry', () => {
		expect(parseAddressList('ok@contoso.com, not-an-address, also@contoso.com').invalid).toBe('not-an-address');
	});

	it('accepts plus addressing, subdomains and IP literals', () => {
		for (const address of ['a+tag@mail.contoso.co.uk', 'x@[192.0.2.1]']) expect(isValidAddress(address)).toBe(true);
	});
});

describe('control characters', () => {
	// Every C0 control, DEL, the C1 range and the Unicode line separators: \x01 ends a field of the
	// XOAUTH2 login string, CR/LF end a header line.
	const controls = [...Array.from({ length: 0x20 }, (_, i) => i), 0x7f, ...Array.from({ length: 0x20 }, (_, i) => 0x80 + i), 0x2028, 0x2029].map((code) => String.fromCharCode(code));

	it.each(['local part', 'domain', 'display name', 'quoted display name'])('are refused in the %s, for every one of them', (where) => {
		for (const control of controls) {
			const value = {
				'local part': `in${control}voices@contoso.com`,
				domain: `invoices@con${control}toso.com`,
				'display name': `Acc${control}ounts <invoices@contoso.com>`,
				'quoted display name': `"Acc${control}ounts" <invoices@contoso.com>`,
			}[where]!;
			expect({ control: control.charCodeAt(0), invalid: parseAddressList(value).invalid }).toEqual({ control: control.charCodeAt(0), invalid: expect.any(String) });
			if (where !== 'display name' && where !== 'quoted display name') expect(isValidAddress(value)).toBe(false);
		}
	});

	it('still accepts tabs around entries and non-ASCII display names', () => {
		expect(parseAddressList('\tJürgen Müller <j@contoso.com>,\tbob@contoso.com').addresses).toEqual([
			{ name: 'Jürgen Müller', address: 'j@contoso.com' },
			{ name: '', address: 'bob@contoso.com' },
		]);
	});
});
