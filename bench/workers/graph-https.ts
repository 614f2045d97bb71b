/**
 * The Graph baselines' HTTP: plain node https with a keep-alive agent and JSON bodies, one request per
 * call, as a hand-written integration (or n8n's Outlook node) calls Graph. None of our transport code.
 */
import https from 'node:https';

import { fetchAppOnlyToken, type WorkerInput } from './common';

export type GraphCall = (method: 'PATCH' | 'POST', path: string, body: unknown) => Promise<number>;

/** A token for Graph (fetched here, before timing) and a call that answers the HTTP status. */
export async function plainGraph(input: WorkerInput): Promise<GraphCall> {
	const token = await fetchAppOnlyToken(input, input.graph.scope);
	const agent = new https.Agent({ keepAlive: true });
	const base = `${input.graph.url}/users/${encodeURIComponent(input.mailbox)}`;
	return (method, path, body) =>
		new Promise((resolve, reject) => {
			const payload = JSON.stringify(body);
			const headers = { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload), Prefer: 'IdType="ImmutableId"' };
			const request = https.request(`${base}${path}`, { method, agent, headers }, (response) => {
				response.resume(); // the answer's body is not needed, only its status
				response.on('end', () => resolve(response.statusCode ?? 0));
			});
			request.on('error', reject);
			request.end(payload);
		});
}
