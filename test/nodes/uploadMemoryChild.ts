/**
 * Child process of uploadMemory.test.ts: sends one message with a large attachment stored by id
 * (n8n's filesystem mode) through the Exchange node (EWS or Graph) or Send Email (SMTP), after a
 * warm-up send, and reports resident memory (VmRSS) before and at its peak during the send.
 */
import { readFileSync } from 'node:fs';
import type { ICredentialDataDecryptedObject, IDataObject, INodeType } from 'n8n-workflow';

import { createExecuteContext, storedBinaryOfSize } from '../support/executeContext';

// With the extension: under tsx, "X.node" would resolve to the node's codex file X.node.json.
/* eslint-disable @typescript-eslint/no-require-imports */
const { Exchange } = require('../../nodes/Exchange/Exchange.node.ts') as typeof import('../../nodes/Exchange/Exchange.node');
const { SmtpOAuth } = require('../../nodes/SmtpOAuth/SmtpOAuth.node.ts') as typeof import('../../nodes/SmtpOAuth/SmtpOAuth.node');
/* eslint-enable @typescript-eslint/no-require-imports */

const rssBytes = () => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? 0) * 1024;
const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined);

interface Input {
	api: 'ews' | 'graph' | 'smtp';
	size: number;
	credential: ICredentialDataDecryptedObject;
	ca: string;
	parameters: IDataObject;
}

async function send(input: Input, size: number, subject: string): Promise<{ before: number; peak: number; error?: unknown }> {
	const node: INodeType = input.api === 'smtp' ? new SmtpOAuth() : new Exchange();
	const { item } = storedBinaryOfSize('data', size, 'big.bin');
	const test = createExecuteContext({ description: node.description, parameters: { ...input.parameters, subject }, credentials: { microsoftExchangeAppOnlyApi: input.credential }, trustedCa: input.ca, items: [item] });
	gc();
	const before = rssBytes();
	let peak = before;
	const sampler = setInterval(() => (peak = Math.max(peak, rssBytes())), 5);
	try {
		const [[output]] = (await node.execute!.call(test.context)) as Array<Array<{ json: IDataObject }>>;
		return { before, peak: Math.max(peak, rssBytes()), error: output.json.error };
	} finally {
		clearInterval(sampler);
	}
}

async function main(): Promise<void> {
	const input = JSON.parse(process.env.UPLOAD_MEMORY_INPUT ?? '{}') as Input;
	// Warm up the library, the TLS agent and the streamed path (an attachment over 3 MB), then measure.
	const warm = await send(input, 4 * 1024 * 1024, 'warm-up');
	if (warm.error) throw new Error(String(warm.error));
	const measured = await send(input, input.size, 'measured');
	if (measured.error) throw new Error(String(measured.error));
	process.stdout.write(JSON.stringify({ before: measured.before, peak: measured.peak, growth: measured.peak - measured.before }));
}

main().catch((error: unknown) => {
	process.stderr.write(String((error as Error)?.stack ?? error));
	process.exit(1);
});
