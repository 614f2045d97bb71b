export interface ParsedAddress {
	name: string;
	address: string;
}

// Pragmatic check, not full RFC 5322: one @, no spaces, a dot in the domain (or a literal).
const ADDRESS = /^[^\s@<>(),;:"[\]]+@(?:[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+|\[[0-9A-Fa-f:.]+\])$/;
// Control characters (C0, DEL, C1) and Unicode line separators are never part of an address or a
// display name: \x01 ends a field of the XOAUTH2 login string, CR/LF end a header line.
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
// "Display Name" <address> or Display Name <address>
const NAMED = /^(?:"((?:[^"\\]|\\.)*)"|([^<>"]*?))\s*<([^<>]*)>$/;

export function isValidAddress(address: string): boolean {
	return !CONTROL.test(address) && ADDRESS.test(address);
}

/** Splits on commas and semicolons (Outlook users type either) outside quotes and angle brackets. */
function splitEntries(value: string): string[] {
	const entries: string[] = [];
	let current = '';
	let inQuotes = false;
	let inAngle = false;
	for (const char of value) {
		if (char === '"' && !inAngle) inQuotes = !inQuotes;
		else if (char === '<' && !inQuotes) inAngle = true;
		else if (char === '>' && !inQuotes) inAngle = false;
		if ((char === ',' || char === ';') && !inQuotes && !inAngle) {
			entries.push(current);
			current = '';
		} else {
			current += char;
		}
	}
	entries.push(current);
	return entries.map((entry) => entry.trim()).filter(Boolean);
}

/**
 * Parses an address list ("Ann <ann@contoso.com>, bob@contoso.com") and returns the addresses, or
 * the first entry that is not a valid address.
 */
export function parseAddressList(value: string): { addresses: ParsedAddress[]; invalid?: string } {
	const addresses: ParsedAddress[] = [];
	for (const entry of splitEntries(value)) {
		const named = NAMED.exec(entry);
		const name = named ? (named[1] ?? named[2] ?? '').replace(/\\(.)/g, '$1').trim() : '';
		const address = (named ? named[3] : entry).trim();
		if (!isValidAddress(address) || CONTROL.test(name)) return { addresses, invalid: entry };
		addresses.push({ name, address });
	}
	return { addresses };
}
