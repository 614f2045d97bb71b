import { NodeOperationError, type INode, type INodeExecutionData } from 'n8n-workflow';

import type { MessageShape } from '../../shared/mail/messageShape';
import type { FolderRef, MailFailure, MessageState } from '../../shared/mail/store';
import { describeFailure, failureOf, isOutage, isolated, valueOrFailure } from './isolation';
import { folderLabel, sameFolder } from './moveTarget';
import type { PollContext, PollSettings } from './poll';
import type { PendingMessage, TriggerState } from './state';

/**
 * "Redeliver Until Processed": the trigger hands a message to n8n and keeps it pending until the
 * workflow acknowledges it by what it does to it at its end (moves or deletes it, adds a category,
 * marks it read). A pending message that is due (emitted longer ago than the redelivery time) and
 * still in the watched folder unacknowledged is emitted again, up to Max Attempts; then it is
 * reported and, if a folder is chosen, moved there. Everything lives in the trigger state (static
 * data), so any main instance continues it; each poll costs at most one extra batched request for
 * the check (EWS: one GetItem for up to CHECKS_PER_POLL ids; Graph: one $batch per 20 of them).
 */

export type ProcessedSignal = { kind: 'leftFolder' } | { kind: 'category'; name: string } | { kind: 'read' };

export interface RedeliverySettings {
	processedWhen: ProcessedSignal;
	/** How long after an emission a message not acknowledged is due again. */
	afterMs: number;
	/** Emissions in all, the first included. */
	maxAttempts: number;
	/** Where a message goes after its last attempt; undefined: it stays where it is. */
	deadLetter?: FolderRef;
}

/**
 * Most messages pending at once: about 200 KB of static data with EWS-length ids. When it is
 * reached, new mail waits in the folder (the cursor does not move past it) until pending messages
 * are acknowledged or given up, with a warning: nothing is dropped and nothing is emitted untracked.
 */
export const PENDING_LIMIT = 1000;

/** Due messages checked per poll: one EWS GetItem; five Graph $batch calls (20 requests each) at most. */
export const CHECKS_PER_POLL = 100;

const SIGNAL_TEXT = {
	leftFolder: () => 'moved out of the folder or deleted',
	category: (signal: ProcessedSignal) => `given the category "${(signal as { name: string }).name}"`,
	read: () => 'marked as read',
};

const signalText = (signal: ProcessedSignal) => SIGNAL_TEXT[signal.kind](signal);

/**
 * Refuses After Emitting actions that would acknowledge every message as soon as it is emitted
 * (the editor shows the same as a notice), and a dead-letter folder that is the watched folder.
 */
export function refuseConflictingSettings(node: INode, settings: Pick<PollSettings, 'folder' | 'afterEmit' | 'redelivery'>): void {
	const { redelivery, afterEmit } = settings;
	if (!redelivery) return;
	const signal = redelivery.processedWhen;
	const conflict =
		afterEmit.kind === 'move'
			? '"After Emitting" is Move to Folder, which takes every message out of the watched folder as soon as it is emitted'
			: afterEmit.kind === 'markRead' && signal.kind === 'read'
				? '"After Emitting" is Mark as Read, and "Processed When" is Marked as Read: every message would count as processed as soon as it is emitted'
				: afterEmit.kind === 'category' && signal.kind === 'category' && afterEmit.name.toLowerCase() === signal.name.toLowerCase()
					? `"After Emitting" adds the category "${afterEmit.name}", which is the "Processed Category": every message would count as processed as soon as it is emitted`
					: undefined;
	if (conflict) {
		throw new NodeOperationError(node, `"Redeliver Until Processed" cannot work with this "After Emitting": ${conflict}`, {
			description: 'Set "After Emitting" to Do Nothing (or another action), and let the last node of the workflow mark the message processed, e.g. an Exchange node that moves it to Inbox/Processed.',
		});
	}
	if (redelivery.deadLetter && sameFolder(redelivery.deadLetter, settings.folder)) {
		throw new NodeOperationError(node, `"Dead-Letter Folder" is the watched folder (${folderLabel(settings.folder)})`, {
			description: 'Pick another folder (for example Inbox/Dead Letters), or leave "Dead-Letter Folder" empty to keep such messages where they are.',
		});
	}
}

/** How many new messages this poll may emit: what is left below PENDING_LIMIT (warned when that cuts the poll short). */
export function newMailBudget(context: PollContext, settings: PollSettings, state: TriggerState): number {
	if (!settings.redelivery) {
		delete state.redelivery;
		return settings.maxMessages;
	}
	const pending = state.redelivery?.pending.length ?? 0;
	const room = Math.max(0, PENDING_LIMIT - pending);
	if (room < settings.maxMessages) {
		context.warn(
			`Microsoft Exchange Trigger: ${pending} emitted messages wait to be marked processed (at most ${PENDING_LIMIT} are tracked); ` +
				`${room === 0 ? 'new mail waits' : `only ${room} new messages are emitted this poll, the rest wait`} in the folder until the workflow marks some processed or they run out of attempts`,
		);
	}
	return Math.min(settings.maxMessages, room);
}

type Checked = { entry: PendingMessage; state?: MessageState; failure?: MailFailure };

/** Whether the message counts as processed (or left the folder, where it cannot be redelivered from). */
function acknowledged(signal: ProcessedSignal, watchedFolderId: string, checked: Checked): boolean {
	// Not found: moved (on EWS a move changes the id) or deleted; either way no longer in the folder.
	if (checked.failure?.kind === 'notFound') return true;
	if (!checked.state) return false;
	// An answer without a parent folder proves nothing: the message is taken to be still there.
	if (checked.state.parentFolderId && checked.state.parentFolderId !== watchedFolderId) return true;
	if (signal.kind === 'category') return checked.state.categories.some((category) => category.toLowerCase() === signal.name.toLowerCase());
	return signal.kind === 'read' && checked.state.isRead;
}

/**
 * Checks the pending messages that are due and hands back those to emit again (fetched like new
 * mail); acknowledged ones are forgotten, exhausted ones reported and dead-lettered. Outages are
 * thrown before the state changes: the poll fails and the next one checks again.
 */
export async function redeliverDue(context: PollContext, settings: PollSettings, state: TriggerState): Promise<MessageShape[]> {
	const redelivery = settings.redelivery;
	const pending = state.redelivery?.pending ?? [];
	if (!redelivery || !state.redelivery || pending.length === 0) {
		if (state.redelivery) delete state.redelivery.folderId;
		return [];
	}
	const now = context.now().getTime();
	// Oldest emission first: the due ones are a prefix.
	const due = pending.slice(0, CHECKS_PER_POLL).filter((entry) => now - entry.last >= redelivery.afterMs);
	if (due.length === 0) return [];

	// The watched folder's id as messageStates writes parent folders (a well-known name is not one); kept while messages are pending.
	state.redelivery.folderId ??= (await context.store.getFolder(settings.mailbox, settings.folder)).id;
	const watchedFolderId = state.redelivery.folderId;
	const states = await isolated(context.store.api, due.map((entry) => entry.id), async (ids) => await context.store.messageStates(settings.mailbox, ids));
	const checked: Checked[] = due.map((entry, index) => ({ entry, ...(states[index].ok ? { state: states[index].value } : { failure: valueOrFailure(states[index]).failure }) }));

	const done = new Set<PendingMessage>();
	const exhausted: Checked[] = [];
	const again: Checked[] = [];
	for (const item of checked) {
		if (acknowledged(redelivery.processedWhen, watchedFolderId, item)) done.add(item.entry);
		else if (item.entry.attempt >= redelivery.maxAttempts) exhausted.push(item);
		else again.push(item);
	}
	for (const entry of await giveUp(context, settings, redelivery, exhausted.map((item) => item.entry))) done.add(entry);

	// A message whose check failed (not an outage) is not fetched; it spends an attempt like one that cannot be read.
	const readable = again.filter((item) => item.state);
	const fetched = await isolated(
		context.store.api,
		readable.map((item) => item.entry.id),
		async (ids) => await context.store.getMessages(settings.mailbox, ids, { body: settings.output.body, headers: settings.output.headers }),
	);
	const results = new Map(readable.map((item, index) => [item, valueOrFailure(fetched[index])]));
	const messages: MessageShape[] = [];
	for (const item of again) {
		const { value, failure } = results.get(item) ?? { failure: item.failure };
		const { entry } = item;
		if (failure?.kind === 'notFound') {
			done.add(entry);
			continue;
		}
		entry.attempt += 1;
		entry.last = now;
		if (value) messages.push(value);
		else context.warn(`Microsoft Exchange Trigger: message ${entry.id} is due for redelivery (attempt ${entry.attempt} of ${redelivery.maxAttempts}) but could not be read (${describeFailure(failure!)}); it is tried again later`);
	}
	// Redelivered entries go to the end (emitted last), so the list stays ordered by last emission.
	const redelivered = new Set(again.map((item) => item.entry));
	state.redelivery.pending = [...pending.filter((entry) => !done.has(entry) && !redelivered.has(entry)), ...again.map((item) => item.entry).filter((entry) => !done.has(entry))];
	return messages;
}

/**
 * Reports the messages whose attempts are used up and moves them to the dead-letter folder, if one is
 * chosen, in one batched call. Answers the entries that are done with; a move that failed as a whole
 * (an outage) keeps them pending, to be tried again on the next poll.
 */
async function giveUp(context: PollContext, settings: PollSettings, redelivery: RedeliverySettings, entries: PendingMessage[]): Promise<PendingMessage[]> {
	if (entries.length === 0) return [];
	const what = (entry: PendingMessage) => `Microsoft Exchange Trigger: message ${entry.id} was emitted ${entry.attempt} times since ${new Date(entry.first).toISOString()} and never ${signalText(redelivery.processedWhen)}`;
	const { deadLetter } = redelivery;
	const watched = folderLabel(settings.folder);
	if (!deadLetter) {
		for (const entry of entries) context.warn(`${what(entry)}; it stays in ${watched} and is not emitted again`);
		return entries;
	}
	const target = `the dead-letter folder ${folderLabel(deadLetter)}`;
	let results;
	try {
		results = await context.store.moveMessages(settings.mailbox, entries.map((entry) => entry.id), deadLetter);
	} catch (error) {
		// An outage: tried again on the next poll. Anything else (the folder does not exist, say) would fail again.
		const failure = failureOf(error, context.store.api);
		const retry = isOutage(failure);
		for (const entry of entries) context.warn(`${what(entry)}; moving it to ${target} failed (${describeFailure(failure)}); ${retry ? 'tried again on the next poll' : `it stays in ${watched}`}`);
		return retry ? [] : entries;
	}
	entries.forEach((entry, index) => {
		const result = results[index];
		// Already moved (EWS) or not found (Graph): it left the folder in the meantime, which is what was waited for.
		if (result?.ok) {
			if (!result.value.alreadyMoved) context.warn(`${what(entry)}; moved to ${target}`);
		} else if (result?.failure.kind !== 'notFound') context.warn(`${what(entry)}; moving it to ${target} failed (${result ? describeFailure(result.failure) : 'no answer'}); it stays in ${watched}`);
	});
	return entries;
}

/**
 * Records the new messages of this poll as pending and labels every emitted item (redelivered ones
 * too, whose entries redeliverDue updated) with `redelivery: { attempt, firstEmittedAt }`.
 */
export function trackEmitted(context: PollContext, settings: PollSettings, state: TriggerState, items: INodeExecutionData[]): void {
	if (!settings.redelivery) return;
	const now = context.now().getTime();
	state.redelivery ??= { pending: [] };
	const byId = new Map(state.redelivery.pending.map((entry) => [entry.id, entry]));
	for (const item of items) {
		const id = String(item.json.id);
		let entry = byId.get(id);
		if (!entry) {
			entry = { id, first: now, last: now, attempt: 1 };
			state.redelivery.pending.push(entry);
			byId.set(id, entry);
		}
		item.json.redelivery = { attempt: entry.attempt, firstEmittedAt: new Date(entry.first).toISOString() };
	}
}
