import { createHash, createPrivateKey, X509Certificate } from 'crypto';
import { ConfidentialClientApplication, type Configuration } from '@azure/msal-node';

import { authorityUrl, resolveCloudEndpoints, type CloudFields } from '../clouds';
import { CredentialFieldError } from '../errors/credentialFieldError';
import { CredentialNetworkClient } from '../transport/networkClient';
import type { TlsFields } from '../transport/tls';

/** The decrypted fields of a `microsoftExchangeAppOnlyApi` credential that matter for tokens. */
export interface AppOnlyCredential extends CloudFields, TlsFields {
	tenantId: string;
	clientId: string;
	authMethod?: 'clientSecret' | 'certificate';
	clientSecret?: string;
	privateKey?: string;
	privateKeyPassphrase?: string;
	certificate?: string;
}

export interface AccessToken {
	accessToken: string;
	expiresOn: Date | null;
	fromCache: boolean;
}

/** A token request that failed; the message is MSAL's (no secrets in it), the cause the socket error if any. */
export class TokenRequestError extends Error {
	constructor(
		message: string,
		readonly correlationId?: string,
		readonly errorNo?: string,
		cause?: unknown,
		/** The token service host the request went to, for messages. */
		readonly server?: string,
	) {
		super(message, { cause });
		this.name = 'TokenRequestError';
	}
}

export interface CertificateMaterial {
	thumbprintSha256: string;
	privateKey: string;
	x5c: string;
}

/**
 * From the PEM certificate and key in the credential to what MSAL needs: the SHA-256 thumbprint is
 * derived from the certificate (users never type it) and an encrypted key is decrypted here,
 * because MSAL only takes an unencrypted PEM key.
 */
export function certificateMaterial(credential: AppOnlyCredential): CertificateMaterial {
	const certificatePem = (credential.certificate ?? '').trim();
	const keyPem = (credential.privateKey ?? '').trim();
	if (!certificatePem) throw new CredentialFieldError('Certificate', 'The certificate (PEM) is missing', 'Paste the public certificate uploaded to the app registration into "Certificate (PEM)".');
	if (!keyPem) throw new CredentialFieldError('Private Key', 'The private key (PEM) is missing', 'Paste the private key of the certificate into "Private Key (PEM)".');
	let certificate: X509Certificate;
	try {
		certificate = new X509Certificate(certificatePem);
	} catch {
		throw new CredentialFieldError('Certificate', '"Certificate (PEM)" does not hold a PEM certificate', 'Paste the public certificate: the text from -----BEGIN CERTIFICATE----- to -----END CERTIFICATE----- (not the private key, not a .pfx).');
	}
	let privateKey: string;
	try {
		privateKey = createPrivateKey({ key: keyPem, passphrase: credential.privateKeyPassphrase || undefined })
			.export({ type: 'pkcs8', format: 'pem' })
			.toString();
	} catch {
		throw new CredentialFieldError('Private Key', '"Private Key (PEM)" could not be read', 'Paste an unencrypted PEM key (-----BEGIN PRIVATE KEY-----), or fill in "Private Key Passphrase" for an encrypted one.');
	}
	if (!certificate.checkPrivateKey(createPrivateKey(privateKey))) {
		throw new CredentialFieldError('Private Key', '"Private Key" does not belong to "Certificate"', 'Use the private key the certificate was created with, or the certificate of this key.');
	}
	return {
		thumbprintSha256: certificate.fingerprint256.replace(/:/g, '').toLowerCase(),
		privateKey,
		x5c: certificatePem,
	};
}

const missingSecret = () => new CredentialFieldError('Client Secret', 'The client secret is missing', 'Paste the secret Value (not the Secret ID) into "Client Secret".');

interface CachedClient {
	client: ConfidentialClientApplication;
	network: CredentialNetworkClient;
	pending?: Promise<AccessToken>;
}

/**
 * One MSAL client per distinct credential per process, so its in-memory token cache gives us at
 * most one token request per token lifetime. This is an optimisation only: any process (queue-mode
 * workers included) can mint a token from the credential on a cache miss.
 */
const clients = new Map<string, CachedClient>();
const MAX_CLIENTS = 100;

function cacheKey(credential: AppOnlyCredential, authority: string, scope: string): string {
	const material = JSON.stringify([
		authority,
		scope,
		credential.clientId,
		credential.authMethod ?? 'clientSecret',
		credential.clientSecret ?? '',
		credential.privateKey ?? '',
		credential.certificate ?? '',
		credential.caCertificate ?? '',
		credential.allowUnauthorizedCerts === true,
	]);
	return createHash('sha256').update(material).digest('hex');
}

function buildClient(credential: AppOnlyCredential, authority: string, authorityHost: string): CachedClient {
	// MSAL may only ever talk to the credential's token service, whatever it is configured or told to do.
	const network = new CredentialNetworkClient(credential, { allowedHosts: [authorityHost] });
	// Give MSAL the endpoints up front: no instance discovery and no OpenID metadata request, so
	// the only call is the token POST (works offline-from-the-internet, on loopback and on-premises).
	const authorityMetadata = JSON.stringify({
		token_endpoint: `${authority}/oauth2/v2.0/token`,
		authorization_endpoint: `${authority}/oauth2/v2.0/authorize`,
		issuer: `${authority}/v2.0`,
		jwks_uri: `${authority}/discovery/v2.0/keys`,
		end_session_endpoint: `${authority}/oauth2/v2.0/logout`,
	});
	const auth: Configuration['auth'] = {
		clientId: credential.clientId.trim(),
		authority,
		knownAuthorities: [authorityHost],
		authorityMetadata,
	};
	if ((credential.authMethod ?? 'clientSecret') === 'certificate') {
		auth.clientCertificate = certificateMaterial(credential);
	} else {
		if (!credential.clientSecret) throw missingSecret();
		auth.clientSecret = credential.clientSecret;
	}
	return { client: new ConfidentialClientApplication({ auth, system: { networkClient: network } }), network };
}


function validate(credential: AppOnlyCredential) {
	const tenant = String(credential.tenantId ?? '').trim();
	if (!tenant) throw new CredentialFieldError('Tenant ID', '"Tenant ID" is empty', 'Use the Directory (tenant) ID or a verified domain of the tenant.');
	if (['common', 'organizations', 'consumers'].includes(tenant.toLowerCase())) {
		throw new CredentialFieldError('Tenant ID', `"Tenant ID" must name your tenant, not "${tenant}"`, 'Client credentials do not work with "common" or "organizations": use the Directory (tenant) ID GUID or a verified domain.');
	}
	if (!/^[A-Za-z0-9.-]+$/.test(tenant)) throw new CredentialFieldError('Tenant ID', `"Tenant ID" is not a tenant ID or domain: "${tenant}"`, 'Use the Directory (tenant) ID GUID or a verified domain such as contoso.onmicrosoft.com.');
	if (!String(credential.clientId ?? '').trim()) throw new CredentialFieldError('Client ID', '"Client ID" is empty', 'Use the Application (client) ID of the app registration.');
}

/**
 * Every check that needs no network: the fields, the cloud's endpoints and the secret or certificate.
 * Run when a node loads the credential, so a bad field is reported as such, naming it.
 */
export function validateAppOnlyCredential(credential: AppOnlyCredential): void {
	validate(credential);
	resolveCloudEndpoints(credential);
	if ((credential.authMethod ?? 'clientSecret') === 'certificate') certificateMaterial(credential);
	else if (!credential.clientSecret) throw missingSecret();
}

/**
 * An app-only access token for `resource` (default: the Exchange resource of the credential's cloud). A token is
 * for one resource: the Exchange one carries every granted Exchange role (full_access_as_app, SMTP.SendAsApp), so
 * SMTP and EWS share it; Microsoft Graph (Mail.ReadWrite, Mail.Send) needs its own.
 * `forceRefresh` skips the cache: use it once after the server rejected a token.
 */
export async function acquireAppOnlyToken(credential: AppOnlyCredential, options: { forceRefresh?: boolean; resource?: string } = {}): Promise<AccessToken> {
	validate(credential);
	const endpoints = resolveCloudEndpoints(credential);
	const authority = authorityUrl(endpoints, credential.tenantId);
	const scope = `${options.resource ?? endpoints.resource}/.default`;
	const key = cacheKey(credential, authority, scope);
	let cached = clients.get(key);
	if (!cached) {
		cached = buildClient(credential, authority, endpoints.authorityHost);
		if (clients.size >= MAX_CLIENTS) clients.delete(clients.keys().next().value as string);
		clients.set(key, cached);
	}
	const entry = cached;
	// Parallel executions asking at once share one request (MSAL does not coalesce them).
	if (entry.pending && !options.forceRefresh) return await entry.pending;
	const request = (async (): Promise<AccessToken> => {
		entry.network.lastError = undefined;
		try {
			const result = await entry.client.acquireTokenByClientCredential({ scopes: [scope], skipCache: options.forceRefresh === true });
			if (!result?.accessToken) throw new TokenRequestError('The token endpoint answered without an access token', undefined, undefined, undefined, endpoints.authorityHost);
			return { accessToken: result.accessToken, expiresOn: result.expiresOn ?? null, fromCache: result.fromCache };
		} catch (error) {
			if (error instanceof TokenRequestError) throw error;
			const e = error as { errorMessage?: string; message?: string; correlationId?: string; errorNo?: string | number; errorCode?: string };
			const text = e.errorMessage || e.message || String(error);
			throw new TokenRequestError(
				`${e.errorCode ? `${e.errorCode}: ` : ''}${text.split(/\r?\n/)[0]}`,
				e.correlationId,
				e.errorNo !== undefined ? String(e.errorNo) : undefined,
				entry.network.lastError,
				endpoints.authorityHost,
			);
		}
	})();
	entry.pending = request;
	try {
		return await request;
	} finally {
		if (entry.pending === request) entry.pending = undefined;
	}
}

/** For tests: forget every cached MSAL client (and so every cached token). */
export function clearAppOnlyTokenCache(): void {
	clients.clear();
}
