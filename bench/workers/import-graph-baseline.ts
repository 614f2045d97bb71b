/**
 * Import on Graph the way n8n's Outlook Trigger works: the folder's messages in a receivedDateTime
 * window, listed page by page (100 per page, following @odata.nextLink), then one attachments request
 * per message with attachments (the list with each file's contentBytes). Plain node https with
 * keep-alive, one request at a time; none of our transport code. Each file goes to n8n's
 * prepareBinaryData as the Buffer it decoded, in the same binary data mode as our side.
 */
import https from 'node:https';
import type { IBinaryData } from 'n8n-workflow';

import { closeBinaryStorage, fetchAppOnlyToken, measure, openBinaryStorage, readInput, runWorker, type BinaryInput, type WorkerInput } from './common';

interface Input extends WorkerInput, BinaryInput {
	/** The Graph id of the folder. */
	folderId: string;
	/** The window's start (the poll's last run: here the earliest message). */
	since: string;
}

interface GraphList<T> {
	value: T[];
	'@odata.nextLink'?: string;
}

interface Message {
	id: string;
	hasAttachments?: boolean;
}

interface Attachment {
	'@odata.type': string;
	name?: string;
	contentType?: string;
	contentBytes?: string;
}

runWorker(async () => {
	const input = await readInput<Input>();
	const storage = await openBinaryStorage(input);
	const token = await fetchAppOnlyToken(input, input.graph.scope); // before timing (ours fetches its token inside the timing)
	const agent = new https.Agent({ keepAlive: true });
	const get = <T>(url: string) =>
		new Promise<T>((resolve, reject) => {
			const request = https.get(url, { agent, headers: { Authorization: `Bearer ${token}`, Prefer: 'IdType="ImmutableId"' } }, (response) => {
				const chunks: Buffer[] = [];
				response.on('data', (chunk: Buffer) => chunks.push(chunk));
				response.on('end', () => {
					const text = Buffer.concat(chunks).toString('utf8');
					if ((response.statusCode ?? 0) >= 300) reject(new Error(`HTTP ${response.statusCode}: ${text.slice(0, 200)}`));
					else resolve(JSON.parse(text) as T);
				});
			});
			request.on('error', reject);
		});
	const base = `${input.graph.url}/users/${encodeURIComponent(input.mailbox)}`;
	const measured = await measure(async () => {
		const messages: Message[] = [];
		const filter = encodeURIComponent(`receivedDateTime ge ${input.since}`);
		for (let url: string | undefined = `${base}/mailFolders/${encodeURIComponent(input.folderId)}/messages?$filter=${filter}&$top=100`; url; ) {
			const page: GraphList<Message> = await get<GraphList<Message>>(url);
			messages.push(...page.value);
			url = page['@odata.nextLink'];
		}
		let binaries = 0;
		let binaryBytes = 0;
		// Emitted in pages of 2,000 messages like the trigger's polls, so both hold a similar amount at once.
		let items: Array<Record<string, IBinaryData>> = [];
		for (const message of messages) {
			if (items.length >= 2000) items = [];
			const binary: Record<string, IBinaryData> = {};
			items.push(binary);
			if (!message.hasAttachments) continue;
			const attachments = await get<GraphList<Attachment>>(`${base}/messages/${encodeURIComponent(message.id)}/attachments`);
			let index = 0;
			for (const attachment of attachments.value) {
				if (!attachment.contentBytes) continue;
				const stored = await storage.prepareBinary(Buffer.from(attachment.contentBytes, 'base64'), attachment.name, attachment.contentType);
				binary[`attachment_${index++}`] = stored;
				binaries++;
				binaryBytes += stored.bytes ?? 0;
			}
		}
		return { messages: messages.length, binaries, binaryBytes, polls: 1 };
	});
	await closeBinaryStorage(storage, [], false);
	return { ...measured, ...measured.value, value: undefined };
});
