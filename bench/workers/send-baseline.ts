/** Send baseline: a new nodemailer SMTP connection (STARTTLS + XOAUTH2 login) per message, same token. */
import nodemailer from 'nodemailer';

import { benchMessage, fetchAppOnlyToken, measure, readInput, runWorker, type WorkerInput } from './common';

interface Input extends WorkerInput {
	n: number;
	to: string;
}

runWorker(async () => {
	const input = await readInput<Input>();
	const token = await fetchAppOnlyToken(input); // before timing, in ours too
	const measured = await measure(async () => {
		let ok = 0;
		for (let i = 0; i < input.n; i++) {
			const transport = nodemailer.createTransport({
				host: input.smtp.host,
				port: input.smtp.port,
				secure: false,
				requireTLS: true,
				tls: { minVersion: 'TLSv1.2' },
				auth: { type: 'OAuth2', user: input.mailbox, accessToken: token },
			});
			try {
				await transport.sendMail({ from: `Invoices <${input.mailbox}>`, to: input.to, ...benchMessage(i) });
				ok++;
			} finally {
				transport.close();
			}
		}
		return ok;
	});
	return { ...measured, value: undefined, ok: measured.value };
});
