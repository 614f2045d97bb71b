// Attachments: list, get, $value (file bytes; MIME for an item attachment), add (< 3 MB), delete, and the upload
// session for 3 MB..150 MB: createUploadSession, then PUT byte ranges (< 4 MB each, in order) to a
// pre-authenticated upload URL that refuses an Authorization header, as outlook.office.com does.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readBody } from '../routes';
import type { MailboxStore, StoredAttachment } from '../ews/store';
import { attachmentFields } from './compose';
import { jsonBody, noContent, ok, resolveMessage, route, type GraphContext, type Route, type UploadSession } from './context';
import { errorBody, errors } from './errors';
import { decodeGraphId, graphIdOf } from './ids';
import { entity, validateActionBody, validateEntity, prop } from './schema';
import { attachmentJson, parseSelect } from './shapes';

export const MAX_POST_ATTACHMENT_BYTES = 3 * 1024 * 1024;
export const MAX_UPLOAD_BYTES = 150 * 1024 * 1024;
/** Each PUT of an upload session carries less than 4 MB (outlook-large-attachments.md). */
export const MAX_UPLOAD_CHUNK_BYTES = 4 * 1024 * 1024;
const UPLOAD_RANGE_UNIT = 320 * 1024;
const SESSION_LIFETIME_MS = 15 * 60 * 1000;

function resolveAttachment(ctx: GraphContext, messageRef: string, attachmentRef: string): StoredAttachment {
	const item = resolveMessage(ctx, messageRef);
	const decoded = decodeGraphId(attachmentRef, 'attachment');
	if (!decoded || decoded.kind !== 'ews') throw errors.idMalformed();
	const attachment = item.attachments.find((candidate) => candidate.id === decoded.ewsId);
	if (!attachment) throw errors.itemNotFound();
	return attachment;
}

function addAttachment(ctx: GraphContext, messageRef: string) {
	const item = resolveMessage(ctx, messageRef);
	const body = jsonBody(ctx.request);
	validateEntity(body, 'Attachment');
	const fields = attachmentFields(body as Record<string, unknown>);
	if (fields.content.length >= MAX_POST_ATTACHMENT_BYTES) throw errors.attachmentTooLarge();
	const created = ctx.store.addAttachment(item.id, fields);
	return ok({ '@odata.context': `${ctx.contextRoot}/messages('${messageRef}')/attachments/$entity`, ...attachmentJson(created) }, 201);
}

function createUploadSession(ctx: GraphContext, messageRef: string) {
	const item = resolveMessage(ctx, messageRef);
	const { AttachmentItem } = validateActionBody(jsonBody(ctx.request), 'createUploadSession', { AttachmentItem: entity('AttachmentItem') });
	const spec = AttachmentItem as Record<string, unknown> | undefined;
	if (!spec) throw errors.invalidRequest("The parameter 'AttachmentItem' of 'createUploadSession' is required.");
	if (String(prop(spec, 'attachmentType') ?? '').toLowerCase() !== 'file') throw errors.invalidRequest("AttachmentItem.attachmentType must be 'file'.");
	const name = prop<string>(spec, 'name');
	const size = prop<number>(spec, 'size');
	if (typeof name !== 'string' || !name) throw errors.invalidRequest('AttachmentItem.name is required.');
	if (typeof size !== 'number' || !Number.isInteger(size)) throw errors.invalidRequest('AttachmentItem.size is required.');
	if (size < MAX_POST_ATTACHMENT_BYTES) throw errors.attachmentTooSmall();
	if (size > MAX_UPLOAD_BYTES) throw errors.messageTooLarge(MAX_UPLOAD_BYTES);
	const expires = new Date(Date.now() + SESSION_LIFETIME_MS);
	const id = ctx.service.createUploadSession({
		mailbox: ctx.mailbox,
		itemId: item.id,
		name,
		size,
		isInline: prop(spec, 'isInline') === true,
		contentId: prop<string>(spec, 'contentId') ?? undefined,
		contentType: prop<string>(spec, 'contentType') ?? 'application/octet-stream',
		received: [],
		receivedBytes: 0,
		expires,
	});
	return ok(
		{
			'@odata.context': `${ctx.base}/$metadata#microsoft.graph.uploadSession`,
			uploadUrl: ctx.service.uploadUrl(id),
			expirationDateTime: expires.toISOString(),
			nextExpectedRanges: ['0-'],
		},
		201,
	);
}

export const attachmentRoutes: Route[] = [
	route('GET', '/messages/{id}/attachments', 'read', (ctx, [id]) => {
		const select = parseSelect(ctx.request.query.get('$select'), 'Attachment');
		const item = resolveMessage(ctx, id);
		return ok({ '@odata.context': `${ctx.contextRoot}/messages('${id}')/attachments`, value: item.attachments.map((attachment) => attachmentJson(attachment, select)) });
	}),
	route('POST', '/messages/{id}/attachments', 'write', (ctx, [id]) => addAttachment(ctx, id)),
	route('POST', '/messages/{id}/attachments/createUploadSession', 'write', (ctx, [id]) => createUploadSession(ctx, id)),
	route('GET', '/messages/{id}/attachments/{id}', 'read', (ctx, [id, attachmentId]) => {
		const select = parseSelect(ctx.request.query.get('$select'), 'Attachment');
		return ok({ '@odata.context': `${ctx.contextRoot}/messages('${id}')/attachments/$entity`, ...attachmentJson(resolveAttachment(ctx, id, attachmentId), select) });
	}),
	route('GET', '/messages/{id}/attachments/{id}/$value', 'read', (ctx, [id, attachmentId]) => {
		const attachment = resolveAttachment(ctx, id, attachmentId);
		return { status: 200, headers: { 'Content-Type': attachment.kind === 'item' ? 'message/rfc822' : attachment.contentType }, raw: attachment.content };
	}),
	route('DELETE', '/messages/{id}/attachments/{id}', 'write', (ctx, [id, attachmentId]) => {
		const attachment = resolveAttachment(ctx, id, attachmentId);
		const item = resolveMessage(ctx, id);
		ctx.store.updateItem(item.id, (stored) => {
			stored.attachments = stored.attachments.filter((candidate) => candidate.id !== attachment.id);
		}, ['item:Attachments']);
		return noContent();
	}),
];

function reply(res: ServerResponse, status: number, body?: unknown, headers: Record<string, string> = {}): void {
	const payload = body === undefined ? '' : JSON.stringify(body);
	res.writeHead(status, { ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}), 'Content-Length': Buffer.byteLength(payload), ...headers });
	res.end(payload);
}

/** PUT/DELETE on an upload URL (no Authorization header: the URL itself is the credential). */
export async function handleUpload(req: IncomingMessage, res: ServerResponse, sessionId: string, sessions: Map<string, UploadSession>, store: MailboxStore): Promise<void> {
	const body = await readBody(req, MAX_UPLOAD_CHUNK_BYTES + 1024);
	const session = sessions.get(sessionId);
	if (req.headers.authorization) {
		return reply(res, 401, errorBody('InvalidAuthenticationToken', 'The upload URL is pre-authenticated: send the PUT without an Authorization header.'));
	}
	if (!session || session.expires.getTime() < Date.now()) return reply(res, 404, errorBody('ErrorItemNotFound', 'The upload session was not found or has expired.'));
	if (req.method === 'DELETE') {
		sessions.delete(sessionId);
		return reply(res, 204);
	}
	if (req.method !== 'PUT') return reply(res, 405, errorBody('ErrorInvalidRequest', 'Use PUT to upload, DELETE to cancel.'));
	const range = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(String(req.headers['content-range'] ?? ''));
	const fail = (status: number, code: string, message: string) => reply(res, status, errorBody(code, message));
	if (!range) return fail(400, 'invalidRange', 'The Content-Range header is missing or malformed (bytes START-END/TOTAL).');
	const [start, end, total] = range.slice(1).map(Number);
	if (total !== session.size) return fail(400, 'invalidRange', `The total size ${total} does not match the session's size ${session.size}.`);
	if (start !== session.receivedBytes) return fail(416, 'invalidRange', start < session.receivedBytes ? 'Uploaded fragment overlaps with existing data.' : `The next expected range starts at ${session.receivedBytes}.`);
	if (end < start || end >= total || end - start + 1 !== body.length) return fail(400, 'invalidRange', 'The Content-Range does not match the body length.');
	if (body.length > MAX_UPLOAD_CHUNK_BYTES) return fail(413, 'RequestEntityTooLarge', 'Each range must be smaller than 4 MB.');
	// Graph's upload sessions take ranges in multiples of 320 KiB; only the last may be shorter.
	if (end + 1 < total && body.length % UPLOAD_RANGE_UNIT !== 0) return fail(400, 'invalidRange', `The range is ${body.length} bytes: every range but the last must be a multiple of 320 KiB (327,680 bytes).`);
	session.received.push(body);
	session.receivedBytes += body.length;
	if (session.receivedBytes < session.size) {
		return reply(res, 200, { expirationDateTime: session.expires.toISOString(), nextExpectedRanges: [`${session.receivedBytes}-${session.size - 1}`] });
	}
	sessions.delete(sessionId);
	if (!store.getItem(session.itemId)) return fail(404, 'ErrorItemNotFound', 'The message of this upload session no longer exists.');
	const created = store.addAttachment(session.itemId, {
		kind: 'file',
		name: session.name,
		contentType: session.contentType,
		content: Buffer.concat(session.received),
		isInline: session.isInline,
		contentId: session.contentId,
	});
	const item = store.getItem(session.itemId);
	reply(res, 201, undefined, { Location: `https://outlook.office.com/api/v2.0/Users('${session.mailbox}')/Messages('${item ? graphIdOf(item.id, 'item') : ''}')/Attachments('${graphIdOf(created.id, 'attachment')}')` });
}
