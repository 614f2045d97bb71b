import type { INodeProperties } from 'n8n-workflow';

import { unwrap } from '../../../shared/mail/store';
import { messageIdProperty } from '../../descriptions/common';
import { itemParameters } from '../../../shared/parameters';
import { assertIdsAllowed } from '../../helpers/idGuard';
import { withField } from '../../helpers/utils';
import { showFor, type ItemOperation } from '../types';

const properties: INodeProperties[] = [
	messageIdProperty,
	{
		displayName: 'Put Output File in Field',
		name: 'binaryPropertyName',
		type: 'string',
		default: 'data',
		hint: 'The name of the output binary field to put the .eml file in',
	},
];

export const operation: ItemOperation = {
	kind: 'item',
	description: showFor('message', 'getMime', properties),
	async execute(run, itemIndex) {
		const mailbox = run.mailboxOf(itemIndex);
		const parameters = itemParameters(this, itemIndex);
		const id = parameters.id('messageId', 'Message ID');
		const property = parameters.string('binaryPropertyName', 'Put Output File in Field', { required: true });
		await assertIdsAllowed(this, run, itemIndex, mailbox, [{ field: 'Message ID', id }], 'Getting the MIME content');
		// A streamed .eml is fetched while n8n stores it: its failures are named like the request's.
		const binary = await withField(this, run, itemIndex, 'Getting the MIME content', 'Message ID', async () => {
			const mime = unwrap((await run.store.getMimes(mailbox, [id]))[0]);
			return await this.helpers.prepareBinaryData(mime, 'message.eml', 'message/rfc822');
		});
		return [{ json: { id, mailbox, size: binary.bytes ?? Buffer.from(binary.data, 'base64').length }, binary: { [property]: binary } }];
	},
};
