import { NodeOperationError, type IBinaryKeyData, type INodeProperties } from 'n8n-workflow';

import { restrictsMailboxes } from '../../../shared/auth/allowedMailboxes';
import { unwrap } from '../../../shared/mail/store';
import { messageIdProperty } from '../../descriptions/common';
import { itemParameters } from '../../../shared/parameters';
import { assertIdsAllowed } from '../../helpers/idGuard';
import { withField } from '../../helpers/utils';
import { showFor, type ItemOperation } from '../types';

const properties: INodeProperties[] = [
	messageIdProperty,
	{
		displayName: 'Attachment ID',
		name: 'attachmentId',
		type: 'string',
		default: '',
		placeholder: 'AAMkAGI2THVSAAA=',
		description: 'The attachment to download. Leave empty to download every attachment of the message (inline images excluded).',
	},
	{
		displayName: 'Put Output File in Field',
		name: 'binaryPropertyName',
		type: 'string',
		default: 'data',
		hint: 'The output binary field; when every attachment is downloaded they go to data_0, data_1, …',
	},
];

export const operation: ItemOperation = {
	kind: 'item',
	description: showFor('attachment', 'download', properties),
	async execute(run, itemIndex) {
		const mailbox = run.mailboxOf(itemIndex);
		const parameters = itemParameters(this, itemIndex);
		const messageId = parameters.id('messageId', 'Message ID');
		const property = parameters.string('binaryPropertyName', 'Put Output File in Field', { required: true });
		const attachmentId = parameters.id('attachmentId', 'Attachment ID', { required: false });
		await assertIdsAllowed(this, run, itemIndex, mailbox, [{ field: 'Message ID', id: messageId }], 'Downloading the attachment');
		// An attachment ID names its mailbox too, and ConvertId does not take attachment IDs: under
		// Allowed Mailboxes, it must be one of the attachments of the (checked) message.
		const checkAttachment = attachmentId !== '' && restrictsMailboxes(run.auth.mailboxPolicy);
		const listed = !attachmentId || checkAttachment ? await withField(this, run, itemIndex, 'Listing attachments', 'Message ID', async () => await run.store.listAttachments(mailbox, messageId)) : [];
		if (checkAttachment && !listed.some((attachment) => attachment.id === attachmentId)) {
			throw new NodeOperationError(this.getNode(), 'The ID in "Attachment ID" is not an attachment of the message in "Message ID"', {
				itemIndex,
				description: 'The credential has Allowed Mailboxes, so an attachment is downloaded only from the message it belongs to. Take both IDs from the same message (Attachment → Get Many lists them), or leave "Attachment ID" empty to download them all.',
			});
		}
		const refs = attachmentId ? [{ messageId, attachmentId }] : listed.filter((attachment) => !attachment.isInline).map((attachment) => ({ messageId, attachmentId: attachment.id, size: attachment.size }));
		const binary: IBinaryKeyData = {};
		// Streamed content is fetched while n8n stores it, one attachment at a time: inside withField, so its failures are named too.
		const results = await withField(this, run, itemIndex, 'Downloading the attachment', attachmentId ? 'Attachment ID' : 'Message ID', async () => {
			const downloaded = (await run.store.downloadAttachments(mailbox, refs)).map(unwrap);
			for (const [index, attachment] of downloaded.entries()) {
				binary[attachmentId ? property : `${property}_${index}`] = await this.helpers.prepareBinaryData(attachment.content, attachment.fileName, attachment.mimeType);
			}
			return downloaded;
		});
		return [{ json: { messageId, mailbox, attachments: results.map((attachment) => ({ ...attachment.info })) }, binary }];
	},
};
