/**
 * The "Allowed Mailboxes" guard. An app with full_access_as_app or SMTP.SendAsApp can reach every
 * mailbox of the tenant unless Exchange scopes it (RBAC for Applications); this lets the n8n admin
 * narrow what workflows can do with one credential. The mailbox a node acts on is checked before
 * any network call; message, folder and attachment ids are checked for the mailbox they belong to
 * before they are used (nodes/shared/transport/ews/ownership.ts).
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

/** Whether the policy narrows anything (an empty list allows every mailbox, and costs no checks). */
export function restrictsMailboxes(policy: MailboxPolicy): boolean {
	return policy.patterns.length > 0;
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

/** Error text for an id that belongs to a mailbox outside the list: names the field, the mailbox and the fix. */
export function foreignIdRefusal(owner: string, policy: MailboxPolicy, field: string): { message: string; description: string } {
	return {
		message: `The ID in "${field}" belongs to mailbox "${owner}", which is not in the credential's Allowed Mailboxes`,
		description: `An ID names the mailbox it belongs to, and Exchange acts on that mailbox whenever the signed-in or impersonated user may open it. This credential may only be used with: ${policy.patterns.join(', ')}. Use an ID from one of those mailboxes, or ask the n8n admin to add "${owner}" to "Allowed Mailboxes" in the credential.`,
	};
}
