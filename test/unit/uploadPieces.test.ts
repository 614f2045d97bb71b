/**
 * The two ways an upload cuts a stream: base64 for the streamed EWS CreateAttachment and Graph's
 * upload-session ranges. Whatever the chunks the stream arrives in (n8n's filesystem mode reads 64 KiB,
 * its database mode hands the whole file as one chunk), the result is the same as for the whole file.
 */
import { Readable } from 'node:stream';

import { base64Pieces } from '../../nodes/shared/transport/ews/attachmentUpload';
import { uploadRanges } from '../../nodes/shared/transport/graph/store';
import { seededBytes, seededRandom } from '../support/seededRandom';

function chunked(bytes: Buffer, random: () => number, maxChunk: number): Readable {
	const chunks: Buffer[] = [];
	for (let start = 0; start < bytes.length; ) {
		const size = 1 + Math.floor(random() * maxChunk);
		chunks.push(bytes.subarray(start, start + size));
		start += size;
	}
	return Readable.from(chunks);
}

async function collect<T>(pieces: AsyncIterable<T>): Promise<T[]> {
	const all: T[] = [];
	for await (const piece of pieces) all.push(piece);
	return all;
}

describe('base64Pieces', () => {
	it.each([0, 1, 2, 3, 4, 5, 196_607, 196_608, 196_609, 1_000_003])('%i bytes in random chunks encode as the whole file does', async (length) => {
		const bytes = seededBytes(length, length + 1);
		const random = seededRandom(length);
		// Chunks of one byte only for the small sizes, to keep the run short.
		for (const maxChunk of length > 300_000 ? [997, 65_536, length + 1] : [1, 7, 65_536, length + 1]) {
			const text = (await collect(base64Pieces(chunked(bytes, random, maxChunk)))).join('');
			expect(text).toBe(bytes.toString('base64'));
		}
		expect((await collect(base64Pieces(bytes))).join('')).toBe(bytes.toString('base64'));
	});

	it('ends with the error of a stream that fails', async () => {
		const failing = new Readable({ read() { this.destroy(new Error('EIO: i/o error, read')); } });
		await expect(collect(base64Pieces(failing))).rejects.toThrow('EIO');
	});
});

describe('uploadRanges', () => {
	const RANGE = 10 * 320 * 1024;

	it.each([1, RANGE - 1, RANGE, RANGE + 1, 3 * RANGE + 12_345])('%i bytes: ranges of exactly the range size, the last shorter, whatever the chunks', async (length) => {
		const bytes = seededBytes(length, length);
		const random = seededRandom(length + 7);
		for (const content of [bytes, chunked(bytes, random, 65_536), chunked(bytes, random, 5 * 1024 * 1024), Readable.from([bytes])]) {
			const ranges = await collect(uploadRanges(content, RANGE));
			expect(ranges.slice(0, -1).every((range) => range.length === RANGE)).toBe(true);
			expect(ranges.at(-1)!.length).toBeLessThanOrEqual(RANGE);
			expect(Buffer.compare(Buffer.concat(ranges), bytes)).toBe(0);
		}
	});

	it('an empty stream gives no range', async () => {
		expect(await collect(uploadRanges(Readable.from([]), RANGE))).toEqual([]);
	});
});
