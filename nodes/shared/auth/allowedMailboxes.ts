/**
 * The "Allowed Mailboxes" guard. An app with full_access_as_app or SMTP.SendAsApp can reach every
 * mailbox of the tenant unless Exchange scopes it (RBAC for Applications); this lets the n8n admin
 * narrow what workflows can do with one credential. It runs before any network call.
 */

export interface MailboxPolicy {
	/** Empty = no restriction. */
	patterns: string[];
}

export function parseAllowedMailboxes(value: unknown): MailboxPolicy {
	const patterns = String(value ?? '')
		.split(/[\s,;]+/)
		.map((entry) => entry.trim().toLowerCase())
		.filter(Boolean);
	return { patterns };
}

// "*@contoso.com" matches any mailbox of exactly that domain (not of its subdomains).
function matches(pattern: string, address: string): boolean {
	if (!pattern.startsWith('*@')) return pattern === address;
	const at = address.lastIndexOf('@');
	return at > 0 && address.slice(at + 1) === pattern.slice(2);
}

export function isMailboxAllowed(policy: MailboxPolicy, mailbox: string): boolean {
	if (policy.patterns.length === 0) return true;
	const address = mailbox.trim().toLowerCase();
	return policy.patterns.some((pattern) => matches(pattern, address));
}

/** Error text for a refused mailbox: names the mailbox, the field and the fix. */
export function mailboxRefusal(mailbox: string, policy: MailboxPolicy, field: string): { message: string; description: string } {
	return {
		message: `Mailbox "${mailbox}" in "${field}" is not in the credential's Allowed Mailboxes`,
		description: `This credential may only be used with: ${policy.patterns.join(', ')}. Use one of those mailboxes, or ask the n8n admin to add this one to "Allowed Mailboxes" in the credential.`,
	};
}
