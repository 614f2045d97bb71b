import type { IBinaryKeyData, INodeProperties } from 'n8n-workflow';

import { downloadAttachments, listAttachments } from '../../../shared/transport/ews/attachments';
import { unwrap } from '../../../shared/transport/ews/batch';
import { messageIdProperty } from '../../descriptions/common';
import { itemParameters } from '../../../shared/parameters';
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
		const ids = attachmentId
			? [attachmentId]
			: (await withField(this, run, itemIndex, 'Listing attachments', 'Message ID', async () => await listAttachments(run.client, mailbox, messageId)))
					.filter((attachment) => !attachment.isInline)
					.map((attachment) => attachment.id);
		const results = await withField(this, run, itemIndex, 'Downloading the attachment', attachmentId ? 'Attachment ID' : 'Message ID', async () => {
			const downloaded = await downloadAttachments(run.client, mailbox, ids);
			return downloaded.map(unwrap);
		});
		const binary: IBinaryKeyData = {};
		for (const [index, attachment] of results.entries()) {
			binary[attachmentId ? property : `${property}_${index}`] = await this.helpers.prepareBinaryData(attachment.content, attachment.fileName, attachment.mimeType);
		}
		return [{ json: { messageId, mailbox, attachments: results.map((attachment) => ({ ...attachment.info })) }, binary }];
	},
};
