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
