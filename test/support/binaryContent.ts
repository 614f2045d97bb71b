/**
 * n8n's prepareBinaryData for the stand-in contexts and the bench, in n8n 2.40.7's binary data modes.
 *
 * `storeBinary`: the in-memory ("default") mode: a Buffer is kept as it is, a stream is read to its end
 * (binaryToBuffer) and a failure of the stream rejects the call. Never a silent partial read: what n8n
 * would store is what is stored.
 *
 * `n8nBinaryStorage`: n8n-core's own prepareBinaryData and BinaryDataService (node_modules/n8n-core,
 * the same files as in the installed n8n 2.40.7) in the `filesystem` mode (n8n-core's filesystem
 * manager: the stream written to a temporary file, renamed when complete) or the `database` mode (a
 * stand-in for n8n's DatabaseManager, which lives in the n8n package with its TypeORM repository: it
 * reads the content whole with n8n's binaryToBuffer, refuses it over the size limit, and inserts it;
 * here the "insert" writes the row to a file and lets go of the Buffer, as a database in its own
 * process would).
 */
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';

import type { IBinaryData } from 'n8n-workflow';
import type { BinaryData } from 'n8n-core/dist/binary-data/types';

import { contentBytes, type MailContent } from '../../nodes/shared/mail/store';

/** All the bytes of downloaded content (a stream is read to its end). */
export async function contentOf(content: MailContent): Promise<Buffer> {
	if (!Buffer.isBuffer(content) && !(content instanceof Readable)) throw new TypeError(`prepareBinaryData takes a Buffer or a Readable, not ${typeof content}`);
	return await contentBytes(content);
}

export async function storeBinary(content: MailContent, fileName?: string, mimeType?: string): Promise<IBinaryData> {
	const data = await contentOf(content);
	return { data: data.toString('base64'), fileName, mimeType: mimeType ?? 'application/octet-stream', fileSize: String(data.length), bytes: data.length };
}

/** N8N_DEFAULT_BINARY_DATA_MODE values the storage runs in ('default' is in memory). */
export type BinaryDataMode = 'default' | 'filesystem' | 'database';

export interface BinaryStorage {
	readonly mode: BinaryDataMode;
	/** N8N_BINARY_DATA_STORAGE_PATH (also where the database stand-in keeps its rows). */
	readonly storagePath: string;
	/** `helpers.prepareBinaryData(content, fileName, mimeType)` of a node in this mode. */
	prepareBinary(content: MailContent, fileName?: string, mimeType?: string): Promise<IBinaryData>;
	/** The bytes n8n stored for a binary (as `helpers.getBinaryDataBuffer` reads them). */
	read(binary: IBinaryData): Promise<Buffer>;
	/** The same as a stream (as `helpers.getBinaryStream` reads them). */
	stream(binary: IBinaryData): Promise<Readable>;
	/** What n8n's store reported to its error reporter instead of throwing (a temporary file it could not remove). */
	readonly reported: unknown[];
	/** Deletes the storage folder. */
	close(): Promise<void>;
}

export interface BinaryStorageOptions {
	/** Default: a new folder under the system's temporary folder. */
	storagePath?: string;
	workflowId?: string;
	executionId?: string;
	/** N8N_BINARY_DATA_DATABASE_MAX_FILE_SIZE, MB (n8n's default 512). */
	databaseMaxFileSizeMB?: number;
}

/**
 * n8n's binary data storage in `mode`, from n8n-core's own code. One storage is in n8n's service
 * container at a time: each prepareBinary puts its own there first (n8n-core looks it up there without
 * awaiting anything when a MIME type is given, as every caller here gives one).
 */
export async function n8nBinaryStorage(mode: BinaryDataMode, options: BinaryStorageOptions = {}): Promise<BinaryStorage> {
	// Loaded here, not with this file (every stand-in context imports it); required, not import()ed: the
	// "import" condition of @n8n/backend-network's exports names TypeScript sources it does not ship. Deep
	// paths: the n8n-core index loads the whole execution engine (~55 MB more resident memory in a bench worker).
	const { BinaryDataService } = require('n8n-core/dist/binary-data/binary-data.service') as typeof import('n8n-core/dist/binary-data/binary-data.service');
	const helpers = require('n8n-core/dist/execution-engine/node-execution-context/utils/binary-helper-functions') as typeof import('n8n-core/dist/execution-engine/node-execution-context/utils/binary-helper-functions');
	const { Container } = require('@n8n/di') as typeof import('@n8n/di');
	const storagePath = options.storagePath ?? (await mkdtemp(join(os.tmpdir(), `n8n-binary-${mode}-`)));
	const reported: unknown[] = [];
	const config = { mode, availableModes: ['filesystem', 'database'], localStoragePath: storagePath, dbMaxFileSize: options.databaseMaxFileSizeMB ?? 512, signingSecret: 'test' };
	const report = (error: unknown) => reported.push(error);
	const quiet = () => undefined;
	const service = new BinaryDataService(config as never, { error: report, warn: report } as never, { info: quiet, warn: quiet, error: quiet, debug: quiet } as never);
	await service.init();
	if (mode === 'database') service.setManager('database', await databaseManagerStandIn(join(storagePath, 'database'), config.dbMaxFileSize));
	const workflowId = options.workflowId ?? 'workflow';
	const executionId = options.executionId ?? 'execution';
	return {
		mode,
		storagePath,
		reported,
		async prepareBinary(content, fileName, mimeType) {
			Container.set(BinaryDataService, service);
			return await helpers.prepareBinaryData(content, executionId, workflowId, fileName, mimeType);
		},
		async read(binary) {
			return await service.getAsBuffer(binary);
		},
		async stream(binary) {
			return binary.id ? await service.getAsStream(binary.id) : Readable.from(Buffer.from(binary.data, 'base64'));
		},
		async close() {
			await rm(storagePath, { recursive: true, force: true });
		},
	};
}

/** n8n 2.40.7's DatabaseManager (packages/cli binary-data/database.manager.ts), its repository stood in by files. */
async function databaseManagerStandIn(folder: string, maxFileSizeMB: number): Promise<BinaryData.Manager> {
	const { binaryToBuffer } = require('@n8n/backend-network') as typeof import('@n8n/backend-network');
	const { FileTooLargeError } = require('n8n-core/dist/errors/file-too-large.error') as typeof import('n8n-core/dist/errors/file-too-large.error');
	await mkdir(folder, { recursive: true });
	const rows = new Map<string, BinaryData.Metadata>();
	const row = (fileId: string) => join(folder, fileId);
	const insert = async (data: Buffer, metadata: BinaryData.PreWriteMetadata): Promise<BinaryData.WriteResult> => {
		const fileId = randomUUID();
		const fileSizeMb = data.length / (1024 * 1024);
		if (fileSizeMb > maxFileSizeMB) throw new FileTooLargeError({ fileSizeMb, maxFileSizeMb: maxFileSizeMB, fileId, fileName: metadata.fileName });
		await writeFile(row(fileId), data);
		rows.set(fileId, { ...metadata, fileSize: data.length });
		return { fileId, fileSize: data.length };
	};
	const unsupported = (what: string) => async () => {
		throw new Error(`database stand-in: ${what} is not needed here`);
	};
	return {
		async init() {},
		// The whole content in one Buffer first, as n8n does: binaryToBuffer collects the chunks and concatenates them.
		store: async (_location, bufferOrStream, metadata) => await insert(await binaryToBuffer(bufferOrStream), metadata),
		getPath: (fileId) => `database://${fileId}`,
		getAsBuffer: async (fileId) => await readFile(row(fileId)),
		getAsStream: async (fileId) => Readable.from(await readFile(row(fileId))),
		getMetadata: async (fileId) => {
			const metadata = rows.get(fileId);
			if (!metadata) throw new Error(`database stand-in: no row ${fileId}`);
			return metadata;
		},
		copyByFileId: unsupported('copyByFileId'),
		copyByFilePath: async (_location, path, metadata) => await insert(await readFile(path), metadata),
		rename: unsupported('rename'),
	};
}
