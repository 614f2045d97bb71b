// One sandbox per Graph test file (jest hooks: kept out of test/sandbox, which the bench compiles without jest).
import { startSandbox, type Sandbox } from '../sandbox';
import { graphClient, type GraphClient } from '../sandbox/graph/test-client';

/** A sandbox for the test file (started in beforeAll, stopped in afterAll), handed to `use` with an app-only Graph client. */
export function withGraphSandbox(use: (sandbox: Sandbox, graph: GraphClient) => void): void {
	let sandbox: Sandbox | undefined;
	beforeAll(async () => {
		sandbox = await startSandbox();
		use(sandbox, graphClient(sandbox));
	});
	afterAll(() => sandbox?.stop());
}
