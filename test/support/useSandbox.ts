/** One sandbox per test file, with a clean slate (mail, token requests, token cache) before each test. */
import { clearAppOnlyTokenCache } from '../../nodes/shared/auth/appOnlyToken';
import { startSandbox, type Sandbox } from '../sandbox';

export function useSandbox(): () => Sandbox {
	let sandbox: Sandbox | undefined;
	beforeAll(async () => {
		sandbox = await startSandbox();
	});
	afterAll(async () => {
		await sandbox?.stop();
	});
	beforeEach(() => {
		sandbox!.smtp.clear();
		sandbox!.entra.clearRequests();
		clearAppOnlyTokenCache();
	});
	return () => sandbox!;
}
