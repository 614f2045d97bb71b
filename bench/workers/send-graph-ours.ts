/** Send on Graph with the Exchange node: one execution "Message → Send" over N input items. */
import { executeExchange, prepareExchange } from './exchange';
import { benchMessage, measure, readInput, runWorker, type WorkerInput } from './common';

interface Input extends WorkerInput {
	n: number;
	to: string;
}

runWorker(async () => {
	const input = await readInput<Input>();
	await prepareExchange(input);
	const measured = await measure(async () =>
		await executeExchange(input, 'message', input.n, (i) => {
			const { subject, text } = benchMessage(i);
			return { operation: 'send', toEmail: input.to, subject, bodyFormat: 'text', bodyContent: text };
		}),
	);
	return { ...measured, value: undefined, ok: measured.value };
});
