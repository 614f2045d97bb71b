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
import { newestMessage, pollFolder, type AfterEmit, type PollSettings, type TriggerFilters } from './trigger/poll';
import { refuseMoveIntoWatchedFolder } from './trigger/moveTarget';
import { triggerProperties } from './trigger/properties';
import { cursorKeyOf, loadState, saveState, type StartPoint } from './trigger/state';

const property = (name: string) => triggerProperties.find((candidate) => candidate.name === name);
const OUTPUTS = valuesOf<'simple' | 'raw'>(property('output')?.options);
const AFTER_EMIT = valuesOf<AfterEmit['kind']>(property('afterEmit')?.options);
const START_POINTS = valuesOf<StartPoint['kind']>(property('startFrom')?.options);
const IMPORTANCES = valuesOf<NonNullable<TriggerFilters['importance']>>(IMPORTANCE_OPTIONS);
/** Failures that mean the watched folder is wrong (the post-action's folder fails per message, in poll.ts). */
const FOLDER_KINDS: ReadonlySet<FailureKind> = new Set(['notFound', 'invalidId']);

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
				attachments: downloadAttachments
					? {
							prefix: parameters.string('options.attachmentPrefix', 'Attachment Property Prefix') || 'attachment_',
							includeInline: parameters.boolean('options.includeInline', 'Include Inline Images', false),
							maxBytes: parameters.number('options.maxAttachmentMb', 'Max Attachment Size (MB)', 25, { min: 0 }) * 1024 * 1024,
						}
					: undefined,
			},
			afterEmit,
		},
	};
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
		const parameters = nodeParameters(this);
		const mailbox = mailboxToUse(parameters, auth);
		const { settings, start } = settingsFrom(parameters, mailbox);
		refuseMoveIntoWatchedFolder(this.getNode(), settings);
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
			const { state, reset } = loadState(staticData, cursorKey, start, new Date());
			if (reset) this.logger.info(`Microsoft Exchange Trigger: mailbox, folder or credential changed; starting over (${start.kind})`);
			const { items, state: next } = await pollFolder(context, settings, state);
			// The cursor moves only now, together with the items it covers.
			saveState(staticData, next);
			return items.length ? [items] : null;
		} catch (error) {
			// Nothing was saved: the next poll reads the same changes again.
			throw error instanceof NodeOperationError ? error : namingField(toNodeApiError(this.getNode(), error, { secrets: auth.secrets, action: `Reading ${mailbox}` }), error, 'Folder', FOLDER_KINDS);
		}
	}
}
