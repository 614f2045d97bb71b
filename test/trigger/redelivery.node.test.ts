/** Redeliver Until Processed through the node as n8n calls it: parameters, static data, refusals at run time. */
import type { IDataObject } from 'n8n-workflow';

import { ExchangeTrigger } from '../../nodes/ExchangeTrigger/ExchangeTrigger.node';
import { DEMO, type Sandbox } from '../sandbox';
import { createPollContext } from '../support/pollContext';
import { appOnlyCredential } from '../support/sandboxCredentials';
import { useSandbox } from '../support/useSandbox';

jest.setTimeout(30_000);

const node = new ExchangeTrigger();
const currentSandbox = useSandbox();
let sandbox: Sandbox;
let folders = 0;
beforeAll(() => {
	sandbox = currentSandbox();
});

function setup(parameters: IDataObject) {
	const name = `RedeliveryNode${++folders}`;
	sandbox.ews.store.createFolder(DEMO.sharedMailbox, 'inbox', name);
	const staticData: IDataObject = {};
	const context = () =>
		createPollContext({
			description: node.description,
			parameters: { authentication: 'appOnly', mailbox: DEMO.sharedMailbox, folder: { __rl: true, mode: 'path', value: `Inbox/${name}` }, startFrom: 'all', redeliver: true, ...parameters },
			credentials: { microsoftExchangeAppOnlyApi: appOnlyCredential(sandbox) },
			credentialIds: { microsoftExchangeAppOnlyApi: 'cred-1' },
			trustedCa: sandbox.ca,
			staticData,
		}).context;
	const deliver = (subject: string) => sandbox.ews.store.deliver(DEMO.sharedMailbox, { from: 'vendor@example.test', to: DEMO.sharedMailbox, subject, text: subject, folder: `Inbox/${name}` });
	return { context, deliver, staticData, folder: `Inbox/${name}` };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function pollError(context: ReturnType<ReturnType<typeof setup>['context']>): Promise<Error & { description?: string }> {
	try {
		await node.poll.call(context);
	} catch (error) {
		return error as Error & { description?: string };
	}
	throw new Error('expected the poll to fail');
}

it('a fraction of a minute as redelivery time: the message comes again with attempt 2, the state is JSON in static data', async () => {
	const { context, deliver, staticData } = setup({ redeliverAfterMinutes: 0.01, maxAttempts: 2 });
	deliver('invoice');
	const [first] = (await node.poll.call(context()))![0];
	expect(first.json.redelivery).toMatchObject({ attempt: 1 });
	await sleep(700);
	const [again] = (await node.poll.call(context()))![0];
	expect(again.json).toMatchObject({ subject: 'invoice', redelivery: { attempt: 2, firstEmittedAt: (first.json.redelivery as IDataObject).firstEmittedAt } });
	const pending = (staticData.exchangeTrigger as IDataObject).redelivery as IDataObject;
	expect(JSON.parse(JSON.stringify(pending))).toEqual(pending);
	expect(pending.pending).toEqual([expect.objectContaining({ id: first.json.id, attempt: 2 })]);
});

it('switched off, nothing is tracked and items carry no redelivery field', async () => {
	const { context, deliver, staticData } = setup({ redeliver: false });
	deliver('plain');
	const [item] = (await node.poll.call(context()))![0];
	expect(item.json.redelivery).toBeUndefined();
	expect((staticData.exchangeTrigger as IDataObject).redelivery).toBeUndefined();
});

it('refuses After Emitting → Move to Folder at run time, before anything is emitted', async () => {
	const { context, deliver, staticData } = setup({ afterEmit: 'move', moveTo: { __rl: true, mode: 'path', value: 'Archive' } });
	deliver('kept');
	const error = await pollError(context());
	expect(error.message).toMatch(/"Redeliver Until Processed" cannot work with this "After Emitting": "After Emitting" is Move to Folder/);
	expect(error.description).toMatch(/Set "After Emitting" to Do Nothing/);
	expect(staticData).toEqual({});
});

it('an empty Processed Category is refused, naming the field', async () => {
	const { context } = setup({ processedWhen: 'category', processedCategory: '  ' });
	expect((await pollError(context())).message).toBe('"Processed Category" is empty');
});

it('a Redeliver After that is not a positive number is refused, naming the field', async () => {
	const { context } = setup({ redeliverAfterMinutes: 0 });
	expect((await pollError(context())).message).toBe('"Redeliver After (Minutes)" must be a number at least 0.01, not 0');
});
