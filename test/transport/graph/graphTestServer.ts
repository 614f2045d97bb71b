/**
 * A small HTTPS server for the Graph transport tests: real sockets, real TLS with a certificate of
 * the sandbox's kind of CA (test/sandbox/certs.ts). Each test scripts the answers with `handle`;
 * every request that arrived is recorded (method, path, headers, body).
 */
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import type { ExchangeAuth } from '../../../nodes/shared/auth/exchangeAuth';
import { MailError, type MailFailure } from '../../../nodes/shared/mail/store';
import { GraphClient, type GraphClientOptions } from '../../../nodes/shared/transport/graph/client';
import { createCertificateAuthority, issueServerCertificate } from '../../sandbox/certs';

export interface RecordedRequest {
	method: string;
	path: string;
	headers: IncomingMessage['headers'];
	body: Buffer;
}

export type Handler = (request: RecordedRequest, response: ServerResponse) => void | Promise<void>;

export interface TestServer {
	url: string;
	host: string;
	requests: RecordedRequest[];
	handle(handler: Handler): void;
	close(): Promise<void>;
}

let tls: Promise<{ caCertPem: string; certPem: string; keyPem: string }> | undefined;

/** One CA and server certificate for the whole test file. */
export async function testTls(): Promise<{ caCertPem: string; certPem: string; keyPem: string }> {
	tls ??= (async () => {
		const ca = await createCertificateAuthority();
		return { caCertPem: ca.caCertPem, ...(await issueServerCertificate(ca)) };
	})();
	return await tls;
}

export async function startTestServer(): Promise<TestServer> {
	const { certPem, keyPem } = await testTls();
	const requests: RecordedRequest[] = [];
	let handler: Handler = (_, response) => json(response, 200, {});
	const server = https.createServer({ cert: certPem, key: keyPem }, (request, response) => {
		const chunks: Buffer[] = [];
		request.on('data', (chunk: Buffer) => chunks.push(chunk));
		request.on('end', () => {
			const recorded = { method: request.method ?? '', path: request.url ?? '', headers: request.headers, body: Buffer.concat(chunks) };
			requests.push(recorded);
			void Promise.resolve(handler(recorded, response)).catch((error: Error) => json(response, 500, { error: { code: 'TestHandlerFailed', message: error.message } }));
		});
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const { port } = server.address() as AddressInfo;
	return {
		url: `https://127.0.0.1:${port}/v1.0`,
		host: `127.0.0.1:${port}`,
		requests,
		handle(next) {
			handler = next;
		},
		async close() {
			server.closeAllConnections();
			await new Promise<void>((resolve) => server.close(() => resolve()));
		},
	};
}

export function json(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
	const text = body === undefined ? '' : JSON.stringify(body);
	response.writeHead(status, { 'Content-Type': 'application/json', ...headers });
	response.end(text);
}

export function graphError(response: ServerResponse, status: number, code: string, message = code, headers: Record<string, string> = {}): void {
	json(response, status, { error: { code, message, innerError: { 'request-id': 'req-1', date: '2026-12-01T12:00:00' } } }, headers);
}

/** A JWT-shaped test token (unsigned) whose claims name an app and a tenant. */
export function testToken(serial: number): string {
	const claims = { aud: 'https://graph.microsoft.com', appid: '11111111-2222-3333-4444-555555555555', tid: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee', serial };
	return `eyJhbGciOiJub25lIn0.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.`;
}

/** An ExchangeAuth stand-in for the transport (the credential machinery has its own tests): counts tokens and refreshes. */
export function testAuth(caCertPem: string): ExchangeAuth & { tokenCalls: boolean[] } {
	const tokenCalls: boolean[] = [];
	return {
		kind: 'appOnly',
		mailboxApi: 'graph',
		endpoints: { authorityHost: 'login.microsoftonline.com', ewsUrl: '', smtpHost: '', smtpPort: 587, smtpSecurity: 'starttls', resource: 'https://outlook.office365.com', graphUrl: 'https://graph.microsoft.com/v1.0', graphResource: 'https://graph.microsoft.com' },
		tls: { caCertificate: caCertPem },
		secrets: [],
		clientId: '11111111-2222-3333-4444-555555555555',
		tenantId: 'contoso.onmicrosoft.com',
		mailboxPolicy: { patterns: [] },
		assertMailboxAllowed() {},
		tokenCalls,
		async getAccessToken(forceRefresh = false) {
			tokenCalls.push(forceRefresh);
			return testToken(tokenCalls.length);
		},
	};
}

/** A client on `server` whose back-off waits are recorded in `waits` instead of slept. */
export function testClient(server: TestServer, auth: ExchangeAuth, waits: number[] = [], options: Partial<GraphClientOptions> = {}): GraphClient {
	return new GraphClient(auth, { graphUrl: server.url, wait: async (ms) => void waits.push(ms), ...options });
}

/** The MailFailure a call rejects with (fails the test when it resolves or throws something else). */
export async function failureOf(promise: Promise<unknown>): Promise<MailFailure> {
	let value: unknown;
	try {
		value = await promise;
	} catch (error) {
		if (error instanceof MailError) return error.failure;
		throw error;
	}
	throw new Error(`expected a MailError, got ${JSON.stringify(value)?.slice(0, 300)}`);
}
