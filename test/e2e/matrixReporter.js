// After a run with e2e suites: which n8n version each suite ran on (the project's
// globals.N8N_E2E_VERSION, see package.json), its counts and time, and the total time per n8n line.
class N8nMatrixReporter {
	constructor() {
		this.rows = [];
	}

	onTestResult(test, result) {
		const version = test.context?.config?.globals?.N8N_E2E_VERSION;
		if (typeof version !== 'string') return;
		const seconds = (result.perfStats.end - result.perfStats.start) / 1000;
		const file = require('node:path').relative(test.context.config.rootDir, result.testFilePath);
		const failed = result.numFailingTests + (result.testExecError ? 1 : 0);
		this.rows.push({ version, file, passed: result.numPassingTests, failed, skipped: result.numPendingTests, seconds });
	}

	onRunComplete() {
		if (this.rows.length === 0) return;
		const lines = ['', 'n8n e2e matrix (suite, n8n version, result, time):'];
		const width = Math.max(...this.rows.map((r) => r.file.length));
		for (const r of this.rows) {
			const counts = `${r.passed} passed, ${r.failed} failed${r.skipped ? `, ${r.skipped} skipped` : ''}`;
			lines.push(`  ${r.file.padEnd(width)}  n8n ${r.version.padEnd(9)} ${counts.padEnd(28)} ${r.seconds.toFixed(0)} s`);
		}
		const perLine = new Map();
		for (const r of this.rows) perLine.set(r.version, (perLine.get(r.version) ?? 0) + r.seconds);
		for (const [version, seconds] of perLine) lines.push(`  n8n ${version}: ${seconds.toFixed(0)} s of e2e suites`);
		process.stderr.write(`${lines.join('\n')}\n`);
	}
}
module.exports = N8nMatrixReporter;
