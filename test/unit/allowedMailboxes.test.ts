import { isMailboxAllowed, mailboxRefusal, parseAllowedMailboxes } from '../../nodes/shared/auth/allowedMailboxes';

describe('Allowed Mailboxes', () => {
	it('allows everything when empty', () => {
		expect(isMailboxAllowed(parseAllowedMailboxes(''), 'anyone@anywhere.com')).toBe(true);
		expect(isMailboxAllowed(parseAllowedMailboxes(undefined), 'anyone@anywhere.com')).toBe(true);
	});

	it('matches exact addresses case-insensitively and *@domain patterns for that domain only', () => {
		const policy = parseAllowedMailboxes(' Invoices@Contoso.com, *@shared.contoso.com;\nnoreply@contoso.com ');
		expect(isMailboxAllowed(policy, 'invoices@contoso.com')).toBe(true);
		expect(isMailboxAllowed(policy, 'NOREPLY@contoso.com')).toBe(true);
		expect(isMailboxAllowed(policy, 'billing@shared.contoso.com')).toBe(true);
		expect(isMailboxAllowed(policy, 'ceo@contoso.com')).toBe(false);
		expect(isMailboxAllowed(policy, 'x@sub.shared.contoso.com')).toBe(false);
		expect(isMailboxAllowed(policy, 'x@evilshared.contoso.com')).toBe(false);
		expect(isMailboxAllowed(policy, 'invoices@contoso.com.evil.com')).toBe(false);
	});

	it('explains a refusal with the field, the list and the fix', () => {
		const refusal = mailboxRefusal('ceo@contoso.com', parseAllowedMailboxes('invoices@contoso.com'), 'From Email');
		expect(refusal.message).toBe('Mailbox "ceo@contoso.com" in "From Email" is not in the credential\'s Allowed Mailboxes');
		expect(refusal.description).toMatch(/invoices@contoso\.com/);
		expect(refusal.description).toMatch(/Allowed Mailboxes/);
	});
});
