/**
 * loadExchangeAuth picks the Mailbox API from the credential and mints each token for the resource of its use:
 * Graph for a Graph credential's mailbox calls, Exchange for EWS and for SMTP (against the sandbox's real Entra).
 */
import type { ICredentialDataDecryptedObject, INodeTypeDescription } from 'n8n-workflow';

import { loadExchangeAuth, APP_ONLY_CREDENTIAL_TYPE, type TokenUse } from '../../nodes/shared/auth/exchangeAuth';
import { readTokenClaims } from '../../nodes/shared/auth/tokenClaims';
import { DEMO, type Sandbox } from '../sandbox';
import { createExecuteContext } from '../support/executeContext';
import { appOnlyCredential, delegatedCredential, EWS_DELEGATED_SCOPE } from '../support/sandboxCredentials';
import { useSandbox } from '../support/useSandbox';

const currentSandbox = useSandbox();
let sandbox: Sandbox;
beforeAll(() => {
	sandbox = currentSandbox();
});

const GRAPH = 'https://graph.microsoft.com';
const EXO = 'https://outlook.office365.com';
const DELEGATED_TYPE = 'microsoftExchangeOAuth2Api';
const noParameters = { properties: [] } as unknown as INodeTypeDescription;

function contextFor(credentials: Record<string, ICredentialDataDecryptedObject>) {
	return createExecuteContext({ description: noParameters, parameters: {}, credentials, trustedCa: sandbox.ca }).context;
}

describe('app-only', () => {
	it.each([
		['no Mailbox API (saved by 0.1)', {}, 'mailbox', undefined, EXO, ['SMTP.SendAsApp', 'full_access_as_app']],
		['EWS', { customMailboxApi: 'ews' }, 'mailbox', 'ews', EXO, ['SMTP.SendAsApp', 'full_access_as_app']],
		['Graph', { customMailboxApi: 'graph' }, 'mailbox', 'graph', GRAPH, ['Mail.ReadWrite', 'Mail.Send']],
		['Graph, for SMTP', { customMailboxApi: 'graph' }, 'smtp', 'graph', EXO, ['SMTP.SendAsApp', 'full_access_as_app']],
		['Graph chosen on a Microsoft 365 key while the cloud is Custom', { mailboxApi: 'graph' }, 'mailbox', 'ews', EXO, ['SMTP.SendAsApp', 'full_access_as_app']],
	] as const)('%s: mailboxApi and the token resource', async (_name, fields, use, expectedApi, audience, roles) => {
		const ctx = contextFor({ [APP_ONLY_CREDENTIAL_TYPE]: appOnlyCredential(sandbox, fields) });
		const auth = await loadExchangeAuth(ctx, 'appOnly', DELEGATED_TYPE, use as TokenUse);
		expect(auth.mailboxApi).toBe(expectedApi ?? 'ews');
		expect(auth.tokenResource).toBe(audience);
		const claims = readTokenClaims(await auth.getAccessToken());
		expect(claims.aud).toBe(audience);
		expect(claims.roles).toEqual(roles);
		expect(sandbox.entra.requests.map((request) => request.scope)).toEqual([`${audience}/.default`]);
	});

	it('the Graph URL and resource of the Custom cloud reach the endpoints', async () => {
		const ctx = contextFor({ [APP_ONLY_CREDENTIAL_TYPE]: appOnlyCredential(sandbox, { customMailboxApi: 'graph', graphUrl: `${sandbox.graphUrl}/`, graphResource: GRAPH }) });
		const auth = await loadExchangeAuth(ctx, 'appOnly', DELEGATED_TYPE);
		expect(auth.endpoints).toMatchObject({ graphUrl: sandbox.graphUrl, graphResource: GRAPH });
	});

	it.each(['http://graph.contoso.test/v1.0', 'graph.microsoft.com', 'https://user:pw@graph.contoso.test/v1.0', 'https://graph.contoso.test/v1.0?x=1'])(
		'a Graph URL that is not a plain https:// address (%s) is refused naming the field',
		async (graphUrl) => {
			const ctx = contextFor({ [APP_ONLY_CREDENTIAL_TYPE]: appOnlyCredential(sandbox, { customMailboxApi: 'graph', graphUrl }) });
			await expect(loadExchangeAuth(ctx, 'appOnly', DELEGATED_TYPE)).rejects.toMatchObject({ field: 'Graph URL' });
			expect(sandbox.entra.requests).toHaveLength(0);
		},
	);
});

describe('delegated', () => {
	it('a sign-in made for EWS is not sent to Graph: the fix is to connect again', async () => {
		const credential = await delegatedCredential(sandbox, { customMailboxApi: 'graph' }, EWS_DELEGATED_SCOPE);
		const auth = await loadExchangeAuth(contextFor({ [DELEGATED_TYPE]: credential }), 'delegated', DELEGATED_TYPE);
		expect(auth.mailboxApi).toBe('graph');
		await expect(auth.getAccessToken()).rejects.toThrow(/connected for EWS .*Mailbox API is Microsoft Graph/);
	});

	it('a Graph sign-in is not sent to EWS either', async () => {
		const credential = await delegatedCredential(sandbox, {}, `${GRAPH}/Mail.ReadWrite offline_access`);
		const auth = await loadExchangeAuth(contextFor({ [DELEGATED_TYPE]: credential }), 'delegated', DELEGATED_TYPE);
		expect(auth.mailboxApi).toBe('ews');
		await expect(auth.getAccessToken()).rejects.toThrow(/connected for Microsoft Graph .*Mailbox API is EWS/);
	});

	it('a sign-in for the Mailbox API is handed out as it is', async () => {
		const credential = await delegatedCredential(sandbox, { customMailboxApi: 'graph' }, `${GRAPH}/Mail.ReadWrite ${GRAPH}/Mail.Send offline_access`);
		const auth = await loadExchangeAuth(contextFor({ [DELEGATED_TYPE]: credential }), 'delegated', DELEGATED_TYPE);
		expect(readTokenClaims(await auth.getAccessToken()).aud).toBe(GRAPH);
		expect(auth.signedInUser).toBe(DEMO.user);
	});
});
