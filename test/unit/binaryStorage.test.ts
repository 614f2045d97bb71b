/**
 * The bench's and tests' n8n binary data storage (test/support/binaryContent.ts): n8n-core's own
 * prepareBinaryData in the filesystem mode, the database mode's stand-in, and the in-memory mode.
 * What the bench's memory figures rest on: a stream reaches the filesystem as it is read, the database
 * mode reads it whole first, a failed stream stores nothing.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';

import { n8nBinaryStorage, type BinaryStorage } from '../support/binaryContent';

const CHUNK = 64 * 1024;
const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

async function filesUnder(folder: string): Promise<Array<{ path: string; size: number }>> {
	const entries = await readdir(folder, { recursive: true, withFileTypes: true });
	const files = entries.filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath, entry.name));
	return await Promise.all(files.map(async (path) => ({ path, size: (await stat(path)).size })));
}

/** `content` in 64 KB chunks; `onChunk(index)` runs before each chunk is handed out. */
function chunked(content: Buffer, onChunk: (index: number) => Promise<void> = async () => {}): Readable {
	return Readable.from(
		(async function* () {
			for (let index = 0; index * CHUNK < content.length; index++) {
				await onChunk(index);
				yield content.subarray(index * CHUNK, (index + 1) * CHUNK);
			}
		})(),
	);
}

describe('n8n binary data storage', () => {
	let storage: BinaryStorage | undefined;
	afterEach(async () => {
		await storage?.close();
		storage = undefined;
	});

	it('filesystem: n8n writes the stream to a file as it reads it, and the item holds only the id', async () => {
		storage = await n8nBinaryStorage('filesystem');
		const content = randomBytes(3 * 1024 * 1024);
		const written: number[] = [];
		const folder = storage.storagePath;
		const stream = chunked(content, async (index) => {
			if (index === 40) written.push(...(await filesUnder(folder)).filter((file) => file.path.includes('.tmp.')).map((file) => file.size));
		});
		const binary = await storage.prepareBinary(stream, 'scan.pdf', 'application/pdf');

		// Half way through, the bytes so far were in the temporary file already (not collected in memory).
		expect(written).toHaveLength(1);
		expect(written[0]).toBeGreaterThanOrEqual(30 * CHUNK);
		expect(binary).toMatchObject({ data: 'filesystem-v2', fileName: 'scan.pdf', mimeType: 'application/pdf', bytes: content.length });
		expect(binary.id).toMatch(/^filesystem-v2:workflows\/workflow\/executions\/execution\/binary_data\/[0-9a-f-]{36}$/);
		const [stored, ...others] = (await filesUnder(folder)).filter((file) => !file.path.endsWith('.metadata'));
		expect(others).toEqual([]);
		expect(stored.path).toBe(join(folder, binary.id!.slice('filesystem-v2:'.length)));
		expect(sha256(await readFile(stored.path))).toBe(sha256(content));
		expect(sha256(await storage.read(binary))).toBe(sha256(content));
		expect(storage.reported).toEqual([]);
	});

	it('filesystem: a stream that fails part way stores nothing and rejects with its error', async () => {
		storage = await n8nBinaryStorage('filesystem');
		const stream = chunked(randomBytes(2 * 1024 * 1024), async (index) => {
			if (index === 10) throw new Error('socket hang up');
		});
		await expect(storage.prepareBinary(stream, 'scan.pdf', 'application/pdf')).rejects.toThrow('socket hang up');
		expect(await filesUnder(storage.storagePath)).toEqual([]);
		expect(storage.reported).toEqual([]);
	});

	it('database: n8n reads the stream whole before the insert; the row holds the bytes', async () => {
		storage = await n8nBinaryStorage('database');
		const content = randomBytes(3 * 1024 * 1024);
		const rowsWhileReading: number[] = [];
		const folder = storage.storagePath;
		const binary = await storage.prepareBinary(
			chunked(content, async (index) => {
				if (index === 47) rowsWhileReading.push((await filesUnder(folder)).length);
			}),
			'scan.pdf',
			'application/pdf',
		);
		expect(rowsWhileReading).toEqual([0]);
		expect(binary).toMatchObject({ data: 'database', bytes: content.length });
		expect(binary.id).toMatch(/^database:[0-9a-f-]{36}$/);
		expect(sha256(await storage.read(binary))).toBe(sha256(content));
	});

	it('database: content over N8N_BINARY_DATA_DATABASE_MAX_FILE_SIZE is refused with n8n\'s error', async () => {
		storage = await n8nBinaryStorage('database', { databaseMaxFileSizeMB: 1 });
		await expect(storage.prepareBinary(chunked(randomBytes(1024 * 1024 + 1)), 'big.bin', 'application/octet-stream')).rejects.toThrow(/"big\.bin".*exceeds the max size limit of 1 MB.*N8N_BINARY_DATA_DATABASE_MAX_FILE_SIZE/);
		expect(await filesUnder(storage.storagePath)).toEqual([]);
	});

	it('default (in memory): the content as base64 in the item, no id', async () => {
		storage = await n8nBinaryStorage('default');
		const content = randomBytes(200 * 1024);
		const binary = await storage.prepareBinary(chunked(content), 'a.bin', 'application/octet-stream');
		expect(binary.id).toBeUndefined();
		expect(binary.data).toBe(content.toString('base64'));
		expect(binary.bytes).toBe(content.length);
	});
});
