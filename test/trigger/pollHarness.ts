/** Drives the trigger's poll the way n8n does: state from static data, a fresh execution per poll. */
import { createHash } from 'node:crypto';

import type { INodeExecutionData, INodeTypeDescription } from 'n8n-workflow';

import { initialState, type StartPoint, type TriggerState } from '../../nodes/ExchangeTrigger/trigger/state';
import { pollFolder, type PollSettings } from '../../nodes/ExchangeTrigger/trigger/poll';
import { loadExchangeAuth } from '../../nodes/shared/auth/exchangeAuth';
import type { MailApi, MailContent, MailStore } from '../../nodes/shared/mail/store';
import { openMailStore } from '../../nodes/shared/mail/open';
import { DEMO, type Sandbox } from '../sandbox';
import { createExecuteContext } from '../support/executeContext';
import { storeBinary } from '../support/binaryContent';
import { appOnlyCredential } from '../support/sandboxCredentials';
import { useSandbox } from '../support/useSandbox';

export function settingsFor(overrides: Partial<PollSettings> = {}): PollSettings {
	return {
		mailbox: DEMO.sharedMailbox,
		folder: { wellKnown: 'inbox' },
		maxMessages: 100,
		filters: {},
		output: { body: 'text', headers: false, eml: false },
		afterEmit: { kind: 'nothing' },
		...overrides,
	};
}

export interface PollerOptions {
	start?: StartPoint;
	/** The credential's Mailbox API (default EWS); may change between polls, as when an admin moves a credential to Graph. */
	mailboxApi?: MailApi;
	timeoutMs?: number;
	maxAttempts?: number;
	/**
	 * De-duplication switched off, to show a test notices: every poll starts with an empty record of what
	 * was emitted (the trigger's code is unchanged; only the saved state it is handed forgets).
	 */
	forgetEmitted?: boolean;
	/** The trigger's clock (default: the real one). */
	now?: () => Date;
	/** Runs just before the poll fetches attachment contents (a user changing the mailbox mid-poll). */
	beforeDownload?: () => void;
	/** Sees each content handed to prepareBinaryData before it is stored (a stream not yet read). */
	onStore?: (content: MailContent, fileName: string) => void;
	/** Sees the poll's mail store before the poll (to watch the calls the trigger makes on it). */
	inspectStore?: (store: MailStore) => void;
}

/** A trigger "installation": static data that survives polls and restarts, as n8n stores it (JSON). */
export class Poller {
	staticData = '';

	warnings: string[] = [];

	constructor(
		private readonly sandbox: Sandbox,
		private readonly settings: PollSettings,
		readonly options: PollerOptions = {},
	) {
		this.staticData = JSON.stringify(initialState('test-cursor', options.start ?? { kind: 'all' }, new Date()));
	}

	get state(): TriggerState {
		return JSON.parse(this.staticData) as TriggerState;
	}

	/** One poll in a fresh "execution"; the state is saved only when the poll returned. */
	async poll(): Promise<INodeExecutionData[]> {
		const test = createExecuteContext({ description: { properties: [] } as unknown as INodeTypeDescription, parameters: {}, credentials: { microsoftExchangeAppOnlyApi: appOnlyCredential(this.sandbox, this.options.mailboxApi === 'graph' ? { customMailboxApi: 'graph', graphUrl: this.sandbox.graphUrl, graphResource: 'https://graph.microsoft.com' } : {}) }, trustedCa: this.sandbox.ca });
		const auth = await loadExchangeAuth(test.context, 'appOnly', 'microsoftExchangeOAuth2Api');
		// EWS has a per-request timeout and a per-call deadline; Graph one deadline per attempt: timeoutMs bounds that.
		const store = openMailStore(auth, { wait: async () => {}, timeoutMs: this.options.timeoutMs, maxAttempts: this.options.maxAttempts, ...(this.options.mailboxApi === 'graph' ? { deadlineMs: this.options.timeoutMs } : {}) });
		const { beforeDownload, onStore, inspectStore } = this.options;
		inspectStore?.(store);
		if (beforeDownload) {
			const download = store.downloadAttachments.bind(store);
			store.downloadAttachments = async (...args) => {
				beforeDownload();
				return await download(...args);
			};
		}
		const { items, state } = await pollFolder(
			{
				store,
				now: this.options.now ?? (() => new Date()),
				warn: (message) => this.warnings.push(message),
				prepareBinary: async (content, fileName, mimeType) => {
					onStore?.(content, fileName);
					return await storeBinary(content, fileName, mimeType);
				},
			},
			this.settings,
			this.options.forgetEmitted ? { ...this.state, recent: [] } : this.state,
		);
		this.staticData = JSON.stringify(state);
		return items;
	}
}

/**
 * The sandbox of a trigger test file (one per file, requests and faults cleared before each test) and a
 * fresh folder per test, so tests do not see each other's mail.
 */
export function useTriggerSandbox(folderPrefix: string): { sandbox: () => Sandbox; freshFolder: () => string } {
	const currentSandbox = useSandbox();
	let folderCount = 0;
	beforeEach(() => {
		currentSandbox().ews.reset();
		currentSandbox().graph.reset();
	});
	return {
		sandbox: currentSandbox,
		freshFolder: () => {
			const name = `${folderPrefix}${++folderCount}`;
			currentSandbox().ews.store.createFolder(DEMO.sharedMailbox, 'inbox', name);
			return `Inbox/${name}`;
		},
	};
}

export const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** The bytes of an item's binary property (the stand-in's in-memory binary mode keeps them as base64). */
export const bytesOf = (item: INodeExecutionData | undefined, property: string) => Buffer.from(item!.binary![property].data, 'base64');

type AttachmentEntry = { name: string; binaryProperty?: string; error?: string; skipped?: string };

/** Each attachment entry of an item as [name, its binary property, or why it has none]. */
export const attachmentEntries = (item: INodeExecutionData) => (item.json.attachments as AttachmentEntry[]).map((entry) => [entry.name, entry.binaryProperty ?? entry.skipped ?? entry.error]);
