import type { INodeProperties } from 'n8n-workflow';

import type { Operation } from '../types';
import * as create from './create.operation';
import * as del from './delete.operation';
import * as empty from './empty.operation';
import * as get from './get.operation';
import * as getMany from './getMany.operation';
import * as rename from './rename.operation';

export const operations: Record<string, Operation> = {
	create: create.operation,
	delete: del.operation,
	empty: empty.operation,
	get: get.operation,
	getMany: getMany.operation,
	rename: rename.operation,
};

export const description: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: ['folder'] } },
		options: [
			{ name: 'Create', value: 'create', description: 'Create a folder', action: 'Create a folder' },
			{ name: 'Delete', value: 'delete', description: 'Delete a folder with its contents', action: 'Delete a folder' },
			{ name: 'Empty', value: 'empty', description: 'Delete every message in a folder', action: 'Empty a folder' },
			{ name: 'Get', value: 'get', description: 'Get a folder with its counts', action: 'Get a folder' },
			{ name: 'Get Many', value: 'getMany', description: 'List folders with their paths', action: 'Get many folders' },
			{ name: 'Rename', value: 'rename', description: 'Rename a folder', action: 'Rename a folder' },
		],
		default: 'getMany',
	},
	...Object.values(operations).flatMap((operation) => operation.description),
];
