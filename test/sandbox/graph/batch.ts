// JSON batching (POST /v1.0/$batch): up to 20 requests with unique ids, relative urls, headers with a Content-Type
// when a body is given, dependsOn (a failed dependency answers 424), each member run through the same pipeline as
// a request of its own (faults, auth, permissions), answers per member with status, headers and body.
import type { GraphReply, GraphRequest } from './context';
import { jsonBody } from './context';
import { errorBody, GraphError } from './errors';

export const MAX_BATCH_REQUESTS = 20;

interface Member {
	id: string;
	method: string;
	url: string;
	headers: Record<string, string>;
	body?: unknown;
	dependsOn: string[];
}

interface Executor {
	execute(request: GraphRequest, inBatch: boolean): Promise<GraphReply | undefined>;
}

const invalid = (message: string) => new GraphError(400, 'BadRequest', message);

function parseMembers(payload: unknown): Member[] {
	const requests = (payload as { requests?: unknown } | null)?.requests;
	if (!Array.isArray(requests)) throw invalid('Invalid batch payload format: a "requests" array is expected.');
	// The exact error for more than 20 is not documented; Graph refuses the whole batch with 400.
	if (requests.length > MAX_BATCH_REQUESTS) throw invalid(`The batch has ${requests.length} requests; at most ${MAX_BATCH_REQUESTS} are allowed.`);
	if (requests.length === 0) throw invalid('Invalid batch payload format: the batch has no requests.');
	const seen = new Set<string>();
	const members = requests.map((raw: unknown, index): Member => {
		const entry = raw as Record<string, unknown>;
		if (typeof entry !== 'object' || entry === null) throw invalid(`Batch request ${index} is not an object.`);
		const id = entry.id;
		if (typeof id !== 'string' || id === '') throw invalid(`Batch request ${index} has no id.`);
		if (seen.has(id)) throw invalid(`Batch request ids must be unique: '${id}' is used twice.`);
		seen.add(id);
		if (typeof entry.method !== 'string' || typeof entry.url !== 'string') throw invalid(`Batch request '${id}' needs a method and a url.`);
		if (/^[a-z]+:\/\//i.test(entry.url)) throw invalid(`Batch request '${id}': the url must be relative to the batch endpoint (e.g. /me/messages), not ${entry.url}.`);
		const headers = Object.fromEntries(Object.entries((entry.headers as Record<string, unknown>) ?? {}).map(([name, value]) => [name.toLowerCase(), String(value)]));
		if (entry.body !== undefined && !headers['content-type']) throw invalid(`Write request id : ${id} does not contain Content-Type header or body.`);
		const dependsOn = entry.dependsOn === undefined ? [] : entry.dependsOn;
		if (!Array.isArray(dependsOn) || dependsOn.some((other) => typeof other !== 'string')) throw invalid(`Batch request '${id}': dependsOn must be an array of request ids.`);
		return { id, method: entry.method.toUpperCase(), url: entry.url, headers, body: entry.body, dependsOn: dependsOn as string[] };
	});
	for (const member of members) {
		for (const other of member.dependsOn) if (!seen.has(other) || other === member.id) throw invalid(`Batch request '${member.id}' depends on an unknown request id '${other}'.`);
	}
	return members;
}

function memberRequest(member: Member, outer: GraphRequest): GraphRequest {
	const url = new URL(member.url.startsWith('/') ? member.url : `/${member.url}`, 'https://graph.invalid');
	let body = Buffer.alloc(0);
	if (member.body !== undefined) {
		const json = /json/i.test(member.headers['content-type'] ?? '');
		// A non-JSON body travels base64-encoded (json-batching.md), e.g. MIME for sendMail.
		body = json ? Buffer.from(JSON.stringify(member.body)) : Buffer.from(String(member.body), 'utf8');
	}
	return {
		method: member.method,
		path: url.pathname,
		query: url.searchParams,
		headers: { ...member.headers, ...(outer.headers.authorization ? { authorization: outer.headers.authorization } : {}), prefer: member.headers.prefer ?? outer.headers.prefer ?? '' },
		body,
	};
}

export async function runBatch(service: Executor, request: GraphRequest): Promise<GraphReply> {
	const members = parseMembers(jsonBody(request));
	const results = new Map<string, { id: string; status: number; headers: Record<string, string>; body?: unknown }>();
	const run = async (member: Member, chain: Set<string>): Promise<number> => {
		const done = results.get(member.id);
		if (done) return done.status;
		if (chain.has(member.id)) throw invalid(`Batch request '${member.id}' is part of a dependsOn cycle.`);
		chain.add(member.id);
		for (const other of member.dependsOn) {
			const status = await run(members.find((candidate) => candidate.id === other) as Member, chain);
			if (status >= 400) {
				results.set(member.id, { id: member.id, status: 424, headers: { 'Content-Type': 'application/json' }, body: errorBody('FailedDependency', `The request depends on request '${other}', which failed with status ${status}.`) });
				return 424;
			}
		}
		const reply = (await service.execute(memberRequest(member, request), true)) as GraphReply;
		const headers: Record<string, string> = { ...reply.headers };
		let body: unknown;
		if (reply.json !== undefined) {
			headers['Content-Type'] ??= 'application/json';
			body = reply.json;
		} else if (reply.raw) body = reply.raw.toString('base64');
		results.set(member.id, { id: member.id, status: reply.status, headers, ...(body !== undefined ? { body } : {}) });
		return reply.status;
	};
	for (const member of members) await run(member, new Set());
	return { status: 200, json: { responses: members.map((member) => results.get(member.id)) } };
}
