// What the browser suite runs against: the sandbox with the demo mail, a fresh n8n user folder with the packed
// package installed as a community package, the demo credentials and workflows of `npm start`, `n8n start` on
// 127.0.0.1 and its owner. `stop()` ends all of it (also when a step failed half-way).
import * as fs from 'node:fs/promises';

import { DEMO, startSandbox, type Sandbox } from '../../sandbox';
import { importDemo, seedDemoMailboxes } from '../../sandbox/demoSetup';
import * as h from '../harness';

export const OWNER: h.OwnerAccount = { email: 'owner@browser-e2e.test', firstName: 'Browser', lastName: 'Owner', password: 'Browser-E2e-Owner-1' };

export interface EditorEnvironment {
	sandbox: Sandbox;
	n8n: h.RunningN8n;
	baseUrl: string;
	session: h.RestSession;
	userFolder: string;
	stop(): Promise<void>;
}

export async function startEditorEnvironment(log: (line: string) => void = () => undefined): Promise<EditorEnvironment> {
	const stops: Array<() => Promise<void>> = [];
	const stop = async () => {
		for (const fn of stops.reverse()) await fn().catch(() => undefined);
	};
	try {
		h.assertBuilt();
		const [, tarball] = await Promise.all([h.ensureN8n(), h.packPackage()]);
		const sandbox = await startSandbox({ warn: log });
		stops.push(() => sandbox.stop());
		seedDemoMailboxes(sandbox);
		const userFolder = await h.createUserFolder({ caPem: sandbox.ca });
		if (!process.env.KEEP_E2E_FOLDER) stops.push(() => fs.rm(userFolder, { recursive: true, force: true }));
		await h.installPackage(userFolder, tarball);
		const port = await h.freePort();
		const baseUrl = `http://localhost:${port}`;
		// The invoice inbox stays inactive: the suite fetches a test event by hand, and no poll moves the demo mail.
		await importDemo(userFolder, sandbox, { baseUrl, keepEditedWorkflows: false, activate: false });
		log('demo imported');
		const n8n = await h.startN8n(userFolder, { port, extraEnv: { N8N_LISTEN_ADDRESS: '127.0.0.1' } });
		stops.push(() => n8n.stop());
		const session = await h.ownerSession(baseUrl, OWNER);
		return { sandbox, n8n, baseUrl, session, userFolder, stop };
	} catch (error) {
		await stop();
		throw error;
	}
}

/** Data of an app-only credential against this sandbox (the demo app), for credentials made over REST. */
export function sandboxAppOnlyData(sandbox: Sandbox, extra: Record<string, unknown> = {}): Record<string, unknown> {
	return {
		cloud: 'custom',
		authorityHost: sandbox.entra.authorityHost,
		ewsUrl: `${sandbox.entra.origin}/EWS/Exchange.asmx`,
		smtpHost: sandbox.smtp.host,
		smtpPort: sandbox.smtp.port,
		resource: 'https://outlook.office365.com',
		tenantId: DEMO.tenantId,
		clientId: DEMO.appOnlyClientId,
		authMethod: 'clientSecret',
		clientSecret: DEMO.appOnlyClientSecret,
		caCertificate: sandbox.ca,
		allowUnauthorizedCerts: false,
		...extra,
	};
}

// Standalone: `npx tsx test/e2e/browser/editorSetup.ts` keeps the environment up for poking at it (Ctrl-C stops).
if (require.main === module) {
	void startEditorEnvironment(console.log).then((env) => {
		console.log(`${env.baseUrl} ${OWNER.email} / ${OWNER.password} control ${env.sandbox.control.url}`);
		const quit = () => void env.stop().then(() => process.exit(0));
		process.on('SIGINT', quit);
		process.on('SIGTERM', quit);
	});
}
