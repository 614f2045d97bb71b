/**
 * Graph failures: the kind of every code and status (one table in errors.ts), and each catalogue
 * entry rendered with the real mailbox, app (client) ID and tenant, with no angle-bracket placeholder
 * (n8n renders descriptions as HTML). The failures come from real Graph error answers through
 * the client (failureFromAnswer), not hand-built objects.
 */
import { diagnoseGraphFailure } from '../../../nodes/shared/errors/graphCatalogue';
import type { FailureKind, MailFailure } from '../../../nodes/shared/mail/store';
import { failureFromAnswer, failureKind, retryAfterMs } from '../../../nodes/shared/transport/graph/errors';

const FACTS = { mailbox: 'invoices@contoso.com', clientId: '3b9e1f42-7c5a-4d8e-a1f6-0e2d4c6b8a91', tenantId: '8f2c6a1e-4b7d-4e59-9c3a-5d1e7f0b2a64', server: 'graph.microsoft.com' };

function answer(status: number, code: string, message = `${code} message`, headers: Record<string, string> = {}): MailFailure {
	return { ...failureFromAnswer(status, headers, { error: { code, message, innerError: { 'request-id': 'r-1', date: '2026-12-01T12:00:00' } } }), ...FACTS };
}

describe('failure kinds', () => {
	it.each<[number, string, FailureKind]>([
		[404, 'ErrorItemNotFound', 'notFound'],
		[400, 'ErrorInvalidIdMalformed', 'invalidId'],
		[404, 'ErrorInvalidMailboxItemId', 'invalidId'],
		[409, 'ErrorFolderExists', 'nameTaken'],
		[400, 'ErrorDeleteDistinguishedFolder', 'protectedFolder'],
		[400, 'ErrorInvalidRecipients', 'invalidRecipient'],
		[403, 'ErrorAccessDenied', 'accessDenied'],
		[403, 'ErrorSendAsDenied', 'accessDenied'],
		[401, 'InvalidAuthenticationToken', 'unauthorized'],
		[429, 'ApplicationThrottled', 'throttled'],
		[429, 'TooManyRequests', 'throttled'],
		[413, 'ErrorMessageSizeExceeded', 'tooLarge'],
		[507, 'ErrorQuotaExceeded', 'quota'],
		[404, 'MailboxNotEnabledForRESTAPI', 'mailboxUnavailable'],
		[404, 'ErrorInvalidUser', 'mailboxUnavailable'],
		[400, 'InefficientFilter', 'invalidRequest'],
		[410, 'syncStateNotFound', 'invalidCursor'],
		[503, 'serviceNotAvailable', 'unavailable'],
		[500, 'SomethingNew', 'unavailable'],
		[418, 'SomethingNew', 'other'],
	])('HTTP %s %s → %s', (status, code, kind) => {
		expect(answer(status, code)).toMatchObject({ api: 'graph', code, httpStatus: status, kind });
	});

	it('falls back on the status, then the socket code', () => {
		expect(failureKind('HTTP403', 403)).toBe('accessDenied');
		expect(failureKind('HTTP410', 410)).toBe('invalidCursor');
		expect(failureKind('HTTP302', 302)).toBe('badAnswer');
		expect(failureKind('ECONNRESET')).toBe('unavailable');
		expect(failureKind('GraphDeadlineExceeded')).toBe('timeout');
		expect(failureKind('AADSTS65001')).toBe('accessDenied');
		expect(failureKind('AADSTS7000215')).toBe('unauthorized');
	});

	it('reads Retry-After in seconds with fractions, as an HTTP date, and ignores nonsense', () => {
		expect(retryAfterMs('2.128')).toBe(2128);
		expect(retryAfterMs('0')).toBeUndefined();
		expect(retryAfterMs('-3')).toBeUndefined();
		expect(retryAfterMs('soon')).toBeUndefined();
		expect(retryAfterMs('100000')).toBe(300_000);
		const now = Date.parse('2026-12-01T12:00:00Z');
		expect(retryAfterMs('Tue, 01 Dec 2026 12:00:05 GMT', now)).toBe(5000);
		expect(answer(429, 'TooManyRequests', 'slow', { 'Retry-After': '1.5' }).backOffMs).toBe(1500);
		expect(answer(404, 'ErrorItemNotFound').diagnostics).toBe('request-id=r-1; date=2026-12-01T12:00:00');
	});
});

describe('catalogue', () => {
	/** Each entry, the answer it comes from, and the real values its text must carry. */
	const entries: Array<[number, string, Array<keyof typeof FACTS>, RegExp | undefined]> = [
		[403, 'ErrorAccessDenied', ['mailbox', 'clientId', 'tenantId'], /New-ManagementRoleAssignment -App 3b9e1f42[^`]*CustomResourceScope/],
		[404, 'MailboxNotEnabledForRESTAPI', ['mailbox'], /Mailbox API EWS/],
		[404, 'ErrorInvalidUser', ['mailbox', 'tenantId'], undefined],
		[404, 'ErrorItemNotFound', ['mailbox'], /immutable/],
		[400, 'ErrorInvalidIdMalformed', [], /EWS IDs/],
		[404, 'ErrorInvalidMailboxItemId', ['mailbox'], undefined],
		[507, 'ErrorQuotaExceeded', ['mailbox'], /Get-MailboxStatistics/],
		[413, 'ErrorMessageSizeExceeded', ['mailbox'], /MaxSendSize 150MB/],
		[429, 'ApplicationThrottled', ['mailbox', 'clientId'], /10,000 requests per 10 minutes/],
		[429, 'TooManyRequests', ['mailbox', 'clientId'], undefined],
		[400, 'InefficientFilter', [], /Subject Contains/],
		[403, 'ErrorSendAsDenied', ['mailbox', 'clientId'], /Add-RecipientPermission -Identity invoices@contoso.com/],
		[400, 'AADSTS65001', ['clientId', 'tenantId'], /Mail\.ReadWrite and Mail\.Send/],
		[400, 'AADSTS500011', ['tenantId'], undefined],
		[400, 'AADSTS70011', [], /graph\.microsoft\.com\/\.default/],
		[401, 'InvalidAuthenticationToken', ['clientId', 'tenantId'], /audience https:\/\/graph\.microsoft\.com/],
		[403, 'Forbidden', ['mailbox', 'clientId'], /RBAC for Applications/],
		[410, 'syncStateNotFound', [], /starts over/],
	];

	it.each(entries)('HTTP %s %s names the real values and the fix', (status, code, named, pattern) => {
		const diagnosis = diagnoseGraphFailure(answer(status, code));
		expect(diagnosis).toBeDefined();
		const text = `${diagnosis?.message} ${diagnosis?.fix}`;
		for (const key of named) expect(text).toContain(FACTS[key]);
		if (pattern) expect(text).toMatch(pattern);
		expect(text).not.toMatch(/<[A-Za-z_]+>/);
		expect(text).not.toMatch(/MAILBOX|CLIENT_ID|TENANT_ID/);
	});

	it('writes a bare word where a value is not known, never an HTML-swallowed placeholder', () => {
		const failure = { ...failureFromAnswer(403, {}, { error: { code: 'ErrorAccessDenied', message: 'Access to OData is disabled.' } }), mailbox: '<script>' };
		const diagnosis = diagnoseGraphFailure(failure);
		expect(diagnosis?.fix).toContain('MAILBOX');
		expect(diagnosis?.fix).toContain('CLIENT_ID');
		expect(`${diagnosis?.message}${diagnosis?.fix}`).not.toContain('<');
	});

	it('covers failures without an answer: deadline, foreign link, TLS and network', () => {
		expect(diagnoseGraphFailure({ api: 'graph', kind: 'timeout', code: 'GraphDeadlineExceeded', message: 'x', server: 'graph.microsoft.us' })?.message).toContain('graph.microsoft.us');
		expect(diagnoseGraphFailure({ api: 'graph', kind: 'badAnswer', code: 'GraphForeignLink', message: 'x', server: 'graph.microsoft.com' })?.fix).toContain('token goes nowhere else');
		expect(diagnoseGraphFailure({ api: 'graph', kind: 'unavailable', code: 'CERT_HAS_EXPIRED', message: 'certificate has expired', server: 'graph.microsoft.com' })?.code).toBe('CERT_HAS_EXPIRED');
		expect(diagnoseGraphFailure({ api: 'graph', kind: 'unavailable', code: 'ECONNREFUSED', message: 'connect ECONNREFUSED', server: 'graph.microsoft.com' })?.fix).toContain('Sent Items');
		expect(diagnoseGraphFailure({ api: 'ews', kind: 'notFound', code: 'ErrorItemNotFound', message: 'x' })).toBeUndefined();
	});

	it('an unknown Entra code falls back on the Entra catalogue with the app filled in', () => {
		expect(diagnoseGraphFailure({ api: 'graph', kind: 'unauthorized', code: 'AADSTS7000215', message: 'invalid_client', clientId: FACTS.clientId })).toMatchObject({ code: 'AADSTS7000215', message: expect.stringMatching(/client secret/) });
	});
});

describe('hooked into the mail API catalogues', () => {
	it('a Graph MailError thrown by the store is explained by the Graph catalogue, an EWS one still by EWS', async () => {
		const { diagnose } = await import('../../../nodes/shared/errors/nodeErrors');
		const { MailError } = await import('../../../nodes/shared/mail/store');
		expect(diagnose(new MailError(answer(404, 'ErrorItemNotFound')))?.fix).toMatch(/Graph IDs \(immutable\)/);
		expect(diagnose(new MailError({ api: 'ews', kind: 'notFound', code: 'ErrorItemNotFound', message: 'x' }))?.fix).toMatch(/moving an item gives it a new ID/);
		expect(diagnose(new MailError(answer(403, 'ErrorAccessDenied', 'Access to OData is disabled.')))?.fix).toContain('New-ManagementRoleAssignment -App 3b9e1f42-7c5a-4d8e-a1f6-0e2d4c6b8a91');
	});
});
