/** n8n's failure cause on the errors our nodes throw: every failure kind, Entra codes, errors n8n already declared. */
import { NodeApiError, type INode } from 'n8n-workflow';

import { failureCauseOf } from '../../nodes/shared/errors/failureCause';
import { StepError, toNodeApiError } from '../../nodes/shared/errors/nodeErrors';
import { MailError, type FailureKind, type MailApi } from '../../nodes/shared/mail/store';

const node = { name: 'Trigger', type: 'exchangeTrigger', typeVersion: 1, position: [0, 0], parameters: {} } as unknown as INode;

/** Every FailureKind (mail/store.ts) and the cause it declares; undefined = left to n8n's own reading. */
const EXPECTED: Record<FailureKind, string | undefined> = {
	notFound: 'configuration-invalid',
	invalidId: 'configuration-invalid',
	nameTaken: undefined,
	protectedFolder: undefined,
	invalidRecipient: undefined,
	accessDenied: 'configuration-invalid',
	unauthorized: 'credential-invalid',
	throttled: 'rate-limited',
	tooLarge: undefined,
	quota: 'quota-exhausted',
	mailboxUnavailable: 'configuration-invalid',
	invalidRequest: undefined,
	unavailable: 'temporarily-unavailable',
	timeout: 'temporarily-unavailable',
	badAnswer: undefined,
	invalidCursor: undefined,
	other: undefined,
};

const apis: MailApi[] = ['ews', 'graph'];

describe.each(apis)('on %s', (api) => {
	it.each(Object.entries(EXPECTED))('kind %s → %s, on the NodeApiError the nodes throw', (kind, cause) => {
		const error = new MailError({ api, kind: kind as FailureKind, code: 'SomeCode', message: 'failed' });
		const thrown = toNodeApiError(node, error, { action: 'Reading a@contoso.test' });
		expect(thrown.failure).toEqual(cause ? { cause } : undefined);
	});

	it('a timed cause carries the wait the server asked for, an actionable one never does', () => {
		expect(failureCauseOf(new MailError({ api, kind: 'throttled', code: 'X', message: 'x', backOffMs: 2500 }))).toEqual({ cause: 'rate-limited', retryAfterMs: 2500 });
		expect(failureCauseOf(new MailError({ api, kind: 'unavailable', code: 'X', message: 'x', backOffMs: 700 }))).toEqual({ cause: 'temporarily-unavailable', retryAfterMs: 700 });
		expect(failureCauseOf(new MailError({ api, kind: 'unauthorized', code: 'X', message: 'x', backOffMs: 700 }))).toEqual({ cause: 'credential-invalid' });
	});
});

describe('token requests Entra ID refused', () => {
	it.each([
		['AADSTS7000215: Invalid client secret provided.', 'credential-invalid'],
		['AADSTS700082: The refresh token has expired due to inactivity.', 'credential-invalid'],
		['AADSTS65001: The user or administrator has not consented to use the application.', 'configuration-invalid'],
		['AADSTS90033: A transient error has occurred. Please try again.', 'temporarily-unavailable'],
	])('%s → %s', (message, cause) => {
		const msal = Object.assign(new Error(message), { errorCode: 'invalid_client' });
		expect(toNodeApiError(node, new StepError('Getting an access token', 'login.microsoftonline.com', msal)).failure).toEqual({ cause });
		// Graph wraps the Entra code as a MailError (transport/graph/client.ts): the same cause.
		const code = /AADSTS\d+/.exec(message)![0];
		expect(failureCauseOf(new MailError({ api: 'graph', kind: 'unauthorized', code, message }))).toEqual({ cause });
	});

	it('an error without an Entra code or a mail failure declares nothing', () => {
		expect(toNodeApiError(node, new Error('socket hang up')).failure).toBeUndefined();
	});
});

it("keeps the cause n8n's own helpers declared (its OAuth2 refresh marks a dead credential)", () => {
	const fromN8n = new NodeApiError(node, { message: 'refresh failed' }, { message: 'The refresh token was revoked', failure: { cause: 'credential-invalid' } });
	expect(toNodeApiError(node, fromN8n).failure).toEqual({ cause: 'credential-invalid' });
});
