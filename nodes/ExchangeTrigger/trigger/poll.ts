import type { FolderId } from 'ews-javascript-api';
import type { IBinaryData, IBinaryKeyData, IDataObject, INodeExecutionData } from 'n8n-workflow';

import type { BodyChoice, MessageShape } from '../../shared/mail/messageShape';
import { downloadAttachments, type DownloadedAttachment } from '../../shared/transport/ews/attachments';
import type { EwsClient } from '../../shared/transport/ews/client';
import { EwsError } from '../../shared/transport/ews/errors';
import { resolveFolder, type FolderRef } from '../../shared/transport/ews/folders';
import { findMessageIds, getMessages, getMimes, moveMessages, updateMessages } from '../../shared/transport/ews/messages';
import { MAX_SYNC_CHANGES, syncFolderItems, type SyncedItem } from '../../shared/transport/ews/sync';
import { copyState, remember, RESYNC_MARGIN_MS, seenBefore, type TriggerState } from './state';

export interface TriggerFilters {
	unreadOnly?: boolean;
	senders?: string[];
	subjectContains?: string;
	recipientContains?: string;
	hasAttachments?: boolean;
	importance?: 'low' | 'normal' | 'high';
}

export interface TriggerOutput {
	body: BodyChoice;
	headers: boolean;
	/** Download attachments as binary data; undefined = metadata only. */
	attachments?: { prefix: string; includeInline: boolean; maxBytes: number };
	/** Add the whole message as an .eml binary property. */
	eml: boolean;
}

export type AfterEmit = { kind: 'nothing' } | { kind: 'markRead' } | { kind: 'move'; folder: FolderRef } | { kind: 'category'; name: string };

export interface PollSettings {
	mailbox: string;
	folder: FolderRef;
	maxMessages: number;
	filters: TriggerFilters;
	output: TriggerOutput;
	afterEmit: AfterEmit;
}

export interface PollContext {
	client: EwsClient;
	now: () => Date;
	warn: (message: string) => void;
	prepareBinary: (content: Buffer, fileName: string, mimeType: string) => Promise<IBinaryData>;
}

const RESYNC_CODES = new Set(['ErrorInvalidSyncStateData', 'ErrorSyncFolderNotFound']);

interface Collected {
	created: SyncedItem[];
	syncState: string | undefined;
}

/**
 * Reads sync pages until the poll's budget is used or the folder is caught up. Each call asks for
 * at most the remaining budget, so the resulting state covers exactly the changes handled here.
 */
async function collect(context: PollContext, settings: PollSettings, folderId: FolderId, state: TriggerState, budget: number): Promise<Collected> {
	let syncState = state.syncState;
	const created: SyncedItem[] = [];
	const withReceivedTime = state.cutoff !== undefined;
	for (;;) {
		const remaining = state.fastForward ? MAX_SYNC_CHANGES : budget - created.length;
		if (remaining <= 0) break;
		const page = await syncFolderItems(context.client, settings.mailbox, folderId, syncState, { maxChanges: remaining, withReceivedTime });
		syncState = page.syncState;
		if (!state.fastForward) created.push(...page.created);
		if (!page.moreAvailable) {
			// Caught up: the start point has been applied.
			delete state.fastForward;
			delete state.cutoff;
			break;
		}
	}
	return { created, syncState };
}

function matchesFilters(message: MessageShape, filters: TriggerFilters): boolean {
	if (filters.unreadOnly && message.isRead) return false;
	if (filters.senders?.length && !filters.senders.includes((message.from?.address ?? '').toLowerCase())) return false;
	if (filters.subjectContains && !message.subject.toLowerCase().includes(filters.subjectContains.toLowerCase())) return false;
	if (filters.recipientContains) {
		const needle = filters.recipientContains.toLowerCase();
		const recipients = [...message.to, ...message.cc].map((a) => `${a.name} <${a.address}>`.toLowerCase());
		if (!recipients.some((recipient) => recipient.includes(needle))) return false;
	}
	if (filters.hasAttachments !== undefined && message.attachments.some((a) => !a.isInline) !== filters.hasAttachments) return false;
	if (filters.importance && message.importance !== filters.importance) return false;
	return true;
}

/**
 * Attachments (and the .eml) of the emitted messages as binary data. The attachment contents (and the
 * MIME) of the whole poll come in batched calls, not one call per message.
 */
async function attachBinaries(context: PollContext, settings: PollSettings, messages: MessageShape[], items: INodeExecutionData[]): Promise<void> {
	const options = settings.output.attachments;
	const downloads = new Map<string, DownloadedAttachment>();
	if (options) {
		const wanted = messages.flatMap((message) => message.attachments.filter((a) => (options.includeInline || !a.isInline) && a.size <= options.maxBytes));
		const results = wanted.length ? await downloadAttachments(context.client, settings.mailbox, wanted.map((a) => a.id), wanted.map((a) => a.size)) : [];
		for (const result of results) {
			if (!result.ok) throw new EwsError(result.failure);
			downloads.set(result.value.info.id, result.value);
		}
	}
	// The .eml of every message, batched too.
	const mimes = settings.output.eml && messages.length ? await getMimes(context.client, settings.mailbox, messages.map((m) => m.id)) : [];
	for (const [index, message] of messages.entries()) {
		const binary: IBinaryKeyData = {};
		if (options) {
			let next = 0;
			const attachments = [];
			for (const attachment of message.attachments) {
				if (!options.includeInline && attachment.isInline) {
					attachments.push(attachment);
				} else if (attachment.size > options.maxBytes) {
					attachments.push({ ...attachment, skipped: `larger than the maximum of ${Math.round(options.maxBytes / 1048576)} MB` });
				} else {
					const download = downloads.get(attachment.id);
					if (!download) throw new EwsError({ code: 'ErrorAttachmentNotFound', message: `Attachment "${attachment.name}" of "${message.subject}" was not returned` });
					const property = `${options.prefix}${next++}`;
					binary[property] = await context.prepareBinary(download.content, download.fileName, download.mimeType);
					attachments.push({ ...attachment, binaryProperty: property });
				}
			}
			message.attachments = attachments;
		}
		if (settings.output.eml) {
			const result = mimes[index];
			if (!result.ok) throw new EwsError(result.failure);
			const mime = result.value;
			binary.eml = await context.prepareBinary(mime, `${(message.subject || 'message').replace(/[\\/:*?"<>|\r\n]+/g, '_').slice(0, 100)}.eml`, 'message/rfc822');
		}
		if (Object.keys(binary).length) items[index].binary = binary;
	}
}

/** Marks, moves or tags what was emitted. Failures are reported on the items, never thrown: the mail is already out. */
async function runAfterEmit(context: PollContext, settings: PollSettings, items: INodeExecutionData[], messages: MessageShape[]): Promise<void> {
	const action = settings.afterEmit;
	if (action.kind === 'nothing' || messages.length === 0) return;
	let results: Array<{ ok: boolean; value?: unknown; failure?: { code: string; message: string } }>;
	try {
		if (action.kind === 'markRead') results = await updateMessages(context.client, settings.mailbox, messages.map((m) => ({ id: m.id, isRead: true })));
		else if (action.kind === 'category') results = await updateMessages(context.client, settings.mailbox, messages.map((m) => ({ id: m.id, categories: [...new Set([...m.categories, action.name])] })));
		else results = await moveMessages(context.client, settings.mailbox, messages.map((m) => m.id), action.folder);
	} catch (error) {
		const failure = error instanceof EwsError ? error.failure : { code: 'Error', message: String((error as Error)?.message ?? error) };
		results = messages.map(() => ({ ok: false, failure }));
	}
	results.forEach((result, index) => {
		if (result.ok) {
			// A moved message has a new id: hand out the one that works from now on.
			const movedTo = (result.value as { id?: string | null } | undefined)?.id;
			if (action.kind === 'move' && movedTo) items[index].json.id = movedTo;
			return;
		}
		const text = `${action.kind} failed: ${result.failure?.code}: ${result.failure?.message}`;
		items[index].json.postActionError = text;
		context.warn(`Microsoft Exchange Trigger: message ${messages[index].id} was emitted, but ${text}`);
	});
}

/**
 * One poll: everything created in the folder since the stored cursor, at most `maxMessages`, as
 * n8n items. The returned state must be stored only when the items are handed to n8n; on any
 * failure the caller keeps the old state, so the next poll reads the same changes again.
 */
export async function pollFolder(context: PollContext, settings: PollSettings, stored: TriggerState): Promise<{ items: INodeExecutionData[]; state: TriggerState }> {
	const state = copyState(stored);
	const folderId = await resolveFolder(context.client, settings.mailbox, settings.folder);
	let collected: Collected;
	// The receive-time bound of this poll, captured before collect() clears it on catching up.
	let cutoff = state.cutoff;
	try {
		collected = await collect(context, settings, folderId, state, settings.maxMessages);
	} catch (error) {
		if (!(error instanceof EwsError) || !RESYNC_CODES.has(error.code)) throw error;
		// The sync state is no longer accepted: read the folder again from the start, but only
		// emit what is newer than the high-water mark (with a margin) and not emitted before.
		context.warn(`Microsoft Exchange Trigger: ${error.code} for ${settings.mailbox}; resynchronising the folder (already emitted mail is skipped)`);
		delete state.syncState;
		delete state.fastForward;
		const bound = state.highWater ? new Date(Date.parse(state.highWater) - RESYNC_MARGIN_MS) : new Date(context.now().getTime() - 86_400_000);
		state.cutoff = bound.toISOString();
		cutoff = state.cutoff;
		collected = await collect(context, settings, folderId, state, settings.maxMessages);
	}

	const candidates = collected.created.filter((item) => !cutoff || !item.receivedAt || item.receivedAt >= cutoff);
	const recent = new Set(state.recent);
	const fetched = candidates.length ? await getMessages(context.client, settings.mailbox, candidates.map((c) => c.id), { body: settings.output.body, headers: settings.output.headers }) : [];

	const messages: MessageShape[] = [];
	const seenNow = new Set<string>();
	for (const result of fetched) {
		if (!result.ok) {
			// Deleted or moved away between the sync and the fetch: nothing left to emit.
			if (result.failure.code === 'ErrorItemNotFound') continue;
			throw new EwsError(result.failure);
		}
		const message = result.value;
		const identifiers = [message.id, message.internetMessageId];
		if (seenBefore(recent, identifiers) || identifiers.some((id) => id && seenNow.has(id))) continue;
		identifiers.forEach((id) => id && seenNow.add(id));
		remember(state, identifiers.filter((id): id is string => Boolean(id)));
		if (message.receivedAt && (!state.highWater || message.receivedAt > state.highWater)) state.highWater = message.receivedAt;
		if (matchesFilters(message, settings.filters)) messages.push(message);
	}

	const items: INodeExecutionData[] = messages.map((message) => ({ json: message }));
	await attachBinaries(context, settings, messages, items);
	await runAfterEmit(context, settings, items, messages);
	state.syncState = collected.syncState;
	return { items, state };
}

/** "Fetch test event": the newest message of the folder, without touching the cursor. */
export async function newestMessage(context: PollContext, settings: PollSettings): Promise<INodeExecutionData[]> {
	const [id] = await findMessageIds(context.client, settings.mailbox, settings.folder, {}, 1);
	if (!id) return [];
	const [result] = await getMessages(context.client, settings.mailbox, [id], { body: settings.output.body, headers: settings.output.headers });
	if (!result.ok) throw new EwsError(result.failure);
	const item: INodeExecutionData = { json: result.value as IDataObject };
	await attachBinaries(context, settings, [result.value], [item]);
	return [item];
}
