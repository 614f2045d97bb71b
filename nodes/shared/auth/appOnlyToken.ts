import { createHash, createPrivateKey, X509Certificate } from 'crypto';
import { ConfidentialClientApplication, type Configuration } from '@azure/msal-node';

import { authorityUrl, resolveCloudEndpoints, type CloudFields } from '../clouds';
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
	if (!certificatePem) throw new Error('The certificate (PEM) is missing: paste the public certificate uploaded to the app registration into "Certificate"');
	if (!keyPem) throw new Error('The private key (PEM) is missing: paste it into "Private Key"');
	let certificate: X509Certificate;
	try {
		certificate = new X509Certificate(certificatePem);
	} catch {
		throw new Error('"Certificate" is not a PEM certificate: it must start with -----BEGIN CERTIFICATE-----');
	}
	let privateKey: string;
	try {
		privateKey = createPrivateKey({ key: keyPem, passphrase: credential.privateKeyPassphrase || undefined })
			.export({ type: 'pkcs8', format: 'pem' })
			.toString();
	} catch {
		throw new Error('"Private Key" could not be read: paste an unencrypted PEM key, or give the passphrase of an encrypted one');
	}
	if (!certificate.checkPrivateKey(createPrivateKey(privateKey))) {
		throw new Error('"Private Key" does not belong to "Certificate": use the key the certificate was created with');
	}
	return {
		thumbprintSha256: certificate.fingerprint256.replace(/:/g, '').toLowerCase(),
		privateKey,
		x5c: certificatePem,
	};
}

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
	const network = new CredentialNetworkClient(credential);
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
		if (!credential.clientSecret) throw new Error('The client secret is missing: paste the secret Value into "Client Secret"');
		auth.clientSecret = credential.clientSecret;
	}
	return { client: new ConfidentialClientApplication({ auth, system: { networkClient: network } }), network };
}

export function appOnlyScope(credential: AppOnlyCredential): string {
	return `${resolveCloudEndpoints(credential).resource}/.default`;
}

function validate(credential: AppOnlyCredential) {
	if (!String(credential.tenantId ?? '').trim()) throw new Error('"Tenant ID" is empty: use the Directory (tenant) ID or a verified domain');
	if (['common', 'organizations', 'consumers'].includes(String(credential.tenantId).trim().toLowerCase())) {
		throw new Error('"Tenant ID" must name your tenant (GUID or domain): client credentials do not work with "common" or "organizations"');
	}
	if (!String(credential.clientId ?? '').trim()) throw new Error('"Client ID" is empty: use the Application (client) ID of the app registration');
}

/**
 * An app-only access token for the Exchange resource of the credential's cloud. One token carries
 * every granted Exchange role (full_access_as_app, SMTP.SendAsApp), so SMTP and EWS share it.
 * `forceRefresh` skips the cache: use it once after the server rejected a token.
 */
export async function acquireAppOnlyToken(credential: AppOnlyCredential, options: { forceRefresh?: boolean } = {}): Promise<AccessToken> {
	validate(credential);
	const endpoints = resolveCloudEndpoints(credential);
	const authority = authorityUrl(endpoints, credential.tenantId);
	const scope = `${endpoints.resource}/.default`;
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
			if (!result?.accessToken) throw new TokenRequestError('The token endpoint answered without an access token');
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
