/**
 * The cases the parameter fuzz found, as readable examples through the real nodes and the sandbox:
 * an expression's number, array, object or empty result in the field the issue names.
 */
import type { IDataObject, ILoadOptionsFunctions } from 'n8n-workflow';

import { Exchange } from '../../nodes/Exchange/Exchange.node';
import { searchFolders } from '../../nodes/Exchange/methods/listSearch';
import { ExchangeTrigger } from '../../nodes/ExchangeTrigger/ExchangeTrigger.node';
import { loadExchangeAuth } from '../../nodes/shared/auth/exchangeAuth';
import { EwsClient } from '../../nodes/shared/transport/ews/client';
import { emptyFolder } from '../../nodes/shared/transport/ews/folders';
import { SmtpOAuth } from '../../nodes/SmtpOAuth/SmtpOAuth.node';
import { DEMO, type Sandbox } from '../sandbox';
import { createExecuteContext } from '../support/executeContext';
import { createPollContext } from '../support/pollContext';
import { appOnlyCredential } from '../support/sandboxCredentials';
import { useSandbox } from '../support/useSandbox';

const SHARED = DEMO.sharedMailbox;
const exchange = new Exchange();
const trigger = new ExchangeTrigger();
const smtp = new SmtpOAuth();
const currentSandbox = useSandbox();
let sandbox: Sandbox;
let seq = 0;
beforeAll(() => {
	sandbox = currentSandbox();
});
beforeEach(() => sandbox.ews.reset());

const rl = (mode: string, value: string) => ({ __rl: true, mode, value });

function exchangeContext(parameters: IDataObject, expressions: Record<string, unknown> = {}) {
	return createExecuteContext({
		description: exchange.description,
		parameters: { authentication: 'appOnly', mailbox: SHARED, ...parameters },
		expressions: () => expressions,
		credentials: { microsoftExchangeAppOnlyApi: appOnlyCredential(sandbox) },
		trustedCa: sandbox.ca,
	}).context;
}

async function refusal(run: () => Promise<unknown>): Promise<Error & { description?: string }> {
	try {
		await run();
	} catch (error) {
		return error as Error & { description?: string };
	}
	throw new Error('expected a refusal');
}

describe('empty folder names never point at another folder', () => {
	it.each(['Inbox/', 'Inbox//', ' / ', '/'])('Empty on %p is refused and the Inbox keeps its mail', async (path) => {
		sandbox.ews.store.deliver(SHARED, { from: 'a@example.com', to: SHARED, subject: `keep me ${++seq}`, text: 'x' });
		const before = sandbox.ews.store.listItems(SHARED, 'inbox').length;
		const error = await refusal(async () => await exchange.execute.call(exchangeContext({ resource: 'folder', operation: 'empty', folder: rl('path', path), deleteMode: 'hard' })));
		expect(error.message).toMatch(/^"Folder" has an empty folder name in the path/);
		expect(sandbox.ews.store.listItems(SHARED, 'inbox')).toHaveLength(before);
		expect(sandbox.ews.requests).toHaveLength(0);
	});

	it('"Inbox/" plus an expression that returned nothing is refused the same way', async () => {
		const error = await refusal(async () => await exchange.execute.call(exchangeContext({ resource: 'folder', operation: 'empty', deleteMode: 'hard' }, { folder: rl('path', `Inbox/${''}`) })));
		expect(error.message).toMatch(/"Folder" has an empty folder name in the path "Inbox\/"/);
		expect(sandbox.ews.requests).toHaveLength(0);
	});

	it('the transport refuses such a path too, before any call', async () => {
		const auth = await loadExchangeAuth(exchangeContext({}), 'appOnly', 'microsoftExchangeOAuth2Api');
		const client = new EwsClient(auth, { ewsUrl: auth.endpoints.ewsUrl ?? '' });
		await expect(emptyFolder(client, SHARED, { path: 'Inbox/' }, 'hard', false)).rejects.toMatchObject({ failure: { code: 'ErrorFolderNotFound', message: 'The folder path "Inbox/" has an empty folder name' } });
		expect(sandbox.ews.requests).toHaveLength(0);
	});
});

describe('Microsoft Exchange', () => {
	const tagged = (count: number) => {
		const tag = `Limit ${++seq}`;
		for (let i = 0; i < count; i++) sandbox.ews.store.deliver(SHARED, { from: 'a@example.com', to: SHARED, subject: `${tag} #${i}`, text: 'x' });
		return tag;
	};

	it('a Limit given as text is that number; a Limit that is no number is refused, not "nothing found"', async () => {
		const tag = tagged(4);
		const getMany = (limit: unknown) => exchangeContext({ resource: 'message', operation: 'getMany', folder: rl('wellKnown', 'inbox'), returnAll: false, filters: { subjectContains: tag } }, { limit });
		const [three] = await exchange.execute.call(getMany('3'));
		expect(three).toHaveLength(3);
		for (const limit of ['three', { n: 3 }, null, 0]) {
			expect((await refusal(async () => await exchange.execute.call(getMany(limit)))).message).toMatch(/^"Limit" /);
		}
	});

	it('a number in Subject Contains is searched as its digits', async () => {
		sandbox.ews.store.deliver(SHARED, { from: 'a@example.com', to: SHARED, subject: 'Invoice 40417', text: 'x' });
		const [found] = await exchange.execute.call(exchangeContext({ resource: 'message', operation: 'getMany', folder: rl('wellKnown', 'inbox'), returnAll: true }, { 'filters.subjectContains': 40417 }));
		expect(found.map((item) => item.json.subject)).toEqual(['Invoice 40417']);
	});

	it('an array of recipients is a list of recipients, an object subject is refused before anything is sent', async () => {
		const subject = `To many ${++seq}`;
		await exchange.execute.call(exchangeContext({ resource: 'message', operation: 'send', subject, bodyContent: 'x' }, { toEmail: ['ann@contoso.test', { address: 'bob@contoso.test', name: 'Bob' }] }));
		const sent = sandbox.ews.store.sent.find((message) => message.subject === subject);
		expect(sent?.to.map((address) => address.email)).toEqual(['ann@contoso.test', 'bob@contoso.test']);

		const error = await refusal(async () => await exchange.execute.call(exchangeContext({ resource: 'message', operation: 'send', toEmail: 'ann@contoso.test' }, { subject: { text: 'x' } })));
		expect(error.message).toBe('"Subject" must be text, not an object (with text)');
		expect(sandbox.ews.counts().CreateItem ?? 0).toBe(1);
	});

	it('a Mailbox with a control character, markup or a non-Latin-1 character is refused before any call', async () => {
		for (const mailbox of ['invoices\u0001@contoso.test', '<invoices@contoso.test>', 'invoices@contoso.test"', 'rechnungen✓@contoso.test']) {
			const error = await refusal(async () => await exchange.execute.call(exchangeContext({ resource: 'folder', operation: 'get', folder: rl('wellKnown', 'inbox') }, { mailbox })));
			expect(error.message).toMatch(/"Mailbox"/);
		}
		expect(sandbox.ews.requests).toHaveLength(0);
	});
});

describe('Microsoft Exchange Trigger and the folder picker read the Mailbox the same way', () => {
	const pollContext = (expressions: Record<string, unknown>, folder = 'Inbox') =>
		createPollContext({
			description: trigger.description,
			parameters: { authentication: 'appOnly', mailbox: SHARED, folder: rl('path', folder), startFrom: 'all' },
			expressions: () => expressions,
			credentials: { microsoftExchangeAppOnlyApi: appOnlyCredential(sandbox) },
			credentialIds: { microsoftExchangeAppOnlyApi: 'cred-parameters' },
			trustedCa: sandbox.ca,
			staticData: {},
		}).context;

	it('the trigger refuses a bad Mailbox before any call, and filters by a numeric subject', async () => {
		await expect(trigger.poll.call(pollContext({ mailbox: 'in voices@contoso.test' }))).rejects.toThrow(/Invalid email address "in voices@contoso.test" in "Mailbox": it contains the character U\+0020/);
		expect(sandbox.ews.requests).toHaveLength(0);

		const name = `Numeric ${++seq}`;
		sandbox.ews.store.createFolder(SHARED, 'inbox', name);
		for (const subject of ['Order 77', 'Order 78']) sandbox.ews.store.deliver(SHARED, { from: 'a@example.com', to: SHARED, subject, text: 'x', folder: `Inbox/${name}` });
		const result = await trigger.poll.call(pollContext({ 'filters.subjectContains': 77 }, `Inbox/${name}`));
		expect(result?.[0].map((item) => item.json.subject)).toEqual(['Order 77']);
	});

	it('a watched folder that does not exist is named', async () => {
		await expect(trigger.poll.call(pollContext({}, `Inbox/Missing ${++seq}`))).rejects.toThrow(/^"Folder": /);
	});

	it('the folder picker refuses a bad Mailbox before any call', async () => {
		const context = createPollContext({
			description: exchange.description,
			parameters: { authentication: 'appOnly', resource: 'message', operation: 'move' },
			expressions: () => ({ mailbox: 'invoices@contoso.test\r\nX-Injected: 1' }),
			credentials: { microsoftExchangeAppOnlyApi: appOnlyCredential(sandbox) },
			trustedCa: sandbox.ca,
			staticData: {},
		}).context as unknown as ILoadOptionsFunctions;
		await expect(searchFolders.call(context)).rejects.toThrow(/^"Mailbox" contains a line break/);
		expect(sandbox.ews.requests).toHaveLength(0);
	});
});

describe('Send Email (SMTP OAuth)', () => {
	const send = (expressions: Record<string, unknown>) =>
		smtp.execute.call(
			createExecuteContext({
				description: smtp.description,
				parameters: { authentication: 'appOnly', fromEmail: SHARED, toEmail: 'someone@example.com', subject: 'Hi', emailFormat: 'text', text: 'Body' },
				expressions: () => expressions,
				credentials: { microsoftExchangeAppOnlyApi: appOnlyCredential(sandbox) },
				trustedCa: sandbox.ca,
			}).context,
		);

	it('an array of recipients goes to each of them; a number subject is its digits', async () => {
		await send({ toEmail: ['ann@example.com', 'bob@example.com'], subject: 1234 });
		const [message] = await sandbox.smtp.waitForMessages(1);
		expect(message.envelope.to).toEqual(['ann@example.com', 'bob@example.com']);
		expect(message.parsed.subject).toBe('1234');
	});

	it('an object subject or a 1 MB header is refused naming the field, and nothing is sent', async () => {
		expect((await refusal(async () => await send({ subject: { a: 1 } }))).message).toBe('"Subject" must be text, not an object (with a)');
		expect((await refusal(async () => await send({ subject: 'x'.repeat(1 << 20) }))).message).toBe('"Subject" is too long for the message header');
		expect((await refusal(async () => await send({ 'options.attachments': [{ property: 'data' }] }))).message).toBe('"Attachments" must be text, not an object (with property)');
		expect(sandbox.smtp.messages).toHaveLength(0);
	});
});
