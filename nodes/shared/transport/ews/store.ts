import type { MailboxPolicy } from '../../auth/allowedMailboxes';
import type { BodyChoice } from '../../mail/messageShape';
import {
	MailError,
	type AttachmentRef,
	type ChangeOptions,
	type DeleteMode,
	type FolderRef,
	type IdUse,
	type ItemResult,
	type MailStore,
	type MessageFilter,
	type MessageUpdate,
	type NewMessage,
	type ResponseInput,
} from '../../mail/store';
import { downloadAttachments, listAttachments } from './attachments';
import type { EwsClient } from './client';
import { respondToMessage, sendMessage } from './compose';
import * as folders from './folders';
import * as messages from './messages';
import { owningMailboxes, refusedIds } from './ownership';
import { syncFolderItems } from './sync';

/**
 * The mailbox interface over EWS SOAP: each method is one of the transport functions of this
 * folder, on the execution's EwsClient (token, retries, deadline, concurrency cap live there).
 */
export class EwsMailStore implements MailStore {
	readonly api = 'ews' as const;

	/** Owner of each id asked in this execution (mailbox + id → owner), so the guard and Empty/Delete share one ConvertId. */
	private readonly owners = new Map<string, ItemResult<string>>();

	constructor(readonly client: EwsClient) {}

	async resolveFolderId(mailbox: string, ref: FolderRef) {
		return folders.folderIdText(await folders.resolveFolder(this.client, mailbox, ref));
	}

	async listFolders(mailbox: string, root: FolderRef, deep: boolean) {
		return await folders.listFolders(this.client, mailbox, root, deep);
	}

	async getFolder(mailbox: string, ref: FolderRef) {
		return await folders.getFolder(this.client, mailbox, ref);
	}

	async inspectFolder(mailbox: string, ref: FolderRef) {
		// An id may point into another mailbox: its distinguished folders are the ones to compare with.
		const owner = 'id' in ref ? await this.ownerOf(mailbox, ref.id) : mailbox;
		return await folders.inspectFolder(this.client, mailbox, ref, owner);
	}

	async createFolder(mailbox: string, parent: FolderRef, displayName: string) {
		return await folders.createFolder(this.client, mailbox, parent, displayName);
	}

	async renameFolder(mailbox: string, ref: FolderRef, displayName: string) {
		return await folders.renameFolder(this.client, mailbox, ref, displayName);
	}

	async deleteFolder(mailbox: string, ref: FolderRef, mode: DeleteMode) {
		return await folders.deleteFolder(this.client, mailbox, ref, mode);
	}

	async emptyFolder(mailbox: string, ref: FolderRef, mode: DeleteMode, deleteSubFolders: boolean) {
		return await folders.emptyFolder(this.client, mailbox, ref, mode, deleteSubFolders);
	}

	async findMessageIds(mailbox: string, folder: FolderRef, filter: MessageFilter, limit?: number) {
		return await messages.findMessageIds(this.client, mailbox, folder, filter, limit);
	}

	async getMessages(mailbox: string, ids: string[], options: { body: BodyChoice; headers?: boolean }) {
		return await messages.getMessages(this.client, mailbox, ids, options);
	}

	async getMimes(mailbox: string, ids: string[]) {
		return await messages.getMimes(this.client, mailbox, ids);
	}

	async moveMessages(mailbox: string, ids: string[], target: FolderRef) {
		return await messages.moveMessages(this.client, mailbox, ids, target);
	}

	async copyMessages(mailbox: string, ids: string[], target: FolderRef) {
		return await messages.copyMessages(this.client, mailbox, ids, target);
	}

	async deleteMessages(mailbox: string, ids: string[], mode: DeleteMode) {
		return await messages.deleteMessages(this.client, mailbox, ids, mode);
	}

	async messageStates(mailbox: string, ids: string[]) {
		return await messages.messageStates(this.client, mailbox, ids);
	}

	async updateMessages(mailbox: string, updates: MessageUpdate[]) {
		return await messages.updateMessages(this.client, mailbox, updates);
	}

	async sendMessage(mailbox: string, input: NewMessage, options: { asDelegate: boolean }) {
		return await sendMessage(this.client, mailbox, input, options);
	}

	async respondToMessage(mailbox: string, messageId: string, input: ResponseInput) {
		return await respondToMessage(this.client, mailbox, messageId, input);
	}

	async listAttachments(mailbox: string, messageId: string) {
		return await listAttachments(this.client, mailbox, messageId);
	}

	async downloadAttachments(mailbox: string, attachments: AttachmentRef[]) {
		return await downloadAttachments(this.client, mailbox, attachments);
	}

	async refusedIds(mailbox: string, policy: MailboxPolicy, uses: IdUse[][]) {
		return await refusedIds(async (ids) => await this.owningMailboxes(mailbox, ids), policy, uses);
	}

	async changes(mailbox: string, folderId: string, cursor: string | undefined, options: ChangeOptions) {
		return await syncFolderItems(this.client, mailbox, folders.folderIdFrom(folderId, mailbox), cursor, options);
	}

	/** ConvertId for the ids not asked before in this execution. */
	private async owningMailboxes(mailbox: string, ids: string[]): Promise<Map<string, ItemResult<string>>> {
		const key = (id: string) => `${mailbox.toLowerCase()}\u0000${id}`;
		const unknown = ids.filter((id) => !this.owners.has(key(id)));
		if (unknown.length) for (const [id, owner] of await owningMailboxes(this.client, mailbox, unknown)) this.owners.set(key(id), owner);
		return new Map(ids.map((id) => [id, this.owners.get(key(id)) as ItemResult<string>]));
	}

	private async ownerOf(mailbox: string, id: string): Promise<string> {
		const owner = (await this.owningMailboxes(mailbox, [id])).get(id) as ItemResult<string>;
		if (!owner.ok) throw new MailError(owner.failure);
		return owner.value;
	}
}
