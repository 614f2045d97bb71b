/**
 * The Mailbox API field through n8n's own code paths (n8n-workflow's getNodeParameters, as n8n-core and the editor
 * call it): what a node, a credential test and the OAuth2 sign-in see for saved data, and what the editor saves.
 */
import { NodeHelpers, type INodeProperties } from 'n8n-workflow';

import { MicrosoftExchangeAppOnlyApi } from '../../credentials/MicrosoftExchangeAppOnlyApi.credentials';
import { MicrosoftExchangeOAuth2Api } from '../../credentials/MicrosoftExchangeOAuth2Api.credentials';
import { mailboxApiOf } from '../../nodes/shared/credentialFields';

type Data = Record<string, unknown>;

/** n8n's CredentialsHelper.applyDefaultsAndOverwrites: saved data with the displayed properties' defaults filled in. */
const decrypted = (properties: INodeProperties[], saved: Data): Data =>
	NodeHelpers.getNodeParameters(properties, saved as never, true, false, null, null) as Data;

/** What the editor saves (CredentialEdit: getNodeParameters(properties, form, false, false)): values differing from the displayed default. */
const editorSave = (properties: INodeProperties[], form: Data): Data =>
	NodeHelpers.getNodeParameters(properties, form as never, false, false, null, null) as Data;

/** The editor's form for a new credential, or for saved data (useCredentialForm.setCredentialPropertyDefaults): first property of a name wins. */
const editorForm = (properties: INodeProperties[], saved: Data = {}): Data => {
	const form = { ...saved };
	for (const property of properties) if (!Object.prototype.hasOwnProperty.call(form, property.name)) form[property.name] = property.default;
	return form;
};

/** oAuth2Api's fields are merged under ours at runtime (mergeNodeProperties: a later property of a name replaces the earlier). */
const merged = (properties: INodeProperties[]): INodeProperties[] => {
	const result: INodeProperties[] = [];
	NodeHelpers.mergeNodeProperties(result, properties);
	return result;
};

const appOnly = new MicrosoftExchangeAppOnlyApi().properties;
const delegated = new MicrosoftExchangeOAuth2Api().properties;
const OLD_APP_ONLY = { tenantId: 'contoso.onmicrosoft.com', clientId: '3b9e1f42-7c5a-4d8e-a1f6-0e2d4c6b8a91', clientSecret: 'secret' };

describe.each([
	['app-only', appOnly, appOnly],
	['delegated', delegated, merged(delegated)],
])('Mailbox API of the %s credential', (_name, properties, runtimeProperties) => {
	it.each([
		['no cloud (global)', {}],
		['GCC High', { cloud: 'usGovHigh' }],
		['DoD', { cloud: 'usGovDod' }],
		['China', { cloud: 'china' }],
		['Custom', { cloud: 'custom', authorityHost: 'adfs.contoso.com', ewsUrl: 'https://mail.contoso.com/EWS/Exchange.asmx' }],
	])('a credential saved by 0.1 (%s, no Mailbox API) runs on EWS', (_cloud, fields) => {
		expect(mailboxApiOf(decrypted(runtimeProperties, { ...OLD_APP_ONLY, ...fields }))).toBe('ews');
	});

	it('a new Microsoft 365 credential starts on Graph, is saved with it, and runs on Graph', () => {
		const form = editorForm(properties);
		expect(mailboxApiOf(form)).toBe('graph');
		const saved = editorSave(runtimeProperties, { ...form, ...OLD_APP_ONLY });
		expect(saved.mailboxApi).toBe('graph');
		expect(mailboxApiOf(decrypted(runtimeProperties, saved))).toBe('graph');
	});

	it('a new credential switched to EWS runs on EWS (saved without the value, like 0.1)', () => {
		const saved = editorSave(runtimeProperties, { ...editorForm(properties), ...OLD_APP_ONLY, mailboxApi: 'ews' });
		expect(saved).not.toHaveProperty('mailboxApi');
		expect(mailboxApiOf(decrypted(runtimeProperties, saved))).toBe('ews');
	});

	it('a new Custom (on-premises) credential starts on EWS; Graph when chosen', () => {
		const form = { ...editorForm(properties), ...OLD_APP_ONLY, cloud: 'custom', authorityHost: 'adfs.contoso.com' };
		expect(mailboxApiOf(form)).toBe('ews');
		expect(mailboxApiOf(decrypted(runtimeProperties, editorSave(runtimeProperties, form)))).toBe('ews');
		const graph = editorSave(runtimeProperties, { ...form, customMailboxApi: 'graph' });
		expect(mailboxApiOf(decrypted(runtimeProperties, graph))).toBe('graph');
	});

	it('values that are not a choice mean EWS', () => {
		for (const value of [undefined, null, '', 'Graph', 'GRAPH', 0, true, ['graph'], { graph: true }]) {
			expect(mailboxApiOf({ mailboxApi: value })).toBe('ews');
			expect(mailboxApiOf({ cloud: 'custom', customMailboxApi: value, mailboxApi: 'graph' })).toBe('ews');
		}
	});
});

/** A `={{ … }}` credential default evaluated with `$self` = the decrypted credential (n8n resolves it at sign-in). */
function evaluate(expression: string, self: Data): unknown {
	const body = expression.replace(/^=\{\{/, '').replace(/\}\}$/, '');
	return new Function('$self', `return (${body});`)(self);
}

describe('the delegated sign-in asks for the Mailbox API\'s scopes only', () => {
	const runtime = merged(delegated);
	const scopeOf = (saved: Data) => {
		const data = decrypted(runtime, { tenantId: 'contoso.onmicrosoft.com', ...saved });
		return evaluate(String(data.scope), data);
	};
	const graph = (host: string) => ['Mail.ReadWrite', 'Mail.Send', 'Mail.ReadWrite.Shared', 'Mail.Send.Shared'].map((name) => `https://${host}/${name}`).join(' ');

	it.each([
		['global', 'outlook.office365.com', 'graph.microsoft.com'],
		['usGovHigh', 'outlook.office365.us', 'graph.microsoft.us'],
		['usGovDod', 'webmail.apps.mil', 'dod-graph.microsoft.us'],
		['china', 'partner.outlook.cn', 'microsoftgraph.chinacloudapi.cn'],
	])('%s: EWS for a 0.1 credential, Graph Mail.* on the cloud\'s Graph host once chosen', (cloud, exchangeHost, graphHost) => {
		expect(scopeOf({ cloud })).toBe(`https://${exchangeHost}/EWS.AccessAsUser.All offline_access openid`);
		expect(scopeOf({ cloud, mailboxApi: 'graph' })).toBe(`${graph(graphHost)} offline_access openid`);
	});

	it('Custom: EWS on the typed resource, or Graph on the typed Graph resource', () => {
		const custom = { cloud: 'custom', authorityHost: 'adfs.contoso.com', resource: 'https://mail.contoso.com' };
		expect(scopeOf(custom)).toBe('https://mail.contoso.com/EWS.AccessAsUser.All offline_access openid');
		expect(scopeOf({ ...custom, customMailboxApi: 'graph' })).toBe(`${graph('graph.microsoft.com')} offline_access openid`);
		expect(scopeOf({ ...custom, customMailboxApi: 'graph', graphResource: 'https://graph.contoso.test' })).toBe(`${graph('graph.contoso.test')} offline_access openid`);
	});
});
