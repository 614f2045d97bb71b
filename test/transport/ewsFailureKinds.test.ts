/**
 * The neutral failure kind of every way an EWS call fails, through the real ews-javascript-api
 * against the sandbox answering it: HTTP statuses with any body, SOAP faults, broken connections,
 * per-item answers. The kind decides retries in the trigger, outages and which field an error
 * names; it is computed in one place (transport/ews/errors.ts), and every path must reach it.
 */
import { MailError, type FailureKind } from '../../nodes/shared/mail/store';
import { findMessageIds, getMessages } from '../../nodes/shared/transport/ews/messages';
import { createFolder } from '../../nodes/shared/transport/ews/folders';
import { DEMO, type Sandbox } from '../sandbox';
import type { FaultBody } from '../sandbox/ews';
import { appOnlyAuth, clientOn, EWS_FAULT_CODES, useEwsSandbox } from './ewsSupport';

const currentSandbox = useEwsSandbox();
let sandbox: Sandbox;
beforeAll(() => {
	sandbox = currentSandbox();
});

async function failingFind(options: Parameters<typeof clientOn>[3] = {}): Promise<MailError> {
	const error = await findMessageIds(clientOn(sandbox, await appOnlyAuth(sandbox), [], { maxAttempts: 1, ...options }), DEMO.sharedMailbox, { wellKnown: 'inbox' }, {}).then(
		() => undefined,
		(e: unknown) => e,
	);
	expect(error).toBeInstanceOf(MailError);
	expect((error as MailError).failure.api).toBe('ews');
	return error as MailError;
}

const HTTP_KINDS: Array<[number, FailureKind]> = [
	[200, 'badAnswer'],
	[301, 'badAnswer'],
	[302, 'badAnswer'],
	[400, 'invalidRequest'],
	[403, 'accessDenied'],
	[404, 'other'],
	[413, 'tooLarge'],
	[429, 'throttled'],
	[500, 'unavailable'],
	[502, 'unavailable'],
	[503, 'unavailable'],
	[504, 'unavailable'],
];
const BODIES: FaultBody[] = ['empty', 'html', 'json', 'garbage'];

describe('an answer that is not EWS: kind by HTTP status, whatever the body', () => {
	for (const [status, kind] of HTTP_KINDS) {
		it(`HTTP ${status} → ${kind}`, async () => {
			for (const body of BODIES) {
				sandbox.ews.failNext('http', 1, { status, body });
				const error = await failingFind();
				expect([body, error.code, error.kind]).toEqual([body, `HTTP${status}`, kind]);
			}
		});
	}

	it('HTTP 401 twice (after one fresh token) → unauthorized', async () => {
		sandbox.ews.failNext('http', 2, { status: 401, body: 'empty' });
		expect((await failingFind()).kind).toBe('unauthorized');
	});
});

const FAULT_KINDS: Record<(typeof EWS_FAULT_CODES)[number], FailureKind> = {
	ErrorServerBusy: 'throttled',
	ErrorSendAsDenied: 'accessDenied',
	ErrorMessageSizeExceeded: 'tooLarge',
	ErrorQuotaExceeded: 'quota',
	ErrorInternalServerTransientError: 'unavailable',
	ErrorTimeoutExpired: 'timeout',
	ErrorInternalServerError: 'other',
	ErrorMailboxStoreUnavailable: 'unavailable',
	ErrorImpersonateUserDenied: 'accessDenied',
	ErrorNonExistentMailbox: 'mailboxUnavailable',
	ErrorAccessDenied: 'accessDenied',
	ErrorItemNotFound: 'notFound',
	ErrorFolderNotFound: 'notFound',
	ErrorInvalidIdMalformed: 'invalidId',
	ErrorCodeNobodyHasSeenYet: 'other',
};

it('every SOAP fault code the tests use has its kind', async () => {
	const seen: Array<[string, string, FailureKind]> = [];
	for (const code of EWS_FAULT_CODES) {
		sandbox.ews.failNext('soapFault', 1, { code });
		const error = await failingFind();
		seen.push([code, error.code, error.kind]);
	}
	expect(seen).toEqual(EWS_FAULT_CODES.map((code) => [code, code, FAULT_KINDS[code]]));
});

it('broken connections: a cut-short body and a dropped socket are unavailable, an endless body a timeout', async () => {
	sandbox.ews.failNext('truncated', 1);
	expect((await failingFind()).kind).toBe('unavailable');
	sandbox.ews.failNext('drop', 1);
	expect((await failingFind()).kind).toBe('unavailable');
	sandbox.ews.failNext('neverEnding', 1, { intervalMs: 20 });
	expect((await failingFind({ deadlineMs: 400 })).kind).toBe('timeout');
});

it('per-item answers: a missing message is notFound, a malformed id invalidId; a taken folder name nameTaken', async () => {
	const client = clientOn(sandbox, await appOnlyAuth(sandbox));
	const id = sandbox.ews.store.deliver(DEMO.sharedMailbox, { from: 'a@example.test', to: DEMO.sharedMailbox, subject: 'gone', text: 'x' });
	sandbox.ews.store.removeItem(id);
	const [missing, malformed] = await getMessages(client, DEMO.sharedMailbox, [id, 'AAMk-not-an-id'], { body: 'none' });
	expect(missing).toMatchObject({ ok: false, failure: { api: 'ews', code: 'ErrorItemNotFound', kind: 'notFound' } });
	expect(malformed).toMatchObject({ ok: false, failure: { api: 'ews', kind: 'invalidId' } });

	const name = `Taken ${Date.now()}`;
	await createFolder(client, DEMO.sharedMailbox, { wellKnown: 'inbox' }, name);
	await expect(createFolder(client, DEMO.sharedMailbox, { wellKnown: 'inbox' }, name)).rejects.toMatchObject({ failure: { code: 'ErrorFolderExists', kind: 'nameTaken' } });
});
