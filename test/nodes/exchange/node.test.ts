/** The Microsoft Exchange node across resources: credentials, transport behaviour, mapped errors, Allowed Mailboxes, bad input, continueOnFail, secrets. */
import type { IDataObject } from 'n8n-workflow';

import { DEMO } from '../../sandbox';
import type { TestContext } from '../../support/executeContext';
import { appOnlyCredential, delegatedCredential, EWS_DELEGATED_SCOPE } from '../../support/sandboxCredentials';
import { appOnly, delegated, deliver, folder, items, node, run, runExpectingError, SHARED, unique, useExchangeSandbox, waits } from './setup';

const sandbox = useExchangeSandbox();

describe('delegated credential', () => {
	it('works on the signed-in user\'s own mailbox without a Mailbox, without impersonation', async () => {
		const subject = unique('Own');
		const id = deliver(DEMO.user, subject);
		const test = await delegated({ resource: 'message', operation: 'getMany', folder: folder('wellKnown', 'inbox'), returnAll: true, filters: { subjectContains: subject } });
		const output = await run(test);
		expect(output.map((o) => o.json.id)).toEqual([id]);
		expect(sandbox().ews.requests.every((r) => r.impersonated === undefined && r.anchorMailbox === DEMO.user && r.status === 200)).toBe(true);
		expect(test.refreshes).toBe(0);
	});

	it('opens a shared mailbox with FullAccess (move, mark, send as the shared mailbox, folders)', async () => {
		const subject = unique('Shared');
		const id = deliver(SHARED, subject);
		await run(await delegated({ resource: 'message', operation: 'markAsRead', mailbox: SHARED, messageId: id }));
		expect(sandbox().ews.store.getItem(id)?.isRead).toBe(true);
		const [moved] = await run(await delegated({ resource: 'message', operation: 'move', mailbox: SHARED, messageId: id, destination: folder('path', 'Archive') }));
		expect(sandbox().ews.store.getItem(moved.json.id as string)?.folderId).toBe(sandbox().ews.store.folderByPath(SHARED, 'Archive')?.id);

		const sendSubject = unique('From shared');
		await run(await delegated({ resource: 'message', operation: 'send', mailbox: SHARED, toEmail: DEMO.noreplyMailbox, subject: sendSubject, bodyContent: 'hi' }));
		const received = sandbox().ews.store.listItems(DEMO.noreplyMailbox, 'inbox').find((item) => item.subject === sendSubject)!;
		expect(received.from?.email).toBe(SHARED);
		expect(sandbox().ews.store.listItems(SHARED, 'sentitems').some((item) => item.subject === sendSubject)).toBe(true);

		const name = unique('Deleg').replace(/[^A-Za-z0-9 -]/g, '');
		await run(await delegated({ resource: 'folder', operation: 'create', mailbox: SHARED, parentFolder: folder('wellKnown', 'inbox'), displayName: name }));
		expect(sandbox().ews.store.folderByPath(SHARED, `Inbox/${name}`)).toBeDefined();
		expect(sandbox().ews.requests.some((r) => r.anchorMismatch)).toBe(false);
	});

	it('replies and downloads attachments in its own mailbox', async () => {
		const subject = unique('Deleg reply');
		const bytes = Buffer.from('delegated bytes');
		const id = deliver(DEMO.user, subject, { from: SHARED, attachments: [{ filename: 'd.txt', content: bytes }] });
		const [download] = await run(await delegated({ resource: 'attachment', operation: 'download', messageId: id }));
		expect(Buffer.compare(Buffer.from(download.binary!.data_0.data, 'base64'), bytes)).toBe(0);
		await run(await delegated({ resource: 'message', operation: 'reply', messageId: id, comment: 'ok' }));
		expect(sandbox().ews.store.listItems(SHARED, 'inbox').some((item) => item.subject === `RE: ${subject}`)).toBe(true);
	});

	it('a mailbox without FullAccess → ErrorAccessDenied with the Add-MailboxPermission fix', async () => {
		const error = await runExpectingError(await delegated({ resource: 'message', operation: 'getMany', mailbox: DEMO.noreplyMailbox, folder: folder('wellKnown', 'inbox'), returnAll: true }));
		expect(error.message).toMatch(/ErrorAccessDenied/);
		expect(error.description).toMatch(/Add-MailboxPermission/);
	});

	it('401 expired token → n8n refreshes once and the call succeeds', async () => {
		const id = deliver(DEMO.user, unique('Refresh'));
		const test = await delegated({ resource: 'message', operation: 'get', messageId: id });
		sandbox().ews.failNext('expiredToken', 1);
		const [output] = await run(test);
		expect(output.json.id).toBe(id);
		expect(test.refreshes).toBe(1);
		expect(sandbox().ews.requests.map((r) => r.status)).toEqual([401, 200]);
	});
});

describe('transport behaviour', () => {
	it('ErrorServerBusy: waits BackOffMilliseconds, then succeeds', async () => {
		const id = deliver(SHARED, unique('Busy'));
		sandbox().ews.failNext('ErrorServerBusy', 2, { backOffMs: 1234 });
		const [output] = await run(appOnly({ resource: 'message', operation: 'get', messageId: id }));
		expect(output.json.id).toBe(id);
		expect(waits).toEqual([1234, 1234]);
		expect(sandbox().ews.requests.map((r) => r.responseCode)).toEqual(['ErrorServerBusy', 'ErrorServerBusy', 'NoError']);
	});

	it('ErrorServerBusy without BackOffMilliseconds and HTTP 503: exponential back-off, then success', async () => {
		const id = deliver(SHARED, unique('Busy2'));
		sandbox().ews.failNext('ErrorServerBusyNoBackOff', 1);
		sandbox().ews.failNext('http503', 1);
		await run(appOnly({ resource: 'message', operation: 'markAsRead', messageId: id }));
		expect(sandbox().ews.store.getItem(id)?.isRead).toBe(true);
		expect(waits).toHaveLength(2);
		expect(waits[0]).toBeGreaterThanOrEqual(250);
		expect(waits[0]).toBeLessThanOrEqual(500);
		expect(waits[1]).toBeGreaterThanOrEqual(500);
		expect(waits[1]).toBeLessThanOrEqual(1000);
	});

	it('a send is not repeated after throttling (it could go out twice): the item fails with the throttling advice', async () => {
		sandbox().ews.failNext('ErrorServerBusy', 1);
		const error = await runExpectingError(appOnly({ resource: 'message', operation: 'send', toEmail: DEMO.user, subject: 'x', bodyContent: 'x' }));
		expect(error.message).toMatch(/ErrorServerBusy/);
		expect(sandbox().ews.counts()).toEqual({ CreateItem: 1 });
		expect(waits).toEqual([]);
	});

	it('401 expired token (app-only): one new token, one retry', async () => {
		const id = deliver(SHARED, unique('401'));
		sandbox().ews.failNext('expiredToken', 1);
		await run(appOnly({ resource: 'message', operation: 'get', messageId: id }));
		expect(sandbox().entra.requests.filter((r) => r.ok)).toHaveLength(2);
		expect(sandbox().ews.requests.map((r) => r.status)).toEqual([401, 200]);
	});

	it('a second 401 is not retried again: the error says the token expired', async () => {
		sandbox().ews.failNext('expiredToken', 2);
		const error = await runExpectingError(appOnly({ resource: 'message', operation: 'get', messageId: deliver(SHARED, 'x') }));
		expect(error.message).toMatch(/HTTP 401 invalid_lifetime/);
		expect(sandbox().ews.requests).toHaveLength(2);
	});
});

describe('mapped errors', () => {
	it('a mailbox outside the app\'s scope → ErrorImpersonateUserDenied with the RBAC / full_access_as_app fix', async () => {
		const error = await runExpectingError(appOnly({ resource: 'message', operation: 'get', mailbox: DEMO.user, messageId: deliver(DEMO.user, 'x') }));
		expect(error.constructor.name).toBe('NodeApiError');
		expect(error.message).toMatch(/not allowed to open this mailbox \(ErrorImpersonateUserDenied\)/);
		expect(error.description).toMatch(/RBAC for Applications/);
	});

	it('an unknown mailbox → ErrorNonExistentMailbox', async () => {
		const error = await runExpectingError(appOnly({ resource: 'folder', operation: 'getMany', mailbox: 'nobody@contoso.test', parentFolder: folder('wellKnown', 'msgfolderroot') }));
		expect(error.message).toMatch(/ErrorNonExistentMailbox/);
		expect(error.description).toMatch(/Check the mailbox address/);
	});

	it('an app without full_access_as_app → 401 invalid_grant naming full_access_as_app', async () => {
		const clientId = '0b1c2d3e-aaaa-4bbb-8ccc-000000000e35';
		sandbox().entra.registerApp({ tenantId: DEMO.tenantId, tenantDomains: [DEMO.tenantDomain], clientId, clientSecret: 'smtp-only-secret', roles: ['SMTP.SendAsApp'], delegatedScopes: [], sendAs: ['*'] });
		const test = appOnly({ resource: 'message', operation: 'getMany', folder: folder('wellKnown', 'inbox') }, { credentials: { microsoftExchangeAppOnlyApi: appOnlyCredential(sandbox(), { clientId, clientSecret: 'smtp-only-secret' }) } });
		const error = await runExpectingError(test);
		expect(error.message).toMatch(/does not carry the EWS permission \(HTTP 401 invalid_grant\)/);
		expect(error.description).toMatch(/full_access_as_app/);
		// The 401 was retried once with a fresh token, no more.
		expect(sandbox().ews.requests.map((r) => r.status)).toEqual([401, 401]);
	});
});

describe('Allowed Mailboxes guard', () => {
	it('refuses a mailbox outside the list before any token or EWS request', async () => {
		const test = appOnly({ resource: 'message', operation: 'getMany', folder: folder('wellKnown', 'inbox') }, { credentials: { microsoftExchangeAppOnlyApi: appOnlyCredential(sandbox(), { allowedMailboxes: DEMO.noreplyMailbox }) } });
		const error = await runExpectingError(test);
		expect(error.message).toBe(`Mailbox "${SHARED}" in "Mailbox" is not in the credential's Allowed Mailboxes`);
		expect(error.constructor.name).toBe('NodeOperationError');
		expect(sandbox().ews.requests).toHaveLength(0);
		expect(sandbox().entra.requests).toHaveLength(0);
	});

	it('applies per item for batches, and to the delegated user\'s own mailbox too', async () => {
		const id = deliver(SHARED, unique('guard'));
		const test = appOnly((i) => ({ resource: 'message', operation: 'markAsRead', messageId: id, mailbox: i === 0 ? SHARED : DEMO.user }), {
			items: items(2),
			continueOnFail: true,
			credentials: { microsoftExchangeAppOnlyApi: appOnlyCredential(sandbox(), { allowedMailboxes: '*@contoso.test' }) },
		});
		const output = await run(test);
		expect(output[0].json.isRead).toBe(true);
		// *@contoso.test allows both; the app's own scope then refuses alex@ (server side).
		expect(output[1].json.error).toMatch(/ErrorImpersonateUserDenied/);

		const restricted = await delegated({ resource: 'message', operation: 'getMany', folder: folder('wellKnown', 'inbox') }, {}, { allowedMailboxes: SHARED });
		const error = await runExpectingError(restricted);
		expect(error.message).toBe(`Mailbox "${DEMO.user}" in "Mailbox" is not in the credential's Allowed Mailboxes`);
		expect(sandbox().ews.requests.filter((r) => r.mailbox === DEMO.user)).toHaveLength(0);
	});
});

describe('bad input names the field', () => {
	it.each([
		['unknown destination folder', { resource: 'message', operation: 'move', messageId: 'x', destination: folder('path', 'Inbox/Does not exist') }, /^"Destination Folder": .*ErrorFolderNotFound/, 'NodeApiError'],
		['unknown well-known folder', { resource: 'message', operation: 'getMany', folder: folder('wellKnown', 'spam') }, /"spam" in "Folder" is not a well-known folder/, 'NodeOperationError'],
		['unknown folder id', { resource: 'folder', operation: 'get', folder: folder('id', 'bogus') }, /^"Folder": .*ErrorInvalidIdMalformed/, 'NodeApiError'],
		['malformed message id', { resource: 'message', operation: 'getMime', messageId: 'AAMk-not-valid' }, /^"Message ID": .*ErrorInvalidIdMalformed/, 'NodeApiError'],
		['empty message id', { resource: 'message', operation: 'delete', messageId: '' }, /^"Message ID" is empty$/, 'NodeOperationError'],
		['invalid To address', { resource: 'message', operation: 'send', toEmail: 'not-an-address', subject: 's' }, /Invalid email address "not-an-address" in "To Email"/, 'NodeOperationError'],
		['invalid CC address', { resource: 'message', operation: 'forward', messageId: 'x', toEmail: 'a@example.com', options: { ccEmail: 'b@' } }, /Invalid email address "b@" in "CC Email"/, 'NodeOperationError'],
		['invalid mailbox', { resource: 'message', operation: 'getMany', mailbox: 'invoices', folder: folder('wellKnown', 'inbox') }, /Invalid email address "invoices" in "Mailbox"/, 'NodeOperationError'],
		['empty mailbox (app-only)', { resource: 'message', operation: 'getMany', mailbox: '', folder: folder('wellKnown', 'inbox') }, /"Mailbox" is empty/, 'NodeOperationError'],
		['bad date', { resource: 'message', operation: 'getMany', folder: folder('wellKnown', 'inbox'), filters: { receivedAfter: 'yesterday-ish' } }, /"yesterday-ish" in "Received After" is not a date/, 'NodeOperationError'],
		['missing binary', { resource: 'message', operation: 'send', toEmail: 'a@example.com', options: { attachments: 'nope' } }, /Binary property "nope" named in "Attachments" does not exist on item 0/, 'NodeOperationError'],
		['nothing to update', { resource: 'message', operation: 'update', messageId: 'x', updateFields: {} }, /Nothing to update/, 'NodeOperationError'],
	])('%s', async (_label, parameters, message, type) => {
		const error = await runExpectingError(appOnly(parameters));
		expect(error.message).toMatch(message);
		expect(error.constructor.name).toBe(type);
		if (type === 'NodeOperationError') expect(sandbox().ews.requests).toHaveLength(0);
	});

	it('bad input of one batch item makes no EWS call when the node stops on it', async () => {
		const id = deliver(SHARED, 'x');
		const ids = [id, ''];
		const error = await runExpectingError(appOnly((i) => ({ resource: 'message', operation: 'markAsRead', messageId: ids[i] }), { items: items(2) }));
		expect(error.message).toBe('"Message ID" is empty');
		expect(sandbox().ews.requests).toHaveLength(0);
		expect(sandbox().ews.store.getItem(id)?.isRead).toBe(false);
	});
});

describe('continueOnFail', () => {
	it('an item-by-item operation reports errors with pairedItem and carries on', async () => {
		const ids = [deliver(SHARED, 'c1'), 'broken-id', deliver(SHARED, 'c3')];
		const output = await run(appOnly((i) => ({ resource: 'attachment', operation: 'getMany', messageId: ids[i] }), { items: items(3), continueOnFail: true }));
		// Messages without attachments give no output items; the broken id gives its error.
		expect(output).toEqual([{ json: expect.objectContaining({ error: expect.stringMatching(/"Message ID": .*ErrorInvalidIdMalformed/) }), pairedItem: { item: 1 } }]);
	});

	it('a credential failure becomes one error per item', async () => {
		const test = appOnly({ resource: 'message', operation: 'get', messageId: 'x' }, { items: items(2), continueOnFail: true, credentials: { microsoftExchangeAppOnlyApi: appOnlyCredential(sandbox(), { clientSecret: 'Wrong~Secret~Value~Exchange' }) } });
		const output = await run(test);
		expect(output.map((o) => o.pairedItem)).toEqual([{ item: 0 }, { item: 1 }]);
		expect(output.every((o) => /AADSTS7000215/.test(String(o.json.error)))).toBe(true);
	});
});

describe('credential tests', () => {
	const decrypted = (type: string, data: IDataObject) => ({ id: '1', name: 'test', type, data }) as never;
	const testFn = (name: 'microsoftExchangeAppOnlyApiEwsTest' | 'microsoftExchangeOAuth2ApiTest') => node.methods.credentialTest[name].bind({} as never);

	it('app-only: with a Test Mailbox opens its inbox over EWS', async () => {
		const result = await testFn('microsoftExchangeAppOnlyApiEwsTest')(decrypted('microsoftExchangeAppOnlyApi', appOnlyCredential(sandbox(), { testMailbox: SHARED })));
		expect(result).toEqual({ status: 'OK', message: expect.stringMatching(/^Opened the inbox of invoices@contoso\.test at https:\/\/.*Exchange\.asmx \(\d+ messages\) with full_access_as_app and SMTP\.SendAsApp\./) });
		expect(sandbox().ews.counts()).toEqual({ GetFolder: 1 });
	});

	it('app-only: without a Test Mailbox checks the role only', async () => {
		const result = await testFn('microsoftExchangeAppOnlyApiEwsTest')(decrypted('microsoftExchangeAppOnlyApi', appOnlyCredential(sandbox())));
		expect(result.status).toBe('OK');
		expect(result.message).toMatch(/Fill in "Test Mailbox"/);
		expect(sandbox().ews.requests).toHaveLength(0);
	});

	it('app-only: names the missing role, and a mailbox out of scope', async () => {
		const clientId = '0b1c2d3e-aaaa-4bbb-8ccc-000000000e36';
		sandbox().entra.registerApp({ tenantId: DEMO.tenantId, tenantDomains: [DEMO.tenantDomain], clientId, clientSecret: 'smtp-only-secret-2', roles: ['SMTP.SendAsApp'], delegatedScopes: [], sendAs: ['*'] });
		const missing = await testFn('microsoftExchangeAppOnlyApiEwsTest')(decrypted('microsoftExchangeAppOnlyApi', appOnlyCredential(sandbox(), { clientId, clientSecret: 'smtp-only-secret-2', testMailbox: SHARED })));
		expect(missing).toEqual({ status: 'Error', message: expect.stringMatching(/lacks the application permission full_access_as_app/) });
		const denied = await testFn('microsoftExchangeAppOnlyApiEwsTest')(decrypted('microsoftExchangeAppOnlyApi', appOnlyCredential(sandbox(), { testMailbox: DEMO.user })));
		expect(denied).toEqual({ status: 'Error', message: expect.stringMatching(/\(ErrorImpersonateUserDenied\)\. Grant the application permission full_access_as_app/) });
	});

	it('delegated: opens the signed-in user\'s inbox; an SMTP-only token is named as missing EWS.AccessAsUser.All', async () => {
		const ok = await testFn('microsoftExchangeOAuth2ApiTest')(decrypted('microsoftExchangeOAuth2Api', await delegatedCredential(sandbox(), {}, EWS_DELEGATED_SCOPE)));
		expect(ok).toEqual({ status: 'OK', message: expect.stringMatching(/^Signed in as alex@contoso\.test; opened the inbox/) });
		expect(sandbox().ews.requests.map((r) => [r.operation, r.mailbox])).toEqual([['GetFolder', DEMO.user]]);
		const smtpOnly = await testFn('microsoftExchangeOAuth2ApiTest')(decrypted('microsoftExchangeOAuth2Api', await delegatedCredential(sandbox())));
		expect(smtpOnly).toEqual({ status: 'Error', message: expect.stringMatching(/lacks the delegated permission EWS\.AccessAsUser\.All/) });
	});
});

describe('secrets never leak', () => {
	it('no secret or token appears in outputs, errors or logs', async () => {
		const shown: string[] = [];
		const secrets = [DEMO.appOnlyClientSecret, DEMO.delegatedClientSecret, 'Wrong~Secret~Value~Exchange'];
		const id = deliver(SHARED, unique('Secret'));
		const scenarios: Array<() => Promise<TestContext>> = [
			async () => appOnly({ resource: 'message', operation: 'get', messageId: id }),
			async () => appOnly({ resource: 'message', operation: 'get', messageId: id }, { continueOnFail: true, credentials: { microsoftExchangeAppOnlyApi: appOnlyCredential(sandbox(), { clientSecret: 'Wrong~Secret~Value~Exchange' }) } }),
			async () => appOnly({ resource: 'message', operation: 'get', mailbox: DEMO.user, messageId: id }, { continueOnFail: true }),
			async () => delegated({ resource: 'message', operation: 'getMany', mailbox: DEMO.noreplyMailbox, folder: folder('wellKnown', 'inbox') }),
			async () => delegated({ resource: 'message', operation: 'get', messageId: deliver(DEMO.user, 'x') }),
		];
		for (const [index, make] of scenarios.entries()) {
			const test = await make();
			for (const credential of Object.values(test.credentials)) {
				const tokenData = credential.oauthTokenData as IDataObject | undefined;
				if (tokenData) secrets.push(String(tokenData.access_token), String(tokenData.refresh_token));
			}
			// Expired-token answers twice: the errors then quote Exchange's 401 diagnostics.
			if (index === 0 || index === 4) sandbox().ews.failNext('expiredToken', 2);
			try {
				shown.push(JSON.stringify(await run(test)));
			} catch (error) {
				const e = error as Error & { description?: string; context?: unknown };
				shown.push(e.message, String(e.description), JSON.stringify(e.context ?? {}), String(e.stack));
			}
			shown.push(...test.logs);
		}
		const text = shown.join('\n');
		expect(text).toMatch(/invalid_lifetime/);
		expect(text).toMatch(/AADSTS7000215/);
		expect(text).toMatch(/ErrorImpersonateUserDenied/);
		for (const secret of secrets) expect(text).not.toContain(secret);
		expect(text).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/);
	});
});
