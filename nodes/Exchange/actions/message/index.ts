import type { INodeProperties } from 'n8n-workflow';

import type { Operation } from '../types';
import * as copy from './copy.operation';
import * as del from './delete.operation';
import * as forward from './forward.operation';
import * as get from './get.operation';
import * as getMany from './getMany.operation';
import * as getMime from './getMime.operation';
import * as markAsRead from './markAsRead.operation';
import * as markAsUnread from './markAsUnread.operation';
import * as move from './move.operation';
import * as reply from './reply.operation';
import * as send from './send.operation';
import * as update from './update.operation';

export const operations: Record<string, Operation> = {
	copy: copy.operation,
	delete: del.operation,
	forward: forward.operation,
	get: get.operation,
	getMany: getMany.operation,
	getMime: getMime.operation,
	markAsRead: markAsRead.operation,
	markAsUnread: markAsUnread.operation,
	move: move.operation,
	reply: reply.operation,
	send: send.operation,
	update: update.operation,
};

export const description: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: ['message'] } },
		options: [
			{ name: 'Copy', value: 'copy', description: 'Copy messages to a folder', action: 'Copy a message' },
			{ name: 'Delete', value: 'delete', description: 'Delete messages', action: 'Delete a message' },
			{ name: 'Forward', value: 'forward', description: 'Forward a message', action: 'Forward a message' },
			{ name: 'Get', value: 'get', description: 'Get messages by ID', action: 'Get a message' },
			{ name: 'Get Many', value: 'getMany', description: 'List and search messages in a folder', action: 'Get many messages' },
			{ name: 'Get MIME', value: 'getMime', description: 'Get a message as an .eml file', action: 'Get the MIME content of a message' },
			{ name: 'Mark as Read', value: 'markAsRead', description: 'Mark messages as read', action: 'Mark a message as read' },
			{ name: 'Mark as Unread', value: 'markAsUnread', description: 'Mark messages as unread', action: 'Mark a message as unread' },
			{ name: 'Move', value: 'move', description: 'Move messages to a folder', action: 'Move a message' },
			{ name: 'Reply', value: 'reply', description: 'Reply (or reply to all) to a message', action: 'Reply to a message' },
			{ name: 'Send', value: 'send', description: 'Send a new message', action: 'Send a message' },
			{ name: 'Update', value: 'update', description: 'Set categories, flag, importance or read state', action: 'Update a message' },
		],
		default: 'getMany',
	},
	...Object.values(operations).flatMap((operation) => operation.description),
];
