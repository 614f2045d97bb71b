import https from 'https';
import type { INetworkModule, NetworkRequestOptions, NetworkResponse } from '@azure/msal-node';

import { tlsOptionsFor, type TlsFields } from './tls';

const DEFAULT_TIMEOUT_MS = 30_000;

export interface NetworkClientOptions {
	/**
	 * host[:port] values requests may go to (the credential's token service). Anything else is
	 * refused before a socket is opened: MSAL can be made to fetch discovery documents or follow
	 * metadata to other hosts, and a token request must only ever reach the host the credential names.
	 */
	allowedHosts: string[];
	timeoutMs?: number;
}

/** "host:port" with the default port dropped and the case folded, as URL.host gives it. */
function normalisedHost(host: string): string {
	try {
		return new URL(`https://${host}`).host.toLowerCase();
	} catch {
		return host.toLowerCase();
	}
}

/**
 * MSAL's HTTP client, replaced so that token requests honour the credential's TLS settings
 * (custom CA, explicit opt-out) and a timeout. MSAL's own client uses global fetch, which offers
 * neither per request.
 */
export class CredentialNetworkClient implements INetworkModule {
	/** The socket-level error of the last failed request, so errors can name TLS problems. */
	lastError: Error | undefined;

	private readonly allowedHosts: Set<string>;

	private readonly timeoutMs: number;

	constructor(
		private readonly tls: TlsFields,
		options: NetworkClientOptions,
	) {
		this.allowedHosts = new Set(options.allowedHosts.map(normalisedHost));
		this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
	}

	async sendGetRequestAsync<T>(url: string, options?: NetworkRequestOptions, timeout?: number): Promise<NetworkResponse<T>> {
		return await this.send<T>('GET', url, options, timeout);
	}

	async sendPostRequestAsync<T>(url: string, options?: NetworkRequestOptions): Promise<NetworkResponse<T>> {
		return await this.send<T>('POST', url, options);
	}

	private async send<T>(method: 'GET' | 'POST', url: string, options?: NetworkRequestOptions, timeout?: number): Promise<NetworkResponse<T>> {
		const target = new URL(url);
		if (target.protocol !== 'https:' || !this.allowedHosts.has(target.host.toLowerCase())) {
			const error = new Error(`Refused to send a request to ${target.host}: the credential's token service is ${[...this.allowedHosts].join(', ')}`);
			this.lastError = error;
			throw error;
		}
		const body = options?.body;
		const headers: Record<string, string | number> = { ...(options?.headers ?? {}) };
		if (body !== undefined) headers['Content-Length'] = Buffer.byteLength(body);
		return await new Promise<NetworkResponse<T>>((resolve, reject) => {
			const request = https.request(
				url,
				{ method, headers, timeout: timeout ?? this.timeoutMs, ...tlsOptionsFor(this.tls) },
				(response) => {
					const chunks: Buffer[] = [];
					response.on('data', (chunk: Buffer) => chunks.push(chunk));
					response.on('error', (error) => this.fail(error, target.host, reject));
					response.on('end', () => {
						const text = Buffer.concat(chunks).toString('utf8');
						let parsed: unknown = {};
						try {
							parsed = text ? JSON.parse(text) : {};
						} catch {
							// Not JSON (a proxy's HTML page, say): MSAL reports it as a server error.
							parsed = { error: 'invalid_response', error_description: text.slice(0, 300) };
						}
						const flatHeaders: Record<string, string> = {};
						for (const [name, value] of Object.entries(response.headers)) {
							if (value !== undefined) flatHeaders[name] = Array.isArray(value) ? value.join(', ') : value;
						}
						resolve({ headers: flatHeaders, body: parsed as T, status: response.statusCode ?? 0 });
					});
				},
			);
			request.on('timeout', () => request.destroy(Object.assign(new Error(`Request to ${target.host} timed out`), { code: 'ETIMEDOUT' })));
			request.on('error', (error) => this.fail(error, target.host, reject));
			if (body !== undefined) request.write(body);
			request.end();
		});
	}

	/** Keeps the socket error for diagnosis, tagged with the host so messages can name it. */
	private fail(error: Error, host: string, reject: (reason: Error) => void) {
		this.lastError = Object.assign(error, { server: host });
		reject(error);
	}
}
