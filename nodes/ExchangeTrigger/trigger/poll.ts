import { Readable } from 'node:stream';

import type { IBinaryData, IBinaryKeyData, INodeExecutionData } from 'n8n-workflow';

import { orderMessageFields, type AttachmentInfo, type BodyChoice, type MessageShape } from '../../shared/mail/messageShape';
import { MailError, type ArrivedMessage, type FolderRef, type MailContent, type MailFailure, type MailStore } from '../../shared/mail/store';
import { describeFailure, failureOf, isolated, isOutage, messageOf, valueOrFailure } from './isolation';
import { newMailBudget, redeliverDue, trackEmitted, type RedeliverySettings } from './redelivery';
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
	/** Most bytes of attachments and .eml files fetched at once (Download Memory Budget); default DEFAULT_DOWNLOAD_BUDGET_MB. */
	downloadBudget?: number;
}

const MB = 1024 * 1024;

/**
 * Download Memory Budget's default, for a 512 MB container: n8n itself takes about 200–250 MB; a group
 * holds its small attachments as Buffers (up to the budget) while one batched EWS answer of up to 16 MB is
 * parsed (about 4× its size as text, DOM and bytes), so about 64 + 64 MB on top, leaving room for the
 * workflow's executions. Large content is streamed and does not count against memory, only against the budget.
 * 64 MB also keeps groups larger than the transports' own batches (EWS 100 ids / 16 MB, Graph 20).
 */
export const DEFAULT_DOWNLOAD_BUDGET_MB = 64;

export type AfterEmit = { kind: 'nothing' } | { kind: 'markRead' } | { kind: 'move'; folder: FolderRef } | { kind: 'category'; name: string };

export interface PollSettings {
	mailbox: string;
	folder: FolderRef;
	maxMessages: number;
	filters: TriggerFilters;
	output: TriggerOutput;
	afterEmit: AfterEmit;
	/** Redeliver Until Processed; undefined when off. */
	redelivery?: RedeliverySettings;
}

export interface PollContext {
	store: MailStore;
	now: () => Date;
	warn: (message: string) => void;
	/** n8n's prepareBinaryData: a stream goes to n8n's binary storage as it is read. */
	prepareBinary: (content: MailContent, fileName: string, mimeType: string) => Promise<IBinaryData>;
}

/** Changes asked for per page while skipping to "now" (New Mail Only): as many as the API gives (EWS: 512). */
const FAST_FORWARD_PAGE = 1000;

interface Collected {
	created: ArrivedMessage[];
	/** The change feed's cursor after what was collected. */
	syncState: string | undefined;
}

/**
 * Reads sync pages until the poll's budget is used or the folder is caught up. Each call asks for
 * at most the remaining budget, so the resulting state covers exactly the changes handled here.
 *
 * The feed is asked to carry the emitted shape (Graph selects it in the delta, so no message is
 * read twice), except where most of what it reads is never emitted: skipping to "now", a start
 * window ("last N days") and a resynchronisation read ids (and receive times) only, and fetch what
 * they emit. The window is not given to the feed as a bound: Graph would keep a delta's $filter in
 * every later link, so mail moved in later with an older receive time would never be seen, and it
 * stops a filtered delta at 5,000 messages.
 */
async function collect(context: PollContext, settings: PollSettings, folderId: string, state: TriggerState, budget: number, resync = false): Promise<Collected> {
	let syncState = state.syncState;
	const created: ArrivedMessage[] = [];
	const withReceivedTime = state.cutoff !== undefined;
	const shape = state.fastForward || withReceivedTime || resync ? undefined : { body: settings.output.body, headers: settings.output.headers };
	for (;;) {
		const remaining = state.fastForward ? FAST_FORWARD_PAGE : budget - created.length;
		if (remaining <= 0) break;
		const page = await context.store.changes(settings.mailbox, folderId, syncState, { maxChanges: remaining, withReceivedTime, ...(shape ? { shape } : {}) });
		syncState = page.cursor;
		if (!state.fastForward) created.push(...page.created);
		// Skipping to now after a first start whose state was lost: keep what arrived since that start (state.ts).
		else if (state.cutoff) created.push(...page.created.filter((item) => !item.receivedAt || item.receivedAt >= state.cutoff!));
		if (!page.moreAvailable) {
			// Caught up: the start point has been applied.
			delete state.fastForward;
			delete state.cutoff;
			break;
		}
		// The rest of the skip waits for the next poll, so that this one stays about its budget.
		if (state.fastForward && created.length >= budget) break;
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

/** Records a problem with one message on its item: emitted anyway, with what could be read. */
function addError(message: MessageShape, text: string): void {
	message.error = message.error ? `${message.error}; ${text}` : text;
}

/** The documented shape for a message Exchange would not hand over: only its id (and receive time) is known. */
function unreadableMessage(synced: ArrivedMessage, failure: MailFailure): MessageShape {
	const message: MessageShape = {
		subject: '',
		from: null,
		to: [],
		cc: [],
		bcc: [],
		replyTo: [],
		receivedAt: synced.receivedAt ?? null,
		sentAt: null,
		hasAttachments: false,
		attachments: [],
		isRead: false,
		importance: 'normal',
		categories: [],
		flag: { status: 'notFlagged', startDate: null, dueDate: null },
		id: synced.id,
		changeKey: '',
		conversationId: null,
		internetMessageId: null,
	};
	addError(message, `The message could not be read (${describeFailure(failure)}); only its id is known`);
	return message;
}

const safeName = (name: string, fallback: string) => name.replace(/[\\/:*?"<>|\r\n]+/g, '_').trim().slice(0, 100) || fallback;

type Fetched<T> = { value?: T; failure?: MailFailure };

/**
 * Content Exchange handed over, as n8n binary data; or what went wrong, as text. A streamed content
 * is fetched while n8n stores it: its failure is the API's (an outage fails the poll, as for a result).
 */
async function toBinary(context: PollContext, fetched: Fetched<{ content: MailContent; fileName: string; mimeType: string }> | undefined): Promise<{ binary: IBinaryData } | { problem: string }> {
	if (!fetched?.value) return { problem: fetched?.failure ? describeFailure(fetched.failure) : 'not returned by Exchange' };
	try {
		return { binary: await context.prepareBinary(fetched.value.content, fetched.value.fileName, fetched.value.mimeType) };
	} catch (error) {
		if (error instanceof MailError) {
			if (isOutage(error.failure)) throw error;
			return { problem: describeFailure(error.failure) };
		}
		return { problem: `storing it failed: ${messageOf(error)}` };
	} finally {
		// A stream n8n did not read to its end (it failed) must not hold its request.
		if (fetched.value.content instanceof Readable) fetched.value.content.destroy();
	}
}

/** One content a poll hands to n8n: an attachment of a message, or (no attachment) the message's .eml. */
interface Download {
	message: number;
	attachment?: AttachmentInfo;
	/** The listed size; for an .eml an estimate (its attachments, base64 in MIME): Exchange lists no message size with the shape. */
	bytes: number;
}

type Stored = { binary: IBinaryData } | { problem: string };

/**
 * Consecutive downloads whose bytes add up to at most `budget`, in order; one larger than the budget goes
 * alone (large content is a stream on both APIs, fetched while n8n stores it, so it is never whole in memory).
 */
export function byBudget<T extends { bytes: number }>(downloads: T[], budget: number): T[][] {
	const groups: T[][] = [];
	let current: T[] = [];
	let bytes = 0;
	for (const download of downloads) {
		if (current.length && bytes + download.bytes > budget) {
			groups.push(current);
			current = [];
			bytes = 0;
		}
		current.push(download);
		bytes += download.bytes;
	}
	if (current.length) groups.push(current);
	return groups;
}

const emlEstimate = (message: MessageShape) => Math.ceil((message.attachments.reduce((sum, attachment) => sum + attachment.size, 0) * 4) / 3);

/**
 * Fetches one group (its attachments and .eml files in batched calls, as few as the transport needs) and
 * hands each content to n8n, in order. Whatever is not read by the end (a failure, an outage thrown) is
 * destroyed, so no stream keeps its request open; the group's Buffers are released when it returns.
 */
async function storeGroup(context: PollContext, settings: PollSettings, messages: MessageShape[], group: Download[], stored: Map<Download, Stored>): Promise<void> {
	const { store } = context;
	const files = group.filter((download) => download.attachment);
	const emls = group.filter((download) => !download.attachment);
	// Positions as ids: isolated() may split a call, and the refs are found again by position.
	const positions = (list: unknown[]) => list.map((_, index) => String(index));
	const contents: MailContent[] = [];
	try {
		const downloaded = await isolated(store.api, positions(files), async (ids) =>
			await store.downloadAttachments(settings.mailbox, ids.map((id) => {
				const download = files[Number(id)];
				return { messageId: messages[download.message].id, attachmentId: download.attachment!.id, size: download.attachment!.size };
			})),
		);
		for (const result of downloaded) if (result.ok) contents.push(result.value.content);
		const mimes = await isolated(store.api, positions(emls), async (ids) => await store.getMimes(settings.mailbox, ids.map((id) => messages[emls[Number(id)].message].id)));
		for (const result of mimes) if (result.ok) contents.push(result.value);
		const fetched = new Map<Download, Fetched<{ content: MailContent; fileName: string; mimeType: string }>>();
		files.forEach((download, index) => fetched.set(download, valueOrFailure(downloaded[index])));
		emls.forEach((download, index) => {
			const { value: mime, failure } = valueOrFailure(mimes[index]);
			const message = messages[download.message];
			fetched.set(download, { failure, value: mime && { content: mime, fileName: `${safeName(message.subject, 'message')}.eml`, mimeType: 'message/rfc822' } });
		});
		for (const download of group) stored.set(download, await toBinary(context, fetched.get(download)));
	} finally {
		for (const content of contents) if (content instanceof Readable) content.destroy();
	}
}

/**
 * Attachments (and the .eml) of the emitted messages as binary data, in groups that stay under the
 * poll's download budget (settings.output.downloadBudget): a group is fetched in batched calls, stored
 * through n8n and let go before the next group is fetched, so a poll never holds more than one group
 * (20 × 25 MB no longer means 500 MB at once). An attachment or .eml that cannot be had is marked on its
 * message (`error`, and on the attachment entry), never thrown; an outage fails the poll.
 */
async function attachBinaries(context: PollContext, settings: PollSettings, messages: MessageShape[], items: INodeExecutionData[]): Promise<void> {
	const options = settings.output.attachments;
	const wanted = (attachment: AttachmentInfo) => options !== undefined && (options.includeInline || !attachment.isInline) && attachment.size <= options.maxBytes;
	const downloads: Download[] = messages.flatMap((message, index) => [
		...message.attachments.filter(wanted).map((attachment) => ({ message: index, attachment, bytes: attachment.size })),
		...(settings.output.eml ? [{ message: index, bytes: emlEstimate(message) }] : []),
	]);
	const stored = new Map<Download, Stored>();
	for (const group of byBudget(downloads, settings.output.downloadBudget ?? DEFAULT_DOWNLOAD_BUDGET_MB * MB)) await storeGroup(context, settings, messages, group, stored);
	const ofMessage = new Map<number, Download[]>();
	for (const download of downloads) ofMessage.set(download.message, [...(ofMessage.get(download.message) ?? []), download]);

	for (const [index, message] of messages.entries()) {
		const binary: IBinaryKeyData = {};
		const mine = ofMessage.get(index) ?? [];
		if (options) {
			const attachments = [];
			for (const attachment of message.attachments) {
				const download = mine.find((candidate) => candidate.attachment === attachment);
				if (!options.includeInline && attachment.isInline) {
					attachments.push(attachment);
				} else if (!download) {
					attachments.push({ ...attachment, skipped: `larger than the maximum of ${Math.round(options.maxBytes / MB)} MB` });
				} else {
					const result = stored.get(download)!;
					if ('binary' in result) {
						const property = `${options.prefix}${Object.keys(binary).length}`;
						binary[property] = result.binary;
						attachments.push({ ...attachment, binaryProperty: property });
					} else {
						attachments.push({ ...attachment, error: result.problem });
						addError(message, `Attachment "${attachment.name || attachment.id}" could not be downloaded (${result.problem})`);
					}
				}
			}
			message.attachments = attachments;
		}
		const eml = mine.find((download) => !download.attachment);
		if (eml) {
			const result = stored.get(eml)!;
			if ('binary' in result) binary.eml = result.binary;
			else addError(message, `The .eml could not be fetched (${result.problem})`);
		}
		items[index].json = orderMessageFields(message);
		if (Object.keys(binary).length) items[index].binary = binary;
	}
}

/** Marks, moves or tags what was emitted. Failures are reported on the items, never thrown: the mail is already out. */
async function runAfterEmit(context: PollContext, settings: PollSettings, items: INodeExecutionData[], messages: MessageShape[]): Promise<void> {
	const action = settings.afterEmit;
	if (action.kind === 'nothing' || messages.length === 0) return;
	let results: Array<{ ok: boolean; value?: unknown; failure?: { code: string; message: string } }>;
	try {
		if (action.kind === 'markRead') results = await context.store.updateMessages(settings.mailbox, messages.map((m) => ({ id: m.id, isRead: true })));
		else if (action.kind === 'category') results = await context.store.updateMessages(settings.mailbox, messages.map((m) => ({ id: m.id, categories: [...new Set([...m.categories, action.name])] })));
		else results = await context.store.moveMessages(settings.mailbox, messages.map((m) => m.id), action.folder);
	} catch (error) {
		const failure = failureOf(error, context.store.api);
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
	const folderId = await context.store.resolveFolderId(settings.mailbox, settings.folder);
	// Redeliver Until Processed: due messages not yet processed come again; new mail fills what is left of the tracking limit.
	const redelivered = await redeliverDue(context, settings, state);
	const budget = newMailBudget(context, settings, state);
	let collected: Collected;
	// The receive-time bound of this poll, captured before collect() clears it on catching up.
	let cutoff = state.cutoff;
	try {
		collected = await collect(context, settings, folderId, state, budget);
	} catch (error) {
		if (!(error instanceof MailError) || error.kind !== 'invalidCursor') throw error;
		// The cursor is no longer accepted: read the folder again from the start, but only
		// emit what is newer than the high-water mark (with a margin) and not emitted before.
		context.warn(`Microsoft Exchange Trigger: ${error.code} for ${settings.mailbox}; resynchronising the folder (already emitted mail is skipped)`);
		delete state.syncState;
		delete state.fastForward;
		const bound = state.highWater ? new Date(Date.parse(state.highWater) - RESYNC_MARGIN_MS) : new Date(context.now().getTime() - 86_400_000);
		state.cutoff = bound.toISOString();
		cutoff = state.cutoff;
		collected = await collect(context, settings, folderId, state, budget, true);
	}

	const candidates = collected.created.filter((item) => !cutoff || !item.receivedAt || item.receivedAt >= cutoff);
	// What the feed carried is used as it came; only the rest is read, in batches.
	const toFetch = candidates.filter((c) => !c.message);
	const read = await isolated(
		context.store.api,
		toFetch.map((c) => c.id),
		async (ids) => await context.store.getMessages(settings.mailbox, ids, { body: settings.output.body, headers: settings.output.headers }),
	);
	const readById = new Map(toFetch.map((c, index) => [c, read[index]]));
	const fetched = candidates.map((c) => (c.message ? { ok: true as const, value: c.message } : readById.get(c)!));

	const recent = new Set(state.recent);
	const messages: MessageShape[] = [];
	const unreadable = new Set<MessageShape>();
	const seenNow = new Set<string>();
	for (const [index, result] of fetched.entries()) {
		const { value, failure } = valueOrFailure(result);
		// Deleted or moved away between the sync and the fetch: nothing left to emit.
		if (failure?.kind === 'notFound') continue;
		const message = value ?? unreadableMessage(candidates[index], failure!);
		if (!value) unreadable.add(message);
		if (isRepeat(context, message, recent, seenNow, cutoff !== undefined)) continue;
		seenNow.add(message.id);
		remember(state, [message.id, message.internetMessageId].filter((id): id is string => Boolean(id)));
		if (message.receivedAt && (!state.highWater || message.receivedAt > state.highWater)) state.highWater = message.receivedAt;
		// What could not be read cannot be filtered: it is emitted, so no mail goes unnoticed.
		if (!unreadable.has(message)) {
			try {
				if (!matchesFilters(message, settings.filters)) continue;
			} catch (error) {
				addError(message, `The filters could not be checked (${messageOf(error)})`);
			}
		}
		messages.push(message);
	}
	messages.push(...redelivered);

	// Oldest first on both APIs (a Graph delta's first round lists the folder newest first); stable, and
	// what has no receive time (could not be read) keeps its place among the others.
	sortByReceived(messages);
	const items: INodeExecutionData[] = messages.map((message) => ({ json: message }));
	await attachBinaries(context, settings, messages, items);
	// A post-action needs what was read (categories are rewritten whole): not for unreadable messages.
	const readable = messages.flatMap((message, index) => (unreadable.has(message) ? [] : [{ message, item: items[index] }]));
	await runAfterEmit(context, settings, readable.map((entry) => entry.item), readable.map((entry) => entry.message));
	trackEmitted(context, settings, state, items);
	state.syncState = collected.syncState;
	return { items, state };
}

function sortByReceived(messages: MessageShape[]): void {
	const dated = messages.filter((message) => message.receivedAt);
	const sorted = [...dated].sort((a, b) => (a.receivedAt! < b.receivedAt! ? -1 : a.receivedAt! > b.receivedAt! ? 1 : 0));
	let next = 0;
	messages.forEach((message, index) => {
		if (message.receivedAt) messages[index] = sorted[next++];
	});
}

/**
 * The de-duplication rule (README, "Microsoft Exchange Trigger"): the ItemId is the key, so a message
 * is never emitted twice from the same folder. The Internet Message-ID only guards a
 * resynchronisation (a rebuilt cursor re-reads recent mail): then a new ItemId whose Message-ID was
 * emitted before is taken for a repeat and skipped, with a warning. Outside a resynchronisation
 * such a message (moved out and back in, or a different message reusing the Message-ID) is emitted,
 * also with a warning.
 */
function isRepeat(context: PollContext, message: MessageShape, recent: Set<string>, seenNow: Set<string>, resyncing: boolean): boolean {
	if (seenNow.has(message.id) || seenBefore(recent, [message.id])) return true;
	if (!message.internetMessageId || !seenBefore(recent, [message.internetMessageId])) return false;
	const what = `message "${message.subject}" (${message.internetMessageId}, ItemId ${message.id})`;
	if (resyncing) {
		context.warn(`Microsoft Exchange Trigger: ${what} was not emitted: a message with this Internet Message-ID was emitted before and the folder is being resynchronised, so it is taken for a repeat`);
		return true;
	}
	context.warn(`Microsoft Exchange Trigger: ${what} is emitted although a message with this Internet Message-ID was emitted before (moved out and back in, or another message reusing the ID)`);
	return false;
}

/** "Fetch test event": the newest message of the folder, without touching the cursor. */
export async function newestMessage(context: PollContext, settings: PollSettings): Promise<INodeExecutionData[]> {
	const [id] = await context.store.findMessageIds(settings.mailbox, settings.folder, {}, 1);
	if (!id) return [];
	const [result] = await context.store.getMessages(settings.mailbox, [id], { body: settings.output.body, headers: settings.output.headers });
	const { value, failure } = valueOrFailure(result);
	const message = value ?? unreadableMessage({ id }, failure!);
	const item: INodeExecutionData = { json: message };
	await attachBinaries(context, settings, [message], [item]);
	return [item];
}
