import type { IExecuteFunctions } from 'n8n-workflow';

import type { IdUse } from '../../shared/mail/store';
import { itemParameters } from '../../shared/parameters';
import type { RunContext } from '../actions/types';

/** What the batch operations that take only a Message ID per item share (Mark as Read / Unread): all items go in one group. */
export const messageIdBatch = {
	kind: 'batch' as const,
	field: 'Message ID',
	prepare(this: IExecuteFunctions, _run: RunContext, itemIndex: number) {
		return { key: '', input: { id: itemParameters(this, itemIndex).id('messageId', 'Message ID') } };
	},
	ids: (input: { id: string }): IdUse[] => [{ field: 'Message ID', id: input.id }],
};
