/**
 * A stand-in for the n8n execution context (IExecuteFunctions) that our node code runs in.
 * n8n's own test harness is not published, so this implements the parts our nodes use, with n8n's
 * semantics: parameters with defaults, credentials by type, binary data in items, continueOnFail,
 * and n8n's OAuth2 refresh helper (refreshOAuth2Token). Everything on the other side (token
 * endpoint, SMTP) is a real server.
 */
import { createHash, randomUUID } from 'node:crypto';
import { closeSync, createReadStream, mkdtempSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Transform, type Readable } from 'node:stream';
import https from 'https';

import type { MailContent } from '../../nodes/shared/mail/store';
import { storeBinary } from './binaryContent';
import {
	NodeHelpers,
	NodeOperationError,
	type INodeTypeDescription,
	type ICredentialDataDecryptedObject,
	type IDataObject,
	type IExecuteFunctions,
	type INode,
	type INodeExecutionData,
} from 'n8n-workflow';

export interface ContextOptions {
	/** The node's description: parameters get its defaults the way n8n fills them in. */
	description: INodeTypeDescription;
	parameters: IDataObject | ((itemIndex: number) => IDataObject);
	/**
	 * What expressions in some parameters resolve to, by path ("subject", "options.ccEmail",
	 * "folder.value"). n8n hands an expression's result to the node as it is, without coercing it to
	 * the parameter's type (a number, array, object or null in a string field); `parameters` would be
	 * normalised to the declared types the way n8n stores them, so these are laid over the result.
	 */
	expressions?: (itemIndex: number) => Record<string, unknown>;
	credentials: Record<string, ICredentialDataDecryptedObject>;
	items?: INodeExecutionData[];
	continueOnFail?: boolean;
	/** CA the "n8n server" trusts for its own OAuth2 refresh requests (NODE_EXTRA_CA_CERTS in real n8n). */
	trustedCa?: string;
}

export interface TestContext {
	context: IExecuteFunctions;
	/** Every line n8n's logger was given, for secret scans. */
	logs: string[];
	/** How often the OAuth2 refresh ran. */
	refreshes: number;
	credentials: Record<string, ICredentialDataDecryptedObject>;
}

function get(object: unknown, path: string): unknown {
	return path.split('.').reduce<unknown>((value, key) => (value as Record<string, unknown> | undefined)?.[key], object);
}

function set(object: IDataObject, path: string, value: unknown): void {
	const keys = path.split('.');
	let target = object as Record<string, unknown>;
	for (const [index, key] of keys.slice(0, -1).entries()) {
		if (typeof target[key] !== 'object' || target[key] === null) target[key] = /^\d+$/.test(keys[index + 1]) ? [] : {};
		target = target[key] as Record<string, unknown>;
	}
	target[keys[keys.length - 1]] = value;
}

function request(url: string, method: string, body: string, headers: Record<string, string>, ca?: string): Promise<{ status: number; body: string }> {
	return new Promise((resolve, reject) => {
		const req = https.request(url, { method, headers: { ...headers, 'Content-Length': Buffer.byteLength(body) }, ca }, (res) => {
			const chunks: Buffer[] = [];
			res.on('data', (chunk: Buffer) => chunks.push(chunk));
			res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
		});
		req.on('error', reject);
		req.end(body);
	});
}

export function createExecuteContext(options: ContextOptions): TestContext {
	const items: INodeExecutionData[] = options.items ?? [{ json: {} }];
	const node: INode = {
		id: 'node-under-test',
		name: 'Node Under Test',
		type: 'n8n-nodes-exchange-oauth.test',
		typeVersion: 1,
		position: [0, 0],
		parameters: {},
	};
	const state: TestContext = { context: undefined as unknown as IExecuteFunctions, logs: [], refreshes: 0, credentials: options.credentials };
	const parametersFor = (itemIndex: number) => {
		const given = typeof options.parameters === 'function' ? options.parameters(itemIndex) : options.parameters;
		const resolved = NodeHelpers.getNodeParameters(options.description.properties, given as never, true, false, node, options.description) as IDataObject;
		for (const [path, value] of Object.entries(options.expressions?.(itemIndex) ?? {})) set(resolved, path, value);
		return resolved;
	};

	// n8n's helpers.refreshOAuth2Token (n8n-core oauth.ts, the same on 1.122 and 2.40): refresh with
	// the stored refresh token at the credential's accessTokenUrl (client id and secret in the body,
	// as `authentication: body` asks), store the merged token data, return it. A refusal surfaces as
	// n8n's OAuth2 client throws it: an expired or revoked grant (invalid_grant) as 2.x's "reconnect"
	// error, anything else as client-oauth2's AuthError, worded by the OAuth error class, with the
	// token endpoint's answer kept as `body`.
	async function refreshOAuth2Token(type: string): Promise<IDataObject> {
		const credential = options.credentials[type];
		if (!credential) throw new Error(`Node does not have credentials of type "${type}"`);
		state.refreshes++;
		const stored = (credential.oauthTokenData ?? {}) as IDataObject;
		const form = new URLSearchParams({
			grant_type: 'refresh_token',
			refresh_token: String(stored.refresh_token),
			client_id: String(credential.clientId),
			client_secret: String(credential.clientSecret),
		}).toString();
		const refreshed = await request(String(credential.accessTokenUrl), 'POST', form, { 'Content-Type': 'application/x-www-form-urlencoded' }, options.trustedCa);
		const data = JSON.parse(refreshed.body) as IDataObject;
		if (refreshed.status !== 200) {
			if (data.error === 'invalid_grant') {
				throw new NodeOperationError(node, `The credential of type "${type}" needs to be reconnected.`, {
					description: 'Access could not be refreshed because the connected account has revoked access, the refresh token expired, or the account password or permissions changed. Open the credential and reconnect it to continue.',
				});
			}
			const oauthClassWording: Record<string, string> = {
				invalid_client: 'Client authentication failed (e.g., unknown client, no client authentication included, or unsupported authentication method).',
				invalid_request: 'The request is missing a required parameter, includes an invalid parameter value, includes a parameter more than once, or is otherwise malformed.',
			};
			throw Object.assign(new Error(oauthClassWording[String(data.error)] ?? String(data.error_description ?? data.error)), { body: data, code: 'EAUTH' });
		}
		credential.oauthTokenData = { ...stored, ...data, n8n_expires_at: String(Date.now() + Number(data.expires_in) * 1000) };
		return structuredClone(credential.oauthTokenData as IDataObject);
	}

	const context = {
		getNode: () => node,
		getInputData: () => items,
		continueOnFail: () => options.continueOnFail === true,
		getCredentials: async (type: string) => {
			const credential = options.credentials[type];
			if (!credential) throw new Error(`Node does not have credentials of type "${type}"`);
			return structuredClone(credential);
		},
		getNodeParameter: (name: string, itemIndex: number, fallback?: unknown) => {
			const value = get(parametersFor(itemIndex), name);
			if (value === undefined) {
				if (fallback !== undefined) return fallback;
				throw new Error(`Could not get parameter "${name}"`);
			}
			return value;
		},
		logger: {
			debug: (message: string, meta?: unknown) => state.logs.push(`${message} ${JSON.stringify(meta ?? {})}`),
			info: (message: string, meta?: unknown) => state.logs.push(`${message} ${JSON.stringify(meta ?? {})}`),
			warn: (message: string, meta?: unknown) => state.logs.push(`${message} ${JSON.stringify(meta ?? {})}`),
			error: (message: string, meta?: unknown) => state.logs.push(`${message} ${JSON.stringify(meta ?? {})}`),
		},
		helpers: {
			assertBinaryData: (itemIndex: number, property: string) => {
				const binary = items[itemIndex]?.binary?.[property];
				if (!binary) throw new NodeOperationError(node, `No binary data property "${property}" exists on item!`, { itemIndex });
				return binary;
			},
			getBinaryDataBuffer: async (itemIndex: number, property: string) => {
				const binary = items[itemIndex].binary![property];
				return binary.id ? await readFile(storedPath(binary.id)) : Buffer.from(binary.data, 'base64');
			},
			// n8n's filesystem mode (2.40.7 BinaryDataBlobManager + FsByteStore): the file and a
			// `.metadata` JSON beside it; a stream of the file as it is read.
			getBinaryStream: async (binaryDataId: string, chunkSize?: number) => openStored(binaryDataId, chunkSize),
			getBinaryMetadata: async (binaryDataId: string) => JSON.parse(await readFile(`${storedPath(binaryDataId)}.metadata`, 'utf8')) as { fileName?: string; mimeType?: string; fileSize: number },
			// n8n's in-memory binary mode: base64 data with file name, type and size.
			prepareBinaryData: async (data: MailContent, fileName?: string, mimeType?: string) => await storeBinary(data, fileName, mimeType),
			refreshOAuth2Token: async (type: string) => await refreshOAuth2Token(type),
			returnJsonArray: (data: IDataObject | IDataObject[]) => (Array.isArray(data) ? data : [data]).map((json) => ({ json })),
		},
	};
	state.context = context as unknown as IExecuteFunctions;
	return state;
}

/** A binary item as n8n stores it in memory mode. */
export function binaryItem(json: IDataObject, files: Record<string, { data: Buffer; fileName: string; mimeType: string }>): INodeExecutionData {
	const binary: INodeExecutionData['binary'] = {};
	for (const [property, file] of Object.entries(files)) {
		binary[property] = { data: file.data.toString('base64'), fileName: file.fileName, mimeType: file.mimeType, fileSize: String(file.data.length) };
	}
	return { json, binary };
}

let storageDir: string | undefined;
/** Read faults of stored binaries by id: the stream fails with EIO after this many bytes. */
const readFaults = new Map<string, number>();
/** How often each stored binary was opened as a stream, by id. */
export const storedBinaryOpens = new Map<string, number>();

function storedPath(binaryDataId: string): string {
	const [mode, fileId] = binaryDataId.split(':');
	if (mode !== 'filesystem-v2' || !fileId || !storageDir || /[\\/]/.test(fileId)) throw new Error(`Binary data ${binaryDataId} was not found`);
	return path.join(storageDir, fileId);
}

function openStored(binaryDataId: string, chunkSize?: number): Readable {
	const file = createReadStream(storedPath(binaryDataId), chunkSize ? { highWaterMark: chunkSize } : {});
	storedBinaryOpens.set(binaryDataId, (storedBinaryOpens.get(binaryDataId) ?? 0) + 1);
	const failAfter = readFaults.get(binaryDataId);
	if (failAfter === undefined) return file;
	let passed = 0;
	const faulty = new Transform({
		transform(chunk: Buffer, _encoding, done) {
			if (passed + chunk.length <= failAfter) {
				passed += chunk.length;
				done(null, chunk);
				return;
			}
			this.push(chunk.subarray(0, failAfter - passed));
			passed = failAfter;
			done(Object.assign(new Error(`EIO: i/o error, read`), { code: 'EIO' }));
		},
	});
	file.on('error', (error) => faulty.destroy(error));
	return file.pipe(faulty);
}

/**
 * A binary item as n8n stores it in its filesystem mode (the single-instance default): the item
 * holds an id, the bytes are in a file read through getBinaryStream / getBinaryMetadata.
 */
export function storedBinaryItem(json: IDataObject, files: Record<string, { data: Buffer; fileName: string; mimeType: string }>): INodeExecutionData {
	storageDir ??= mkdtempSync(path.join(tmpdir(), 'exchange-oauth-binary-'));
	const binary: INodeExecutionData['binary'] = {};
	for (const [property, file] of Object.entries(files)) {
		const fileId = randomUUID();
		writeFileSync(path.join(storageDir, fileId), file.data);
		writeFileSync(path.join(storageDir, `${fileId}.metadata`), JSON.stringify({ fileName: file.fileName, mimeType: file.mimeType, fileSize: file.data.length }));
		binary[property] = { id: `filesystem-v2:${fileId}`, data: 'filesystem-v2', fileName: file.fileName, mimeType: file.mimeType, fileSize: `${file.data.length} B`, bytes: file.data.length };
	}
	return { json, binary };
}

/** Makes the stored binary `property` of `item` fail to read (EIO) after `afterBytes` bytes, like a disk or database failing mid-read. */
export function breakStoredBinary(item: INodeExecutionData, property: string, afterBytes: number): void {
	const id = item.binary?.[property]?.id;
	if (!id) throw new Error(`${property} is not stored by id`);
	readFaults.set(id, afterBytes);
}

/** Where a stored binary's file is (its metadata beside it, `.metadata`). */
export function storedFile(item: INodeExecutionData, property: string): string {
	return storedPath(item.binary![property].id!);
}

/** A stored binary of `size` bytes written 1 MB at a time (a large file without a large Buffer), with its sha256. */
export function storedBinaryOfSize(property: string, size: number, fileName: string): { item: INodeExecutionData; sha256: string } {
	const item = storedBinaryItem({}, { [property]: { data: Buffer.alloc(0), fileName, mimeType: 'application/octet-stream' } });
	const file = storedFile(item, property);
	const piece = Buffer.alloc(1024 * 1024);
	for (let index = 0; index < piece.length; index++) piece[index] = (index * 7919) & 0xff;
	const hash = createHash('sha256');
	const fd = openSync(file, 'w');
	for (let written = 0; written < size; written += piece.length) {
		const part = piece.subarray(0, Math.min(piece.length, size - written));
		writeSync(fd, part);
		hash.update(part);
	}
	closeSync(fd);
	writeFileSync(`${file}.metadata`, JSON.stringify({ fileName, mimeType: 'application/octet-stream', fileSize: size }));
	item.binary![property].bytes = size;
	return { item, sha256: hash.digest('hex') };
}
