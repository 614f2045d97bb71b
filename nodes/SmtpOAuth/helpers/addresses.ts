import addressparser from 'nodemailer/lib/addressparser';

export interface ParsedAddress {
	name: string;
	address: string;
}

// Pragmatic check, not full RFC 5322: one @, no spaces, a dot in the domain (or a literal).
const ADDRESS = /^[^\s@<>(),;:"[\]]+@(?:[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+|\[[0-9A-Fa-f:.]+\])$/;

export function isValidAddress(address: string): boolean {
	return ADDRESS.test(address);
}

/**
 * Parses a comma-separated address list ("Ann <ann@contoso.com>, bob@contoso.com") and returns the
 * addresses, or the first entry that is not a valid address.
 */
export function parseAddressList(value: string): { addresses: ParsedAddress[]; invalid?: string } {
	const addresses: ParsedAddress[] = [];
	for (const entry of addressparser(value, { flatten: true }) as Array<{ name: string; address?: string }>) {
		const address = (entry.address ?? '').trim();
		if (!address && !entry.name) continue;
		if (!isValidAddress(address)) return { addresses, invalid: address || entry.name };
		addresses.push({ name: entry.name ?? '', address });
	}
	return { addresses };
}
