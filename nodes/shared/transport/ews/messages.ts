import type { BodyType, EmailMessage, ExchangeService, ItemId, PropertySet, SearchFilter } from 'ews-javascript-api';

import { orderMessageFields, type BodyChoice, type MessageShape } from '../../mail/messageShape';
import { contentBytes, unwrap, type DeleteMode, type FolderRef, type ItemResult, type MailContent, type MessageFilter, type MessageState, type MessageUpdate, type MovedMessage } from '../../mail/store';
import { BATCH_SIZE, chunk, perItemResults } from './batch';
import type { EwsClient } from './client';
import { streamedContent } from './contentStream';
import { resolveFolder } from './folders';
import { ewsLibrary } from './library';
import { escapeXml } from './rawSoap';
import { booleanOf, entriesOf, read, readText, textOf, toMessageShape } from './shape';

/**
 * Message operations over EWS, batched: N ids cost ⌈N / batch size⌉ calls, and every id gets its
 * own result (a missing item does not fail the others).
 */

function itemIds(ids: string[]): ItemId[] {
	const { ItemId } = ewsLibrary();
	return ids.map((id) => new ItemId(id));
}

/**
 * BodyType.HTML is 0, and the library only writes t:BodyType when the value is truthy, so HTML is
 * never requested and Exchange answers "Best" (text for a plain-text message). The string '0' is
 * truthy and the library writes BodyType['0'] = "HTML".
 */
const HTML_BODY_TYPE = '0' as unknown as BodyType;

/**
 * Exactly the properties of the message shape, not all first-class properties: the library parses
 * every returned date with moment and every string through its DOM, which is most of the CPU an
 * import costs.
 */
function messagePropertySet(body: BodyChoice, extra: { headers?: boolean } = {}): PropertySet {
	const { PropertySet, BasePropertySet, ItemSchema, EmailMessageSchema, BodyType } = ewsLibrary();
	const properties = [
		ItemSchema.Subject,
		ItemSchema.DateTimeReceived,
		ItemSchema.DateTimeSent,
		ItemSchema.Importance,
		ItemSchema.Categories,
		ItemSchema.Flag,
		ItemSchema.HasAttachments,
		ItemSchema.Attachments,
		ItemSchema.ConversationId,
		EmailMessageSchema.From,
		EmailMessageSchema.ToRecipients,
		EmailMessageSchema.CcRecipients,
		EmailMessageSchema.BccRecipients,
		EmailMessageSchema.ReplyTo,
		EmailMessageSchema.IsRead,
		EmailMessageSchema.InternetMessageId,
	];
	if (body !== 'none') properties.push(ItemSchema.Body);
	// "both": Body as HTML plus TextBody (Exchange 2013+) in the same call.
	if (body === 'both') properties.push(ItemSchema.TextBody);
	if (extra.headers) properties.push(ItemSchema.InternetMessageHeaders);
	const set = new PropertySet(BasePropertySet.IdOnly, properties);
	if (body === 'text') set.RequestedBodyType = BodyType.Text;
	else if (body === 'html' || body === 'both') set.RequestedBodyType = HTML_BODY_TYPE;
	return set;
}

/** Header name → value; header names are attributes (always text), values may come back as the whitespace object. */
function internetHeaders(message: EmailMessage): Record<string, string> {
	const headers: Record<string, string> = {};
	for (const header of entriesOf(() => message.InternetMessageHeaders)) {
		const name = readText(() => header.Name).trim();
		if (!name) continue;
		const value = readText(() => header.Value);
		// Repeated headers (Received) are joined, in order. Own properties only: a header may be called "constructor".
		headers[name] = Object.hasOwn(headers, name) ? `${headers[name]}\n${value}` : value;
	}
	return headers;
}

/** A message in the documented shape; never throws, whatever the library handed back. */
function shapeOf(message: EmailMessage, body: BodyChoice, withHeaders = false): MessageShape {
	const shape = toMessageShape(message, body === 'both' ? { text: readTextBody(message) } : {});
	if (withHeaders) shape.internetHeaders = internetHeaders(message);
	if (body === 'none') {
		delete shape.bodyText;
		delete shape.bodyHtml;
	}
	// A plain-text message asked for as HTML has no HTML body: toMessageShape gives its text instead.
	return orderMessageFields(shape);
}

/** TextBody (Exchange 2013+), undefined when the server did not return it. */
function readTextBody(message: EmailMessage): string | undefined {
	try {
		return message.TextBody ? readText(() => message.TextBody.Text) : undefined;
	} catch {
		return undefined;
	}
}

export async function getMessages(
	client: EwsClient,
	mailbox: string,
	ids: string[],
	options: { body: BodyChoice; headers?: boolean },
): Promise<Array<ItemResult<MessageShape>>> {
	const results: Array<ItemResult<MessageShape>> = [];
	for (const ids_ of chunk(ids, BATCH_SIZE.get)) {
		const responses = await client.run(mailbox, async (service) => await service.BindToItems(itemIds(ids_), messagePropertySet(options.body, options)), { idempotent: true });
		results.push(...perItemResults(responses, (response) => shapeOf(response.Item as EmailMessage, options.body, options.headers === true)));
	}
	return results;
}

/** Parent folder, categories and read flag of each message; a moved item's old id answers ErrorItemNotFound. */
export async function messageStates(client: EwsClient, mailbox: string, ids: string[]): Promise<Array<ItemResult<MessageState>>> {
	const { PropertySet, BasePropertySet, ItemSchema, EmailMessageSchema } = ewsLibrary();
	const properties = new PropertySet(BasePropertySet.IdOnly, [ItemSchema.ParentFolderId, ItemSchema.Categories, EmailMessageSchema.IsRead]);
	const results: Array<ItemResult<MessageState>> = [];
	for (const batch of chunk(ids, BATCH_SIZE.states)) {
		const responses = await client.run(mailbox, async (service) => await service.BindToItems(itemIds(batch), properties), { idempotent: true });
		results.push(
			...perItemResults(responses, (response) => {
				const message = response.Item as EmailMessage;
				return {
					parentFolderId: readText(() => message.ParentFolderId.UniqueId),
					categories: entriesOf(() => message.Categories).map(textOf).filter(Boolean),
					isRead: booleanOf(read(() => message.IsRead, false)),
				};
			}),
		);
	}
	return results;
}

function searchFilterFor(filter: MessageFilter): SearchFilter | undefined {
	const { SearchFilter, EmailMessageSchema, ItemSchema, ContainmentMode, ComparisonMode, LogicalOperator, DateTime } = ewsLibrary();
	const parts: SearchFilter[] = [];
	if (filter.unreadOnly) parts.push(new SearchFilter.IsEqualTo(EmailMessageSchema.IsRead, false));
	if (filter.from) parts.push(new SearchFilter.IsEqualTo(EmailMessageSchema.From, filter.from));
	if (filter.subjectContains) parts.push(new SearchFilter.ContainsSubstring(ItemSchema.Subject, filter.subjectContains, ContainmentMode.Substring, ComparisonMode.IgnoreCase));
	if (filter.receivedAfter) parts.push(new SearchFilter.IsGreaterThanOrEqualTo(ItemSchema.DateTimeReceived, new DateTime(Date.parse(filter.receivedAfter))));
	if (filter.receivedBefore) parts.push(new SearchFilter.IsLessThan(ItemSchema.DateTimeReceived, new DateTime(Date.parse(filter.receivedBefore))));
	if (filter.hasAttachments !== undefined) parts.push(new SearchFilter.IsEqualTo(ItemSchema.HasAttachments, filter.hasAttachments));
	if (parts.length === 0) return undefined;
	return parts.length === 1 ? parts[0] : new SearchFilter.SearchFilterCollection(LogicalOperator.And, parts);
}

// Exchange Online returns at most 1000 items per FindItem page, 250 when the search is restricted.
const PAGE_SIZE = { plain: 1000, restricted: 250 };

/** Ids of the messages in a folder, newest first, filtered on the server; `limit` undefined = all. */
export async function findMessageIds(client: EwsClient, mailbox: string, folder: FolderRef, filter: MessageFilter, limit?: number): Promise<string[]> {
	const { ItemView, PropertySet, BasePropertySet, ItemSchema, SortDirection, OffsetBasePoint } = ewsLibrary();
	const folderId = await resolveFolder(client, mailbox, folder);
	const searchFilter = searchFilterFor(filter);
	const query = filter.query?.trim();
	const pageSize = searchFilter || query ? PAGE_SIZE.restricted : PAGE_SIZE.plain;
	const ids: string[] = [];
	for (let offset = 0; limit === undefined || ids.length < limit; ) {
		const view = new ItemView(Math.min(pageSize, limit === undefined ? pageSize : limit - ids.length), offset, OffsetBasePoint.Beginning);
		view.PropertySet = new PropertySet(BasePropertySet.IdOnly);
		view.OrderBy.Add(ItemSchema.DateTimeReceived, SortDirection.Descending);
		const page = await client.run(
			mailbox,
			async (service) =>
				query
					? await service.FindItems(folderId, query, view)
					: searchFilter
						? await service.FindItems(folderId, searchFilter, view)
						: await service.FindItems(folderId, view),
			{ idempotent: true },
		);
		ids.push(...page.Items.map((item) => item.Id.UniqueId));
		if (!page.MoreAvailable || page.NextPageOffset == null || page.Items.length === 0) break;
		offset = page.NextPageOffset;
	}
	return limit === undefined ? ids : ids.slice(0, limit);
}

async function moveOrCopy(kind: 'move' | 'copy', client: EwsClient, mailbox: string, ids: string[], target: FolderRef): Promise<Array<ItemResult<{ id: string | null }>>> {
	const destination = await resolveFolder(client, mailbox, target);
	const results: Array<ItemResult<{ id: string | null }>> = [];
	for (const batch of chunk(ids, BATCH_SIZE.moveCopyDelete)) {
		const responses = await client.run(
			mailbox,
			async (service) => (kind === 'move' ? await service.MoveItems(itemIds(batch), destination) : await service.CopyItems(itemIds(batch), destination)),
			// Moving an id twice fails harmlessly (the old id is gone); copying twice would duplicate.
			{ idempotent: kind === 'move' },
		);
		results.push(...perItemResults(responses, (response) => ({ id: response.Item?.Id?.UniqueId ?? null })));
	}
	return results;
}

/**
 * A move gives the message a new id, so a repeated move (a redelivered message's last workflow step)
 * finds the old one gone: ErrorItemNotFound answers "moved before" (EWS cannot tell it from deleted).
 * Other failures, a missing destination (ErrorToFolderNotFound) included, stay failures.
 */
export async function moveMessages(client: EwsClient, mailbox: string, ids: string[], target: FolderRef): Promise<Array<ItemResult<MovedMessage>>> {
	const results = await moveOrCopy('move', client, mailbox, ids, target);
	return results.map((result) => (!result.ok && result.failure.code === 'ErrorItemNotFound' ? { ok: true, value: { id: null, alreadyMoved: true } } : result));
}

export async function copyMessages(client: EwsClient, mailbox: string, ids: string[], target: FolderRef) {
	return await moveOrCopy('copy', client, mailbox, ids, target);
}

export async function deleteMessages(client: EwsClient, mailbox: string, ids: string[], mode: DeleteMode): Promise<Array<ItemResult<null>>> {
	const { DeleteMode: Mode, SendCancellationsMode, AffectedTaskOccurrence } = ewsLibrary();
	const deleteMode = { moveToDeletedItems: Mode.MoveToDeletedItems, soft: Mode.SoftDelete, hard: Mode.HardDelete }[mode];
	const results: Array<ItemResult<null>> = [];
	for (const batch of chunk(ids, BATCH_SIZE.moveCopyDelete)) {
		const responses = await client.run(
			mailbox,
			async (service) => await service.DeleteItems(itemIds(batch), deleteMode, SendCancellationsMode.SendToNone, AffectedTaskOccurrence.AllOccurrences),
			{ idempotent: true },
		);
		results.push(...perItemResults(responses, () => null));
	}
	return results;
}

/**
 * A message object that knows only its id: enough for UpdateItem with AlwaysOverwrite, which needs
 * no ChangeKey, so no GetItem is spent to obtain updatable objects. The library has no public way
 * to do this; its property bag (internal, not in its typings) takes the id without marking it as
 * a change, so the request carries it as the ItemId, not as a field update.
 */
function messageWithId(service: ExchangeService, id: string): EmailMessage {
	const { EmailMessage, ItemSchema, ItemId } = ewsLibrary();
	const message = new EmailMessage(service);
	(message as unknown as { PropertyBag: { properties: { set(key: unknown, value: unknown): void } } }).PropertyBag.properties.set(ItemSchema.Id, new ItemId(id));
	return message;
}

/**
 * Updates many messages with one UpdateItem per batch. Last writer wins (AlwaysOverwrite): the node
 * sets values, it does not merge them.
 */
export async function updateMessages(client: EwsClient, mailbox: string, updates: MessageUpdate[]): Promise<Array<ItemResult<{ changeKey: string }>>> {
	const { ConflictResolutionMode, MessageDisposition, SendInvitationsOrCancellationsMode, StringList, Flag, ItemFlagStatus, Importance } = ewsLibrary();
	const results: Array<ItemResult<{ changeKey: string }>> = [];
	for (const batch of chunk(updates, BATCH_SIZE.update)) {
		let messages: EmailMessage[] = [];
		const responses = await client.run(
			mailbox,
			async (service) => {
				messages = batch.map((update) => {
					const message = messageWithId(service, update.id);
					if (update.isRead !== undefined) message.IsRead = update.isRead;
					if (update.categories !== undefined) message.Categories = new StringList(update.categories);
					if (update.importance !== undefined) message.Importance = { low: Importance.Low, normal: Importance.Normal, high: Importance.High }[update.importance];
					if (update.flag !== undefined) {
						const flag = new Flag();
						flag.FlagStatus = { notFlagged: ItemFlagStatus.NotFlagged, flagged: ItemFlagStatus.Flagged, complete: ItemFlagStatus.Complete }[update.flag];
						message.Flag = flag;
					}
					return message;
				});
				return await service.UpdateItems(messages, null as never, ConflictResolutionMode.AlwaysOverwrite, MessageDisposition.SaveOnly, SendInvitationsOrCancellationsMode.SendToNone);
			},
			{ idempotent: true },
		);
		results.push(...perItemResults(responses, (response, position) => ({ changeKey: (response.ReturnedItem ?? messages[position]).Id?.ChangeKey ?? '' })));
	}
	return results;
}

/** Messages as RFC 822 bytes (.eml), one result per id, in order, each a stream of its own GetItem. */
export async function getMimes(client: EwsClient, mailbox: string, ids: string[]): Promise<Array<ItemResult<MailContent>>> {
	// One GetItem per message, sent when its stream is first read: a batch would hold every .eml of it at once.
	return ids.map((id) => ({
		ok: true,
		value: streamedContent(client, mailbox, `<m:GetItem><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape><t:IncludeMimeContent>true</t:IncludeMimeContent></m:ItemShape><m:ItemIds><t:ItemId Id="${escapeXml(id)}"/></m:ItemIds></m:GetItem>`, 'MimeContent'),
	}));
}

/** One message as RFC 822 bytes (.eml), read whole. */
export async function getMime(client: EwsClient, mailbox: string, id: string): Promise<Buffer> {
	return await contentBytes(unwrap((await getMimes(client, mailbox, [id]))[0]));
}
