/**
 * Import with the trigger: pollFolder as n8n runs it, a fresh execution (credential load, mail store)
 * per poll, the cursor carried between polls as JSON static data, until the folder is caught up.
 * Attachments go to n8n's prepareBinaryData in the row's binary data mode (n8n-core's own code).
 * Also used for the large-attachment rows (one 50 or 110 MB attachment, 20 × 25 MB in one poll).
 */
import type { IBinaryData, INodeExecutionData, INodeTypeDescription } from 'n8n-workflow';

import { pollFolder, type PollSettings } from '../../nodes/ExchangeTrigger/trigger/poll';
import { initialState, type TriggerState } from '../../nodes/ExchangeTrigger/trigger/state';
import { loadExchangeAuth } from '../../nodes/shared/auth/exchangeAuth';
import { ewsLibrary } from '../../nodes/shared/transport/ews/library';
import { openMailStore } from '../../nodes/shared/mail/open';
import type { FolderRef } from '../../nodes/shared/mail/store';
import { createExecuteContext } from '../../test/support/executeContext';
import { closeBinaryStorage, measure, openBinaryStorage, readInput, runWorker, type BinaryInput, type WorkerInput } from './common';

interface Input extends WorkerInput, BinaryInput {
	folder: FolderRef;
	/** Per poll; the node allows at most 2,000. */
	maxMessages: number;
	maxAttachmentBytes: number;
}

runWorker(async () => {
	const input = await readInput<Input>();
	if (input.mailboxApi === 'ews') ewsLibrary(); // loaded before timing, as the baseline loads it before timing (Graph needs no EWS library)
	const storage = await openBinaryStorage(input);
	const stored: IBinaryData[] = [];
	const settings: PollSettings = {
		mailbox: input.mailbox,
		folder: input.folder,
		maxMessages: input.maxMessages,
		filters: {},
		output: { body: 'text', headers: false, eml: false, attachments: { prefix: 'attachment_', includeInline: false, maxBytes: input.maxAttachmentBytes } },
		afterEmit: { kind: 'nothing' },
	};
	const measured = await measure(async () => {
		let staticData = JSON.stringify(initialState('bench', { kind: 'all' }, new Date()));
		let messages = 0;
		let binaries = 0;
		let binaryBytes = 0;
		let polls = 0;
		let items: INodeExecutionData[] = [];
		for (;;) {
			items = []; // n8n lets go of the previous poll's items before the next poll
			const test = createExecuteContext({ description: { properties: [] } as unknown as INodeTypeDescription, parameters: {}, credentials: { microsoftExchangeAppOnlyApi: input.credential }, trustedCa: input.ca });
			const auth = await loadExchangeAuth(test.context, 'appOnly', 'microsoftExchangeOAuth2Api');
			const store = openMailStore(auth);
			const result = await pollFolder(
				{
					store,
					now: () => new Date(),
					warn: (message) => process.stderr.write(`${message}\n`),
					prepareBinary: async (content, fileName, mimeType) => await storage.prepareBinary(content, fileName, mimeType),
				},
				settings,
				JSON.parse(staticData) as TriggerState,
			);
			items = result.items;
			staticData = JSON.stringify(result.state);
			polls++;
			messages += items.length;
			for (const item of items) {
				for (const binary of Object.values(item.binary ?? {})) {
					binaries++;
					binaryBytes += binary.bytes ?? 0;
					if (input.verify) stored.push(binary);
				}
			}
			if (items.length < input.maxMessages) break;
		}
		return { messages, binaries, binaryBytes, polls };
	});
	const sha256 = await closeBinaryStorage(storage, stored, input.verify);
	return { ...measured, ...measured.value, value: undefined, sha256 };
});
