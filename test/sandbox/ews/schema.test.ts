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

withSchemas('validates in order across worker rotations (5 documents per worker here)', async () => {
	const validator = new EwsSchemaValidator(schemaDir, 5);
	try {
		const maxima = Array.from({ length: 14 }, (_, i) => (i % 3 === 0 ? 1000 : 1 + i));
		const verdicts = await Promise.all(maxima.map((max) => validator.validateRequest(sync(max).header, sync(max).operation)));
		expect(verdicts.map((verdict) => verdict?.message.includes("'1000'") ?? 'valid')).toEqual(maxima.map((max) => (max === 1000 ? true : 'valid')));
		expect(validator.stats.fragments).toBe(28);
		expect(validator.stats.workersStarted).toBeGreaterThanOrEqual(6);
	} finally {
		await validator.stop();
	}
}, 30_000);
