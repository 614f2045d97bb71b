/**
 * mulberry32: a small seedable generator for the fuzz tests. Good enough to pick test values, and a
 * printed seed repeats a run exactly.
 */
export function seededRandom(seed: number): () => number {
	let state = seed >>> 0;
	return () => {
		state = (state + 0x6d2b79f5) >>> 0;
		let t = state;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
	};
}

/** `length` bytes from seededRandom(seed): file content that repeats a run exactly and compresses to nothing. */
export function seededBytes(length: number, seed: number): Buffer {
	const random = seededRandom(seed);
	const bytes = Buffer.alloc(length);
	for (let offset = 0; offset < length; offset += 4) {
		const word = Math.floor(random() * 4_294_967_296);
		for (let index = 0; index < 4 && offset + index < length; index++) bytes[offset + index] = (word >>> (8 * index)) & 0xff;
	}
	return bytes;
}
