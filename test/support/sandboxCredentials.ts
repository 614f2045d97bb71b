/** Credential data pointing at a running sandbox, as a user would fill the forms in n8n. */
import type { ICredentialDataDecryptedObject } from 'n8n-workflow';

import { DEMO, type Sandbox } from '../sandbox';
import { httpsCall, postForm } from '../sandbox/test-helpers';

export const REDIRECT_URI = 'http://localhost:5678/rest/oauth2-credential/callback';

function customCloud(sandbox: Sandbox) {
	return {
		cloud: 'custom',
		authorityHost: sandbox.entra.authorityHost,
		resource: 'https://outlook.office365.com',
		ewsUrl: `${sandbox.https.origin}/EWS/Exchange.asmx`,
		smtpHost: sandbox.smtp.host,
		smtpPort: sandbox.smtp.port,
		caCertificate: sandbox.ca,
		allowUnauthorizedCerts: false,
	};
}

export function appOnlyCredential(sandbox: Sandbox, overrides: ICredentialDataDecryptedObject = {}): ICredentialDataDecryptedObject {
	return {
		...customCloud(sandbox),
		tenantId: DEMO.tenantDomain,
		clientId: DEMO.appOnlyClientId,
		authMethod: 'clientSecret',
		clientSecret: DEMO.appOnlyClientSecret,
		...overrides,
	};
}

/** Signs in as the demo user through the sandbox's authorize endpoint, as n8n's Connect button does. */
export async function delegatedTokenData(sandbox: Sandbox, scope = 'https://outlook.office365.com/SMTP.Send offline_access') {
	const authorize = new URL(sandbox.entra.authorizeUrl(DEMO.tenantId));
	authorize.search = new URLSearchParams({ client_id: DEMO.delegatedClientId, response_type: 'code', redirect_uri: REDIRECT_URI, scope, state: 'test', response_mode: 'query' }).toString();
	const redirect = await httpsCall(authorize.toString(), sandbox.ca);
	const code = new URL(String(redirect.headers.location)).searchParams.get('code');
	if (!code) throw new Error(`authorize did not redirect with a code: ${redirect.status} ${String(redirect.headers.location)}`);
	const token = await postForm(sandbox.entra.tokenUrl(DEMO.tenantId), sandbox.ca, {
		grant_type: 'authorization_code',
		code,
		redirect_uri: REDIRECT_URI,
		client_id: DEMO.delegatedClientId,
		client_secret: DEMO.delegatedClientSecret,
		scope,
	});
	const data = token.json<Record<string, unknown>>();
	if (token.status !== 200) throw new Error(`code exchange failed: ${token.text}`);
	return { ...data, n8n_expires_at: String(Date.now() + Number(data.expires_in) * 1000) };
}

/** Scope the delegated EWS credential signs in with (its hidden Scope field). */
export const EWS_DELEGATED_SCOPE = 'https://outlook.office365.com/EWS.AccessAsUser.All offline_access';

/** `scope`: what the sign-in asks for; default SMTP.Send (the SMTP credential), EWS_DELEGATED_SCOPE for EWS. */
export async function delegatedCredential(sandbox: Sandbox, overrides: ICredentialDataDecryptedObject = {}, scope?: string): Promise<ICredentialDataDecryptedObject> {
	return {
		...customCloud(sandbox),
		tenantId: DEMO.tenantId,
		clientId: DEMO.delegatedClientId,
		clientSecret: DEMO.delegatedClientSecret,
		grantType: 'authorizationCode',
		accessTokenUrl: sandbox.entra.tokenUrl(DEMO.tenantId),
		oauthTokenData: await delegatedTokenData(sandbox, scope),
		...overrides,
	};
}

/** Send Email node parameters for one plain app-only message from the demo shared mailbox; tests override fields. */
export const SMTP_SEND_PARAMETERS = {
	authentication: 'appOnly',
	fromEmail: `Invoices <${DEMO.sharedMailbox}>`,
	toEmail: 'someone@example.com',
	subject: 'Hello',
	emailFormat: 'text',
	text: 'Body',
};
