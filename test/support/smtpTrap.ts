/**
 * A second set of servers on loopback that no credential of a test names: an SMTP server with
 * STARTTLS, one with TLS from the first byte, and an HTTPS server, all with a certificate from a CA
 * of their own that the test can make the credential trust. If a token ever reaches one of them,
 * it would have reached an attacker's listener: they record every TCP connection and every token.
 */
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { Server as NetServer } from 'node:net';
import { generate } from 'selfsigned';
import { SMTPServer } from 'smtp-server';
import { issueServerCertificate } from '../sandbox/certs';

/** A CA of the trap's own, with a name of its own (a CA named like the sandbox's would be confused with it). */
async function trapAuthority(): Promise<{ caCertPem: string; caKeyPem: string }> {
	const day = 24 * 60 * 60 * 1000;
	const ca = await generate([{ name: 'commonName', value: 'token trap CA (not the sandbox)' }], {
		keySize: 2048,
		algorithm: 'sha256',
		notBeforeDate: new Date(Date.now() - day),
		notAfterDate: new Date(Date.now() + 30 * day),
		extensions: [
			{ name: 'basicConstraints', cA: true, critical: true },
			{ name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
		],
	});
	return { caCertPem: ca.cert, caKeyPem: ca.private };
}

export interface SmtpTrap {
	/** PEM of the trap's own CA: put it into a credential's Trusted CA Certificates to make the trap trusted. */
	ca: string;
	host: string;
	starttlsPort: number;
	tlsPort: number;
	httpsPort: number;
	/** TCP connections accepted, per listener. */
	connections: { starttls: number; tls: number; https: number };
	/** Access tokens seen in XOAUTH2 logins and Authorization headers. */
	tokens: string[];
	/** Messages accepted (only when the trap is the credential's own server, in tests of that). */
	messages: number;
	total(): number;
	/** Forgets connections, tokens and messages seen so far. */
	clear(): void;
	stop(): Promise<void>;
}

/** One trap per test file, cleared before each test (like useSandbox). */
export function useSmtpTrap(): () => SmtpTrap {
	let trap: SmtpTrap | undefined;
	beforeAll(async () => {
		trap = await startSmtpTrap();
	});
	afterAll(async () => {
		await trap?.stop();
	});
	beforeEach(() => trap!.clear());
	return () => trap!;
}

async function listen(server: NetServer | HttpsServer, host: string): Promise<number> {
	await new Promise<void>((resolve, reject) => {
		server.once('error', reject);
		server.listen(0, host, () => resolve());
	});
	const address = server.address();
	return typeof address === 'object' && address ? address.port : 0;
}

export async function startSmtpTrap(host = '127.0.0.1'): Promise<SmtpTrap> {
	const authority = await trapAuthority();
	const { certPem, keyPem } = await issueServerCertificate(authority, [host]);
	const trap: SmtpTrap = {
		ca: authority.caCertPem,
		host,
		starttlsPort: 0,
		tlsPort: 0,
		httpsPort: 0,
		connections: { starttls: 0, tls: 0, https: 0 },
		tokens: [],
		messages: 0,
		total: () => trap.connections.starttls + trap.connections.tls + trap.connections.https,
		clear: () => {
			trap.connections = { starttls: 0, tls: 0, https: 0 };
			trap.tokens.length = 0;
			trap.messages = 0;
		},
		stop: async () => undefined,
	};
	const smtp = (secure: boolean) =>
		new SMTPServer({
			secure,
			key: keyPem,
			cert: certPem,
			authMethods: ['XOAUTH2', 'PLAIN', 'LOGIN'],
			logger: false,
			disableReverseLookup: true,
			closeTimeout: 500,
			onAuth: (auth, _session, callback) => {
				trap.tokens.push(String(auth.accessToken ?? auth.password ?? ''));
				callback(null, { user: auth.username });
			},
			onData: (stream, _session, callback) => {
				stream.resume();
				stream.on('end', () => {
					trap.messages++;
					callback(null, '250 2.6.0 Queued');
				});
			},
		});
	const starttls = smtp(false);
	const tls = smtp(true);
	// A client that gives up mid-handshake (the tests that expect a TLS failure) is not an error here.
	for (const server of [starttls, tls]) server.on('error', () => undefined);
	const https = createHttpsServer({ key: keyPem, cert: certPem }, (request, response) => {
		const authorization = request.headers.authorization;
		if (authorization) trap.tokens.push(authorization);
		request.resume();
		request.on('end', () => response.writeHead(400, { 'content-type': 'application/json' }).end('{"error":"invalid_request"}'));
	});
	starttls.server.on('connection', () => trap.connections.starttls++);
	tls.server.on('connection', () => trap.connections.tls++);
	https.on('connection', () => trap.connections.https++);
	trap.starttlsPort = await listen(starttls.server, host);
	trap.tlsPort = await listen(tls.server, host);
	trap.httpsPort = await listen(https, host);
	trap.stop = async () => {
		https.closeAllConnections();
		await Promise.all([
			new Promise<void>((resolve) => starttls.close(() => resolve())),
			new Promise<void>((resolve) => tls.close(() => resolve())),
			new Promise<void>((resolve) => https.close(() => resolve())),
		]);
	};
	return trap;
}
