import { NodeOperationError, type IDataObject, type IExecuteFunctions } from 'n8n-workflow';
import type Mail from 'nodemailer/lib/mailer';

import type { ParsedAddress } from '../../shared/mail/addresses';
import { IMPORTANCE_OPTIONS } from '../../shared/mail/fields';
import { binaryFiles, itemParameters, quote, valuesOf, type ParameterReader } from '../../shared/parameters';
import { customHeaders } from './headers';

export interface BuiltMessage {
	message: Mail.Options;
	/** The mailbox that logs in with XOAUTH2 (the token's mailbox); From may differ (Send As). */
	loginMailbox: string;
	fromAddress: string;
}

function formatAddress({ name, address }: ParsedAddress): Mail.Address | string {
	return name ? { name, address } : address;
}

/** Builds the nodemailer message for one item, with errors that name the field to fix. */
export async function buildMessage(
	ctx: IExecuteFunctions,
	itemIndex: number,
	defaults: { signedInUser?: string; requireFrom: boolean },
): Promise<BuiltMessage> {
	const node = ctx.getNode();
	const fail = (message: string, description: string) => new NodeOperationError(node, message, { itemIndex, description });
	const parameters = itemParameters(ctx, itemIndex);

	let from = parameters.addresses('fromEmail', 'From Email', { single: true })[0];
	if (!from) {
		if (defaults.requireFrom || !defaults.signedInUser) {
			throw fail('"From Email" is empty', 'App-only sending needs the sending mailbox in "From Email", e.g. invoices@contoso.com.');
		}
		from = { name: '', address: defaults.signedInUser };
	}
	const login = parameters.addresses('options.smtpUser', 'SMTP Login Mailbox', { single: true })[0]?.address ?? (defaults.requireFrom ? from.address : (defaults.signedInUser ?? from.address));

	const to = parameters.addresses('toEmail', 'To Email', { required: true });
	const cc = parameters.addresses('options.ccEmail', 'CC Email');
	const bcc = parameters.addresses('options.bccEmail', 'BCC Email');
	const replyTo = parameters.addresses('options.replyTo', 'Reply To');

	const message: Mail.Options = {
		from: formatAddress(from),
		to: to.map(formatAddress),
		cc: cc.length ? cc.map(formatAddress) : undefined,
		bcc: bcc.length ? bcc.map(formatAddress) : undefined,
		replyTo: replyTo.length ? replyTo.map(formatAddress) : undefined,
		subject: parameters.string('subject', 'Subject', { keepSpaces: true }),
	};

	const format = parameters.option('emailFormat', 'Email Format', EMAIL_FORMATS, 'text');
	if (format === 'text' || format === 'both') message.text = parameters.text('text', 'Text');
	if (format === 'html' || format === 'both') message.html = parameters.text('html', 'HTML');

	const priority = parameters.option('options.priority', 'Priority', PRIORITIES, 'normal');
	if (priority !== 'normal') message.priority = priority;
	const inReplyTo = parameters.string('options.inReplyTo', 'In-Reply-To');
	if (inReplyTo) message.inReplyTo = inReplyTo;
	const references = parameters.list('options.references', 'References', /[\s,]+/);
	if (references.length) message.references = references;

	// Types and control characters are checked by the reader; which headers may be set, by customHeaders.
	const headers = customHeaders(
		parameters.rows('options.customHeaders', 'header', 'Custom Headers').map((header) => {
			const name = header.string('name', 'Custom Headers → Name');
			return { name, value: header.string('value', `Custom Headers → ${name || 'Value'}`, { keepSpaces: true }) };
		}),
		fail,
	);
	if (Object.keys(headers).length) message.headers = headers;

	const attachments = await binaryFiles(ctx, itemIndex, parameters.list('options.attachments', 'Attachments'), 'Attachments');
	const images = await inlineImages(ctx, parameters);
	message.attachments = [...attachments.map((file) => ({ filename: file.name, content: file.content, contentType: file.contentType })), ...images];
	checkHeaderSize(fail, [
		['From Email', addressText(from)],
		['To Email', to.map(addressText).join(', ')],
		['CC Email', cc.map(addressText).join(', ')],
		['BCC Email', bcc.map(addressText).join(', ')],
		['Reply To', replyTo.map(addressText).join(', ')],
		['Subject', String(message.subject)],
		['In-Reply-To', inReplyTo],
		['References', references.join(' ')],
		...Object.entries(headers).map(([name, value]): [string, string] => ['Custom Headers', `${name}: ${value}`]),
		...images.map((image): [string, string] => ['Inline Images', String(image.cid)]),
	]);
	return { message, loginMailbox: login, fromAddress: from.address };
}

const EMAIL_FORMATS = ['text', 'html', 'both'] as const;
/** Exchange Online refuses a message whose header is larger than 256 KB: checked here, where the field can be named. */
const MAX_HEADER_BYTES = 256 * 1024;

const addressText = ({ name, address }: ParsedAddress) => `${name} ${address}`;

function checkHeaderSize(fail: (message: string, description: string) => Error, fields: Array<[string, string]>): void {
	// Non-ASCII text goes out base64-encoded: a third larger.
	const sizes = fields.map(([field, value]) => ({ field, bytes: Buffer.byteLength(value) * (/^[\x20-\x7e]*$/.test(value) ? 1 : 4 / 3) }));
	const total = sizes.reduce((sum, { bytes }) => sum + bytes, 0);
	if (total <= MAX_HEADER_BYTES) return;
	const { field } = sizes.reduce((largest, size) => (size.bytes > largest.bytes ? size : largest));
	throw fail(`"${field}" is too long for the message header`, `The header would be about ${Math.round(total / 1024)} KB; Exchange accepts at most 256 KB. Shorten "${field}".`);
}
const PRIORITIES = valuesOf<'high' | 'normal' | 'low'>(IMPORTANCE_OPTIONS);

async function inlineImages(ctx: IExecuteFunctions, parameters: ParameterReader): Promise<Mail.Attachment[]> {
	const itemIndex = parameters.itemIndex ?? 0;
	const attachments: Mail.Attachment[] = [];
	for (const image of parameters.rows('options.inlineImages', 'image', 'Inline Images')) {
		const property = image.string('binaryPropertyName', 'Inline Images → Binary Property');
		const contentId = image.string('contentId', 'Inline Images → Content-ID');
		const cid = contentId.replace(/^cid:/i, '');
		if (!property) continue;
		if (!cid || /[\s<>]/.test(cid)) {
			throw new NodeOperationError(ctx.getNode(), `Invalid Content-ID ${quote(contentId)} in "Inline Images"`, {
				itemIndex,
				description: 'Give each inline image a Content-ID without spaces, e.g. logo@workflow, and reference it in the HTML as an img tag with src="cid:logo@workflow".',
			});
		}
		const [file] = await binaryFiles(ctx, itemIndex, [property], 'Inline Images');
		attachments.push({ filename: file.name, content: file.content, contentType: file.contentType, cid, contentDisposition: 'inline' });
	}
	return attachments;
}

export function summariseSent(info: IDataObject): IDataObject {
	return {
		messageId: info.messageId,
		accepted: info.accepted,
		rejected: info.rejected,
		response: info.response,
		envelope: info.envelope,
	};
}
