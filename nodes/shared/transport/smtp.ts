import { isIP } from 'net';
import nodemailer, { type SentMessageInfo, type Transporter } from 'nodemailer';
import type Mail from 'nodemailer/lib/mailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport';

import type { CloudEndpoints, SmtpSecurity } from '../clouds';
import { CredentialFieldError } from '../errors/credentialFieldError';
import { atStep, smtpReplyOf } from '../errors/nodeErrors';
import { tlsOptionsFor, type TlsFields } from './tls';

export type { SmtpSecurity };

export interface SmtpServer {
	host: string;
	port: number;
	security: SmtpSecurity;
	tls: TlsFields;
}

/**
 * The SMTP server of a credential: host, port and TLS mode all come from its cloud (or the Custom
 * cloud's fields), never from a node parameter, because the access token goes wherever this points.
 */
export function smtpServerFor(endpoints: CloudEndpoints, tls: TlsFields): SmtpServer {
	if (!endpoints.smtpHost) {
		throw new CredentialFieldError('SMTP Host', 'The credential\'s Custom cloud has no "SMTP Host"', 'Fill in "SMTP Host" (and "SMTP Port", "SMTP Security") in the credential, e.g. smtp.office365.com or mail.contoso.com.');
	}
	return { host: endpoints.smtpHost, port: endpoints.smtpPort, security: endpoints.smtpSecurity, tls };
}

/** host:port as messages name the server. */
export function smtpServerLabel(server: Pick<SmtpServer, 'host' | 'port'>): string {
	return `${server.host.includes(':') ? `[${server.host}]` : server.host}:${server.port}`;
}

/** "535 5.7.3": Exchange rejected the token (expired, revoked, or missing rights). */
export function isTokenRejected(error: unknown): boolean {
	const reply = smtpReplyOf(error) ?? '';
	return (error as { code?: string })?.code === 'EAUTH' && /^535\b/.test(reply) && /5\.7\.3\b/.test(reply);
}

/**
 * One SMTP session per node execution: a pooled connection per login mailbox, reused for every
 * item, authenticated with XOAUTH2 only. When Exchange rejects the token (535 5.7.3) the session
 * gets a fresh token and sends that message once more; a second rejection is final.
 */
export class SmtpSession {
	private readonly transports = new Map<string, Transporter<SentMessageInfo>>();

	private accessToken: string | undefined;

	private tokenFailure: unknown;

	constructor(
		private readonly server: SmtpServer,
		private readonly getAccessToken: (forceRefresh: boolean) => Promise<string>,
	) {}

	/** host:port of the server, for messages. */
	get serverLabel(): string {
		return smtpServerLabel(this.server);
	}

	/**
	 * Sends the message `compose` builds; the retry after a rejected token builds it again, since
	 * attachments given as streams can be read only once. Failures come back as StepErrors:
	 * "Getting an access token" or "Sending the message", with the server.
	 */
	async send(loginMailbox: string, compose: () => Promise<Mail.Options>): Promise<SentMessageInfo> {
		try {
			try {
				return await (await this.transportFor(loginMailbox)).sendMail(await compose());
			} catch (error) {
				if (!isTokenRejected(error)) throw error;
				await this.renewToken();
				return await (await this.transportFor(loginMailbox)).sendMail(await compose());
			}
		} catch (error) {
			throw atStep('Sending the message', this.serverLabel, error);
		}
	}

	close(): void {
		for (const transport of this.transports.values()) transport.close();
		this.transports.clear();
	}

	private async token(): Promise<string> {
		// A token that could not be had fails every item the same way: ask once, not once per item.
		if (this.tokenFailure) throw this.tokenFailure;
		if (!this.accessToken) {
			try {
				this.accessToken = await this.getAccessToken(false);
			} catch (error) {
				this.tokenFailure = error;
				throw error;
			}
		}
		return this.accessToken;
	}

	private async renewToken(): Promise<void> {
		this.close();
		this.accessToken = await this.getAccessToken(true);
	}

	private async transportFor(loginMailbox: string): Promise<Transporter<SentMessageInfo>> {
		const key = loginMailbox.toLowerCase();
		const existing = this.transports.get(key);
		if (existing) return existing;
		const transport = nodemailer.createTransport({
			...connectionOptions(this.server, loginMailbox, await this.token()),
			pool: true,
			maxConnections: 1,
			maxMessages: Infinity,
		});
		this.transports.set(key, transport);
		return transport;
	}
}

/** XOAUTH2 over STARTTLS or TLS, never in the clear; timeouts so a dead server cannot hang a run. */
function connectionOptions(server: SmtpServer, loginMailbox: string, accessToken: string): SMTPTransport.Options {
	const { host, port, security, tls } = server;
	return {
		host,
		port,
		secure: security === 'tls',
		requireTLS: security === 'starttls',
		tls: { ...tlsOptionsFor(tls), servername: isIP(host) ? undefined : host },
		auth: { type: 'OAuth2', user: loginMailbox, accessToken },
		connectionTimeout: 15_000,
		greetingTimeout: 15_000,
		socketTimeout: 60_000,
		logger: false,
		debug: false,
	};
}

/** Connects, upgrades to TLS, authenticates with XOAUTH2 and quits without sending (credential tests). */
export async function verifySmtpLogin(server: SmtpServer, loginMailbox: string, accessToken: string): Promise<void> {
	const transport = nodemailer.createTransport(connectionOptions(server, loginMailbox, accessToken));
	try {
		await transport.verify();
	} catch (error) {
		throw atStep('Signing in to SMTP', smtpServerLabel(server), error);
	} finally {
		transport.close();
	}
}
