/**
 * Import with the trigger: pollFolder as n8n runs it, a fresh execution (credential load, mail store)
 * per poll, the cursor carried between polls as JSON static data, until the folder is caught up.
 * Also used for the 50 MB case (one message, one attachment).
 */
import type { IBinaryData, INodeExecutionData, INodeTypeDescription } from 'n8n-workflow';

import { pollFolder, type PollSettings } from '../../nodes/ExchangeTrigger/trigger/poll';
import { initialState, type TriggerState } from '../../nodes/ExchangeTrigger/trigger/state';
import { loadExchangeAuth } from '../../nodes/shared/auth/exchangeAuth';
import { ewsLibrary } from '../../nodes/shared/transport/ews/library';
import { openMailStore } from '../../nodes/shared/mail/open';
import type { FolderRef } from '../../nodes/shared/mail/store';
import { storeBinary } from '../../test/support/binaryContent';
import { createExecuteContext } from '../../test/support/executeContext';
import { measure, readInput, runWorker, type WorkerInput } from './common';

interface Input extends WorkerInput {
	folder: FolderRef;
	/** Per poll; the node allows at most 2,000. */
	maxMessages: number;
	maxAttachmentBytes: number;
}

runWorker(async () => {
	const input = await readInput<Input>();
	if (input.mailboxApi === 'ews') ewsLibrary(); // loaded before timing, as the baseline loads it before timing (Graph needs no EWS library)
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
					// n8n's in-memory binary mode (the default): base64 in the item (a stream read to its end).
					prepareBinary: async (content, fileName, mimeType) => await storeBinary(content, fileName, mimeType),
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
					binaryBytes += Number(binary.fileSize);
				}
			}
			if (items.length < input.maxMessages) break;
		}
		return { messages, binaries, binaryBytes, polls };
	});
	return { ...measured, ...measured.value, value: undefined };
});
