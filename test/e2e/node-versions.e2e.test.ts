// The packed package, installed as n8n installs a community package, loads on every Node that runs
// a supported n8n: Node 20 and 22 (n8n 1.x images) with n8n 1.123.81's n8n-workflow, Node 24 (n8n 2)
// with 2.40.7's. Each node and credential class is constructed (descriptions evaluate
// NodeConnectionTypes and the other n8n-workflow values at load) and every runtime dependency is
// required. The workflows themselves run on Node 24 in the other e2e suites; the unit project runs
// the code on this machine's Node 20, and @types/node 20 keeps newer Node APIs out of the code.
import * as fs from 'node:fs/promises';
import * as path from 'node:path';

import * as h from './harness';

jest.setTimeout(20 * 60_000);

const LOAD_SCRIPT = `
const path = require('path');
const pkgDir = process.argv[1];
const pj = require(path.join(pkgDir, 'package.json'));
const loaded = [];
for (const rel of [...pj.n8n.nodes, ...pj.n8n.credentials]) {
	for (const [exported, Cls] of Object.entries(require(path.join(pkgDir, rel)))) {
		const instance = new Cls();
		loaded.push(exported + ':' + (instance.description ? instance.description.name : instance.name));
	}
}
for (const dependency of Object.keys(pj.dependencies)) require(require.resolve(dependency, { paths: [pkgDir] }));
console.log(JSON.stringify({ node: process.version, n8nWorkflow: require('n8n-workflow/package.json').version, loaded }));
`;

const MATRIX = [
	{ nodeMajor: 20, n8n: '1.123.81' },
	{ nodeMajor: 22, n8n: '1.123.81' },
	{ nodeMajor: 24, n8n: '2.40.7' },
] as const;

describe(h.onN8n('The package loads on Node 20, 22 and 24'), () => {
	let userFolder = '';
	let packageDir = '';

	beforeAll(async () => {
		h.assertBuilt();
		const [, tarball] = await Promise.all([h.ensureN8n(), h.packPackage()]);
		userFolder = await h.createUserFolder();
		({ packageDir } = await h.installPackage(userFolder, tarball));
	});

	afterAll(async () => {
		if (userFolder) await fs.rm(userFolder, { recursive: true, force: true });
	});

	test.each(MATRIX)('Node $nodeMajor with the n8n-workflow of n8n $n8n', async ({ nodeMajor, n8n }) => {
		const [nodeBin, n8nPaths] = await Promise.all([h.ensureNodeBinary(nodeMajor), h.ensureN8n(n8n)]);
		// n8n-workflow is a peer dependency: resolved from n8n's own node_modules, as inside n8n.
		const n8nModules = path.join(n8nPaths.harnessDir, 'n8n-app', 'node_modules');
		const res = await h.run(nodeBin, ['-e', LOAD_SCRIPT, packageDir], {
			cwd: userFolder,
			env: { PATH: process.env.PATH, HOME: process.env.HOME, NODE_PATH: n8nModules },
			timeoutMs: 120_000,
		});
		expect({ code: res.code, stderr: res.code === 0 ? '' : res.stderr }).toEqual({ code: 0, stderr: '' });
		const report = JSON.parse(res.stdout.trim().split('\n').pop()!) as { node: string; n8nWorkflow: string; loaded: string[] };
		console.log(`loaded on Node ${report.node} with n8n-workflow ${report.n8nWorkflow}: ${report.loaded.join(', ')}`);
		expect(report.node).toMatch(new RegExp(`^v${nodeMajor}\\.`));
		const pkg = h.repoPackageJson();
		expect(report.loaded).toHaveLength(pkg.n8n.nodes.length + pkg.n8n.credentials.length);
		expect(report.loaded).toEqual(expect.arrayContaining(['SmtpOAuth:smtpOAuth', 'Exchange:exchange', 'ExchangeTrigger:exchangeTrigger']));
	});

	test('engines allows every Node the matrix loads on', () => {
		const engines = (JSON.parse(require('node:fs').readFileSync(path.join(h.REPO_ROOT, 'package.json'), 'utf8')) as { engines: { node: string } }).engines.node;
		const minimum = /^>=\s*(\d+)(?:\.(\d+))?/.exec(engines);
		expect(minimum).not.toBeNull();
		expect(Number(minimum![1])).toBeLessThanOrEqual(Math.min(...MATRIX.map((m) => m.nodeMajor)));
	});
});
