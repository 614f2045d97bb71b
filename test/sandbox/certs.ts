// Certificates for the sandbox: a local CA, a server certificate for 127.0.0.1/localhost signed by it,
// and self-signed app certificates for client_assertion auth (Entra accepts self-signed app certificates).
import { createHash, X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generate } from 'selfsigned';

export interface ServerTls {
	caCertPem: string;
	caKeyPem: string;
	certPem: string; // server certificate
	keyPem: string; // server private key
}

export interface AppCertificate {
	certificatePem: string; // upload this to the app registration (RegisteredApp.certificatePem)
	privateKeyPem: string; // unencrypted PKCS#8, what msal-node wants
	thumbprintSha1: string; // hex, msal `clientCertificate.thumbprint` (legacy RS256 + x5t)
	thumbprintSha256: string; // hex, msal `clientCertificate.thumbprintSha256` (PS256 + x5t#S256)
}

const DAY_MS = 24 * 60 * 60 * 1000;

export async function createCertificateAuthority(): Promise<{ caCertPem: string; caKeyPem: string }> {
	const ca = await generate([{ name: 'commonName', value: 'n8n-nodes-exchange-oauth sandbox CA' }], {
		keySize: 2048,
		algorithm: 'sha256',
		notBeforeDate: new Date(Date.now() - DAY_MS),
		notAfterDate: new Date(Date.now() + 5 * 365 * DAY_MS),
		extensions: [
			{ name: 'basicConstraints', cA: true, critical: true },
			{ name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
		],
	});
	return { caCertPem: ca.cert, caKeyPem: ca.private };
}

export async function issueServerCertificate(
	ca: { caCertPem: string; caKeyPem: string },
	hosts: string[] = ['127.0.0.1', 'localhost'],
): Promise<{ certPem: string; keyPem: string }> {
	const altNames = [...new Set([...hosts, '127.0.0.1', 'localhost', '::1'])].map((host) =>
		isIpAddress(host) ? { type: 7 as const, ip: host } : { type: 2 as const, value: host },
	);
	const server = await generate([{ name: 'commonName', value: hosts[0] ?? '127.0.0.1' }], {
		keySize: 2048,
		algorithm: 'sha256',
		notBeforeDate: new Date(Date.now() - DAY_MS),
		notAfterDate: new Date(Date.now() + 365 * DAY_MS),
		ca: { key: ca.caKeyPem, cert: ca.caCertPem },
		extensions: [
			{ name: 'basicConstraints', cA: false },
			{ name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
			{ name: 'extKeyUsage', serverAuth: true },
			{ name: 'subjectAltName', altNames },
		],
	});
	return { certPem: server.cert, keyPem: server.private };
}

/**
 * CA + server certificate. With `tlsDir`, reuses the files found there (so `npm start` keeps one CA across restarts)
 * and writes what it had to generate.
 */
export async function loadOrCreateServerTls(hosts: string[], tlsDir?: string): Promise<ServerTls> {
	const files = tlsDir
		? {
				caCert: join(tlsDir, 'ca.crt'),
				caKey: join(tlsDir, 'ca.key'),
				cert: join(tlsDir, 'server.crt'),
				key: join(tlsDir, 'server.key'),
			}
		: undefined;

	let ca: { caCertPem: string; caKeyPem: string } | undefined;
	if (files && existsSync(files.caCert) && existsSync(files.caKey)) {
		ca = { caCertPem: readFileSync(files.caCert, 'utf8'), caKeyPem: readFileSync(files.caKey, 'utf8') };
		if (!isCurrentlyValid(ca.caCertPem)) ca = undefined;
	}
	const caIsNew = !ca;
	ca ??= await createCertificateAuthority();

	let server: { certPem: string; keyPem: string } | undefined;
	if (files && !caIsNew && existsSync(files.cert) && existsSync(files.key)) {
		server = { certPem: readFileSync(files.cert, 'utf8'), keyPem: readFileSync(files.key, 'utf8') };
		if (!serverCertFits(server.certPem, ca.caCertPem, hosts)) server = undefined;
	}
	const serverIsNew = !server;
	server ??= await issueServerCertificate(ca, hosts);

	if (files && (caIsNew || serverIsNew)) {
		mkdirSync(tlsDir as string, { recursive: true });
		// Private keys stay readable by the owner only.
		writeFileSync(files.caCert, ca.caCertPem);
		writeFileSync(files.caKey, ca.caKeyPem, { mode: 0o600 });
		writeFileSync(files.cert, server.certPem);
		writeFileSync(files.key, server.keyPem, { mode: 0o600 });
	}
	return { ...ca, ...server };
}

/** A self-signed certificate + key for an app registration (certificate credential). */
export async function createAppCertificate(options: { commonName?: string; validDays?: number } = {}): Promise<AppCertificate> {
	const validDays = options.validDays ?? 365;
	const pems = await generate([{ name: 'commonName', value: options.commonName ?? 'n8n-exchange-app' }], {
		keySize: 2048,
		algorithm: 'sha256',
		notBeforeDate: new Date(Date.now() - DAY_MS),
		notAfterDate: new Date(Date.now() + validDays * DAY_MS),
	});
	return { certificatePem: pems.cert, privateKeyPem: pems.private, ...certificateThumbprints(pems.cert) };
}

/** Hex thumbprints of a PEM certificate's DER bytes, as Entra shows them and msal-node expects them. */
export function certificateThumbprints(certificatePem: string): { thumbprintSha1: string; thumbprintSha256: string } {
	const der = new X509Certificate(certificatePem).raw;
	return {
		thumbprintSha1: createHash('sha1').update(der).digest('hex').toUpperCase(),
		thumbprintSha256: createHash('sha256').update(der).digest('hex').toUpperCase(),
	};
}

function isIpAddress(host: string): boolean {
	return /^[\d.]+$/.test(host) || host.includes(':');
}

function isCurrentlyValid(certPem: string): boolean {
	try {
		const cert = new X509Certificate(certPem);
		const now = Date.now();
		return Date.parse(cert.validFrom) <= now && now < Date.parse(cert.validTo) - DAY_MS;
	} catch {
		return false;
	}
}

function serverCertFits(certPem: string, caCertPem: string, hosts: string[]): boolean {
	if (!isCurrentlyValid(certPem)) return false;
	const cert = new X509Certificate(certPem);
	if (!cert.checkIssued(new X509Certificate(caCertPem))) return false;
	return hosts.every((host) => (isIpAddress(host) ? cert.checkIP(host) : cert.checkHost(host)) !== undefined);
}
