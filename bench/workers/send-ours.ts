/** Send with the SMTP node: one execution over N input items (one pooled XOAUTH2 session). */
import { SmtpOAuth } from '../../nodes/SmtpOAuth/SmtpOAuth.node.ts'; // explicit .ts: "SmtpOAuth.node" would resolve to the codex SmtpOAuth.node.json
import { loadExchangeAuth } from '../../nodes/shared/auth/exchangeAuth';
import { nodeContext } from './context';
import { benchMessage, measure, readInput, runWorker, type WorkerInput } from './common';

interface Input extends WorkerInput {
	n: number;
	to: string;
}

const node = new SmtpOAuth();

runWorker(async () => {
	const input = await readInput<Input>();
	const credentials = { microsoftExchangeAppOnlyApi: input.credential };
	// The token is fetched before timing (MSAL caches it in this process), in the baseline too.
	await (await loadExchangeAuth(nodeContext({ description: node.description, parameters: {}, credentials }).context, 'appOnly', 'x')).getAccessToken(false);
	const measured = await measure(async () => {
		const test = nodeContext({
			description: node.description,
			parameters: (i) => ({ authentication: 'appOnly', fromEmail: `Invoices <${input.mailbox}>`, toEmail: input.to, emailFormat: 'text', ...benchMessage(i) }),
			credentials,
			items: Array.from({ length: input.n }, (_, i) => ({ json: { i } })),
		});
		const [output] = await node.execute.call(test.context);
		return output.filter((item) => item.json.error === undefined).length;
	});
	return { ...measured, value: undefined, ok: measured.value };
});
