// Test helpers for the EWS stand-in: a real ews-javascript-api ExchangeService wired to the sandbox (a small
// IXHRApi over https.request that trusts the sandbox CA), tokens, and raw SOAP posting.
import { request } from 'node:https';
import type { ExchangeService, IXHRApi, IXHROptions } from 'ews-javascript-api';

/** The DOM type the library's IXHRApi names (test tsconfig has no DOM lib); our object is XHR-shaped enough. */
type XMLHttpRequest = Parameters<NonNullable<IXHROptions['customRequestInitializer']>>[0];
import { DEMO, type Sandbox } from '../index';

/** Lazy: ews-javascript-api loads ~900 modules. */
export const ews = (): typeof import('ews-javascript-api') => require('ews-javascript-api') as typeof import('ews-javascript-api');

interface XhrLike {
	status: number;
	statusText?: string;
	response: string;
	responseText: string;
	headers: Record<string, string>;
	getResponseHeader(name: string): string | undefined;
	getAllResponseHeaders(): string;
}

/** IXHRApi over node:https: resolves for 200, throws the XHR-like object otherwise (what ews-javascript-api expects). */
export class SandboxXhr implements IXHRApi {
	readonly apiName = 'sandbox-https';
	readonly seen: { headers: Record<string, string>; body: string }[] = [];

	constructor(private readonly ca: string) {}

	xhr(options: IXHROptions): Promise<XMLHttpRequest> {
		const headers: Record<string, string> = { ...(options.headers as Record<string, string>) };
		this.seen.push({ headers, body: String(options.data ?? '') });
		return new Promise((resolve, reject) => {
			const req = request(options.url, { method: options.type ?? 'POST', headers, ca: this.ca }, (res) => {
				const chunks: Buffer[] = [];
				res.on('data', (chunk: Buffer) => chunks.push(chunk));
				res.on('end', () => {
					const text = Buffer.concat(chunks).toString('utf8');
					const flat: Record<string, string> = {};
					for (const [name, value] of Object.entries(res.headers)) if (value !== undefined) flat[name] = Array.isArray(value) ? value.join(', ') : value;
					const xhr: XhrLike = {
						status: res.statusCode ?? 0,
						statusText: res.statusMessage,
						response: text,
						responseText: text,
						headers: flat,
						getResponseHeader: (name) => flat[name.toLowerCase()],
						getAllResponseHeaders: () => Object.entries(flat).map(([name, value]) => `${name}: ${value}`).join('\r\n'),
					};
					if (xhr.status === 200) resolve(xhr as unknown as XMLHttpRequest);
					else reject(xhr);
				});
			});
			req.on('error', (error) => reject(Object.assign(error, { status: 0, responseText: '' })));
			if (options.data) req.write(options.data);
			req.end();
		});
	}

	xhrStream(): Promise<XMLHttpRequest> {
		return Promise.reject(new Error('streaming is not supported by the sandbox client'));
	}

	disconnect(): void {}
}

export interface ClientOptions {
	token: string;
	/** App-only: the mailbox to impersonate (ExchangeImpersonation header). */
	impersonate?: string;
	/** X-AnchorMailbox; default: the impersonated mailbox. */
	anchor?: string;
}

export function exchangeService(sandbox: Sandbox, options: ClientOptions): { svc: ExchangeService; xhr: SandboxXhr } {
	const { ExchangeService, ExchangeVersion, Uri, OAuthCredentials, ImpersonatedUserId, ConnectingIdType } = ews();
	const svc = new ExchangeService(ExchangeVersion.Exchange2013_SP1);
	svc.Url = new Uri(sandbox.ews.url);
	svc.Credentials = new OAuthCredentials(options.token);
	const xhr = new SandboxXhr(sandbox.ca);
	svc.XHRApi = xhr;
	if (options.impersonate) svc.ImpersonatedUserId = new ImpersonatedUserId(ConnectingIdType.SmtpAddress, options.impersonate);
	const anchor = options.anchor ?? options.impersonate;
	if (anchor) svc.HttpHeaders.Add('X-AnchorMailbox', anchor);
	return { svc, xhr };
}

export const appToken = (sandbox: Sandbox, roles = ['full_access_as_app'], lifetimeSeconds?: number) =>
	sandbox.entra.issueToken({ tenantId: DEMO.tenantId, clientId: DEMO.appOnlyClientId, roles, lifetimeSeconds });

export const userToken = (sandbox: Sandbox, scp = 'EWS.AccessAsUser.All', upn: string = DEMO.user) =>
	sandbox.entra.issueToken({ tenantId: DEMO.tenantId, clientId: DEMO.delegatedClientId, upn, scp });

/** ews-javascript-api 0.15.3 writes element and attribute values unescaped: callers must escape text themselves. */
export const escapeXml = (value: string) =>
	value.replace(/[&<>"]/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[ch] as string);

/** ews-javascript-api rejects with SoapFaultDetails / ServiceResponseException (not Error): capture it. */
export async function rejection<T = Record<string, unknown>>(promise: Promise<unknown>): Promise<T> {
	try {
		await promise;
	} catch (error) {
		return error as T;
	}
	throw new Error('expected the call to fail');
}

const SOAP_HEAD = `<?xml version="1.0" encoding="utf-8"?>
<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages" xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types">`;

/** A hand-made SOAP request (for what the library can't express, or invalid on purpose). */
export function soapEnvelope(body: string, header = '<t:RequestServerVersion Version="Exchange2013_SP1"/>'): string {
	return `${SOAP_HEAD}
  <soap:Header>${header}</soap:Header>
  <soap:Body>
    ${body}
  </soap:Body>
</soap:Envelope>`;
}

export const impersonationHeader = (smtp: string) =>
	`<t:RequestServerVersion Version="Exchange2013_SP1"/><t:ExchangeImpersonation><t:ConnectingSID><t:SmtpAddress>${smtp}</t:SmtpAddress></t:ConnectingSID></t:ExchangeImpersonation>`;

export function postSoap(
	sandbox: Sandbox,
	xml: string,
	token: string | undefined,
	headers: Record<string, string> = {},
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; text: string }> {
	return new Promise((resolve, reject) => {
		const req = request(
			sandbox.ews.url,
			{
				method: 'POST',
				ca: sandbox.ca,
				headers: { 'Content-Type': 'text/xml; charset=utf-8', ...(token ? { Authorization: `Bearer ${token}` } : {}), ...headers },
			},
			(res) => {
				const chunks: Buffer[] = [];
				res.on('data', (chunk: Buffer) => chunks.push(chunk));
				res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
			},
		);
		req.on('error', reject);
		req.end(xml);
	});
}
