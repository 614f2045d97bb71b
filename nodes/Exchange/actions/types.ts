import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';

import type { ExchangeAuth } from '../../shared/auth/exchangeAuth';
import type { IdUse, ItemResult, MailStore } from '../../shared/mail/store';

/** What every operation gets from the router: the credential, the mailbox interface, the mailbox per item. */
export interface RunContext {
	auth: ExchangeAuth;
	/** The credential's mailbox API (EWS or Graph) behind one interface. */
	store: MailStore;
	/** The mailbox of item `i`, already checked against Allowed Mailboxes. */
	mailboxOf(itemIndex: number): string;
}

/** An operation run once per input item. Returns output items (without pairedItem: the router adds it). */
export interface ItemOperation {
	kind: 'item';
	description: INodeProperties[];
	execute(this: IExecuteFunctions, run: RunContext, itemIndex: number): Promise<INodeExecutionData[]>;
}

/**
 * An operation whose input items go out together: `prepare` reads one item's parameters (and
 * throws on bad input before any call); items with the same mailbox and `key` form one group, and
 * `run` handles a group with one store call (batched by the back end), one result per input.
 */
export interface BatchOperation<I = unknown> {
	kind: 'batch';
	description: INodeProperties[];
	/** For error messages: "Moving the message". */
	action: string;
	/** The field an id-level failure points at. */
	field: string;
	/** The field a failure of the whole call points at (e.g. an unknown destination folder); default `field`. */
	callField?: string;
	prepare(this: IExecuteFunctions, run: RunContext, itemIndex: number): { key: string; input: I };
	/** The message/folder ids of one input, checked against Allowed Mailboxes before `run` (helpers/idGuard.ts). */
	ids(input: I): IdUse[];
	run(this: IExecuteFunctions, run: RunContext, mailbox: string, inputs: I[]): Promise<Array<ItemResult<IDataObject>>>;
}

export type Operation = ItemOperation | BatchOperation<any>;

/** n8n's updateDisplayOptions (internal to nodes-base): show these properties for one resource and operation. */
export function showFor(resource: string, operation: string, properties: INodeProperties[]): INodeProperties[] {
	return properties.map((property) => ({
		...property,
		displayOptions: {
			...property.displayOptions,
			show: { ...property.displayOptions?.show, resource: [resource], operation: [operation] },
		},
	}));
}

/** Each result's value turned into an output, failures passed on as they are. */
export function outputsOf<T>(results: Array<ItemResult<T>>, output: (value: T, position: number) => IDataObject): Array<ItemResult<IDataObject>> {
	return results.map((result, position) => (result.ok ? { ok: true, value: output(result.value, position) } : result));
}
