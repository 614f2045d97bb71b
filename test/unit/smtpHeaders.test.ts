import { assertHeaderValue, customHeaders } from '../../nodes/SmtpOAuth/helpers/headers';

const fail = (message: string, description: string) => Object.assign(new Error(message), { description });
const refusal = (name: string, value = 'x') => {
	try {
		customHeaders([{ name, value }], fail);
	} catch (error) {
		return error as Error & { description: string };
	}
	return undefined;
};

describe('Custom Headers policy', () => {
	// Headers the node sets from a field of its own: the refusal names that field.
	it.each([
		['From', /"From Email"/],
		['Sender', /"SMTP Login Mailbox"/],
		['To', /"To Email"/],
		['Cc', /"CC Email"/],
		['Bcc', /"BCC Email"/],
		['Reply-To', /"Reply To"/],
		['Subject', /"Subject"/],
		['In-Reply-To', /"In-Reply-To"/],
		['References', /"References"/],
		['X-Priority', /"Priority"/],
		['Importance', /"Priority"/],
		['Priority', /"Priority"/],
		['Message-ID', /Message-ID/],
		['Date', /date/i],
		['MIME-Version', /MIME/],
		['Content-Type', /MIME/],
		['Content-Transfer-Encoding', /MIME/],
		['Content-Disposition', /MIME/],
	])('%s is refused, pointing at the right option', (name, fix) => {
		for (const spelling of [name, name.toLowerCase(), name.toUpperCase(), ` ${name} `]) {
			const error = refusal(spelling);
			expect(error?.message).toBe(`"${spelling.trim()}" cannot be set in "Custom Headers"`);
			expect(error?.description).toMatch(fix);
		}
	});

	it.each(['Return-Path', 'Received', 'Resent-From', 'Resent-Sender', 'Resent-To', 'Resent-Message-ID', 'DKIM-Signature', 'ARC-Seal', 'Authentication-Results', 'Received-SPF', 'X-MS-Exchange-Organization-SCL'])(
		'%s (written by mail servers only) is refused',
		(name) => {
			expect(refusal(name)?.description).toMatch(/Only the mail servers/);
		},
	);

	it('every control character is refused in names and values; tab is allowed in values', () => {
		const controls = [...Array.from({ length: 0x20 }, (_, i) => i), 0x7f, ...Array.from({ length: 0x20 }, (_, i) => 0x80 + i), 0x2028, 0x2029].map((code) => String.fromCharCode(code));
		for (const control of controls) {
			expect(refusal(`X-A${control}B`)?.message).toMatch(/^Invalid header name/);
			if (control === '\t') continue;
			expect(refusal('X-Workflow-Id', `wf${control}Bcc: evil@example.com`)?.message).toMatch(/^The value of header "X-Workflow-Id" contains a (line break|control character)/);
		}
		expect(customHeaders([{ name: 'X-Tabbed', value: 'a\tb' }], fail)).toEqual({ 'X-Tabbed': 'a\tb' });
	});

	it('names with spaces or colons are refused; ordinary and non-ASCII values pass', () => {
		for (const name of ['X A', 'X:A', 'Bcc:', 'Ä-Header']) expect(refusal(name)?.message).toMatch(/^Invalid header name/);
		expect(customHeaders([{ name: 'X-Workflow-Id', value: 'wf-42' }, { name: 'X-Kunde', value: 'Müller & Söhne' }, { name: '', value: 'ignored' }], fail)).toEqual({ 'X-Workflow-Id': 'wf-42', 'X-Kunde': 'Müller & Söhne' });
	});

	it('In-Reply-To and References values get the same line check', () => {
		expect(() => assertHeaderValue('"In-Reply-To"', '<a@b>\r\nBcc: evil@example.com', fail)).toThrow('The value of "In-Reply-To" contains a line break');
		expect(() => assertHeaderValue('"References"', '<a@b> <c@d>', fail)).not.toThrow();
	});
});
