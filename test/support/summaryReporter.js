// Prints one plain closing line, "tests: N passed, N failed[, N skipped]", after jest's own summary,
// on the same stream (stderr) so CI logs end with a totals line in the common format whatever the reporter above it prints.
class SummaryReporter {
	onRunComplete(_contexts, results) {
		const skipped = results.numPendingTests + results.numTodoTests;
		const failed = results.numFailedTests + results.numRuntimeErrorTestSuites;
		process.stderr.write(`tests: ${results.numPassedTests} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`);
	}
}
module.exports = SummaryReporter;
