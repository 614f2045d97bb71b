// Plain-HTTP control server on loopback: what the sandbox received, for humans (`npm start`) and for scripts.
// Shows addresses, subjects and request metadata only; never secrets, tokens or assertions.
import type { Entra } from './entra';
import type { EwsService } from './ews';
import { deliverMime } from './ews/inbound';
import type { DeliverInput, MailboxStore, StoredFolder } from './ews/store';
import { readBody, sendJson, type Router } from './routes';
import type { SmtpService } from './smtp';
import type { ReceivedMessage } from './types';

export interface MessageSummary {
	id: string;
	authUser: string;
	from: string;
	to: string[];
	subject: string;
	date: string | undefined;
	receivedAt: string;
	size: number;
	attachments: { filename: string | undefined; contentType: string; size: number }[];
}

export function summarizeMessage(message: ReceivedMessage): MessageSummary {
	return {
		id: message.id,
		authUser: message.authUser,
		from: message.parsed.from?.text ?? message.envelope.from,
		to: message.envelope.to,
		subject: message.parsed.subject ?? '',
		date: message.parsed.date?.toISOString(),
		receivedAt: message.receivedAt.toISOString(),
		size: message.raw.length,
		attachments: message.parsed.attachments.map((attachment) => ({
			filename: attachment.filename,
			contentType: attachment.contentType,
			size: attachment.size,
		})),
	};
}

/** A mailbox of the EWS stand-in as the control page shows it: folder paths and message summaries, no bodies. */
export interface MailboxSummary {
	mailbox: string;
	displayName: string;
	folders: Array<{
		path: string;
		total: number;
		unread: number;
		messages: Array<{ id: string; subject: string; from: string; receivedAt: string; isRead: boolean; attachments: { name: string; size: number }[] }>;
	}>;
}

export function summarizeMailboxes(store: MailboxStore): MailboxSummary[] {
	return store.listMailboxes().map((box) => {
		const folders: MailboxSummary['folders'] = [];
		const walk = (folder: StoredFolder, prefix: string) => {
			for (const child of store.childFolders(folder.id).sort((a, b) => a.displayName.localeCompare(b.displayName))) {
				const folderPath = prefix ? `${prefix}/${child.displayName}` : child.displayName;
				const items = store.listItemsIn(child.id).sort((a, b) => b.dateTimeReceived.getTime() - a.dateTimeReceived.getTime());
				folders.push({
					path: folderPath,
					total: items.length,
					unread: items.filter((item) => !item.isRead).length,
					messages: items.map((item) => ({
						id: item.id,
						subject: item.subject,
						from: item.from?.email ?? '',
						receivedAt: item.dateTimeReceived.toISOString(),
						isRead: item.isRead,
						attachments: item.attachments.map((a) => ({ name: a.name, size: a.content.length })),
					})),
				});
				walk(child, folderPath);
			}
		};
		const top = store.distinguishedFolder(box.smtp, 'msgfolderroot');
		if (top) walk(top, '');
		return { mailbox: box.smtp, displayName: box.displayName, folders };
	});
}

/** Largest JSON body for "drop a mail" (base64 attachments). */
const MAX_DROP_BYTES = 35 * 1024 * 1024;
const ADDRESS = /^[^\s@<>]+@[^\s@<>]+$/;

interface DropMailBody {
	from?: unknown;
	to?: unknown;
	cc?: unknown;
	subject?: unknown;
	text?: unknown;
	html?: unknown;
	folder?: unknown;
	isRead?: unknown;
	attachments?: unknown;
	mimeBase64?: unknown;
}

class BadRequest extends Error {}

/**
 * Validates the JSON of POST /api/mailboxes/:mailbox/messages into the store's DeliverInput, or, with
 * `mimeBase64`, into raw MIME that is stored as received from the Internet (whatever it contains).
 */
export function dropMailInput(mailbox: string, raw: unknown): DeliverInput | { mime: Buffer; folder?: string } {
	if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new BadRequest('the body must be a JSON object');
	const body = raw as DropMailBody;
	if (body.mimeBase64 !== undefined) {
		if (typeof body.mimeBase64 !== 'string' || !/^[A-Za-z0-9+/\s]*=*\s*$/.test(body.mimeBase64)) throw new BadRequest('"mimeBase64" must be the message (.eml) in base64');
		if (body.folder !== undefined && typeof body.folder !== 'string') throw new BadRequest('"folder" must be a string');
		return { mime: Buffer.from(body.mimeBase64, 'base64'), folder: (body.folder as string | undefined) || undefined };
	}
	const str = (value: unknown, field: string): string | undefined => {
		if (value === undefined || value === null) return undefined;
		if (typeof value !== 'string') throw new BadRequest(`"${field}" must be a string`);
		return value;
	};
	const list = (value: unknown, field: string): string[] | undefined => {
		if (value === undefined || value === null) return undefined;
		const entries = typeof value === 'string' ? value.split(',') : Array.isArray(value) ? value : undefined;
		if (!entries || entries.some((entry) => typeof entry !== 'string')) throw new BadRequest(`"${field}" must be an address or a list of addresses`);
		const addresses = (entries as string[]).map((entry) => entry.trim()).filter(Boolean);
		const bad = addresses.find((address) => !ADDRESS.test(address));
		if (bad) throw new BadRequest(`"${field}": "${bad}" is not an email address`);
		return addresses;
	};
	const from = str(body.from, 'from') ?? 'sender@fabrikam.test';
	if (!ADDRESS.test(from)) throw new BadRequest(`"from": "${from}" is not an email address`);
	const attachments = body.attachments === undefined ? [] : body.attachments;
	if (!Array.isArray(attachments)) throw new BadRequest('"attachments" must be a list of {filename, contentBase64, contentType}');
	return {
		from,
		to: list(body.to, 'to') ?? [mailbox],
		cc: list(body.cc, 'cc'),
		subject: str(body.subject, 'subject') ?? '(no subject)',
		text: str(body.text, 'text') ?? (body.html === undefined ? '' : undefined),
		html: str(body.html, 'html'),
		folder: str(body.folder, 'folder') || undefined,
		isRead: body.isRead === true,
		attachments: attachments.map((entry: unknown, index: number) => {
			const a = (entry ?? {}) as { filename?: unknown; contentBase64?: unknown; contentType?: unknown };
			if (typeof a.filename !== 'string' || !a.filename) throw new BadRequest(`"attachments[${index}].filename" is missing`);
			if (typeof a.contentBase64 !== 'string') throw new BadRequest(`"attachments[${index}].contentBase64" is missing`);
			if (!/^[A-Za-z0-9+/\s]*=*\s*$/.test(a.contentBase64)) throw new BadRequest(`"attachments[${index}].contentBase64" is not base64`);
			return {
				filename: a.filename,
				content: Buffer.from(a.contentBase64, 'base64'),
				contentType: typeof a.contentType === 'string' && a.contentType ? a.contentType : 'application/octet-stream',
			};
		}),
	};
}

export function addControlRoutes(router: Router, smtp: SmtpService, entra: Entra, ews?: EwsService): void {
	if (ews) {
		router.addRoute('GET', /^\/api\/mailboxes$/, (req, res) => sendJson(res, 200, summarizeMailboxes(ews.store)));

		// "Drop a mail": a message arrives in a sandbox mailbox (default folder: its Inbox), as if sent from outside.
		router.addRoute('POST', /^\/api\/mailboxes\/([^/]+)\/messages$/, async (req, res, { params }) => {
			const mailbox = params[0];
			if (!ews.store.mailbox(mailbox)) {
				return sendJson(res, 404, { error: 'unknown_mailbox', message: `No sandbox mailbox ${mailbox}`, mailboxes: ews.store.listMailboxes().map((box) => box.smtp) });
			}
			let input: ReturnType<typeof dropMailInput>;
			try {
				const text = (await readBody(req, MAX_DROP_BYTES)).toString('utf8');
				let parsed: unknown;
				try {
					parsed = JSON.parse(text);
				} catch {
					throw new BadRequest('the body is not JSON');
				}
				input = dropMailInput(mailbox, parsed);
			} catch (error) {
				return sendJson(res, error instanceof BadRequest ? 400 : 413, { error: 'bad_request', message: (error as Error).message });
			}
			const folder = input.folder ?? 'inbox';
			if (!ews.store.resolveFolder(mailbox, folder)) {
				return sendJson(res, 404, { error: 'unknown_folder', message: `No folder "${folder}" in ${mailbox} (use a well-known name such as inbox, or a path like Inbox/Processed)` });
			}
			const id = 'mime' in input ? await deliverMime(ews.store, mailbox, input.mime, { folder }) : ews.store.deliver(mailbox, input);
			const item = ews.store.getItem(id)!;
			sendJson(res, 201, {
				id,
				mailbox: item.mailbox,
				folder: ews.store.folder(item.folderId)?.displayName,
				subject: item.subject,
				attachments: item.attachments.map((a) => ({ name: a.name, size: a.content.length })),
			});
		});
	}

	router.addRoute('GET', /^\/api\/messages$/, (req, res) => sendJson(res, 200, smtp.messages.map(summarizeMessage)));

	router.addRoute('GET', /^\/api\/messages\/([^/]+)\.eml$/, (req, res, { params }) => {
		const message = smtp.messages.find((candidate) => candidate.id === params[0]);
		if (!message) return sendJson(res, 404, { error: 'not_found' });
		res.writeHead(200, {
			'Content-Type': 'message/rfc822',
			'Content-Length': message.raw.length,
			'Content-Disposition': `attachment; filename="${message.id}.eml"`,
		});
		res.end(message.raw);
	});

	// Records hold grant type, client id, tenant, scope and outcome; secrets and assertions are never recorded.
	router.addRoute('GET', /^\/api\/token-requests$/, (req, res) => sendJson(res, 200, entra.requests));

	router.addRoute('GET', /^\/$/, (req, res) => {
		const html = renderInbox(smtp.messages.map(summarizeMessage), entra, ews ? summarizeMailboxes(ews.store) : undefined);
		res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
		res.end(html);
	});
}

const escapeHtml = (text: string) =>
	text.replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch] as string);

function renderMailboxes(mailboxes: MailboxSummary[]): string {
	return mailboxes
		.map((box) => {
			// Every folder EWS returns, empty ones too: the same list the editor's folder picker shows.
			const folders = box.folders
				.map((folder) => {
					const messages = folder.messages
						.slice(0, 50)
						.map(
							(m) => `<li>${m.isRead ? '' : '<b>'}${escapeHtml(m.subject || '(no subject)')}${m.isRead ? '' : '</b>'}` +
								` <small>from ${escapeHtml(m.from)} · ${escapeHtml(m.receivedAt)}${m.attachments.length ? ` · 📎 ${m.attachments.map((a) => escapeHtml(a.name)).join(', ')}` : ''}</small></li>`,
						)
						.join('');
					return `<li><code>${escapeHtml(folder.path)}</code> (${folder.total}, ${folder.unread} unread)${messages ? `<ul>${messages}</ul>` : ''}</li>`;
				})
				.join('');
			return `<h3>${escapeHtml(box.mailbox)} <small>${escapeHtml(box.displayName)}</small></h3><ul>${folders}</ul>`;
		})
		.join('\n');
}

function renderInbox(messages: MessageSummary[], entra: Entra, mailboxes?: MailboxSummary[]): string {
	const rows = messages
		.slice()
		.reverse()
		.map(
			(m) => `<tr><td>${escapeHtml(m.receivedAt)}</td><td>${escapeHtml(m.from)}</td><td>${escapeHtml(m.to.join(', '))}</td>` +
				`<td><a href="/api/messages/${encodeURIComponent(m.id)}.eml">${escapeHtml(m.subject || '(no subject)')}</a></td>` +
				`<td>${m.attachments.map((a) => `${escapeHtml(a.filename ?? '(unnamed)')} (${a.size} B)`).join('<br>')}</td></tr>`,
		)
		.join('\n');
	return `<!doctype html>
<html><head><meta charset="utf-8"><title>Microsoft 365 sandbox: control page</title><meta http-equiv="refresh" content="5">
<style>body{font-family:system-ui,sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}</style>
</head><body>
<h1>Microsoft 365 sandbox: control page</h1>
<p>Entra ID stand-in: <code>${escapeHtml(entra.origin)}</code> · token requests so far: ${entra.requests.length}
 (<a href="/api/token-requests">JSON</a>) · messages: <a href="/api/messages">JSON</a></p>
<h2>Received mail (${messages.length})</h2>
<table><thead><tr><th>Received</th><th>From</th><th>To</th><th>Subject</th><th>Attachments</th></tr></thead>
<tbody>${rows || '<tr><td colspan="5">No mail yet.</td></tr>'}</tbody></table>
${
	mailboxes
		? `<h2>Exchange mailboxes (EWS stand-in)</h2>
<p>JSON: <a href="/api/mailboxes">/api/mailboxes</a> · drop a mail: <code>npm run sandbox:mail -- --to invoices@contoso.test --subject "Invoice 42" --attach test/sandbox/demo/invoice-42.pdf</code>
 or <code>POST /api/mailboxes/&lt;mailbox&gt;/messages</code></p>
${renderMailboxes(mailboxes)}`
		: ''
}
</body></html>`;
}
