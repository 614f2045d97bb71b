import { sleep } from 'n8n-workflow';
import type { ExchangeService } from 'ews-javascript-api';

import type { ExchangeAuth } from '../../auth/exchangeAuth';
import { readTokenClaims } from '../../auth/tokenClaims';
import { MailError, type MailFailure } from '../../mail/store';
import { backOffDelay, type RetryOptions } from '../retry';
import { isRetryable, normalizeEwsError } from './errors';
import { ewsLibrary } from './library';
import { soapExchange, type RawSoapAnswer, type RawSoapRequest } from './rawSoap';
import { agentFor, DEFAULT_EWS_DEADLINE_MS, DEFAULT_EWS_TIMEOUT_MS, deadlineFailure, EwsHttpClient } from './xhr';

/** maxConcurrencyPerMailbox: Exchange Online allows 27 EWS requests per user in all. */
export interface EwsClientOptions extends RetryOptions {
	ewsUrl: string;
	/** Longest silence on a connection. */
	timeoutMs?: number;
}

export interface CallOptions {
	/** Whether repeating the call after an unclear failure is harmless (reads, moves by id, flag updates). */
	idempotent: boolean;
}

/** Waits in line for one of `limit` slots; a per-client, per-mailbox cap. */
class Slots {
	private active = 0;

	private readonly queue: Array<() => void> = [];

	constructor(private readonly limit: number) {}

	async acquire(): Promise<() => void> {
		if (this.active >= this.limit) await new Promise<void>((resolve) => this.queue.push(resolve));
		this.active++;
		return () => {
			this.active--;
			this.queue.shift()?.();
		};
	}
}

/**
 * `work`, or a failure once `ms` have passed. The timer is cleared as soon as `work` settles and
 * never keeps the process alive; a late settlement of `work` is ignored.
 */
async function withDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
	let timer: NodeJS.Timeout | undefined;
	const expired = new Promise<never>((_, reject) => {
		timer = setTimeout(() => reject(deadlineFailure(ms)), ms);
		timer.unref();
	});
	try {
		return await Promise.race([work, expired]);
	} finally {
		clearTimeout(timer);
	}
}

/**
 * Every EWS call of an execution goes through here: one ExchangeService per target mailbox (its
 * impersonation and X-AnchorMailbox headers are per service), the token of the credential, one
 * refresh-and-retry on HTTP 401, back-off on throttling for calls that are safe to repeat, a cap
 * on concurrent requests per mailbox, and a deadline per attempt (the library can leave a call
 * unsettled; the HTTP layer also ends each request at that deadline).
 */
export class EwsClient {
	readonly http: EwsHttpClient;

	private readonly services = new Map<string, ExchangeService>();

	private readonly slots = new Map<string, Slots>();

	private token: string | undefined;

	private readonly options: Required<Omit<EwsClientOptions, 'timeoutMs'>>;

	/** Host of the EWS URL, named in every network, TLS and HTTP error. */
	private readonly server: string;

	private readonly timeoutMs: number;

	constructor(
		private readonly auth: ExchangeAuth,
		options: EwsClientOptions,
	) {
		if (!options.ewsUrl) throw new Error('No EWS URL: pick a cloud, or fill in "EWS URL" for a custom cloud in the credential');
		const deadlineMs = options.deadlineMs ?? DEFAULT_EWS_DEADLINE_MS;
		this.timeoutMs = options.timeoutMs ?? DEFAULT_EWS_TIMEOUT_MS;
		this.http = new EwsHttpClient(auth.tls, this.timeoutMs, deadlineMs);
		this.server = hostOf(options.ewsUrl);
		this.options = {
			ewsUrl: options.ewsUrl,
			deadlineMs,
			maxAttempts: options.maxAttempts ?? 5,
			maxConcurrencyPerMailbox: options.maxConcurrencyPerMailbox ?? 8,
			maxBackOffMs: options.maxBackOffMs ?? 30_000,
			wait: options.wait ?? (async (ms) => await sleep(ms)),
		};
	}

	get kind() {
		return this.auth.kind;
	}

	/** Runs `call` against `mailbox` with retries as described above; failures are thrown as MailError. */
	async run<T>(mailbox: string, call: (service: ExchangeService) => Promise<T>, options: CallOptions): Promise<T> {
		const release = await this.slotsFor(mailbox).acquire();
		try {
			return await this.retrying(mailbox, options, async () => await this.serviceFor(mailbox), async (service) => await withDeadline(call(service), this.options.deadlineMs));
		} finally {
			release();
		}
	}

	/**
	 * One SOAP request without the library (rawSoap.ts): the same token, impersonation, anchor
	 * mailbox, slots, deadline and retries as `run`. `read` gets each attempt's 200 answer and
	 * decides when it has what it needs; until it resolves a failure may be retried, after it the
	 * answer is the caller's (the rest of its body, failures included, comes through what `read`
	 * returned), and the request keeps its slot until the body closes. `fail` turns an error met
	 * later into the MailError this client would throw.
	 */
	async post<T>(mailbox: string, request: RawSoapRequest, options: CallOptions, read: (answer: RawSoapAnswer, fail: (error: unknown) => MailError) => Promise<T>): Promise<T> {
		const release = await this.slotsFor(mailbox).acquire();
		const fail = (error: unknown) => new MailError(this.withContext(normalizeEwsError(error), mailbox));
		let handedOver = false;
		try {
			const token = async () => (this.token ??= await this.auth.getAccessToken(false));
			return await this.retrying(mailbox, options, token, async (current) => {
				const answer = await soapExchange(
					{ url: this.options.ewsUrl, agent: agentFor(this.auth.tls), token: current, mailbox, impersonate: this.auth.kind === 'appOnly', timeoutMs: this.timeoutMs, deadlineMs: this.options.deadlineMs, deadlineFailure: () => deadlineFailure(this.options.deadlineMs) },
					request,
				);
				let value: T;
				try {
					value = await read(answer, fail);
				} catch (error) {
					answer.body.destroy();
					throw error;
				}
				if (!answer.body.closed) {
					handedOver = true;
					answer.body.once('close', release);
				}
				return value;
			});
		} finally {
			if (!handedOver) release();
		}
	}

	private slotsFor(mailbox: string): Slots {
		const key = mailbox.toLowerCase();
		let slots = this.slots.get(key);
		if (!slots) this.slots.set(key, (slots = new Slots(this.options.maxConcurrencyPerMailbox)));
		return slots;
	}

	/**
	 * `attempt` until it succeeds: one token refresh on HTTP 401, back-off and another try for
	 * retryable failures of idempotent calls. `prepare` (the token) runs before each attempt, and its
	 * failures go out as they are: they name the token endpoint, not EWS.
	 */
	private async retrying<S, T>(mailbox: string, options: CallOptions, prepare: () => Promise<S>, attempt: (prepared: S) => Promise<T>): Promise<T> {
		let refreshed = false;
		for (let count = 1; ; count++) {
			const prepared = await prepare();
			try {
				return await attempt(prepared);
			} catch (error) {
				const failure = this.withContext(normalizeEwsError(error), mailbox);
				if (failure.code === 'HTTP401' && !refreshed) {
					// Expired or revoked token: one fresh token, one more try. Safe for any call,
					// because Exchange refused the request before doing anything.
					refreshed = true;
					await this.renewToken();
					continue;
				}
				if (options.idempotent && isRetryable(failure) && count < this.options.maxAttempts) {
					await this.options.wait(this.backOff(count, failure));
					continue;
				}
				throw new MailError(failure);
			}
		}
	}

	/** What the error message needs to name the server and fill in the fix. */
	private withContext(failure: MailFailure, mailbox: string): MailFailure {
		const clientId = this.token ? readTokenClaims(this.token).appid : undefined;
		return { ...failure, server: this.server, endpoint: this.options.ewsUrl, mailbox, ...(clientId ? { clientId } : {}) };
	}

	/** BackOffMilliseconds when Exchange sends it, else exponential with jitter; both capped. */
	backOff(attempt: number, failure: MailFailure): number {
		return backOffDelay(attempt, failure.backOffMs, this.options.maxBackOffMs);
	}

	private async renewToken(): Promise<void> {
		this.token = await this.auth.getAccessToken(true);
		const { OAuthCredentials } = ewsLibrary();
		for (const service of this.services.values()) service.Credentials = new OAuthCredentials(this.token);
	}

	private async serviceFor(mailbox: string): Promise<ExchangeService> {
		this.token ??= await this.auth.getAccessToken(false);
		const key = mailbox.toLowerCase();
		const existing = this.services.get(key);
		if (existing) return existing;
		const { ExchangeService, ExchangeVersion, Uri, OAuthCredentials, ImpersonatedUserId, ConnectingIdType } = ewsLibrary();
		const service = new ExchangeService(ExchangeVersion.Exchange2013_SP1);
		service.Url = new Uri(this.options.ewsUrl);
		service.XHRApi = this.http;
		service.Credentials = new OAuthCredentials(this.token);
		// App-only tokens must impersonate the mailbox; delegated tokens must not (Exchange refuses both mistakes).
		if (this.auth.kind === 'appOnly') service.ImpersonatedUserId = new ImpersonatedUserId(ConnectingIdType.SmtpAddress, mailbox);
		// Routes the request to the mailbox's server in Exchange Online; without it calls fail at random.
		service.HttpHeaders.Add('X-AnchorMailbox', mailbox);
		this.services.set(key, service);
		return service;
	}
}

function hostOf(url: string): string {
	try {
		return new URL(url).host;
	} catch {
		return url;
	}
}
