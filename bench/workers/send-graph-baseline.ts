/** Send baseline on Graph: one POST /sendMail per message with plain https (keep-alive), same token for all. */
import { benchMessage, measure, readInput, runWorker, type WorkerInput } from './common';
import { plainGraph } from './graph-https';

interface Input extends WorkerInput {
	n: number;
	to: string;
}

runWorker(async () => {
	const input = await readInput<Input>();
	const call = await plainGraph(input); // the token is fetched before timing, in ours too
	const measured = await measure(async () => {
		let sent = 0;
		for (let i = 0; i < input.n; i++) {
			const { subject, text } = benchMessage(i);
			const message = { subject, body: { contentType: 'text', content: text }, toRecipients: [{ emailAddress: { address: input.to } }] };
			if ((await call('POST', '/sendMail', { message, saveToSentItems: true })) === 202) sent++;
		}
		return sent;
	});
	return { ...measured, value: undefined, ok: measured.value };
});
