/**
 * Texts the editor shows from the node and credential descriptions: n8n renders descriptions, hints and notices
 * as HTML (a `<mailbox>` would vanish), and documentation links must lead to the README section they name.
 */
import { readFileSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import type { ICredentialType, INodeType } from 'n8n-workflow';

import { MicrosoftExchangeAppOnlyApi } from '../../credentials/MicrosoftExchangeAppOnlyApi.credentials';
import { MicrosoftExchangeOAuth2Api } from '../../credentials/MicrosoftExchangeOAuth2Api.credentials';
import { MicrosoftSmtpOAuth2Api } from '../../credentials/MicrosoftSmtpOAuth2Api.credentials';
import { Exchange } from '../../nodes/Exchange/Exchange.node';
import { ExchangeTrigger } from '../../nodes/ExchangeTrigger/ExchangeTrigger.node';
import { SmtpOAuth } from '../../nodes/SmtpOAuth/SmtpOAuth.node';

const ROOT = path.resolve(__dirname, '..', '..');
const REPOSITORY = 'https://github.com/n8n-nodes-exchange-oauth/n8n-nodes-exchange-oauth';
const nodes: INodeType[] = [new Exchange(), new ExchangeTrigger(), new SmtpOAuth()];
const credentials: ICredentialType[] = [new MicrosoftExchangeAppOnlyApi(), new MicrosoftExchangeOAuth2Api(), new MicrosoftSmtpOAuth2Api()];

/** Every string under `value` with its path; placeholders and defaults are plain text in inputs, not HTML. */
function strings(value: unknown, at: string, out: Array<[string, string]> = []): Array<[string, string]> {
	if (typeof value === 'string') out.push([at, value]);
	else if (Array.isArray(value)) value.forEach((v, i) => strings(v, `${at}[${i}]`, out));
	else if (value && typeof value === 'object') {
		for (const [key, v] of Object.entries(value)) if (key !== 'placeholder' && key !== 'default') strings(v, `${at}.${key}`, out);
	}
	return out;
}

/** GitHub's anchor for a README heading. */
const anchorOf = (heading: string) => heading.trim().toLowerCase().replace(/[^\p{L}\p{N} _-]/gu, '').replace(/ /g, '-');

describe('texts the editor shows', () => {
	const texts = [
		...nodes.flatMap((node) => strings(node.description, node.description.name)),
		...credentials.flatMap((credential) => strings(credential.properties, credential.name)),
	];

	it('has texts to check', () => expect(texts.length).toBeGreaterThan(200));

	it('no description, hint or notice holds an HTML-like <placeholder> (it would vanish in the editor)', () => {
		expect(texts.filter(([, text]) => /<[^>\s][^>]*>/.test(text)).map(([at, text]) => `${at}: ${text}`)).toEqual([]);
	});
});

describe('documentation links', () => {
	const anchors = new Set(readFileSync(path.join(ROOT, 'README.md'), 'utf8').split('\n').filter((l) => /^#{1,6} /.test(l)).map((l) => anchorOf(l.replace(/^#+ /, ''))));
	const codexUrls = ['Exchange', 'ExchangeTrigger', 'SmtpOAuth'].flatMap((dir) =>
		readdirSync(path.join(ROOT, 'nodes', dir))
			.filter((f) => f.endsWith('.node.json'))
			.flatMap((f) => [...readFileSync(path.join(ROOT, 'nodes', dir, f), 'utf8').matchAll(/"url":\s*"([^"]+)"/g)].map((m) => [`${dir}/${f}`, m[1]] as [string, string])),
	);
	const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { homepage: string; bugs: { url: string }; repository: { url: string } };
	const links: Array<[string, string]> = [
		...credentials.map((c) => [c.name, String(c.documentationUrl)] as [string, string]),
		...codexUrls,
		['package.json homepage', pkg.homepage],
	];

	it('every node and credential has its links', () => {
		expect(codexUrls).toHaveLength(nodes.length * 2);
		expect(credentials.every((c) => c.documentationUrl)).toBe(true);
	});

	it.each(links)('%s links to a README section that exists (%s)', (_where, url) => {
		expect(url.startsWith(`${REPOSITORY}#`)).toBe(true);
		const anchor = url.slice(url.indexOf('#') + 1);
		expect(anchor === 'readme' || anchors.has(anchor)).toBe(true);
	});

	it('package.json names the same repository for repository and bugs', () => {
		expect(pkg.repository.url).toBe(`git+${REPOSITORY}.git`);
		expect(pkg.bugs.url).toBe(`${REPOSITORY}/issues`);
	});
});
