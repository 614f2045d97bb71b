/**
 * What "Custom Headers" may add. Headers the node sets from its own fields, headers only the mail
 * server may write, and anything that could smuggle a line break into the header block are refused
 * with an error naming the header and the place to set it instead.
 */

type Fail = (message: string, description: string) => Error;

// RFC 5322 field name: printable ASCII without space and colon.
const HEADER_NAME = /^[!-9;-~]+$/;
// A header value is one line: no CR/LF, no other control character but tab (C0, DEL, C1), no Unicode line separators.
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u2028\u2029]/;

/** Headers the node writes from one of its fields: where to set them instead. */
const FROM_NODE_FIELDS: Record<string, string> = {
	from: 'Put the sender into "From Email".',
	sender: 'The mailbox that logs in is the sender: put it into "SMTP Login Mailbox", and the address shown into "From Email".',
	to: 'Put the recipients into "To Email".',
	cc: 'Use the "CC Email" option.',
	bcc: 'Use the "BCC Email" option.',
	'reply-to': 'Use the "Reply To" option.',
	subject: 'Put the subject into "Subject".',
	'in-reply-to': 'Use the "In-Reply-To" option.',
	references: 'Use the "References" option.',
	'x-priority': 'Use the "Priority" option.',
	priority: 'Use the "Priority" option.',
	importance: 'Use the "Priority" option.',
	'x-msmail-priority': 'Use the "Priority" option.',
	'message-id': 'The node gives every message a unique Message-ID (returned as messageId); it cannot be chosen.',
	date: 'The date is set when the message is sent.',
	'mime-version': 'The MIME structure is built from the body, attachment and inline image fields.',
};

const SET_BY_NODE_PREFIX = /^content-/i;
/** Trace and authentication headers only mail servers may add (forged ones mislead filters and recipients). */
const SET_BY_SERVER = /^(?:return-path|received|received-spf|resent-.*|dkim-signature|arc-.*|authentication-results|x-ms-exchange-.*)$/i;

/** Throws when `value` cannot be one header line; `label` names the field in the message. */
export function assertHeaderValue(label: string, value: string, fail: Fail): void {
	if (CONTROL.test(value)) {
		const what = /[\r\n\u2028\u2029]/.test(value) ? 'a line break' : 'a control character';
		throw fail(`The value of ${label} contains ${what}`, 'Header values must be a single line of text without control characters.');
	}
}

/** The checked "Custom Headers" of one item, as nodemailer takes them. */
export function customHeaders(entries: Array<{ name?: unknown; value?: unknown }>, fail: Fail): Record<string, string> {
	const headers: Record<string, string> = {};
	for (const entry of entries) {
		const name = String(entry.name ?? '').trim();
		const value = String(entry.value ?? '');
		if (!name) continue;
		if (!HEADER_NAME.test(name)) {
			throw fail(`Invalid header name "${name.replace(CONTROL, '?')}" in "Custom Headers"`, 'Header names use printable ASCII without spaces or colons, e.g. X-Workflow-Id.');
		}
		const lower = name.toLowerCase();
		const instead = FROM_NODE_FIELDS[lower] ?? (SET_BY_NODE_PREFIX.test(lower) ? FROM_NODE_FIELDS['mime-version'] : undefined);
		if (instead) throw fail(`"${name}" cannot be set in "Custom Headers"`, instead);
		if (SET_BY_SERVER.test(lower)) {
			throw fail(`"${name}" cannot be set in "Custom Headers"`, 'Only the mail servers on the way write this header. Use a header of your own, e.g. X-Workflow-Id.');
		}
		assertHeaderValue(`header "${name}"`, value, fail);
		headers[name] = value;
	}
	return headers;
}
