// Helpers for the sandbox's own tests: HTTPS calls that trust the sandbox CA, an msal-node network client,
// and a jose cross-check run in a child process (jose is ESM-only; jest runs CommonJS).
import { execFile } from 'node:child_process';
import { request } from 'node:https';
import { resolve } from 'node:path';
import type { INetworkModule, NetworkRequestOptions, NetworkResponse } from '@azure/msal-node';

export interface HttpsReply {
	status: number;
	headers: Record<string, string | string[] | undefined>;
	text: string;
	json<T = Record<string, unknown>>(): T;
}

export function httpsCall(
	url: string,
	ca: string,
	options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<HttpsReply> {
	return new Promise((resolvePromise, reject) => {
		const req = request(url, { method: options.method ?? 'GET', headers: options.headers, ca }, (res) => {
			const chunks: Buffer[] = [];
			res.on('data', (chunk: Buffer) => chunks.push(chunk));
			res.on('end', () => {
				const text = Buffer.concat(chunks).toString('utf8');
				resolvePromise({ status: res.statusCode ?? 0, headers: res.headers, text, json: <T>() => JSON.parse(text) as T });
			});
		});
		req.on('error', reject);
		if (options.body !== undefined) req.write(options.body);
		req.end();
	});
}

export function postForm(url: string, ca: string, form: Record<string, string>, headers: Record<string, string> = {}) {
	return httpsCall(url, ca, {
		method: 'POST',
		headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
		body: new URLSearchParams(form).toString(),
	});
}

/** msal-node INetworkModule over https.request trusting `ca`; records every URL it is asked for. */
export function trustingNetworkClient(ca: string, seen: { method: string; url: string }[]): INetworkModule {
	const send = async <T>(method: string, url: string, options?: NetworkRequestOptions): Promise<NetworkResponse<T>> => {
		seen.push({ method, url });
		const reply = await httpsCall(url, ca, { method, headers: options?.headers, body: options?.body });
		const headers: Record<string, string> = {};
		for (const [name, value] of Object.entries(reply.headers)) if (typeof value === 'string') headers[name] = value;
		return { headers, body: (reply.text ? JSON.parse(reply.text) : {}) as T, status: reply.status };
	};
	return {
		sendGetRequestAsync: <T>(url: string, options?: NetworkRequestOptions) => send<T>('GET', url, options),
		sendPostRequestAsync: <T>(url: string, options?: NetworkRequestOptions) => send<T>('POST', url, options),
	};
}

const JOSE_VERIFY = `
import { createLocalJWKSet, jwtVerify } from 'jose';
const input = JSON.parse(process.argv[1]);
try {
  const { payload, protectedHeader } = await jwtVerify(input.token, createLocalJWKSet(input.jwks), input.options);
  process.stdout.write(JSON.stringify({ ok: true, payload, protectedHeader }));
} catch (error) {
  process.stdout.write(JSON.stringify({ ok: false, code: error.code, message: error.message }));
}`;

export interface JoseResult {
	ok: boolean;
	payload?: Record<string, unknown>;
	protectedHeader?: Record<string, unknown>;
	code?: string;
}

/** Verifies a JWT with jose (independent implementation) against a JWKS. */
export function verifyWithJose(
	token: string,
	jwks: unknown,
	options: { audience?: string; issuer?: string } = {},
): Promise<JoseResult> {
	return new Promise((resolvePromise, reject) => {
		execFile(
			process.execPath,
			['--input-type=module', '-e', JOSE_VERIFY, JSON.stringify({ token, jwks, options })],
			{ cwd: resolve(__dirname, '..', '..') },
			(error, stdout, stderr) => {
				if (error) return reject(new Error(`jose child failed: ${stderr || error.message}`));
				resolvePromise(JSON.parse(stdout) as JoseResult);
			},
		);
	});
}

export function decodePayload(token: string): Record<string, unknown> {
	return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8')) as Record<string, unknown>;
}
