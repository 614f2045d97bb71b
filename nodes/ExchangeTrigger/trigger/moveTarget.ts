import { NodeOperationError, type INode } from 'n8n-workflow';

import type { FolderRef } from '../../shared/mail/store';
import type { PollSettings } from './poll';

/**
 * One spelling per folder reference, so two references to the same folder compare equal without asking
 * Exchange: `inbox`, `Inbox` as a path and `inbox/` are one folder; folder names compare case-insensitively
 * as Exchange does. Different kinds of reference (an ID and a path) are not resolved here.
 */
function folderKey(ref: FolderRef): string {
	if ('id' in ref) return `id:${ref.id.trim()}`;
	if ('wellKnown' in ref) return `path:${ref.wellKnown.toLowerCase()}`;
	const segments = ref.path.split('/').map((segment) => segment.trim().toLowerCase()).filter(Boolean);
	if (segments[0] === 'msgfolderroot') segments.shift();
	return `path:${segments.join('/')}`;
}

/** Whether two references name the same folder, by spelling (see folderKey). */
export function sameFolder(a: FolderRef, b: FolderRef): boolean {
	return folderKey(a) === folderKey(b);
}

/** A folder reference as the user wrote it, for messages. */
export function folderLabel(ref: FolderRef): string {
	return 'wellKnown' in ref ? ref.wellKnown : 'path' in ref ? ref.path : ref.id;
}

/** Refuses "Move To" naming the watched folder: every poll would move the mail into the folder it came from. */
export function refuseMoveIntoWatchedFolder(node: INode, settings: Pick<PollSettings, 'folder' | 'afterEmit'>): void {
	const { afterEmit, folder } = settings;
	if (afterEmit.kind !== 'move' || !sameFolder(afterEmit.folder, folder)) return;
	throw new NodeOperationError(node, `"Move To" is the watched folder (${folderLabel(folder)})`, {
		description: 'Pick another folder in "Move To" (for example Inbox/Processed), or set "After Emitting" to Mark as Read or Do Nothing.',
	});
}
