import {
	NodeConnectionTypes,
	NodeOperationError,
	type IExecuteFunctions,
	type INodeExecutionData,
	type INodeType,
	type INodeTypeDescription,
	type IPollFunctions,
} from 'n8n-workflow';

import { DELEGATED_CREDENTIAL_TYPE } from '../Exchange/descriptions/common';
import { foreignIdError } from '../Exchange/helpers/idGuard';
import { namingField } from '../Exchange/helpers/utils';
import { searchFolders } from '../Exchange/methods/listSearch';
import { loadExchangeAuth, type AuthenticationKind } from '../shared/auth/exchangeAuth';
import { ewsCredentialTests } from '../shared/credentialTests';
import { toNodeApiError } from '../shared/errors/nodeErrors';
import { openMailStore } from '../shared/mail/open';
import type { FailureKind, MailContent } from '../shared/mail/store';
import { IMPORTANCE_OPTIONS } from '../shared/mail/fields';
import { mailboxToUse, nodeParameters, valuesOf, type ParameterReader } from '../shared/parameters';
import { DEFAULT_DOWNLOAD_BUDGET_MB, newestMessage, pollFolder, type AfterEmit, type PollSettings, type TriggerFilters } from './trigger/poll';
import { refuseMoveIntoWatchedFolder } from './trigger/moveTarget';
import { refuseConflictingSettings, type ProcessedSignal, type RedeliverySettings } from './trigger/redelivery';
import { triggerProperties } from './trigger/properties';
import { cursorKeyOf, loadState, saveState, type StartPoint } from './trigger/state';

const property = (name: string) => triggerProperties.find((candidate) => candidate.name === name);
const OUTPUTS = valuesOf<'simple' | 'raw'>(property('output')?.options);
const AFTER_EMIT = valuesOf<AfterEmit['kind']>(property('afterEmit')?.options);
const START_POINTS = valuesOf<StartPoint['kind']>(property('startFrom')?.options);
const PROCESSED_SIGNALS = valuesOf<ProcessedSignal['kind']>(property('processedWhen')?.options);
const IMPORTANCES = valuesOf<NonNullable<TriggerFilters['importance']>>(IMPORTANCE_OPTIONS);
/** Failures that mean the watched folder is wrong (the post-action's folder fails per message, in poll.ts). */
const FOLDER_KINDS: ReadonlySet<FailureKind> = new Set(['notFound', 'invalidId']);

/** Redeliver Until Processed, when switched on. */
function redeliveryFrom(parameters: ParameterReader): RedeliverySettings | undefined {
	if (!parameters.boolean('redeliver', 'Redeliver Until Processed', false)) return undefined;
	const signal = parameters.option('processedWhen', 'Processed When', PROCESSED_SIGNALS, 'leftFolder');
	const category = signal === 'category' ? parameters.string('processedCategory', 'Processed Category') : undefined;
	if (category === '') throw parameters.error('"Processed Category" is empty', 'Enter the category the workflow adds to a message when it is done with it, e.g. Processed.');
	const processedWhen: ProcessedSignal = signal === 'category' ? { kind: 'category', name: category as string } : { kind: signal };
	const deadLetter = parameters.raw('deadLetterFolder') as { value?: unknown } | string | undefined;
	const deadLetterSet = typeof deadLetter === 'object' && deadLetter !== null ? Boolean(String(deadLetter.value ?? '').trim()) : Boolean(deadLetter);
	return {
		processedWhen,
		afterMs: parameters.number('redeliverAfterMinutes', 'Redeliver After (Minutes)', 15, { min: 0.01 }) * 60_000,
		maxAttempts: parameters.number('maxAttempts', 'Max Attempts', 3, { min: 1, max: 20, integer: true }),
		deadLetter: deadLetterSet ? parameters.folder('deadLetterFolder', 'Dead-Letter Folder') : undefined,
	};
}

function settingsFrom(parameters: ParameterReader, mailbox: string): { settings: PollSettings; start: StartPoint } {
	const raw = parameters.option('output', 'Output', OUTPUTS, 'simple') === 'raw';
	const afterEmitKind = parameters.option('afterEmit', 'After Emitting', AFTER_EMIT, 'nothing');
	const afterEmit: AfterEmit =
		afterEmitKind === 'move'
			? { kind: 'move', folder: parameters.folder('moveTo', 'Move To') }
			: afterEmitKind === 'category'
				? { kind: 'category', name: parameters.string('category', 'Category') || 'n8n' }
				: { kind: afterEmitKind };
	const startFrom = parameters.option('startFrom', 'Start With', START_POINTS, 'newOnly');
	const start: StartPoint = startFrom === 'recentDays' ? { kind: 'recentDays', days: parameters.number('startDays', 'Days', 7, { min: 1, max: 3650, integer: true }) } : { kind: startFrom };
	const triggerFilters: TriggerFilters = {
		unreadOnly: parameters.boolean('filters.unreadOnly', 'Unread Only'),
		senders: parameters.list('filters.senders', 'Senders', /[,;\s]+/).map((sender) => sender.toLowerCase()),
		subjectContains: parameters.optionalString('filters.subjectContains', 'Subject Contains', { keepSpaces: true }),
		recipientContains: parameters.optionalString('filters.recipientContains', 'To or CC Contains', { keepSpaces: true }),
		hasAttachments: parameters.boolean('filters.hasAttachments', 'Has Attachments'),
		importance: parameters.option('filters.importance', 'Importance', IMPORTANCES),
	};
	const downloadAttachments = parameters.boolean('options.downloadAttachments', 'Download Attachments', false);
	return {
		start,
		settings: {
			mailbox,
			folder: parameters.folder('folder', 'Folder'),
			maxMessages: parameters.number('maxMessages', 'Max Messages per Poll', 100, { min: 1, max: 2000, integer: true }),
			filters: triggerFilters,
			output: {
				body: raw || parameters.boolean('options.includeHtml', 'Include HTML Body', false) ? 'both' : 'text',
				headers: raw || parameters.boolean('options.includeHeaders', 'Include Internet Headers', false),
				eml: parameters.boolean('options.includeEml', 'Include Message as EML File', false),
				downloadBudget: parameters.number('options.downloadBudgetMb', 'Download Memory Budget (MB)', DEFAULT_DOWNLOAD_BUDGET_MB, { min: 1 }) * 1024 * 1024,
				attachments: downloadAttachments
					? {
							prefix: parameters.string('options.attachmentPrefix', 'Attachment Property Prefix') || 'attachment_',
							includeInline: parameters.boolean('options.includeInline', 'Include Inline Images', false),
							maxBytes: parameters.number('options.maxAttachmentMb', 'Max Attachment Size (MB)', 25, { min: 0 }) * 1024 * 1024,
						}
					: undefined,
			},
			afterEmit,
			redelivery: redeliveryFrom(parameters),
		},
	};
}

/**
 * A setting the trigger cannot poll with (a field, Allowed Mailboxes, Move To): someone has to change the node,
 * which n8n's poll back-off (2.36+) reads as the failure cause configuration-invalid. Older n8n hands the
 * error back unchanged from this constructor.
 */
function configurationInvalid(ctx: IPollFunctions, error: NodeOperationError): NodeOperationError {
	if (error.failure || ctx.getMode() === 'manual') return error;
	return new NodeOperationError(ctx.getNode(), error, { failure: { cause: 'configuration-invalid' } });
}

/** Reads the settings; what is wrong with them is the node's configuration. */
function configured<T>(ctx: IPollFunctions, read: () => T): T {
	try {
		return read();
	} catch (error) {
		throw error instanceof NodeOperationError ? configurationInvalid(ctx, error) : error;
	}
}

export class ExchangeTrigger implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Microsoft Exchange Trigger',
		name: 'exchangeTrigger',
		icon: { light: 'file:exchangeTrigger.svg', dark: 'file:exchangeTrigger.dark.svg' },
		group: ['trigger'],
		version: 1,
		polling: true,
		subtitle: '={{"Message received"}}',
		description: 'Starts the workflow when mail arrives in an Exchange folder (Microsoft Graph or EWS): nothing missed, nothing twice',
		defaults: { name: 'Microsoft Exchange Trigger' },
		inputs: [],
		outputs: [NodeConnectionTypes.Main],
		credentials: [
			{ name: 'microsoftExchangeAppOnlyApi', required: true, testedBy: 'microsoftExchangeAppOnlyApiEwsTest', displayOptions: { show: { authentication: ['appOnly'] } } },
			{ name: DELEGATED_CREDENTIAL_TYPE, required: true, testedBy: 'microsoftExchangeOAuth2ApiTest', displayOptions: { show: { authentication: ['delegated'] } } },
		],
		properties: triggerProperties,
	};

	methods = { listSearch: { searchFolders }, credentialTest: ewsCredentialTests };

	async poll(this: IPollFunctions): Promise<INodeExecutionData[][] | null> {
		const kind = this.getNodeParameter('authentication', 'appOnly') as AuthenticationKind;
		// The auth loader only uses what IExecuteFunctions and IPollFunctions share (credentials, node, HTTP helper).
		const auth = await loadExchangeAuth(this as unknown as IExecuteFunctions, kind, DELEGATED_CREDENTIAL_TYPE);
		const { mailbox, settings, start } = configured(this, () => {
			const parameters = nodeParameters(this);
			const mailbox = mailboxToUse(parameters, auth);
			const { settings, start } = settingsFrom(parameters, mailbox);
			refuseMoveIntoWatchedFolder(this.getNode(), settings);
			refuseConflictingSettings(this.getNode(), settings);
			return { mailbox, settings, start };
		});
		const store = openMailStore(auth);
		const context = {
			store,
			now: () => new Date(),
			warn: (message: string) => this.logger.warn(message),
			prepareBinary: async (content: MailContent, fileName: string, mimeType: string) => await this.helpers.prepareBinaryData(content, fileName, mimeType),
		};
		try {
			// Allowed Mailboxes for folders given by ID (an ID reaches its own mailbox, whatever "Mailbox" says).
			const folderIds = [
				...('id' in settings.folder ? [{ field: 'Folder', id: settings.folder.id }] : []),
				...(settings.afterEmit.kind === 'move' && 'id' in settings.afterEmit.folder ? [{ field: 'Move To', id: settings.afterEmit.folder.id }] : []),
				...(settings.redelivery?.deadLetter && 'id' in settings.redelivery.deadLetter ? [{ field: 'Dead-Letter Folder', id: settings.redelivery.deadLetter.id }] : []),
			];
			const [refusal] = await store.refusedIds(mailbox, auth.mailboxPolicy, [folderIds]);
			if (refusal) throw foreignIdError(this.getNode(), auth.mailboxPolicy, refusal, 0);
			if (this.getMode() === 'manual') {
				// "Fetch test event": the newest message, and the cursor stays where it is.
				const items = await newestMessage(context, settings);
				if (!items.length) throw new NodeOperationError(this.getNode(), 'The folder has no mail to show yet', { description: 'Send a message to the mailbox (or pick another folder) and fetch again.' });
				return [items];
			}
			const credentialId = this.getNode().credentials?.[kind === 'appOnly' ? 'microsoftExchangeAppOnlyApi' : DELEGATED_CREDENTIAL_TYPE]?.id;
			const cursorKey = cursorKeyOf([credentialId ?? undefined, kind, mailbox.toLowerCase(), JSON.stringify(settings.folder)]);
			const staticData = this.getWorkflowStaticData('node');
			const starts = { data: this.getWorkflowStaticData('global'), nodeId: this.getNode().id };
			const { state, reset, resumedFrom } = loadState(staticData, cursorKey, start, new Date(), starts);
			if (reset) this.logger.info(`Microsoft Exchange Trigger: mailbox, folder or credential changed; starting over (${start.kind})`);
			if (resumedFrom) this.logger.info(`Microsoft Exchange Trigger: no saved cursor for ${mailbox}; emitting the mail received since the first start at ${resumedFrom}`);
			const { items, state: next } = await pollFolder(context, settings, state);
			// The cursor moves only now, together with the items it covers.
			saveState(staticData, next);
			return items.length ? [items] : null;
		} catch (error) {
			// Nothing was saved: the next poll reads the same changes again.
			throw error instanceof NodeOperationError ? configurationInvalid(this, error) : namingField(toNodeApiError(this.getNode(), error, { secrets: auth.secrets, action: `Reading ${mailbox}` }), error, 'Folder', FOLDER_KINDS);
		}
	}
}
