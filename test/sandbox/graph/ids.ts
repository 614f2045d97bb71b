// Graph ids over the shared store. EWS ItemIds are standard base64 of 36 bytes starting 0x00 <tag>; Graph's
// REST ids carry a different header and use the URL-safe alphabet (as Graph's '-'/'_' ids do), so an id of one
// protocol is malformed for the other, as on the real services. Regular message ids embed the current EWS id
// (they change when the item moves); immutable ids name the store's immutableId (they survive a move).
// Folder ids embed the EWS folder id (folders have no immutable ids: their regular ids never change).
import { idShape, type IdKind } from '../ews/store';

const HEADERS = {
	regular: [0x00, 0x03, 0x24, 0x00], // "AAMkA…", like Graph's REST ids
	folder: [0x01, 0x03, 0x24, 0x00], // "AQMkA…", like Graph's folder ids
	immutable: [0x00, 0x09, 0x00, 0x2e], // "AAkALg…", like Graph's immutable ids
} as const;

const toGraphAlphabet = (base64: string) => base64.replace(/\//g, '-').replace(/\+/g, '_');
const fromGraphAlphabet = (id: string) => id.replace(/-/g, '/').replace(/_/g, '+');

function wrap(header: readonly number[], payload: Buffer): string {
	return toGraphAlphabet(Buffer.concat([Buffer.from(header), payload]).toString('base64'));
}

/** An EWS id (item, folder or attachment) as a Graph id. */
export function graphIdOf(ewsId: string, kind: IdKind): string {
	return wrap(kind === 'folder' ? HEADERS.folder : HEADERS.regular, Buffer.from(ewsId, 'base64'));
}

export const immutableGraphId = (immutableId: string) => wrap(HEADERS.immutable, Buffer.from(immutableId, 'hex'));

export type DecodedId = { kind: 'ews'; ewsId: string } | { kind: 'immutable'; immutableId: string };

/** A Graph id of `kind`, or undefined when it is malformed (an EWS id, a truncated or foreign string). */
export function decodeGraphId(id: string, kind: IdKind): DecodedId | undefined {
	if (!/^[A-Za-z0-9_-]+={0,2}$/.test(id)) return undefined;
	const raw = Buffer.from(fromGraphAlphabet(id), 'base64');
	if (toGraphAlphabet(raw.toString('base64')) !== id) return undefined;
	const header = [...raw.subarray(0, 4)];
	const same = (expected: readonly number[]) => expected.every((byte, index) => header[index] === byte);
	if (kind === 'item' && same(HEADERS.immutable) && raw.length === 20) return { kind: 'immutable', immutableId: raw.subarray(4).toString('hex') };
	if (!same(kind === 'folder' ? HEADERS.folder : HEADERS.regular)) return undefined;
	const ewsId = raw.subarray(4).toString('base64');
	return idShape(ewsId, kind) === 'ok' ? { kind: 'ews', ewsId } : undefined;
}
