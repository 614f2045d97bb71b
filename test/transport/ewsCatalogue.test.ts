/**
 * The EWS section of the error catalogue over every HTTP status and the EWS codes it knows: n8n
 * renders descriptions as HTML, so no `<placeholder>` text, and the real values are filled in
 * wherever the failure carries them.
 */
import { diagnoseEwsFailure, type EwsFailureFacts } from '../../nodes/shared/errors/catalogue';
import { EWS_FAULT_CODES } from './ewsSupport';

const CODES = [
	...EWS_FAULT_CODES,
	'EwsUnreadableAnswer',
	'EwsDeadlineExceeded',
	'EwsAnswerTooLarge',
	'EwsError',
	'ECONNRESET',
	'ETIMEDOUT',
	'ECONNREFUSED',
	'EPIPE',
	'CERT_HAS_EXPIRED',
	'HTTP401',
];
const STATUSES = Array.from({ length: 300 }, (_, i) => 200 + i).filter((status) => status === 200 || status >= 300);

const facts: Omit<EwsFailureFacts, 'code'> = {
	message: 'server text',
	server: 'mail.contoso.test',
	endpoint: 'https://mail.contoso.test/ews/exchange.asmx',
	clientId: '3b9e1f42-7c5a-4d8e-a1f6-0e2d4c6b8a91',
	mailbox: 'invoices@contoso.test',
	location: 'https://sts.contoso.test/adfs/ls/',
	diagnostics: '',
};

const all = [...CODES, ...STATUSES.map((status) => `HTTP${status}`)];

it.each(all)('%s has a diagnosis without placeholder markup, with the real values filled in', (code) => {
	const bare = diagnoseEwsFailure({ code });
	const filled = diagnoseEwsFailure({ code, ...facts });
	expect(bare).toBeDefined();
	expect(filled).toBeDefined();
	for (const text of [bare!.message, bare!.fix, filled!.message, filled!.fix]) expect(text).not.toMatch(/<[^>]*>|undefined|\[object/);
	// Generic words stand in only where the failure does not carry the value (the endpoint form keeps HOST).
	const filledText = `${filled!.message} ${filled!.fix}`.replace('https://HOST/EWS/Exchange.asmx', '');
	expect(filledText).not.toMatch(/\bHOST\b|\bMAILBOX\b|CLIENT-ID/);
	if (/^(HTTP|E[A-Z]|Ews)/.test(code) && code !== 'EwsError') expect(filled!.message).toContain('mail.contoso.test');
});

it('403 and a bare 401 carry the client ID in the allow-list command', () => {
	for (const code of ['HTTP403', 'HTTP401']) {
		expect(diagnoseEwsFailure({ code, ...facts })!.fix).toContain('-EwsAllowedAppIDs @{Add="3b9e1f42-7c5a-4d8e-a1f6-0e2d4c6b8a91"}');
	}
});
