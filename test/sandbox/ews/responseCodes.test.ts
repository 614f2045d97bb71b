// The EWS stand-in answers only ResponseCodes Exchange can send: every code it raises is one of the
// schema's ResponseCodeType values (a made-up code reaches the library as an unknown number and our
// error mapping would lose it, as ErrorAttachmentNotFound once did).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';

import { MESSAGE_TEXT } from './context';

const schemaFile = resolve(__dirname, '..', '..', '..', '..', 'shared', 'ews-schemas', 'messages.xsd');
const haveSchema = existsSync(schemaFile);
if (!haveSchema) console.warn(`EWS ResponseCode test skipped: ${schemaFile} is absent.`);

function schemaResponseCodes(): Set<string> {
	const xsd = readFileSync(schemaFile, 'utf8');
	const type = /<xs:simpleType name="ResponseCodeType">([\s\S]*?)<\/xs:simpleType>/.exec(xsd)?.[1] ?? '';
	return new Set([...type.matchAll(/<xs:enumeration value="(\w+)"/g)].map((match) => match[1]));
}

/** Every code the stand-in's sources raise or describe: EwsError('…') literals and the MessageText table. */
function raisedCodes(): string[] {
	const sources = readdirSync(__dirname).filter((name) => name.endsWith('.ts') && !name.endsWith('.test.ts'));
	const literals = sources.flatMap((name) => [...readFileSync(resolve(__dirname, name), 'utf8').matchAll(/new EwsError\(\s*'(\w+)'/g)].map((match) => match[1]));
	return [...new Set([...literals, ...Object.keys(MESSAGE_TEXT)])].sort();
}

(haveSchema ? test : test.skip)('every ResponseCode the stand-in raises is in the schema\'s ResponseCodeType', () => {
	const known = schemaResponseCodes();
	expect(known.size).toBeGreaterThan(300);
	const raised = raisedCodes();
	expect(raised.length).toBeGreaterThan(20);
	expect(raised.filter((code) => !known.has(code))).toEqual([]);
});
