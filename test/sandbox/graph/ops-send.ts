// Sending: sendMail (JSON, or base64 MIME as text/plain), drafts (create, send), createReply / createReplyAll /
// createForward (drafts) and reply / replyAll / forward (sent at once). Sent mail lands in sandbox recipients'
// inboxes and in store.sent, through the EWS stand-in's send(), so both protocols deliver alike.
import { send, type Draft } from '../ews/ops-send';
import { fieldsFromMime } from '../ews/inbound';
import type { Address, StoredItem } from '../ews/store';
import { maySendAs } from './auth';
import { draftFields } from './compose';
import { jsonBody, resolveFolder, resolveMessage, route, type GraphContext, type GraphReply, type Route } from './context';
import { errors } from './errors';
import { messageReply } from './ops-messages';
import { arrayOf, BOOLEAN, entity, STRING, validateActionBody, validateEntity } from './schema';

const accepted = (): GraphReply => ({ status: 202 });
const isMime = (ctx: GraphContext) => /^text\/plain/i.test(ctx.request.headers['content-type'] ?? '');

/** A base64 MIME body (sendMail / reply / forward with Content-Type text/plain), as store fields. */
async function mimeDraft(ctx: GraphContext): Promise<Draft> {
	const text = ctx.request.body.toString('latin1').replace(/\s+/g, '');
	if (!text || !/^[A-Za-z0-9+/]+={0,2}$/.test(text) || text.length % 4 !== 0) throw errors.badMime();
	const raw = Buffer.from(text, 'base64');
	const { date: _date, ...fields } = await fieldsFromMime(raw);
	if (!fields.subject && fields.to.length === 0 && !fields.from) throw errors.badMime();
	return { ...fields, mime: raw };
}

function checkSender(ctx: GraphContext, draft: Draft): void {
	if (draft.from && !maySendAs(ctx.principal, ctx.mailbox, draft.from.email)) throw errors.sendAsDenied();
	if ([...(draft.to ?? []), ...(draft.cc ?? []), ...(draft.bcc ?? [])].length === 0) throw errors.noRecipients();
}

function deliver(ctx: GraphContext, draft: Draft, saveToSentItems: boolean): void {
	checkSender(ctx, draft);
	send({ store: ctx.store }, draft, ctx.mailbox, saveToSentItems ? resolveFolder(ctx, 'sentitems') : undefined);
}

const emptyDraft = (): Draft => ({ subject: '', to: [], cc: [], bcc: [], replyTo: [], categories: [], importance: 'Normal', attachments: [] });

async function sendMail(ctx: GraphContext): Promise<GraphReply> {
	if (isMime(ctx)) {
		deliver(ctx, await mimeDraft(ctx), true);
		return accepted();
	}
	const { message, saveToSentItems } = validateActionBody(jsonBody(ctx.request), 'sendMail', { message: entity('Message'), saveToSentItems: BOOLEAN });
	if (!message) throw errors.invalidRequest("The parameter 'message' of 'sendMail' is required.");
	deliver(ctx, { ...emptyDraft(), ...draftFields(message as Record<string, unknown>) }, saveToSentItems !== false && saveToSentItems !== 'false');
	return accepted();
}

async function createDraft(ctx: GraphContext, folderRef = 'drafts'): Promise<GraphReply> {
	const folder = resolveFolder(ctx, folderRef);
	let draft: Draft;
	if (isMime(ctx)) draft = await mimeDraft(ctx);
	else {
		const body = jsonBody(ctx.request);
		validateEntity(body, 'Message');
		draft = { ...emptyDraft(), ...draftFields(body as Record<string, unknown>) };
	}
	const box = ctx.store.mailbox(ctx.mailbox);
	const saved = ctx.store.addItem(folder.id, { ...draft, from: draft.from ?? { name: box?.displayName, email: ctx.mailbox }, isDraft: true, isRead: true });
	return messageReply(ctx, saved, 201);
}

function sendDraft(ctx: GraphContext, ref: string): GraphReply {
	const item = resolveMessage(ctx, ref);
	if (!item.isDraft) throw errors.invalidRequest('Only a draft can be sent (isDraft is false).');
	const { id: _id, changeKey: _changeKey, mailbox: _mailbox, folderId: _folderId, ...fields } = item;
	deliver(ctx, { ...fields, mime: undefined }, true);
	ctx.store.removeItem(item.id);
	return accepted();
}

type ResponseKind = 'reply' | 'replyAll' | 'forward';
const PREFIX: Record<ResponseKind, string> = { reply: 'RE: ', replyAll: 'RE: ', forward: 'FW: ' };
const withoutSelf = (list: Address[], self: string) => list.filter((address) => address.email.toLowerCase() !== self);

/** The reply or forward of `original` as Outlook composes it (recipients, subject prefix, quoted body). */
function responseDraft(ctx: GraphContext, original: StoredItem, kind: ResponseKind, comment: string, message: Record<string, unknown> | undefined, extraTo: Address[]): Draft {
	const author = original.replyTo.length ? original.replyTo : original.from ? [original.from] : [];
	const to = kind === 'forward' ? extraTo : kind === 'reply' ? [...author, ...extraTo] : withoutSelf([...author, ...original.to, ...extraTo], ctx.mailbox);
	const cc = kind === 'replyAll' ? withoutSelf(original.cc, ctx.mailbox) : [];
	const header = `From: ${original.from?.name ?? original.from?.email ?? ''}<br>Sent: ${original.dateTimeSent.toUTCString()}<br>Subject: ${original.subject}`;
	const quoted = `<html><body><div>${comment}</div><hr><div>${header}</div>${original.html ?? `<pre>${original.text ?? ''}</pre>`}</body></html>`;
	const overrides = message ? draftFields(message) : {};
	return {
		...emptyDraft(),
		subject: original.subject.toUpperCase().startsWith(PREFIX[kind]) ? original.subject : PREFIX[kind] + original.subject,
		html: quoted,
		to,
		cc,
		inReplyTo: kind === 'forward' ? undefined : original.internetMessageId,
		references: [original.references, original.internetMessageId].filter(Boolean).join(' '),
		conversationId: original.conversationId,
		...overrides,
		attachments: [...(kind === 'forward' ? original.attachments.map(({ id: _id, lastModified: _lastModified, ...rest }) => ({ ...rest, content: Buffer.from(rest.content) })) : []), ...(overrides.attachments ?? [])],
	};
}

async function respond(ctx: GraphContext, ref: string, kind: ResponseKind, sendNow: boolean): Promise<GraphReply> {
	const original = resolveMessage(ctx, ref);
	if (isMime(ctx)) {
		// The MIME is the whole response; the original only lends its thread.
		const draft: Draft = { ...(await mimeDraft(ctx)), inReplyTo: kind === 'forward' ? undefined : original.internetMessageId, conversationId: original.conversationId };
		if (sendNow) {
			deliver(ctx, draft, true);
			return accepted();
		}
		return messageReply(ctx, ctx.store.addItem(resolveFolder(ctx, 'drafts').id, { ...draft, isDraft: true, isRead: true }), 201);
	}
	const text = ctx.request.body.toString('utf8').trim();
	const parameters = { comment: STRING, message: entity('Message'), ...(kind === 'forward' ? { toRecipients: arrayOf(entity('Recipient')) } : {}) };
	const action = sendNow ? kind : `create${kind[0].toUpperCase()}${kind.slice(1)}`;
	const body = text ? validateActionBody(jsonBody(ctx.request), action, parameters) : {};
	const extraTo = body.toRecipients ? (draftFields({ toRecipients: body.toRecipients }).to ?? []) : [];
	const draft = responseDraft(ctx, original, kind, String(body.comment ?? ''), body.message as Record<string, unknown> | undefined, extraTo);
	if (sendNow) {
		deliver(ctx, draft, true);
		return accepted();
	}
	const saved = ctx.store.addItem(resolveFolder(ctx, 'drafts').id, { ...draft, from: { name: ctx.store.mailbox(ctx.mailbox)?.displayName, email: ctx.mailbox }, isDraft: true, isRead: true });
	return messageReply(ctx, saved, 201);
}

export const sendRoutes: Route[] = [
	route('POST', '/sendMail', 'send', sendMail),
	route('POST', '/messages', 'write', (ctx) => createDraft(ctx)),
	route('POST', '/mailFolders/{id}/messages', 'write', (ctx, [folder]) => createDraft(ctx, folder)),
	route('POST', '/messages/{id}/send', 'send', (ctx, [id]) => sendDraft(ctx, id)),
	route('POST', '/messages/{id}/reply', 'send', (ctx, [id]) => respond(ctx, id, 'reply', true)),
	route('POST', '/messages/{id}/replyAll', 'send', (ctx, [id]) => respond(ctx, id, 'replyAll', true)),
	route('POST', '/messages/{id}/forward', 'send', (ctx, [id]) => respond(ctx, id, 'forward', true)),
	route('POST', '/messages/{id}/createReply', 'write', (ctx, [id]) => respond(ctx, id, 'reply', false)),
	route('POST', '/messages/{id}/createReplyAll', 'write', (ctx, [id]) => respond(ctx, id, 'replyAll', false)),
	route('POST', '/messages/{id}/createForward', 'write', (ctx, [id]) => respond(ctx, id, 'forward', false)),
];
