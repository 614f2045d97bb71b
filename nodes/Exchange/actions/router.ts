import { NodeOperationError, type IDataObject, type IExecuteFunctions, type INodeExecutionData } from 'n8n-workflow';

import { loadExchangeAuth, type AuthenticationKind, type ExchangeAuth } from '../../shared/auth/exchangeAuth';
import { toNodeApiError } from '../../shared/errors/nodeErrors';
import { redactSecrets } from '../../shared/errors/redact';
import { openMailStore, type MailStoreOptions } from '../../shared/mail/open';
import { MailError, type MailStore } from '../../shared/mail/store';
import { itemParameters, mailboxToUse } from '../../shared/parameters';
import { DELEGATED_CREDENTIAL_TYPE } from '../descriptions/common';
import { idRefusals } from '../helpers/idGuard';
import { mailNodeError } from '../helpers/utils';
import * as attachment from './attachment';
import * as folder from './folder';
import * as message from './message';
import type { BatchOperation, ItemOperation, Operation, RunContext } from './types';

const RESOURCES: Record<string, Record<string, Operation>> = {
	message: message.operations,
	attachment: attachment.operations,
	folder: folder.operations,
};

/** Test seam: transport options for the execution's mail store (e.g. a wait recorder instead of real sleeps). */
export const clientOptions: MailStoreOptions = {};

type Outcome = { ok: true; items: INodeExecutionData[] } | { ok: false; error: Error & { description?: string | null } };

function errorItem(error: Error & { description?: string | null }, itemIndex: number, secrets: string[]): INodeExecutionData {
	return {
		json: { error: redactSecrets(error.message, secrets), ...(error.description ? { description: redactSecrets(error.description, secrets) } : {}) },
		pairedItem: { item: itemIndex },
	};
}

function mailboxResolver(ctx: IExecuteFunctions, auth: ExchangeAuth): (itemIndex: number) => string {
	const cache = new Map<number, string>();
	return (itemIndex) => {
		const known = cache.get(itemIndex);
		if (known) return known;
		const mailbox = mailboxToUse(itemParameters(ctx, itemIndex), auth);
		cache.set(itemIndex, mailbox);
		return mailbox;
	};
}

/**
 * Runs one execution: the credential is loaded once, one mail store serves every item, batchable
 * operations send their items together, every output item keeps its pairedItem, and with
 * continueOnFail a failing item becomes an error item instead of stopping the node.
 */
export async function route(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const items = this.getInputData();
	const resource = this.getNodeParameter('resource', 0) as string;
	const operationName = this.getNodeParameter('operation', 0) as string;
	const operation = RESOURCES[resource]?.[operationName];
	if (!operation) throw new NodeOperationError(this.getNode(), `The operation "${operationName}" of "${resource}" is not supported`);
	const kind = this.getNodeParameter('authentication', 0) as AuthenticationKind;
	const continueOnFail = this.continueOnFail();

	let auth: ExchangeAuth;
	let store: MailStore;
	try {
		auth = await loadExchangeAuth(this, kind, DELEGATED_CREDENTIAL_TYPE);
		store = openMailStore(auth, clientOptions);
	} catch (error) {
		const nodeError = toNodeApiError(this.getNode(), error, { action: 'Loading the credential' });
		if (!continueOnFail) throw nodeError;
		return [items.map((_, itemIndex) => errorItem(nodeError, itemIndex, []))];
	}
	const run: RunContext = { auth, store, mailboxOf: mailboxResolver(this, auth) };

	const outcomes: Outcome[] =
		operation.kind === 'batch'
			? await runBatch.call(this, run, operation, items.length, continueOnFail)
			: await runItems.call(this, run, operation, items.length, continueOnFail);

	const output: INodeExecutionData[] = [];
	outcomes.forEach((outcome, itemIndex) => {
		if (outcome.ok) output.push(...outcome.items.map((item) => ({ ...item, pairedItem: { item: itemIndex } })));
		else if (continueOnFail) output.push(errorItem(outcome.error, itemIndex, auth.secrets));
		else throw outcome.error;
	});
	return [output];
}

async function runItems(this: IExecuteFunctions, run: RunContext, operation: ItemOperation, count: number, continueOnFail: boolean): Promise<Outcome[]> {
	const outcomes: Outcome[] = [];
	for (let itemIndex = 0; itemIndex < count; itemIndex++) {
		try {
			run.mailboxOf(itemIndex);
			outcomes.push({ ok: true, items: await operation.execute.call(this, run, itemIndex) });
		} catch (error) {
			const nodeError = mailNodeError(this, run, error, itemIndex, 'The request');
			if (!continueOnFail) throw nodeError;
			outcomes.push({ ok: false, error: nodeError });
		}
	}
	return outcomes;
}

async function runBatch(this: IExecuteFunctions, run: RunContext, operation: BatchOperation, count: number, continueOnFail: boolean): Promise<Outcome[]> {
	const outcomes: Outcome[] = new Array(count);
	// 1. Read every item's parameters first: bad input fails before any mailbox call.
	const groups = new Map<string, { mailbox: string; indexes: number[]; inputs: unknown[] }>();
	for (let itemIndex = 0; itemIndex < count; itemIndex++) {
		try {
			const mailbox = run.mailboxOf(itemIndex);
			const { key, input } = operation.prepare.call(this, run, itemIndex);
			const groupKey = `${mailbox.toLowerCase()}\u0000${key}`;
			let group = groups.get(groupKey);
			if (!group) groups.set(groupKey, (group = { mailbox, indexes: [], inputs: [] }));
			group.indexes.push(itemIndex);
			group.inputs.push(input);
		} catch (error) {
			const nodeError = mailNodeError(this, run, error, itemIndex, operation.action);
			if (!continueOnFail) throw nodeError;
			outcomes[itemIndex] = { ok: false, error: nodeError };
		}
	}
	const failAll = (indexes: number[], error: unknown) => {
		// The whole call failed (throttled beyond the retries, access denied…): every item of the group fails alike.
		for (const itemIndex of indexes) outcomes[itemIndex] = { ok: false, error: mailNodeError(this, run, error, itemIndex, operation.action, operation.callField ?? operation.field) };
	};
	// 2. Ids of mailboxes outside Allowed Mailboxes fail their own item, for every group before any group runs.
	const ready: Array<{ mailbox: string; indexes: number[]; inputs: unknown[] }> = [];
	for (const group of groups.values()) {
		let refusals: Array<Error | undefined>;
		try {
			refusals = await idRefusals(this, run, group.mailbox, group.inputs.map((input) => operation.ids(input)), group.indexes, operation.action);
		} catch (error) {
			failAll(group.indexes, error);
			continue;
		}
		const refused = refusals.find(Boolean);
		if (refused && !continueOnFail) throw refused;
		refusals.forEach((refusal, position) => {
			if (refusal) outcomes[group.indexes[position]] = { ok: false, error: refusal };
		});
		const kept = (values: number[] | unknown[]) => values.filter((_, position) => !refusals[position]);
		if (kept(group.indexes).length) ready.push({ mailbox: group.mailbox, indexes: kept(group.indexes) as number[], inputs: kept(group.inputs) });
	}
	// 3. One store call per group; the back end splits it into batches of ids.
	for (const group of ready) {
		try {
			const results = await operation.run.call(this, run, group.mailbox, group.inputs);
			group.indexes.forEach((itemIndex, position) => {
				const result = results[position];
				outcomes[itemIndex] = result.ok
					? { ok: true, items: [{ json: result.value as IDataObject }] }
					: { ok: false, error: mailNodeError(this, run, new MailError(result.failure), itemIndex, operation.action, operation.field) };
			});
		} catch (error) {
			failAll(group.indexes, error);
		}
	}
	return outcomes;
}
