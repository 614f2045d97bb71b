/**
 * A stand-in for n8n's IPollFunctions: the execution-context stand-in (credentials, parameters with
 * the node's defaults, binary helpers, OAuth2 refresh) plus what a poller has on top: the mode
 * (manual "Fetch test event" or trigger) and node static data that outlives a single poll.
 */
import type { IDataObject, IPollFunctions } from 'n8n-workflow';

import { createExecuteContext, type ContextOptions } from './executeContext';

export interface PollContextOptions extends Omit<ContextOptions, 'items' | 'continueOnFail'> {
	mode?: 'manual' | 'trigger';
	/** Shared across polls, as n8n keeps it for an active workflow. */
	staticData: IDataObject;
	/** The workflow's global static data (default: a fresh object for this context). */
	globalStaticData?: IDataObject;
	credentialIds?: Record<string, string>;
}

export function createPollContext(options: PollContextOptions) {
	const base = createExecuteContext(options);
	const execute = base.context as unknown as Record<string, unknown> & { getNodeParameter: (name: string, itemIndex: number, fallback?: unknown) => unknown; getNode: () => Record<string, unknown> };
	const node = { ...execute.getNode(), credentials: Object.fromEntries(Object.entries(options.credentialIds ?? {}).map(([type, id]) => [type, { id, name: id }])) };
	const globalStaticData = options.globalStaticData ?? {};
	const context = {
		...execute,
		getNode: () => node,
		getNodeParameter: (name: string, fallback?: unknown) => execute.getNodeParameter(name, 0, fallback),
		getMode: () => options.mode ?? 'trigger',
		getWorkflowStaticData: (type: 'node' | 'global') => (type === 'global' ? globalStaticData : options.staticData),
	};
	return { ...base, context: context as unknown as IPollFunctions };
}
