// Microsoft 365 sandbox: Entra ID (HTTPS), Exchange Online SMTP (STARTTLS) and a control page, all on loopback.
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { loadOrCreateServerTls } from './certs';
import { addControlRoutes } from './control';
import { demoApps, demoUsers } from './demo';
import { Entra } from './entra';
import { EwsService } from './ews';
import { GraphService } from './graph';
import { Router } from './routes';
import { SmtpService } from './smtp';
import type { Sandbox, SandboxOptions } from './types';

export * from './types';
export { DEMO, demoApps, demoUsers } from './demo';
export { createAppCertificate, certificateThumbprints, type AppCertificate } from './certs';
export { TokenVerificationError } from './tokens';
export { EntraError } from './entra-errors';
export { MAX_MESSAGE_BYTES } from './smtp';
export { summarizeMessage, type MessageSummary } from './control';
export { EwsService, EWS_PATH, type EwsRequestRecord, type EwsFault, type FaultOptions as EwsFaultOptions } from './ews';
export { GraphService, GRAPH_PATH, type GraphRequestRecord, type GraphFault, type GraphFaultOptions } from './graph';

export const DEFAULT_AUDIENCES = ['https://outlook.office365.com', 'https://outlook.office.com'];

export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
	const host = options.host ?? '127.0.0.1';
	const log = options.log ?? (() => undefined);
	const tls = await loadOrCreateServerTls([host], options.tlsDir);
	const started: { close(): Promise<void> }[] = [];

	try {
		const httpsRouter = new Router(log);
		const httpsServer = createHttpsServer({ key: tls.keyPem, cert: tls.certPem, minVersion: 'TLSv1.2' }, httpsRouter.handle);
		const httpsPort = await listen(httpsServer, options.ports?.https ?? 0, host);
		started.push({ close: () => closeServer(httpsServer) });
		const origin = `https://${urlHost(host)}:${httpsPort}`;

		const entra = new Entra(
			{
				origin,
				port: httpsPort,
				apps: options.apps ?? demoApps(),
				users: options.users ?? demoUsers(),
				audiences: [...(options.audiences ?? DEFAULT_AUDIENCES), origin],
				tokenLifetimeSeconds: options.tokenLifetimeSeconds ?? 3600,
				log,
			},
			httpsRouter,
		);

		// EWS mailboxes: every user, plus every shared mailbox a user or app is granted.
		const users = options.users ?? demoUsers();
		const apps = options.apps ?? demoApps();
		const mailboxes = new Map<string, { smtp: string; displayName?: string }>();
		for (const user of users) mailboxes.set(user.upn.toLowerCase(), { smtp: user.upn, displayName: user.displayName });
		for (const smtp of [...users.flatMap((user) => user.sendAs ?? []), ...apps.flatMap((app) => app.sendAs)]) {
			if (smtp !== '*' && !mailboxes.has(smtp.toLowerCase())) mailboxes.set(smtp.toLowerCase(), { smtp });
		}
		const ews = new EwsService({ entra, origin, mailboxes: [...mailboxes.values()], schemaDir: options.ewsSchemaDir, log, warn: options.warn });
		ews.register(httpsRouter);
		started.push({ close: () => ews.stop() });

		// Graph over the same store: a message delivered once is visible to both protocols.
		const graph = new GraphService({ entra, origin, store: ews.store, log, audiences: options.graphAudiences });
		graph.register(httpsRouter);

		const smtp = new SmtpService({ host, port: options.ports?.smtp ?? 0, key: tls.keyPem, cert: tls.certPem, entra, log });
		await smtp.listen();
		started.push({ close: () => smtp.stop() });

		const controlRouter = new Router(log);
		addControlRoutes(controlRouter, smtp, entra, ews);
		const controlServer = createHttpServer(controlRouter.handle);
		const controlPort = await listen(controlServer, options.ports?.control ?? 0, host);
		started.push({ close: () => closeServer(controlServer) });

		log(`sandbox: entra + ews + graph ${origin}, smtp ${host}:${smtp.port}, control http://${urlHost(host)}:${controlPort}`);
		let stopping: Promise<void> | undefined;
		return {
			ca: tls.caCertPem,
			host,
			entra,
			smtp,
			ews,
			graph,
			graphUrl: graph.url,
			control: { url: `http://${urlHost(host)}:${controlPort}`, addRoute: controlRouter.addRoute.bind(controlRouter) },
			https: { origin, port: httpsPort, addRoute: httpsRouter.addRoute.bind(httpsRouter) },
			stop: () => (stopping ??= closeAll(started)),
		};
	} catch (error) {
		await closeAll(started);
		throw error;
	}
}

async function closeAll(servers: { close(): Promise<void> }[]): Promise<void> {
	await Promise.all(servers.map((server) => server.close()));
}

function listen(server: Server, port: number, host: string): Promise<number> {
	return new Promise((resolve, reject) => {
		server.once('error', reject);
		server.listen(port, host, () => {
			server.off('error', reject);
			resolve((server.address() as AddressInfo).port);
		});
	});
}

function closeServer(server: Server): Promise<void> {
	return new Promise((resolve) => {
		server.close(() => resolve());
		// Keep-alive clients (msal, n8n) would otherwise hold stop() open.
		server.closeAllConnections();
	});
}

const urlHost = (host: string) => (host.includes(':') ? `[${host}]` : host);
