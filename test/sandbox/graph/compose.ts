// A Graph message body (validated against microsoft-graph-types) as store fields: recipients, body, importance,
// categories, file and item attachments.
import type { Address, Importance, StoredItem } from '../ews/store';
import type { Draft } from '../ews/ops-send';
import { errors } from './errors';
import { prop } from './schema';

export const toImportance = (value: string): Importance => (value.toLowerCase() === 'high' ? 'High' : value.toLowerCase() === 'low' ? 'Low' : 'Normal');

function addresses(list: unknown): Address[] {
	return ((list as Record<string, unknown>[] | null | undefined) ?? []).map((entry) => {
		const email = prop<Record<string, unknown>>(entry, 'emailAddress');
		const address = email && prop<string>(email, 'address');
		if (typeof address !== 'string' || !/^[^@\s]+@[^@\s]+$/.test(address.trim())) throw errors.invalidRecipient(String(address ?? ''));
		const name = email && prop<string>(email, 'name');
		return { email: address.trim(), name: typeof name === 'string' && name ? name : undefined };
	});
}

/** Store fields from a Graph message; only the properties present (a PATCH changes only those). */
export function draftFields(message: Record<string, unknown>): Partial<Omit<StoredItem, 'attachments'>> & { attachments?: Draft['attachments'] } {
	const fields: Partial<Omit<StoredItem, 'attachments'>> & { attachments?: Draft['attachments'] } = {};
	const subject = prop<string>(message, 'subject');
	if (subject !== undefined) fields.subject = subject ?? '';
	const body = prop<Record<string, unknown>>(message, 'body');
	if (body) {
		const content = String(prop(body, 'content') ?? '');
		if (String(prop(body, 'contentType') ?? 'text').toLowerCase() === 'html') Object.assign(fields, { html: content, text: undefined });
		else Object.assign(fields, { text: content, html: undefined });
	}
	for (const [property, key] of [
		['toRecipients', 'to'],
		['ccRecipients', 'cc'],
		['bccRecipients', 'bcc'],
		['replyTo', 'replyTo'],
	] as const) {
		const value = prop(message, property);
		if (value !== undefined) fields[key] = addresses(value);
	}
	const from = prop(message, 'from');
	if (from) fields.from = addresses([from])[0];
	const importance = prop<string>(message, 'importance');
	if (importance) fields.importance = toImportance(importance);
	const categories = prop<string[]>(message, 'categories');
	if (categories) fields.categories = [...categories];
	const attachments = prop<Record<string, unknown>[]>(message, 'attachments');
	if (attachments) fields.attachments = attachments.map(attachmentFields);
	return fields;
}

/** A fileAttachment (contentBytes) or an itemAttachment (its message, kept as MIME later) of a request. */
export function attachmentFields(attachment: Record<string, unknown>): Draft['attachments'][number] {
	const type = String(attachment['@odata.type'] ?? '').toLowerCase();
	const name = String(prop(attachment, 'name') ?? 'attachment');
	if (type.endsWith('itemattachment')) {
		throw errors.invalidRequest('The sandbox attaches files only (#microsoft.graph.fileAttachment); item attachments come from received mail.');
	}
	if (!type.endsWith('fileattachment')) throw errors.invalidRequest(`The attachment '${name}' needs "@odata.type": "#microsoft.graph.fileAttachment".`);
	const bytes = prop<string>(attachment, 'contentBytes');
	if (typeof bytes !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(bytes.replace(/\s+/g, ''))) {
		throw errors.bodyRead(`Cannot convert the literal '${String(bytes).slice(0, 20)}' to the expected type 'Edm.Binary'.`);
	}
	return {
		kind: 'file',
		name,
		contentType: String(prop(attachment, 'contentType') ?? 'application/octet-stream'),
		content: Buffer.from(bytes, 'base64'),
		isInline: prop(attachment, 'isInline') === true,
		contentId: (prop<string>(attachment, 'contentId') ?? undefined) || undefined,
	};
}
