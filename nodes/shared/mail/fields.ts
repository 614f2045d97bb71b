import type { INodePropertyOptions } from 'n8n-workflow';

/** Message importance / priority, as every node offers it (values as in the message shape). */
export const IMPORTANCE_OPTIONS: INodePropertyOptions[] = [
	{ name: 'High', value: 'high' },
	{ name: 'Normal', value: 'normal' },
	{ name: 'Low', value: 'low' },
];
