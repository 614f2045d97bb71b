import { createHash } from 'crypto';
import https from 'https';
import type { IXHRApi, IXHROptions } from 'ews-javascript-api';

import { tlsOptionsFor, type TlsFields } from '../tls';

/** What ews-javascript-api reads from a response (a subset of XMLHttpRequest). */
interface XhrResponse {
	status: number;
	statusText: string;
	response: string;
	responseText: string;
	message?: string;
	getResponseHeader(name: string): string | null;
	getAllResponseHeaders(): string;
}

// The library types its transport with the DOM's XMLHttpRequest, which a Node build does not declare.
type XMLHttpRequest = Awaited<ReturnType<IXHRApi['xhr']>>;

export const DEFAULT_EWS_TIMEOUT_MS = 100_000;

/**
 * Keep-alive agents, one per TLS setting: EWS calls of an execution (and of later executions)
 * reuse connections instead of paying a TLS handshake per call, and the TLS options (with an extra
 * CA, about 140 certificates) are prepared once per agent, not per request. Module memory here is an
 * optimisation only: a new process simply opens new connections.
 */
const agents = new Map<string, https.Agent>();
const MAX_AGENTS = 20;

function agentFor(tls: TlsFields): https.Agent {
	const key = createHash('sha256').update(JSON.stringify([tls.caCertificate ?? '', tls.allowUnauthorizedCerts === true])).digest('hex');
	let agent = agents.get(key);
	if (!agent) {
		if (agents.size >= MAX_AGENTS) {
			const [oldestKey, oldest] = agents.entries().next().value as [string, https.Agent];
			oldest.destroy();
			agents.delete(oldestKey);
		}
		// Idle sockets close after 5 s, like Node's own global agent; busy ones use the request timeout.
		agent = new https.Agent({ keepAlive: true, maxSockets: 16, timeout: 5_000, scheduling: 'lifo', ...tlsOptionsFor(tls) });
		agents.set(key, agent);
	}
	return agent;
}

/**
 * The HTTP layer under ews-javascript-api: node's https with the credential's TLS settings and a
 * timeout (the library ignores `service.Timeout`). Non-200 answers are rejected with the response,
 * as the library expects; socket failures keep their code in the message ("ECONNRESET: …") because
 * the library reduces them to a message.
 */
export class EwsHttpClient implements IXHRApi {
	readonly apiName = 'n8n-nodes-exchange-oauth';

	constructor(
		private readonly tls: TlsFields,
		private readonly timeoutMs = DEFAULT_EWS_TIMEOUT_MS,
	) {}

	async xhr(options: IXHROptions): Promise<XMLHttpRequest> {
		const body = typeof options.data === 'string' ? options.data : '';
		const headers: Record<string, string | number> = { ...(options.headers as Record<string, string>), 'Content-Length': Buffer.byteLength(body) };
		return await new Promise<XMLHttpRequest>((resolve, reject) => {
			const request = https.request(options.url, { method: options.type ?? 'POST', headers, timeout: this.timeoutMs, agent: agentFor(this.tls) }, (response) => {
				// Decoded as it arrives: a 50 MB attachment answer is held once, not as chunks + copy + string.
				let text = '';
				response.setEncoding('utf8');
				response.on('data', (chunk: string) => (text += chunk));
				response.on('error', (error) => reject(socketFailure(error)));
				response.on('end', () => {
					const result: XhrResponse = {
						status: response.statusCode ?? 0,
						statusText: response.statusMessage ?? '',
						response: text,
						responseText: text,
						getResponseHeader: (name) => {
							const value = response.headers[name.toLowerCase()];
							return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
						},
						getAllResponseHeaders: () =>
							Object.entries(response.headers)
								.map(([name, value]) => `${name}: ${Array.isArray(value) ? value.join(', ') : String(value)}`)
								.join('\r\n'),
					};
					if (result.status === 200) resolve(result as unknown as XMLHttpRequest);
					else reject(result);
				});
			});
			request.on('timeout', () => request.destroy(Object.assign(new Error(`no answer within ${Math.round(this.timeoutMs / 1000)} s`), { code: 'ETIMEDOUT' })));
			request.on('error', (error) => reject(socketFailure(error)));
			request.end(body);
		});
	}

	async xhrStream(): Promise<XMLHttpRequest> {
		// Streaming notifications are unsafe in this library (unhandled rejections); we poll instead.
		throw new Error('EWS streaming is not used by this package');
	}

	disconnect(): void {}
}

function socketFailure(error: NodeJS.ErrnoException) {
	const code = error.code ?? 'ESOCKET';
	return { status: 0, statusText: '', response: '', responseText: '', message: `${code}: ${error.message}`, getResponseHeader: () => null, getAllResponseHeaders: () => '' };
}
