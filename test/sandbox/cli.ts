// `npm run sandbox`: only the Microsoft 365 sandbox (no n8n), for manual tests and for pointing other tools at it.
// Keeps its CA in <repo>/.sandbox/tls (git-ignored) so a trusted CA survives restarts. Ctrl-C stops it.
// Environment: SANDBOX_HTTPS_PORT (9443), SANDBOX_SMTP_PORT (2587), SANDBOX_CONTROL_PORT (8025), SANDBOX_STATE_DIR, SANDBOX_LOG=1.
import * as path from 'node:path';
import { DEMO, startSandbox } from './index';

const port = (name: string, fallback: number): number => {
	const value = Number(process.env[name] ?? fallback);
	if (!Number.isInteger(value) || value < 0 || value > 65535) throw new Error(`${name} is not a port number`);
	return value;
};

async function main(): Promise<void> {
	const stateDir = path.resolve(process.env.SANDBOX_STATE_DIR ?? path.join(__dirname, '..', '..', '.sandbox'));
	const sandbox = await startSandbox({
		ports: { https: port('SANDBOX_HTTPS_PORT', 9443), smtp: port('SANDBOX_SMTP_PORT', 2587), control: port('SANDBOX_CONTROL_PORT', 8025) },
		tlsDir: path.join(stateDir, 'tls'),
		log: process.env.SANDBOX_LOG ? (line) => console.log(`  ${line}`) : undefined,
	});
	// Client secrets are fake demo values; they live in test/sandbox/demo.ts and are not printed.
	console.log(`Microsoft 365 sandbox running
  Entra ID     ${sandbox.entra.origin}  (authority host ${sandbox.entra.authorityHost})
  Token URL    ${sandbox.entra.tokenUrl(DEMO.tenantId)}
  SMTP         ${sandbox.smtp.host}:${sandbox.smtp.port} (STARTTLS, XOAUTH2)
  Received     ${sandbox.control.url}
  CA           ${path.join(stateDir, 'tls', 'ca.crt')}
  Tenant       ${DEMO.tenantDomain} (${DEMO.tenantId})
  App-only     ${DEMO.appOnlyClientId}
  Delegated    ${DEMO.delegatedClientId}, user ${DEMO.user}
Ctrl-C stops it.`);
	const stop = () => void sandbox.stop().then(() => process.exit(0));
	process.on('SIGINT', stop);
	process.on('SIGTERM', stop);
}

main().catch((error: unknown) => {
	console.error(error instanceof Error ? error.message : error);
	process.exit(1);
});
