import type { FolderId } from 'ews-javascript-api';

import type { ArrivedMessage, ChangePage } from '../../mail/store';
import type { EwsClient } from './client';
import { ewsLibrary } from './library';
import { isoDate, readText } from './shape';

/** Exchange refuses more than 512 changes per SyncFolderItems call (schema maximum). */
export const MAX_SYNC_CHANGES = 512;

/**
 * One SyncFolderItems call: the changes of a folder since `syncState` (undefined = from the
 * beginning). IdOnly keeps answers small; the messages themselves are fetched in batches after.
 * A sync call only reads, so it is safe to repeat.
 */
export async function syncFolderItems(
	client: EwsClient,
	mailbox: string,
	folderId: FolderId,
	syncState: string | undefined,
	options: { maxChanges?: number; withReceivedTime?: boolean } = {},
): Promise<ChangePage> {
	const { PropertySet, BasePropertySet, ItemSchema, SyncFolderItemsScope, ChangeType } = ewsLibrary();
	const maxChanges = Math.max(1, Math.min(MAX_SYNC_CHANGES, options.maxChanges ?? MAX_SYNC_CHANGES));
	const propertySet = new PropertySet(BasePropertySet.IdOnly, options.withReceivedTime ? [ItemSchema.DateTimeReceived] : []);
	const changes = await client.run(
		mailbox,
		async (service) => await service.SyncFolderItems(folderId, propertySet, null as never, maxChanges, SyncFolderItemsScope.NormalItems, syncState ?? null as never),
		{ idempotent: true },
	);
	const created: ArrivedMessage[] = [];
	for (const change of changes.GetEnumerator()) {
		if (change.ChangeType !== ChangeType.Create) continue;
		const item: ArrivedMessage = { id: readText(() => change.ItemId.UniqueId) };
		if (!item.id) continue;
		// Not returned for an item: unknown (emitted, subject to de-duplication).
		const receivedAt = options.withReceivedTime ? isoDate(() => change.Item?.DateTimeReceived) : null;
		if (receivedAt) item.receivedAt = receivedAt;
		created.push(item);
	}
	// The cursor is EWS's SyncState, unchanged (the trigger stored it under that name since 0.1).
	return { created, changeCount: changes.Count, cursor: changes.SyncState, moreAvailable: changes.MoreChangesAvailable };
}
