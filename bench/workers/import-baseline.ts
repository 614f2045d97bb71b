/**
 * The common way EWS integrations import mail, written with the same ews-javascript-api: FindItem
 * pages of ids, then GetItem per message, then GetAttachment per attachment. It shares only the HTTP
 * layer (node https with the sandbox CA) with our code, so the difference measured is the call pattern.
 * Each attachment goes to n8n's prepareBinaryData as the Buffer it decoded, in the same binary data
 * mode as our side (the bench gives both the filesystem mode).
 */
import type { EmailMessage, FileAttachment } from 'ews-javascript-api';
import type { IBinaryData } from 'n8n-workflow';

import { closeBinaryStorage, measure, openBinaryStorage, readInput, runWorker, type BinaryInput, type WorkerInput } from './common';
import { baselineService, loadEws } from './ews-service';

runWorker(async () => {
	const input = await readInput<WorkerInput & BinaryInput>();
	const ews = loadEws();
	const storage = await openBinaryStorage(input);
	const measured = await measure(async () => {
		const service = await baselineService(ews, input);
		const inbox = new ews.FolderId(ews.WellKnownFolderName.Inbox, new ews.Mailbox(input.mailbox));

		// 1. FindItem pages (1,000 ids per page, Exchange Online's maximum).
		const ids: string[] = [];
		for (let offset = 0; ; ) {
			const view = new ews.ItemView(1000, offset, ews.OffsetBasePoint.Beginning);
			view.PropertySet = new ews.PropertySet(ews.BasePropertySet.IdOnly);
			const page = await service.FindItems(inbox, view);
			ids.push(...page.Items.map((item) => item.Id.UniqueId));
			if (!page.MoreAvailable || page.NextPageOffset == null || page.Items.length === 0) break;
			offset = page.NextPageOffset;
		}

		// 2. GetItem per message, 3. GetAttachment per attachment.
		const propertySet = new ews.PropertySet(ews.BasePropertySet.FirstClassProperties);
		propertySet.RequestedBodyType = ews.BodyType.Text;
		let messages = 0;
		let binaries = 0;
		let binaryBytes = 0;
		const items: Array<{ json: Record<string, unknown>; binary: Record<string, IBinaryData> }> = [];
		for (const id of ids) {
			const message: EmailMessage = await ews.EmailMessage.Bind(service, new ews.ItemId(id), propertySet);
			const json: Record<string, unknown> = {
				id,
				subject: message.Subject,
				from: message.From?.Address,
				to: message.ToRecipients.GetEnumerator().map((address) => address.Address),
				receivedAt: message.DateTimeReceived?.ToISOString(),
				bodyText: message.Body?.Text,
				isRead: message.IsRead,
			};
			const binary: Record<string, IBinaryData> = {};
			let index = 0;
			for (const attachment of message.Attachments.GetEnumerator()) {
				if (attachment.IsInline || !(attachment instanceof ews.FileAttachment)) continue;
				const file = attachment as FileAttachment;
				await file.Load();
				const content = Buffer.from(file.Base64Content ?? '', 'base64');
				binary[`attachment_${index++}`] = await storage.prepareBinary(content, file.Name, file.ContentType);
				binaries++;
				binaryBytes += content.length;
			}
			items.push({ json, binary });
			messages++;
			// Emitted in pages of 2,000 like the trigger's polls, so both hold a similar amount at once.
			if (items.length >= 2000) items.length = 0;
		}
		return { messages, binaries, binaryBytes, polls: 1 };
	});
	await closeBinaryStorage(storage, [], false);
	return { ...measured, ...measured.value, value: undefined };
});
