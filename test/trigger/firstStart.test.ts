/**
 * "New Mail Only" when the state of its first poll is lost: n8n with durable poll cursors discards an activation
 * poll that emits nothing, and a crash loses what n8n had not saved. The first start is kept in the workflow's
 * global static data (which n8n saves after every activation), so mail received since then is still emitted, once.
 * Run through the node's poll() on both Mailbox APIs against the sandbox.
 */
import type { IDataObject } from 'n8n-workflow';

import { ExchangeTrigger } from '../../nodes/ExchangeTrigger/ExchangeTrigger.node';
import type { MailApi } from '../../nodes/shared/mail/store';
import { DEMO, type Sandbox } from '../sandbox';
import { createPollContext } from '../support/pollContext';
import { appOnlyCredential } from '../support/sandboxCredentials';
import { useSandbox } from '../support/useSandbox';

const node = new ExchangeTrigger();
const currentSandbox = useSandbox();
let sandbox: Sandbox;
let folders = 0;
beforeAll(() => {
	sandbox = currentSandbox();
});

const GRAPH = (s: Sandbox) => ({ customMailboxApi: 'graph', graphUrl: s.graphUrl, graphResource: 'https://graph.microsoft.com' });

function setup(api: MailApi) {
	const name = `FirstStart${++folders}`;
	sandbox.ews.store.createFolder(DEMO.sharedMailbox, 'inbox', name);
	const global: IDataObject = {};
	const poll = async (nodeData: IDataObject, globalData: IDataObject = global) => {
		const context = createPollContext({
			description: node.description,
			parameters: { authentication: 'appOnly', mailbox: DEMO.sharedMailbox, folder: { __rl: true, mode: 'path', value: `Inbox/${name}` }, startFrom: 'newOnly', maxMessages: 2 },
			credentials: { microsoftExchangeAppOnlyApi: appOnlyCredential(sandbox, api === 'graph' ? GRAPH(sandbox) : {}) },
			credentialIds: { microsoftExchangeAppOnlyApi: 'cred-1' },
			trustedCa: sandbox.ca,
			staticData: nodeData,
			globalStaticData: globalData,
		}).context;
		return ((await node.poll.call(context))?.[0] ?? []).map((item) => String(item.json.subject));
	};
	const deliver = (subject: string, receivedAt = new Date()) =>
		sandbox.ews.store.deliver(DEMO.sharedMailbox, { from: 'vendor@example.test', to: DEMO.sharedMailbox, subject, text: subject, folder: `Inbox/${name}`, receivedAt });
	return { poll, deliver, global };
}

describe.each<MailApi>(['ews', 'graph'])('"New Mail Only" whose first state was lost (%s)', (api) => {
	it('emits the mail received since the first start, once, within Max Messages per Poll; never the mail from before', async () => {
		const { poll, deliver, global } = setup(api);
		for (let i = 0; i < 5; i++) deliver(`before ${i}`, new Date(Date.now() - 3_600_000 + i));
		expect(await poll({})).toEqual([]); // the first start (activation): skips to now, records the start
		await new Promise((resolve) => setTimeout(resolve, 5));
		const arrived = ['while down 1', 'while down 2', 'while down 3'];
		for (const subject of arrived) deliver(subject);
		// The node state of that first poll is gone (never committed); the global static data is not.
		const nodeData: IDataObject = {};
		const emitted = [...(await poll(nodeData)), ...(await poll(nodeData)), ...(await poll(nodeData))];
		expect(emitted.sort()).toEqual(arrived);
		expect(await poll(nodeData)).toEqual([]);
		deliver('later');
		expect(await poll(nodeData)).toEqual(['later']);
		expect(Object.keys(global.exchangeTriggerFirstStarts as object)).toHaveLength(1);
	});

	it('mail received in the same second as the first start is emitted (receive times are whole seconds on both APIs)', async () => {
		const { poll, deliver, global } = setup(api);
		expect(await poll({})).toEqual([]);
		const [startedAt] = Object.values(global.exchangeTriggerFirstStarts as Record<string, string>);
		// The latest moment of the start's second: the server gives it as that whole second.
		const sameSecond = new Date(Math.floor(Date.parse(startedAt) / 1000) * 1000 + 999);
		deliver('same second', sameSecond);
		expect(await poll({})).toEqual(['same second']);
	});

	it('without the recorded start the same loss skips that mail (the gap the record closes)', async () => {
		const { poll, deliver } = setup(api);
		expect(await poll({}, {})).toEqual([]);
		await new Promise((resolve) => setTimeout(resolve, 5));
		deliver('while down');
		expect(await poll({}, {})).toEqual([]);
	});

	it('a changed folder is a new start: the old record is dropped, nothing from before it is emitted', async () => {
		const first = setup(api);
		const second = setup(api);
		const shared: IDataObject = {};
		expect(await first.poll({}, shared)).toEqual([]);
		const [before] = Object.values(shared.exchangeTriggerFirstStarts as Record<string, string>);
		await new Promise((resolve) => setTimeout(resolve, 5));
		second.deliver('in the second folder before its start');
		// Starts are kept to the whole second: the second one begins in the next.
		await new Promise((resolve) => setTimeout(resolve, 1005 - (Date.now() % 1000)));
		expect(await second.poll({}, shared)).toEqual([]);
		const starts = Object.values(shared.exchangeTriggerFirstStarts as Record<string, string>);
		expect(starts).toHaveLength(1);
		expect(starts[0] > before).toBe(true);
	});
});
