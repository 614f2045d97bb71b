// Runs before each e2e suite of a jest project: the project's `globals.N8N_E2E_VERSION` (package.json)
// chooses the n8n line the harness installs and runs (harness.ts, n8nLine()).
const version = (globalThis as { N8N_E2E_VERSION?: unknown }).N8N_E2E_VERSION;
if (typeof version === 'string' && version) process.env.N8N_E2E_VERSION = version;
