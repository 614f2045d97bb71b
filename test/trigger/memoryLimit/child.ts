/**
 * Child process of memoryLimit.test.ts: one trigger poll (pollFolder as ExchangeTrigger.poll runs it, a
 * fresh mail store from the credential) against the sandbox the parent runs, with n8n's own
 * prepareBinaryData in its filesystem binary mode: n8n-core 2.40.3 (the version n8n 2.40.7 runs), its
 * BinaryDataService and blob manager writing each content (a stream as it is read) to a file. It prints
 * one line `@@memory-result {...}`: every stored binary's file path and size, and this process's peak RSS.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Readable } from 'node:stream';

import type { IBinaryData, INodeTypeDescription } from 'n8n-workflow';

import { pollFolder, type PollSettings } from '../../../nodes/ExchangeTrigger/trigger/poll';
import { initialState } from '../../../nodes/ExchangeTrigger/trigger/state';
import { loadExchangeAuth } from '../../../nodes/shared/auth/exchangeAuth';
import { openMailStore } from '../../../nodes/shared/mail/open';
import type { MailContent } from '../../../nodes/shared/mail/store';
import { createExecuteContext } from '../../support/executeContext';
import { RESULT_PREFIX, type ChildInput, type ChildResult } from './protocol';

type Prepare = (content: Buffer | Readable, executionId: string, workflowId: string, filePath?: string, mimeType?: string) => Promise<IBinaryData>;

/** n8n-core's own filesystem binary data mode, set up as n8n's BinaryDataService.init() does, without the rest of n8n. */
async function n8nFilesystemMode(storagePath: string): Promise<{ prepare: Prepare; pathOf: (id: string) => string; tempExecution: string }> {
	const load = createRequire(require.resolve('n8n-core'));
	const { Container } = load('@n8n/di') as { Container: { set: (type: unknown, value: unknown) => void } };
	const { BinaryDataService } = load('n8n-core/dist/binary-data/binary-data.service') as { BinaryDataService: new (...args: unknown[]) => { init: () => Promise<void>; getPath: (id: string) => string } };
	const { TEMP_EXECUTION_ID } = load('n8n-core/dist/binary-data/utils') as { TEMP_EXECUTION_ID: string };
	const { prepareBinaryData } = load('n8n-core/dist/execution-engine/node-execution-context/utils/binary-helper-functions') as { prepareBinaryData: Prepare };
	const quiet = { error: () => {}, warn: () => {}, info: () => {}, debug: () => {} };
	const service = new BinaryDataService({ mode: 'filesystem', localStoragePath: storagePath, signingSecret: 'memory-test' }, quiet, quiet);
	await service.init();
	Container.set(BinaryDataService, service);
	return { prepare: prepareBinaryData, pathOf: (id) => service.getPath(id), tempExecution: TEMP_EXECUTION_ID };
}

async function main(): Promise<ChildResult> {
	const chunks: Buffer[] = [];
	for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
	const input = JSON.parse(Buffer.concat(chunks).toString('utf8')) as ChildInput;
	const n8n = await n8nFilesystemMode(input.storagePath);
	const test = createExecuteContext({ description: { properties: [] } as unknown as INodeTypeDescription, parameters: {}, credentials: { microsoftExchangeAppOnlyApi: input.credential }, trustedCa: input.ca });
	const auth = await loadExchangeAuth(test.context, 'appOnly', 'microsoftExchangeOAuth2Api');
	const settings: PollSettings = {
		mailbox: input.mailbox,
		folder: { path: input.folderPath },
		maxMessages: 100,
		filters: {},
		output: { body: 'text', headers: false, eml: false, attachments: { prefix: 'attachment_', includeInline: false, maxBytes: input.maxAttachmentBytes } },
		afterEmit: { kind: 'nothing' },
	};
	const { items } = await pollFolder(
		{
			store: openMailStore(auth),
			now: () => new Date(),
			warn: (message) => process.stderr.write(`${message}\n`),
			// What ExchangeTrigger.poll hands over: this.helpers.prepareBinaryData(content, fileName, mimeType).
			prepareBinary: async (content: MailContent, fileName: string, mimeType: string) => await n8n.prepare(content, n8n.tempExecution, 'memory-test', fileName, mimeType),
		},
		settings,
		initialState('memory-test', { kind: 'all' }, new Date()),
	);
	return {
		items: items.map((item) => ({
			subject: String(item.json.subject),
			...(item.json.error ? { error: String(item.json.error) } : {}),
			binaries: Object.values(item.binary ?? {}).map((binary) => ({ fileName: binary.fileName, path: n8n.pathOf(binary.id!), bytes: binary.bytes })),
		})),
		// VmHWM, not getrusage's maxRSS: that one keeps the spawning process's size across exec.
		peakRssMB: Number(/^VmHWM:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? 0) / 1024,
	};
}

main().then(
	(result) => {
		process.stdout.write(`${RESULT_PREFIX}${JSON.stringify(result)}\n`);
		process.exit(0);
	},
	(error) => {
		process.stderr.write(`${(error as Error)?.stack ?? String(error)}\n`);
		process.exit(1);
	},
);
