import https from 'https';
import type { INetworkModule, NetworkRequestOptions, NetworkResponse } from '@azure/msal-node';

import { tlsOptionsFor, type TlsFields } from './tls';

const DEFAULT_TIMEOUT_MS = 30_000;

/**
 * MSAL's HTTP client, replaced so that token requests honour the credential's TLS settings
 * (custom CA, explicit opt-out) and a timeout. MSAL's own client uses global fetch, which offers
 * neither per request.
 */
export class CredentialNetworkClient implements INetworkModule {
	/** The socket-level error of the last failed request, so errors can name TLS problems. */
	lastError: Error | undefined;

	constructor(
		private readonly tls: TlsFields,
		private readonly timeoutMs = DEFAULT_TIMEOUT_MS,
	) {}

	async sendGetRequestAsync<T>(url: string, options?: NetworkRequestOptions, timeout?: number): Promise<NetworkResponse<T>> {
		return await this.send<T>('GET', url, options, timeout);
	}

	async sendPostRequestAsync<T>(url: string, options?: NetworkRequestOptions): Promise<NetworkResponse<T>> {
		return await this.send<T>('POST', url, options);
	}

	private async send<T>(method: 'GET' | 'POST', url: string, options?: NetworkRequestOptions, timeout?: number): Promise<NetworkResponse<T>> {
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
					response.on('error', (error) => this.fail(error, reject));
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
			request.on('timeout', () => request.destroy(Object.assign(new Error(`Request to ${new URL(url).host} timed out`), { code: 'ETIMEDOUT' })));
			request.on('error', (error) => this.fail(error, reject));
			if (body !== undefined) request.write(body);
			request.end();
		});
	}

	private fail(error: Error, reject: (reason: Error) => void) {
		this.lastError = error;
		reject(error);
	}
}
