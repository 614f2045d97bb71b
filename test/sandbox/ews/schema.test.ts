// The warm schema validator on its own: verdicts, fragments as documents, and worker rotation.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { EwsSchemaValidator } from './schema';
import { children, parseXml, type Element } from './xml';

const schemaDir = resolve(resolve(__dirname, '..', '..', '..'), '..', 'shared', 'ews-schemas');
const haveSchemas = existsSync(schemaDir);
if (!haveSchemas) console.warn(`EWS schema validator tests skipped: ${schemaDir} is absent.`);
const withSchemas = haveSchemas ? test : test.skip;

const M = 'http://schemas.microsoft.com/exchange/services/2006/messages';
const T = 'http://schemas.microsoft.com/exchange/services/2006/types';
const envelope = (body: string) =>
	`<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" xmlns:m="${M}" xmlns:t="${T}"><s:Header><t:RequestServerVersion Version="Exchange2013_SP1"/></s:Header><s:Body>${body}</s:Body></s:Envelope>`;
const parts = (xml: string) => {
	const root = parseXml(xml).documentElement as unknown as Element;
	return { header: children(children(root, 'Header')[0]), operation: children(children(root, 'Body')[0])[0] };
};
const sync = (max: number) =>
	parts(envelope(`<m:SyncFolderItems><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape></m:ItemShape><m:SyncFolderId><t:DistinguishedFolderId Id="inbox"/></m:SyncFolderId><m:MaxChangesReturned>${max}</m:MaxChangesReturned></m:SyncFolderItems>`));

/** `count` documents at once, every `invalidEvery`-th one invalid, through workers of `slots` documents each. */
async function rotate(slots: number, count: number, invalidEvery: number, offset: number) {
	const validator = new EwsSchemaValidator(schemaDir, slots);
	try {
		const maxima = Array.from({ length: count }, (_, i) => (i % invalidEvery === offset ? 1000 : 1 + i));
		const verdicts = await Promise.all(maxima.map((max) => validator.validateRequest(sync(max).header, sync(max).operation)));
		expect(verdicts.map((verdict) => verdict?.message.includes("'1000'") ?? 'valid')).toEqual(maxima.map((max) => (max === 1000 ? true : 'valid')));
		expect(validator.stats.fragments).toBe(2 * count);
		expect(validator.stats.workersStarted).toBeGreaterThanOrEqual(Math.ceil((2 * count) / slots));
	} finally {
		await validator.stop();
	}
}

withSchemas('validates in order across worker rotations (5 documents per worker here)', () => rotate(5, 14, 3, 0), 30_000);

// t:Content is xs:base64Binary (t:MimeContent is a plain xs:string in the schema, so it can't show the type check).
const attach = (base64: string) =>
	parts(envelope(`<m:CreateAttachment><m:ParentItemId Id="AAAA"/><m:Attachments><t:FileAttachment><t:Name>big.bin</t:Name><t:Content>${base64}</t:Content></t:FileAttachment></m:Attachments></m:CreateAttachment>`));

withSchemas('validates text nodes over libxml2 10 MB default limit, and still checks their type', async () => {
	const validator = new EwsSchemaValidator(schemaDir);
	try {
		const base64 = Buffer.alloc(9_000_000, 0x5a).toString('base64'); // 12 MB of base64 in one text node
		const valid = attach(base64);
		expect(await validator.validateRequest(valid.header, valid.operation)).toBeUndefined();
		// The same size with one character that is not base64: the xs:base64Binary check must still run.
		const middle = base64.length / 2;
		const broken = attach(`${base64.slice(0, middle)}!${base64.slice(middle + 1)}`);
		const violation = await validator.validateRequest(broken.header, broken.operation);
		expect(violation?.message.length).toBeLessThan(400); // the value is quoted shortened, not 12 MB long
		expect(violation?.message).toMatch(/^Element '\{[^}]+\}Content': 'WlpaWlpa[^']*…/);
	} finally {
		await validator.stop();
	}
}, 60_000);

// 3 documents per worker: 18 concurrent requests (36 documents) run through 12 worker hand-overs while the queue is never empty,
// the moment a document is handed over right as the worker starts waiting (the lost wakeup that once hung a bench run).
withSchemas('restarting workers under a burst loses no wakeup: every document gets its own verdict', () => rotate(3, 18, 4, 1), 120_000);
