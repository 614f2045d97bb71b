import type { INodeProperties } from 'n8n-workflow';

import type { Operation } from '../types';
import * as download from './download.operation';
import * as getMany from './getMany.operation';

export const operations: Record<string, Operation> = {
	download: download.operation,
	getMany: getMany.operation,
};

export const description: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: ['attachment'] } },
		options: [
			{ name: 'Download', value: 'download', description: 'Download attachments as binary data', action: 'Download an attachment' },
			{ name: 'Get Many', value: 'getMany', description: 'List the attachments of a message', action: 'Get many attachments' },
		],
		default: 'getMany',
	},
	...Object.values(operations).flatMap((operation) => operation.description),
];
