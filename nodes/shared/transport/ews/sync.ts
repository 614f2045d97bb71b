import type { FolderId } from 'ews-javascript-api';

import type { EwsClient } from './client';
import { ewsLibrary } from './library';
import { isoDate, readText } from './shape';

/** Exchange refuses more than 512 changes per SyncFolderItems call (schema maximum). */
export const MAX_SYNC_CHANGES = 512;

export interface SyncedItem {
	id: string;
	/** Only when asked for (first synchronisation and resynchronisation). */
	receivedAt?: string;
}

export interface SyncPage {
	/** Items created in the folder since the previous state (moved-in items count as created). */
	created: SyncedItem[];
	/** Changes of any kind in this page, created ones included. */
	changeCount: number;
	/** Opaque state after this page: store it only once the created items are safely handed over. */
	syncState: string;
	moreAvailable: boolean;
}

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
): Promise<SyncPage> {
	const { PropertySet, BasePropertySet, ItemSchema, SyncFolderItemsScope, ChangeType } = ewsLibrary();
	const maxChanges = Math.max(1, Math.min(MAX_SYNC_CHANGES, options.maxChanges ?? MAX_SYNC_CHANGES));
	const propertySet = new PropertySet(BasePropertySet.IdOnly, options.withReceivedTime ? [ItemSchema.DateTimeReceived] : []);
	const changes = await client.run(
		mailbox,
		async (service) => await service.SyncFolderItems(folderId, propertySet, null as never, maxChanges, SyncFolderItemsScope.NormalItems, syncState ?? null as never),
		{ idempotent: true },
	);
	const created: SyncedItem[] = [];
	for (const change of changes.GetEnumerator()) {
		if (change.ChangeType !== ChangeType.Create) continue;
		const item: SyncedItem = { id: readText(() => change.ItemId.UniqueId) };
		if (!item.id) continue;
		// Not returned for an item: unknown (emitted, subject to de-duplication).
		const receivedAt = options.withReceivedTime ? isoDate(() => change.Item?.DateTimeReceived) : null;
		if (receivedAt) item.receivedAt = receivedAt;
		created.push(item);
	}
	return { created, changeCount: changes.Count, syncState: changes.SyncState, moreAvailable: changes.MoreChangesAvailable };
}
