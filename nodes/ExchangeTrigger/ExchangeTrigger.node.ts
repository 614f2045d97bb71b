import {
	NodeConnectionTypes,
	NodeOperationError,
	type IExecuteFunctions,
	type INodeExecutionData,
	type INodeParameterResourceLocator,
	type INodeType,
	type INodeTypeDescription,
	type IPollFunctions,
} from 'n8n-workflow';

import { DELEGATED_CREDENTIAL_TYPE } from '../Exchange/descriptions/common';
import { foreignIdError } from '../Exchange/helpers/idGuard';
import { searchFolders } from '../Exchange/methods/listSearch';
import { loadExchangeAuth, type AuthenticationKind } from '../shared/auth/exchangeAuth';
import { ewsCredentialTests } from '../shared/credentialTests';
import { toNodeApiError } from '../shared/errors/nodeErrors';
import { EwsClient } from '../shared/transport/ews/client';
import { refusedIds } from '../shared/transport/ews/ownership';
import { isWellKnownFolder, looksLikeFolderId, type FolderRef, type WellKnownFolder } from '../shared/transport/ews/folders';
import { newestMessage, pollFolder, type AfterEmit, type PollSettings, type TriggerFilters } from './trigger/poll';
import { refuseMoveIntoWatchedFolder } from './trigger/moveTarget';
import { triggerProperties } from './trigger/properties';
import { cursorKeyOf, loadState, saveState, type StartPoint } from './trigger/state';

function folderFromLocator(ctx: IPollFunctions, name: string, field: string): FolderRef {
	const locator = ctx.getNodeParameter(name) as INodeParameterResourceLocator;
	const value = String(locator?.value ?? '').trim();
	if (!value) throw new NodeOperationError(ctx.getNode(), `"${field}" is empty`, { description: `Pick a folder in "${field}".` });
	// The list stores folder IDs; workflows saved before stored the path, which still works.
	if (locator.mode === 'id' || (locator.mode === 'list' && looksLikeFolderId(value))) return { id: value };
	if (locator.mode === 'wellKnown') {
		if (!isWellKnownFolder(value)) throw new NodeOperationError(ctx.getNode(), `"${value}" in "${field}" is not a well-known folder`, { description: 'Use inbox, sentitems, deleteditems, drafts, junkemail, outbox, msgfolderroot or archiveinbox, or switch the mode to Path.' });
		return { wellKnown: value.toLowerCase() as WellKnownFolder };
	}
	return { path: value };
}

function settingsFrom(ctx: IPollFunctions, mailbox: string): { settings: PollSettings; start: StartPoint } {
	const filters = ctx.getNodeParameter('filters', {}) as Record<string, unknown>;
	const options = ctx.getNodeParameter('options', {}) as Record<string, unknown>;
	const raw = ctx.getNodeParameter('output', 'simple') === 'raw';
	const afterEmitKind = ctx.getNodeParameter('afterEmit', 'nothing') as AfterEmit['kind'];
	const afterEmit: AfterEmit =
		afterEmitKind === 'move'
			? { kind: 'move', folder: folderFromLocator(ctx, 'moveTo', 'Move To') }
			: afterEmitKind === 'category'
				? { kind: 'category', name: String(ctx.getNodeParameter('category', 'n8n')).trim() || 'n8n' }
				: { kind: afterEmitKind };
	const startFrom = ctx.getNodeParameter('startFrom', 'newOnly') as StartPoint['kind'];
	const start: StartPoint = startFrom === 'recentDays' ? { kind: 'recentDays', days: Number(ctx.getNodeParameter('startDays', 7)) } : { kind: startFrom };
	const triggerFilters: TriggerFilters = {
		unreadOnly: filters.unreadOnly as boolean | undefined,
		senders: String(filters.senders ?? '').split(/[,;\s]+/).map((s) => s.trim().toLowerCase()).filter(Boolean),
		subjectContains: (filters.subjectContains as string | undefined) || undefined,
		recipientContains: (filters.recipientContains as string | undefined) || undefined,
		hasAttachments: filters.hasAttachments as boolean | undefined,
		importance: filters.importance as TriggerFilters['importance'],
	};
	return {
		start,
		settings: {
			mailbox,
			folder: folderFromLocator(ctx, 'folder', 'Folder'),
			maxMessages: Math.max(1, Number(ctx.getNodeParameter('maxMessages', 100))),
			filters: triggerFilters,
			output: {
				body: raw || options.includeHtml ? 'both' : 'text',
				headers: raw || options.includeHeaders === true,
				eml: options.includeEml === true,
				attachments: options.downloadAttachments
					? { prefix: String(options.attachmentPrefix ?? 'attachment_') || 'attachment_', includeInline: options.includeInline === true, maxBytes: Number(options.maxAttachmentMb ?? 25) * 1024 * 1024 }
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
		description: 'Starts the workflow when mail arrives in an Exchange folder (EWS): nothing missed, nothing twice',
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
		const mailbox = String(this.getNodeParameter('mailbox', '') ?? '').trim() || auth.signedInUser || '';
		if (!mailbox) throw new NodeOperationError(this.getNode(), '"Mailbox" is empty', { description: 'App-only access needs the mailbox to watch, e.g. invoices@contoso.com.' });
		auth.assertMailboxAllowed(mailbox, 'Mailbox', 0);
		const { settings, start } = settingsFrom(this, mailbox);
		refuseMoveIntoWatchedFolder(this.getNode(), settings);
		const client = new EwsClient(auth, { ewsUrl: auth.endpoints.ewsUrl });
		const context = {
			client,
			now: () => new Date(),
			warn: (message: string) => this.logger.warn(message),
			prepareBinary: async (content: Buffer, fileName: string, mimeType: string) => await this.helpers.prepareBinaryData(content, fileName, mimeType),
		};
		try {
			// Allowed Mailboxes for folders given by ID (an ID reaches its own mailbox, whatever "Mailbox" says).
			const folderIds = [
				...('id' in settings.folder ? [{ field: 'Folder', id: settings.folder.id }] : []),
				...(settings.afterEmit.kind === 'move' && 'id' in settings.afterEmit.folder ? [{ field: 'Move To', id: settings.afterEmit.folder.id }] : []),
			];
			const [refusal] = await refusedIds(client, mailbox, auth.mailboxPolicy, [folderIds]);
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
			throw error instanceof NodeOperationError ? error : toNodeApiError(this.getNode(), error, { secrets: auth.secrets, action: `Reading ${mailbox}` });
		}
	}
}
