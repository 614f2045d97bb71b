// Plain-HTTP control server on loopback: what the sandbox received, for humans (`npm start`) and for scripts.
// Shows addresses, subjects and request metadata only; never secrets, tokens or assertions.
import type { Entra } from './entra';
import { sendJson, type Router } from './routes';
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

export function addControlRoutes(router: Router, smtp: SmtpService, entra: Entra): void {
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
		const html = renderInbox(smtp.messages.map(summarizeMessage), entra);
		res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
		res.end(html);
	});
}

const escapeHtml = (text: string) =>
	text.replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch] as string);

function renderInbox(messages: MessageSummary[], entra: Entra): string {
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
<html><head><meta charset="utf-8"><title>Microsoft 365 sandbox</title><meta http-equiv="refresh" content="5">
<style>body{font-family:system-ui,sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}</style>
</head><body>
<h1>Microsoft 365 sandbox</h1>
<p>Entra ID stand-in: <code>${escapeHtml(entra.origin)}</code> · token requests so far: ${entra.requests.length}
 (<a href="/api/token-requests">JSON</a>) · messages: <a href="/api/messages">JSON</a></p>
<h2>Received mail (${messages.length})</h2>
<table><thead><tr><th>Received</th><th>From</th><th>To</th><th>Subject</th><th>Attachments</th></tr></thead>
<tbody>${rows || '<tr><td colspan="5">No mail yet.</td></tr>'}</tbody></table>
</body></html>`;
}
