// SMTP stand-in for smtp.office365.com:587: STARTTLS, XOAUTH2 only, Exchange Online's replies for
// rejected tokens, basic auth, SendAs violations and oversized messages.
import { randomUUID } from 'node:crypto';
import { simpleParser } from 'mailparser';
import { SMTPServer, type SMTPServerAuthentication, type SMTPServerSession } from 'smtp-server';
import type { Entra } from './entra';
import type { ReceivedMessage, SmtpAuthAttempt, SmtpFailureKind, SmtpStandIn } from './types';

/** Front-end host name Exchange Online puts in its diagnostics. */
const FAKE_HOST = 'SB1PR01CA0001.namprd01.prod.outlook.com';
/** Exchange Online's default maximum message size. */
export const MAX_MESSAGE_BYTES = 35 * 1024 * 1024;

const diagnostics = () => `[${FAKE_HOST} ${new Date().toISOString()}]`;

const REPLIES = {
	rejectedToken: () => `5.7.3 Authentication unsuccessful ${diagnostics()}`,
	basicAuthDisabled: () => `5.7.139 Authentication unsuccessful, basic authentication is disabled. ${diagnostics()}`,
	tenantSmtpAuthDisabled: () =>
		`5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant. Visit https://aka.ms/smtp_auth_disabled for more information. ${diagnostics()}`,
	sendAsDenied: (user: string, from: string) =>
		`5.2.252 SendAsDenied; ${user} not allowed to send as ${from}; STOREDRV.Submission.Exception:SendAsDeniedException.MapiExceptionSendAsDenied; Failed to process message due to a permanent exception with message [BeginDiagnosticData]Cannot submit message. [Hostname=${FAKE_HOST}]`,
	// failNext('4.7.66'): a transient 421 that also closes the connection, like Exchange Online does for 421s.
	transient: () =>
		'4.7.66 TLS 1.0 and TLS 1.1 are not supported. Please upgrade/update your client to support TLS 1.2. Visit https://aka.ms/smtp_auth_tls.',
	tooBig: () => '5.3.4 Message size exceeds fixed maximum message size',
} as const;

/** Who authenticated on a connection and which addresses it may put in MAIL FROM / From. */
interface SmtpIdentity {
	mailbox: string; // XOAUTH2 user=
	kind: 'app' | 'user';
	clientId: string;
	mayUseFrom: string[] | '*';
}

export interface SmtpConfig {
	host: string;
	port: number;
	key: string;
	cert: string;
	entra: Entra;
	log: (line: string) => void;
}

interface Waiter {
	count: number;
	resolve: (messages: ReceivedMessage[]) => void;
}

const smtpError = (code: number, message: string) => Object.assign(new Error(message), { responseCode: code });
const lower = (address: string) => address.trim().toLowerCase();

export class SmtpService implements SmtpStandIn {
	host: string;
	port = 0;
	readonly messages: ReceivedMessage[] = [];
	readonly authAttempts: SmtpAuthAttempt[] = [];
	connections = 0;

	private readonly server: SMTPServer;
	private readonly authFailures: SmtpFailureKind[] = [];
	private readonly dataFailures: SmtpFailureKind[] = [];
	private waiters: Waiter[] = [];

	constructor(private readonly config: SmtpConfig) {
		this.host = config.host;
		this.server = new SMTPServer({
			name: FAKE_HOST,
			banner: 'Microsoft ESMTP MAIL Service ready (n8n-nodes-exchange-oauth sandbox)',
			secure: false,
			key: config.key,
			cert: config.cert,
			minVersion: 'TLSv1.2',
			hideSTARTTLS: false,
			allowInsecureAuth: false, // AUTH only after STARTTLS
			// LOGIN/PLAIN are offered only so basic-auth clients get Exchange Online's 5.7.139 instead of a 504.
			authMethods: ['LOGIN', 'PLAIN', 'XOAUTH2'],
			size: MAX_MESSAGE_BYTES,
			hideSize: true, // judge the size at end of DATA, where Exchange Online's 5.3.4 wording applies
			closeTimeout: 1000,
			logger: false,
			disableReverseLookup: true,
			onConnect: (_session, callback) => {
				this.connections++;
				callback();
			},
			onAuth: (auth, session, callback) => {
				this.authenticate(auth)
					.then((identity) => callback(null, { user: identity }))
					.catch((error: Error) => callback(error));
			},
			onData: (stream, session, callback) => {
				const chunks: Buffer[] = [];
				stream.on('data', (chunk: Buffer) => {
					if (!stream.sizeExceeded) chunks.push(chunk);
				});
				stream.on('end', () => {
					this.acceptMessage(session, Buffer.concat(chunks), stream.sizeExceeded)
						.then((reply) => callback(null, reply))
						.catch((error: Error & { responseCode?: number }) => {
							callback(error);
							// 421 = service closing transmission channel.
							if (error.responseCode === 421) setImmediate(() => this.closeConnection(session.id));
						});
				});
			},
		});
		this.server.on('error', (error) => this.config.log(`smtp: ${error.message}`));
	}

	async listen(): Promise<void> {
		await new Promise<void>((resolve, reject) => {
			this.server.server.once('error', reject);
			this.server.listen(this.config.port, this.config.host, () => {
				this.server.server.off('error', reject);
				resolve();
			});
		});
		const address = this.server.server.address();
		if (address && typeof address === 'object') this.port = address.port;
	}

	async stop(): Promise<void> {
		for (const connection of this.server.connections as Set<{ close(): void }>) connection.close();
		await new Promise<void>((resolve) => this.server.close(() => resolve()));
	}

	failNext(kind: SmtpFailureKind, count = 1): void {
		const queue = kind === '5.7.3' || kind === '5.7.139' ? this.authFailures : this.dataFailures;
		for (let i = 0; i < count; i++) queue.push(kind);
	}

	waitForMessages(n: number, timeoutMs = 5000): Promise<ReceivedMessage[]> {
		if (this.messages.length >= n) return Promise.resolve([...this.messages]);
		return new Promise((resolve, reject) => {
			const waiter: Waiter = { count: n, resolve: () => undefined };
			const timer = setTimeout(() => {
				this.waiters = this.waiters.filter((candidate) => candidate !== waiter);
				reject(new Error(`SMTP sandbox: waited ${timeoutMs} ms for ${n} message(s), got ${this.messages.length}`));
			}, timeoutMs);
			waiter.resolve = (messages) => {
				clearTimeout(timer);
				resolve(messages);
			};
			this.waiters.push(waiter);
		});
	}

	clear(): void {
		this.messages.length = 0;
		this.authAttempts.length = 0;
		this.connections = 0;
	}

	// ---- AUTH ----

	private async authenticate(auth: SMTPServerAuthentication): Promise<SmtpIdentity> {
		const user = auth.username ?? '';
		const reject = (response: string, reason: string): never => {
			this.authAttempts.push({ user, ok: false, response: `535 ${response}`, reason, at: new Date() });
			this.config.log(`smtp: AUTH ${auth.method} for ${user || '-'} rejected: ${reason}`);
			throw smtpError(535, response);
		};

		const forced = this.authFailures.shift();
		if (forced === '5.7.3') return reject(REPLIES.rejectedToken(), 'failNext(5.7.3)');
		if (forced === '5.7.139') return reject(REPLIES.tenantSmtpAuthDisabled(), 'failNext(5.7.139)');
		if (auth.method !== 'XOAUTH2') return reject(REPLIES.basicAuthDisabled(), `basic authentication (${auth.method}) is disabled`);

		let claims;
		try {
			claims = await this.config.entra.verifyToken(auth.accessToken ?? '');
		} catch (error) {
			return reject(REPLIES.rejectedToken(), `token rejected: ${error instanceof Error ? error.message : String(error)}`);
		}

		let identity: SmtpIdentity;
		if (claims.upn || claims.scp) {
			const scopes = (claims.scp ?? '').split(' ');
			if (!scopes.includes('SMTP.Send')) return reject(REPLIES.rejectedToken(), 'delegated token lacks scope SMTP.Send');
			const upn = claims.upn ?? '';
			const sandboxUser = this.config.entra.findUser(upn);
			const mayUseFrom = [upn, ...(sandboxUser?.sendAs ?? [])].map(lower);
			if (!mayUseFrom.includes(lower(user))) {
				return reject(REPLIES.rejectedToken(), `user ${upn} has no access to mailbox ${user}`);
			}
			identity = { mailbox: user, kind: 'user', clientId: claims.appid, mayUseFrom };
		} else {
			if (!(claims.roles ?? []).includes('SMTP.SendAsApp')) return reject(REPLIES.rejectedToken(), 'app-only token lacks role SMTP.SendAsApp');
			const app = this.config.entra.findApp(claims.appid);
			if (!app) return reject(REPLIES.rejectedToken(), `no service principal for app ${claims.appid}`);
			const mayUseFrom = app.sendAs.includes('*') ? '*' : app.sendAs.map(lower);
			if (mayUseFrom !== '*' && !mayUseFrom.includes(lower(user))) {
				return reject(REPLIES.rejectedToken(), `app ${claims.appid} has no access to mailbox ${user}`);
			}
			identity = { mailbox: user, kind: 'app', clientId: claims.appid, mayUseFrom };
		}
		this.authAttempts.push({ user, ok: true, response: '235 2.7.0 Authentication successful', at: new Date() });
		this.config.log(`smtp: AUTH XOAUTH2 for ${user} ok (${identity.kind} ${identity.clientId})`);
		return identity;
	}

	// ---- DATA ----

	private async acceptMessage(session: SMTPServerSession, raw: Buffer, sizeExceeded: boolean): Promise<string> {
		const identity = session.user as SmtpIdentity;
		if (sizeExceeded) throw smtpError(552, REPLIES.tooBig());
		const mailFrom = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';

		const forced = this.dataFailures.shift();
		if (forced === '5.2.252') throw smtpError(554, REPLIES.sendAsDenied(identity.mailbox, mailFrom));
		if (forced === '4.7.66') throw smtpError(421, REPLIES.transient());

		const parsed = await simpleParser(raw);
		const headerFrom = (parsed.from?.value ?? []).map((entry) => entry.address ?? '').filter(Boolean);
		for (const address of [mailFrom, ...headerFrom]) {
			if (identity.mayUseFrom !== '*' && !identity.mayUseFrom.includes(lower(address))) {
				this.config.log(`smtp: ${identity.mailbox} may not send as ${address}`);
				throw smtpError(554, REPLIES.sendAsDenied(identity.mailbox, address));
			}
		}

		const message: ReceivedMessage = {
			id: randomUUID(),
			authUser: identity.mailbox,
			envelope: { from: mailFrom, to: session.envelope.rcptTo.map((rcpt) => rcpt.address) },
			raw,
			parsed,
			receivedAt: new Date(),
		};
		this.messages.push(message);
		this.config.log(`smtp: accepted ${message.id} from ${mailFrom} to ${message.envelope.to.join(', ')} (${raw.length} bytes)`);
		this.notifyWaiters();
		return `2.0.0 OK ${parsed.messageId ?? `<${message.id}>`} [Hostname=${FAKE_HOST}]`;
	}

	private notifyWaiters(): void {
		const ready = this.waiters.filter((waiter) => this.messages.length >= waiter.count);
		this.waiters = this.waiters.filter((waiter) => this.messages.length < waiter.count);
		for (const waiter of ready) waiter.resolve([...this.messages]);
	}

	private closeConnection(sessionId: string): void {
		for (const connection of this.server.connections as Set<{ close(): void; session?: { id: string } }>) {
			if (connection.session?.id === sessionId) connection.close();
		}
	}
}
