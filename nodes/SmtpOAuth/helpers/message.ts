import { NodeOperationError, type IDataObject, type IExecuteFunctions } from 'n8n-workflow';
import type Mail from 'nodemailer/lib/mailer';

import { parseAddressList, type ParsedAddress } from '../../shared/mail/addresses';
import { assertHeaderValue, customHeaders } from './headers';

/** The "Options" collection of the send operation, as n8n hands it over. */
export interface SendOptions {
	ccEmail?: string;
	bccEmail?: string;
	replyTo?: string;
	attachments?: string;
	inlineImages?: { image?: Array<{ binaryPropertyName?: string; contentId?: string }> };
	customHeaders?: { header?: Array<{ name?: string; value?: string }> };
	priority?: 'high' | 'normal' | 'low';
	inReplyTo?: string;
	references?: string;
	smtpUser?: string;
}

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

	const addressField = (label: string, value: string, options: { required?: boolean; single?: boolean } = {}) => {
		const trimmed = value.trim();
		if (!trimmed) {
			if (options.required) throw fail(`"${label}" is empty`, `Enter at least one email address in "${label}".`);
			return [];
		}
		const { addresses, invalid } = parseAddressList(trimmed);
		if (invalid !== undefined) {
			throw fail(`Invalid email address "${invalid}" in "${label}"`, 'Use addresses like someone@example.com or "Name <someone@example.com>", separated by commas.');
		}
		if (options.single && addresses.length !== 1) throw fail(`"${label}" must hold exactly one address`, `Enter one email address in "${label}".`);
		return addresses;
	};

	const fromValue = ctx.getNodeParameter('fromEmail', itemIndex, '') as string;
	const options = ctx.getNodeParameter('options', itemIndex, {}) as SendOptions;
	let from = addressField('From Email', fromValue, { single: fromValue.trim() !== '' })[0];
	if (!from) {
		if (defaults.requireFrom || !defaults.signedInUser) {
			throw fail('"From Email" is empty', 'App-only sending needs the sending mailbox in "From Email", e.g. invoices@contoso.com.');
		}
		from = { name: '', address: defaults.signedInUser };
	}
	const login = options.smtpUser?.trim()
		? addressField('SMTP Login Mailbox', options.smtpUser, { single: true })[0].address
		: defaults.requireFrom
			? from.address
			: (defaults.signedInUser ?? from.address);

	const to = addressField('To Email', ctx.getNodeParameter('toEmail', itemIndex, '') as string, { required: true });
	const cc = addressField('CC Email', options.ccEmail ?? '');
	const bcc = addressField('BCC Email', options.bccEmail ?? '');
	const replyTo = addressField('Reply To', options.replyTo ?? '');

	const message: Mail.Options = {
		from: formatAddress(from),
		to: to.map(formatAddress),
		cc: cc.length ? cc.map(formatAddress) : undefined,
		bcc: bcc.length ? bcc.map(formatAddress) : undefined,
		replyTo: replyTo.length ? replyTo.map(formatAddress) : undefined,
		subject: ctx.getNodeParameter('subject', itemIndex, '') as string,
	};

	const format = ctx.getNodeParameter('emailFormat', itemIndex, 'text') as 'text' | 'html' | 'both';
	if (format === 'text' || format === 'both') message.text = ctx.getNodeParameter('text', itemIndex, '') as string;
	if (format === 'html' || format === 'both') message.html = ctx.getNodeParameter('html', itemIndex, '') as string;

	if (options.priority && options.priority !== 'normal') message.priority = options.priority;
	if (options.inReplyTo?.trim()) message.inReplyTo = options.inReplyTo.trim();
	if (options.references?.trim()) message.references = options.references.trim().split(/[\s,]+/).filter(Boolean);
	assertHeaderValue('"In-Reply-To"', String(options.inReplyTo ?? '').trim(), fail);
	assertHeaderValue('"References"', String(options.references ?? '').trim(), fail);

	const headers = customHeaders(options.customHeaders?.header ?? [], fail);
	if (Object.keys(headers).length) message.headers = headers;

	message.attachments = [
		...(await binaryAttachments(ctx, itemIndex, options)),
		...(await inlineImages(ctx, itemIndex, options)),
	];
	return { message, loginMailbox: login, fromAddress: from.address };
}

function splitList(value: string | undefined): string[] {
	return (value ?? '').split(',').map((name) => name.trim()).filter(Boolean);
}

async function readBinary(ctx: IExecuteFunctions, itemIndex: number, property: string, field: string) {
	const item = ctx.getInputData()[itemIndex];
	const available = Object.keys(item?.binary ?? {});
	if (!item?.binary?.[property]) {
		throw new NodeOperationError(ctx.getNode(), `Binary property "${property}" named in "${field}" does not exist on item ${itemIndex}`, {
			itemIndex,
			description: available.length
				? `The item has these binary properties: ${available.join(', ')}. Use one of them in "${field}".`
				: `The item has no binary data. Add a node that reads or downloads the file before this one, or clear "${field}".`,
		});
	}
	const binary = ctx.helpers.assertBinaryData(itemIndex, property);
	const content = await ctx.helpers.getBinaryDataBuffer(itemIndex, property);
	return { binary, content };
}

async function binaryAttachments(ctx: IExecuteFunctions, itemIndex: number, options: SendOptions): Promise<Mail.Attachment[]> {
	const attachments: Mail.Attachment[] = [];
	for (const property of splitList(options.attachments)) {
		const { binary, content } = await readBinary(ctx, itemIndex, property, 'Attachments');
		attachments.push({ filename: binary.fileName ?? property, content, contentType: binary.mimeType });
	}
	return attachments;
}

async function inlineImages(ctx: IExecuteFunctions, itemIndex: number, options: SendOptions): Promise<Mail.Attachment[]> {
	const attachments: Mail.Attachment[] = [];
	for (const { binaryPropertyName = '', contentId = '' } of options.inlineImages?.image ?? []) {
		const property = binaryPropertyName.trim();
		const cid = contentId.trim().replace(/^cid:/i, '');
		if (!property) continue;
		if (!cid || /[\s<>]/.test(cid)) {
			throw new NodeOperationError(ctx.getNode(), `Invalid Content-ID "${contentId}" in "Inline Images"`, {
				itemIndex,
				description: 'Give each inline image a Content-ID without spaces, e.g. logo@workflow, and reference it in the HTML as <img src="cid:logo@workflow">.',
			});
		}
		const { binary, content } = await readBinary(ctx, itemIndex, property, 'Inline Images');
		attachments.push({ filename: binary.fileName ?? property, content, contentType: binary.mimeType, cid, contentDisposition: 'inline' });
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
