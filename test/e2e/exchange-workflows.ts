// Builders for the workflows and credentials of the Exchange e2e suites (exchange.e2e.test.ts,
// trigger.e2e.test.ts). Plain objects in code rather than JSON templates: the workflows are chains of
// Exchange nodes whose parameters differ per test, and this keeps each one readable in one place.
import { randomUUID } from 'node:crypto';

import { DELEGATED_GRAPH_SCOPES } from '../../nodes/shared/credentialFields';
import { DEMO, startSandbox, type Sandbox } from '../sandbox';
import { decodeGraphId } from '../sandbox/graph/ids';
import { assertBuilt, authorizationCodeFlow, createUserFolder, ensureN8n, installPackage, packPackage, type CredentialExport, type OAuthTokenData } from './harness';

export const PKG = 'n8n-nodes-exchange-oauth';
export const EXCHANGE_NODE = `${PKG}.exchange`;
export const TRIGGER_NODE = `${PKG}.exchangeTrigger`;
export const APP_ONLY_TYPE = 'microsoftExchangeAppOnlyApi';
export const DELEGATED_TYPE = 'microsoftExchangeOAuth2Api';
/** What the delegated EWS credential asks for (its hidden scope with the default resource). */
export const EWS_DELEGATED_SCOPE = 'https://outlook.office365.com/EWS.AccessAsUser.All offline_access openid';
export const GRAPH_RESOURCE = 'https://graph.microsoft.com';
/** What the delegated Graph credential asks for (its hidden scope with the default Graph resource). */
export const GRAPH_DELEGATED_SCOPE = `${DELEGATED_GRAPH_SCOPES.map((name) => `${GRAPH_RESOURCE}/${name}`).join(' ')} offline_access openid`;

/** The credential's Mailbox API. */
export type MailboxApi = 'ews' | 'graph';
export const MAILBOX_APIS: MailboxApi[] = ['ews', 'graph'];

/** A started sandbox and a fresh n8n user folder with the packed (built) package installed. */
export async function sandboxAndInstalledN8n(): Promise<{ sandbox: Sandbox; userFolder: string }> {
	assertBuilt();
	const [, tarball] = await Promise.all([ensureN8n(), packPackage()]);
	const sandbox = await startSandbox();
	const userFolder = await createUserFolder({ caPem: sandbox.ca });
	await installPackage(userFolder, tarball);
	return { sandbox, userFolder };
}

/** Delegated EWS token data of the demo user, as the credential's Connect button stores it. */
export function ewsSignIn(sandbox: Sandbox, redirectUri: string): Promise<OAuthTokenData> {
	return signIn(sandbox, redirectUri, 'ews');
}

/** Delegated token data of the demo user for `api`'s scope, as the credential's Connect button stores it. */
export function signIn(sandbox: Sandbox, redirectUri: string, api: MailboxApi): Promise<OAuthTokenData> {
	return authorizationCodeFlow({
		authorizeUrl: sandbox.entra.authorizeUrl(DEMO.tenantId),
		tokenUrl: sandbox.entra.tokenUrl(DEMO.tenantId),
		clientId: DEMO.delegatedClientId,
		clientSecret: DEMO.delegatedClientSecret,
		redirectUri,
		scope: api === 'graph' ? GRAPH_DELEGATED_SCOPE : EWS_DELEGATED_SCOPE,
		loginHint: DEMO.user,
		ca: sandbox.ca,
	});
}

export interface CredentialRef {
	type: typeof APP_ONLY_TYPE | typeof DELEGATED_TYPE;
	id: string;
	name: string;
}

export const authOf = (cred: CredentialRef): 'appOnly' | 'delegated' => (cred.type === APP_ONLY_TYPE ? 'appOnly' : 'delegated');

export function ewsUrlOf(sandbox: Sandbox): string {
	return `${sandbox.https.origin}/EWS/Exchange.asmx`;
}

/**
 * The Custom cloud's Mailbox API fields as the editor saves them: nothing for EWS (its default, so 0.1's data and a
 * new EWS credential look alike), the choice and the sandbox's Graph endpoint for Graph.
 */
function mailboxApiData(sandbox: Sandbox, api: MailboxApi = 'ews'): Record<string, string> {
	return api === 'graph' ? { customMailboxApi: 'graph', graphUrl: sandbox.graphUrl, graphResource: GRAPH_RESOURCE } : {};
}

/**
 * The store's id of an id the node output: EWS ids are the store's own; Graph ids (immutable for messages, as the
 * transport asks) are decoded through the Graph stand-in's id scheme.
 */
export function storeIdOf(sandbox: Sandbox, api: MailboxApi, id: unknown, kind: 'item' | 'folder'): string | undefined {
	if (api === 'ews') return typeof id === 'string' ? id : undefined;
	const decoded = typeof id === 'string' ? decodeGraphId(id, kind) : undefined;
	if (decoded?.kind === 'ews') return decoded.ewsId;
	return decoded ? sandbox.ews.store.itemByImmutableId(decoded.immutableId)?.id : undefined;
}

export function appOnlyCredential(
	sandbox: Sandbox,
	o: { id: string; name: string; clientId?: string; clientSecret?: string; allowedMailboxes?: string; testMailbox?: string; api?: MailboxApi },
): CredentialExport {
	return {
		id: o.id,
		name: o.name,
		type: APP_ONLY_TYPE,
		data: {
			cloud: 'custom',
			authorityHost: sandbox.entra.authorityHost,
			ewsUrl: ewsUrlOf(sandbox),
			smtpHost: sandbox.smtp.host,
			smtpPort: sandbox.smtp.port,
			resource: 'https://outlook.office365.com',
			tenantId: DEMO.tenantId,
			clientId: o.clientId ?? DEMO.appOnlyClientId,
			authMethod: 'clientSecret',
			clientSecret: o.clientSecret ?? DEMO.appOnlyClientSecret,
			testMailbox: o.testMailbox ?? DEMO.sharedMailbox,
			allowedMailboxes: o.allowedMailboxes ?? '',
			caCertificate: sandbox.ca,
			allowUnauthorizedCerts: false,
			...mailboxApiData(sandbox, o.api),
		},
	};
}

/** `tokens` must come from `signIn` with the same `api`. */
export function delegatedCredential(
	sandbox: Sandbox,
	o: { id: string; name: string; tokens: OAuthTokenData; allowedMailboxes?: string; api?: MailboxApi },
): CredentialExport {
	return {
		id: o.id,
		name: o.name,
		type: DELEGATED_TYPE,
		data: {
			cloud: 'custom',
			authorityHost: sandbox.entra.authorityHost,
			resource: 'https://outlook.office365.com',
			ewsUrl: ewsUrlOf(sandbox),
			tenantId: DEMO.tenantId,
			clientId: DEMO.delegatedClientId,
			clientSecret: DEMO.delegatedClientSecret,
			grantType: 'authorizationCode',
			allowedMailboxes: o.allowedMailboxes ?? '',
			caCertificate: sandbox.ca,
			allowUnauthorizedCerts: false,
			oauthTokenData: o.tokens,
			...mailboxApiData(sandbox, o.api),
		},
	};
}

export interface WfNode {
	id: string;
	name: string;
	type: string;
	typeVersion: number;
	position: [number, number];
	parameters: Record<string, unknown>;
	credentials?: Record<string, { id: string; name: string }>;
	[k: string]: unknown;
}

export const folderRl = (mode: 'path' | 'wellKnown' | 'id' | 'list', value: string) => ({ __rl: true, mode, value });

export function manualTrigger(name = 'Start'): WfNode {
	return { id: randomUUID(), name, type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, position: [0, 0], parameters: {} };
}

/** An Exchange node; `extra` carries node settings such as onError. */
export function exchangeNode(
	name: string,
	cred: CredentialRef,
	mailbox: string,
	resource: 'message' | 'attachment' | 'folder',
	operation: string,
	parameters: Record<string, unknown>,
	extra: Record<string, unknown> = {},
): WfNode {
	return {
		id: randomUUID(),
		name,
		type: EXCHANGE_NODE,
		typeVersion: 1,
		position: [0, 0],
		parameters: { authentication: authOf(cred), mailbox, resource, operation, ...parameters },
		credentials: { [cred.type]: { id: cred.id, name: cred.name } },
		...extra,
	};
}

/** Set (one string field) → Convert to File: an item with binary property `property` made in the workflow. */
export function makeFileNodes(prefix: string, o: { base64: string; fileName: string; mimeType: string; property: string }): WfNode[] {
	return [
		{
			id: randomUUID(),
			name: `${prefix} Content`,
			type: 'n8n-nodes-base.set',
			typeVersion: 3.4,
			position: [0, 0],
			parameters: {
				assignments: { assignments: [{ id: randomUUID(), name: 'fileBase64', value: o.base64, type: 'string' }] },
				options: {},
			},
		},
		{
			id: randomUUID(),
			name: `${prefix} File`,
			type: 'n8n-nodes-base.convertToFile',
			typeVersion: 1.1,
			position: [0, 0],
			parameters: {
				operation: 'toBinary',
				sourceProperty: 'fileBase64',
				binaryPropertyName: o.property,
				options: { fileName: o.fileName, mimeType: o.mimeType },
			},
		},
	];
}

/** A workflow whose nodes run one after the other. */
export function chainWorkflow(id: string, name: string, nodes: WfNode[], extra: Record<string, unknown> = {}): object {
	nodes.forEach((node, i) => (node.position = [i * 220, 0]));
	const connections: Record<string, unknown> = {};
	for (let i = 0; i < nodes.length - 1; i++) {
		connections[nodes[i].name] = { main: [[{ node: nodes[i + 1].name, type: 'main', index: 0 }]] };
	}
	return { id, name, active: false, settings: { executionOrder: 'v1' }, nodes, connections, ...extra };
}

/** Poll Times that fire every `seconds` (a divisor of 60): one custom cron per second offset, each minute-granular. */
export function pollEverySeconds(seconds: number): { item: Array<{ mode: 'custom'; cronExpression: string }> } {
	const item: Array<{ mode: 'custom'; cronExpression: string }> = [];
	for (let s = 0; s < 60; s += seconds) item.push({ mode: 'custom', cronExpression: `${s} * * * * *` });
	return { item };
}
