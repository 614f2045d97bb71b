/**
 * One attachment that cannot be had never blocks the poll, on either API: an attachment over Max
 * Attachment Size is marked skipped without a download, and one that disappears between the feed and
 * the download (a user deletes it, or the whole message, while the poll runs) is marked on its own
 * entry; every other message and attachment of the poll is complete and the cursor moves on.
 */
import type { INodeExecutionData, INodeTypeDescription } from 'n8n-workflow';

import { pollFolder, type PollSettings } from '../../nodes/ExchangeTrigger/trigger/poll';
import { initialState, type TriggerState } from '../../nodes/ExchangeTrigger/trigger/state';
import { loadExchangeAuth } from '../../nodes/shared/auth/exchangeAuth';
import { openMailStore } from '../../nodes/shared/mail/open';
import type { MailApi, MailStore } from '../../nodes/shared/mail/store';
import { DEMO, type Sandbox } from '../sandbox';
import { createExecuteContext } from '../support/executeContext';
import { storeBinary } from '../support/binaryContent';
import { appOnlyCredential } from '../support/sandboxCredentials';
import { useSandbox } from '../support/useSandbox';
import { settingsFor } from './pollHarness';

jest.setTimeout(30_000);

const currentSandbox = useSandbox();
let sandbox: Sandbox;
let folderCount = 0;
beforeAll(() => {
	sandbox = currentSandbox();
});
beforeEach(() => {
	sandbox.ews.reset();
	sandbox.graph.reset();
});

function freshFolder(): string {
	const name = `Isolation${++folderCount}`;
	sandbox.ews.store.createFolder(DEMO.sharedMailbox, 'inbox', name);
	return `Inbox/${name}`;
}

const file = (filename: string, content: string | Buffer) => ({ filename, content: Buffer.from(content), contentType: 'application/pdf' });

function deliver(folder: string, subject: string, attachments: Array<ReturnType<typeof file>>): string {
	return sandbox.ews.store.deliver(DEMO.sharedMailbox, { from: 'vendor@example.test', to: DEMO.sharedMailbox, subject, text: subject, folder, attachments });
}

/** The real store of the API, with `beforeDownload` run (against the sandbox) just before the attachments are fetched. */
async function storeFor(api: MailApi, beforeDownload: () => void): Promise<MailStore> {
	const credential = appOnlyCredential(sandbox, api === 'graph' ? { customMailboxApi: 'graph', graphUrl: sandbox.graphUrl, graphResource: 'https://graph.microsoft.com' } : {});
	const test = createExecuteContext({ description: { properties: [] } as unknown as INodeTypeDescription, parameters: {}, credentials: { microsoftExchangeAppOnlyApi: credential }, trustedCa: sandbox.ca });
	const store = openMailStore(await loadExchangeAuth(test.context, 'appOnly', 'microsoftExchangeOAuth2Api'), { wait: async () => {}, maxAttempts: 1 });
	return new Proxy(store, {
		get(target, property) {
			const value = Reflect.get(target, property, target) as unknown;
			if (property === 'downloadAttachments') {
				return async (...args: Parameters<MailStore['downloadAttachments']>) => {
					beforeDownload();
					return await target.downloadAttachments(...args);
				};
			}
			return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
		},
	});
}

async function poll(store: MailStore, settings: PollSettings, state: TriggerState): Promise<{ items: INodeExecutionData[]; state: TriggerState }> {
	return await pollFolder(
		{
			store,
			now: () => new Date(),
			warn: () => {},
			prepareBinary: async (content, fileName, mimeType) => await storeBinary(content, fileName, mimeType),
		},
		settings,
		state,
	);
}

type Entry = { name: string; binaryProperty?: string; error?: string; skipped?: string };

describe.each<MailApi>(['ews', 'graph'])('on %s', (api) => {
	it('an attachment deleted during the poll, a message deleted during the poll and an oversized attachment mark only themselves', async () => {
		const folder = freshFolder();
		const big = Buffer.alloc(2 * 1024 * 1024, 7);
		deliver(folder, 'intact', [file('a.pdf', 'a bytes'), file('b.pdf', 'b bytes')]);
		const halfId = deliver(folder, 'half', [file('kept.pdf', 'kept bytes'), file('gone.pdf', 'gone bytes'), { ...file('big.bin', big), contentType: 'application/octet-stream' }]);
		const goneId = deliver(folder, 'vanished', [file('v.pdf', 'v bytes')]);
		deliver(folder, 'after', [file('z.pdf', 'z bytes')]);
		const store = await storeFor(api, () => {
			sandbox.ews.store.updateItem(halfId, (item) => {
				item.attachments = item.attachments.filter((attachment) => attachment.name !== 'gone.pdf');
			}, ['item:Attachments']);
			sandbox.ews.store.removeItem(goneId);
		});
		const settings = settingsFor({ folder: { path: folder }, output: { body: 'none', headers: false, eml: false, attachments: { prefix: 'file_', includeInline: false, maxBytes: 1024 * 1024 } } });
		const first = await poll(store, settings, initialState('isolation', { kind: 'all' }, new Date()));
		const bySubject = new Map(first.items.map((item) => [item.json.subject, item]));
		expect([...bySubject.keys()].sort()).toEqual(['after', 'half', 'intact', 'vanished']);

		const text = (item: INodeExecutionData | undefined, property: string) => Buffer.from(item!.binary![property].data, 'base64').toString();
		const intact = bySubject.get('intact');
		expect(intact!.json.error).toBeUndefined();
		expect([text(intact, 'file_0'), text(intact, 'file_1')]).toEqual(['a bytes', 'b bytes']);
		expect(text(bySubject.get('after'), 'file_0')).toBe('z bytes');

		const half = bySubject.get('half')!;
		const entries = (half.json.attachments as Entry[]).map((entry) => [entry.name, entry.binaryProperty ?? entry.skipped ?? entry.error]);
		expect(entries).toEqual([
			['kept.pdf', 'file_0'],
			['gone.pdf', expect.stringMatching(/^ErrorItemNotFound: /)],
			['big.bin', 'larger than the maximum of 1 MB'],
		]);
		expect(text(half, 'file_0')).toBe('kept bytes');
		expect(Object.keys(half.binary!)).toEqual(['file_0']);
		expect(half.json.error).toMatch(/^Attachment "gone.pdf" could not be downloaded \(ErrorItemNotFound: [^)]+\)$/);

		const vanished = bySubject.get('vanished')!;
		expect(vanished.binary).toBeUndefined();
		expect(vanished.json.error).toMatch(/^Attachment "v.pdf" could not be downloaded \(/);

		// The oversized attachment was never fetched, and the cursor moved past the whole poll.
		if (api === 'ews') expect(sandbox.ews.requests.filter((r) => r.operation === 'GetAttachment').length).toBeGreaterThan(0);
		expect(JSON.stringify(sandbox.graph.requests.map((r) => r.path))).not.toContain('$value');
		expect((await poll(store, settings, first.state)).items).toEqual([]);
	});
});
