// Drops a test mail into a mailbox of a running sandbox (`npm start`), as if it came from outside:
//
//   npm run sandbox:mail -- --to invoices@contoso.test --subject "Invoice 42" --attach test/sandbox/demo/invoice-42.pdf
//
// Options: --to <mailbox> (default invoices@contoso.test), --from <address> (default billing@fabrikam.test),
// --subject, --text, --html, --attach <file> (repeatable), --folder <inbox | Inbox/Sub> (default inbox),
// --eml <file> (a whole message as received from the Internet, stored as it is: for odd or hostile mail),
// --control <url> (default http://127.0.0.1:$SANDBOX_CONTROL_PORT, port 8025), --list (show the mailboxes).
// It POSTs to the control server: POST /api/mailboxes/<mailbox>/messages.
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { parseArgs } from 'node:util';

const MIME: Record<string, string> = {
	'.pdf': 'application/pdf',
	'.txt': 'text/plain',
	'.csv': 'text/csv',
	'.xml': 'application/xml',
	'.json': 'application/json',
	'.png': 'image/png',
	'.jpg': 'image/jpeg',
	'.jpeg': 'image/jpeg',
	'.gif': 'image/gif',
	'.html': 'text/html',
	'.zip': 'application/zip',
	'.eml': 'message/rfc822',
	'.docx': 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
	'.xlsx': 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
};

const USAGE = `Usage: npm run sandbox:mail -- [--to invoices@contoso.test] [--from billing@fabrikam.test]
       [--subject "Invoice 42"] [--text "..."] [--html "<p>...</p>"] [--attach file]... [--folder inbox] [--eml message.eml]
       [--control http://127.0.0.1:8025] [--list]`;

async function main(): Promise<number> {
	const { values } = parseArgs({
		options: {
			to: { type: 'string', default: 'invoices@contoso.test' },
			from: { type: 'string', default: 'billing@fabrikam.test' },
			subject: { type: 'string' },
			text: { type: 'string' },
			html: { type: 'string' },
			attach: { type: 'string', multiple: true, default: [] },
			eml: { type: 'string' },
			folder: { type: 'string' },
			control: { type: 'string', default: `http://127.0.0.1:${process.env.SANDBOX_CONTROL_PORT ?? '8025'}` },
			list: { type: 'boolean', default: false },
			help: { type: 'boolean', short: 'h', default: false },
		},
		strict: true,
	});
	if (values.help) {
		console.log(USAGE);
		return 0;
	}
	const control = values.control!.replace(/\/+$/, '');

	if (values.list) {
		const res = await request(`${control}/api/mailboxes`);
		const boxes = (await res.json()) as Array<{ mailbox: string; folders: Array<{ path: string; total: number; unread: number; messages: Array<{ subject: string }> }> }>;
		for (const box of boxes) {
			console.log(box.mailbox);
			for (const folder of box.folders.filter((f) => f.total > 0)) {
				console.log(`  ${folder.path} (${folder.total}, ${folder.unread} unread)`);
				for (const m of folder.messages.slice(0, 20)) console.log(`    - ${m.subject}`);
			}
		}
		return 0;
	}

	const attachments = [];
	for (const file of values.attach ?? []) {
		const content = await readFile(file).catch((error: NodeJS.ErrnoException) => {
			throw new Error(`cannot read --attach ${file}: ${error.code ?? error.message}`);
		});
		attachments.push({
			filename: path.basename(file),
			contentBase64: content.toString('base64'),
			contentType: MIME[path.extname(file).toLowerCase()] ?? 'application/octet-stream',
		});
	}
	const subject = values.subject ?? `Test mail ${new Date().toISOString().slice(0, 19).replace('T', ' ')}`;
	const eml = values.eml
		? await readFile(values.eml).catch((error: NodeJS.ErrnoException) => {
				throw new Error(`cannot read --eml ${values.eml}: ${error.code ?? error.message}`);
			})
		: undefined;
	const body = eml ? { mimeBase64: eml.toString('base64'), folder: values.folder } : {
		from: values.from,
		to: values.to,
		subject,
		text: values.text ?? (values.html ? undefined : `Dropped into the sandbox by npm run sandbox:mail.${attachments.length ? `\nAttached: ${attachments.map((a) => a.filename).join(', ')}` : ''}`),
		html: values.html,
		folder: values.folder,
		attachments,
	};
	const res = await request(`${control}/api/mailboxes/${encodeURIComponent(values.to!)}/messages`, {
		method: 'POST',
		headers: { 'content-type': 'application/json' },
		body: JSON.stringify(body),
	});
	const answer = (await res.json().catch(() => ({}))) as { message?: string; subject?: string; folder?: string; mailbox?: string; attachments?: { name: string; size: number }[]; mailboxes?: string[] };
	if (!res.ok) {
		console.error(`The sandbox refused the mail (HTTP ${res.status}): ${answer.message ?? 'no details'}`);
		if (answer.mailboxes) console.error(`Sandbox mailboxes: ${answer.mailboxes.join(', ')}`);
		return 1;
	}
	const files = answer.attachments?.length ? ` with ${answer.attachments.map((a) => `${a.name} (${a.size} B)`).join(', ')}` : '';
	console.log(`Delivered "${eml ? answer.subject : subject}" from ${eml ? values.eml : values.from} to ${answer.mailbox} / ${answer.folder}${files}.`);
	console.log(`Mailboxes: ${control}/  (an active "Invoice inbox" workflow picks it up within a minute)`);
	return 0;
}

async function request(url: string, init?: RequestInit): Promise<Response> {
	try {
		return await fetch(url, { ...init, signal: AbortSignal.timeout(15_000) });
	} catch (error) {
		throw new Error(`cannot reach the sandbox control server at ${new URL(url).origin} (${(error as Error).cause ? String((error as { cause: Error }).cause.message ?? (error as Error).cause) : (error as Error).message}). Is \`npm start\` running? Otherwise pass --control <url>.`);
	}
}

main().then(
	(code) => process.exit(code),
	(error: Error) => {
		console.error(`sandbox:mail: ${error.message}`);
		process.exit(1);
	},
);
