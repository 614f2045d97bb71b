/**
 * "Where a token goes is decided by the credential only", for the Exchange node: every operation
 * of every resource, with every text field, resource locator and option set to a trap address
 * (a trusted HTTPS and SMTP listener no credential names), for both credential kinds. The trap must
 * never see a connection; the EWS calls that do happen go to the credential's EWS URL.
 * (The Send Email node has the same test in test/nodes/smtpOAuth.security.test.ts.)
 */
import type { ICredentialDataDecryptedObject, IDataObject, INodeProperties } from 'n8n-workflow';

import { Exchange } from '../../nodes/Exchange/Exchange.node';
import { clientOptions } from '../../nodes/Exchange/actions/router';
import { DEMO, type Sandbox } from '../sandbox';
import { useSmtpTrap, type SmtpTrap } from '../support/smtpTrap';
import { createExecuteContext } from '../support/executeContext';
import { appOnlyCredential, delegatedCredential, EWS_DELEGATED_SCOPE } from '../support/sandboxCredentials';
import { useSandbox } from '../support/useSandbox';

const node = new Exchange();
const currentSandbox = useSandbox();
const currentTrap = useSmtpTrap();
let sandbox: Sandbox;
let trap: SmtpTrap;
beforeAll(() => {
	sandbox = currentSandbox();
	trap = currentTrap();
	// Throttling back-off is not slept.
	clientOptions.wait = async () => undefined;
});
afterAll(() => {
	delete clientOptions.wait;
});

/** Values of every text-like parameter (nested options too) of one operation, all set to `value`. */
function fill(properties: INodeProperties[], value: string, show: Record<string, string>): IDataObject {
	const parameters: IDataObject = {};
	for (const property of properties) {
		const shownFor = property.displayOptions?.show ?? {};
		if (!Object.entries(shownFor).every(([key, allowed]) => key in show ? (allowed as unknown[]).includes(show[key]) : true)) continue;
		if (property.type === 'string') parameters[property.name] = value;
		else if (property.type === 'resourceLocator') parameters[property.name] = { __rl: true, mode: value.includes('/') ? 'path' : 'id', value };
		else if (property.type === 'collection' && property.options) parameters[property.name] = fill(property.options as INodeProperties[], value, {});
	}
	return parameters;
}

function operations(): Array<{ resource: string; operation: string }> {
	const properties = node.description.properties;
	const resources = (properties.find((p) => p.name === 'resource')?.options ?? []) as Array<{ value: string }>;
	return resources.flatMap(({ value: resource }) =>
		((properties.find((p) => p.name === 'operation' && p.displayOptions?.show?.resource?.includes(resource))?.options ?? []) as Array<{ value: string }>).map(({ value: operation }) => ({ resource, operation })),
	);
}

it('lists every operation (so the test below cannot pass by testing none)', () => {
	expect(operations().length).toBeGreaterThanOrEqual(20);
});

describe.each(['appOnly', 'delegated'] as const)('Exchange node, %s credential', (kind) => {
	it('no parameter value of any operation reaches a server the credential does not name', async () => {
		const trusting = { caCertificate: `${sandbox.ca}\n${trap.ca}` };
		const credentials: Record<string, ICredentialDataDecryptedObject> =
			kind === 'appOnly' ? { microsoftExchangeAppOnlyApi: appOnlyCredential(sandbox, trusting) } : { microsoftExchangeOAuth2Api: await delegatedCredential(sandbox, trusting, EWS_DELEGATED_SCOPE) };
		const own = kind === 'appOnly' ? DEMO.sharedMailbox : DEMO.user;
		const spellings = [`${trap.host}:${trap.httpsPort}`, `https://${trap.host}:${trap.httpsPort}/EWS/Exchange.asmx`, `localhost:${trap.starttlsPort}`];
		const ewsCalls = () => Object.values(sandbox.ews.counts()).reduce((sum, count) => sum + (count ?? 0), 0);
		const callsBefore = ewsCalls();
		let runs = 0;
		for (const { resource, operation } of operations()) {
			for (const spelling of spellings) {
				for (const mailbox of [own, spelling]) {
					const parameters = { ...fill(node.description.properties, spelling, { authentication: kind, resource, operation }), authentication: kind, resource, operation, mailbox };
					const test = createExecuteContext({ description: node.description, parameters, credentials, trustedCa: sandbox.ca, continueOnFail: true, items: [{ json: { url: spelling } }] });
					try {
						await node.execute.call(test.context);
					} catch {
						// Refusals are fine; only where the request went matters here.
					}
					runs++;
				}
			}
		}
		expect(runs).toBe(operations().length * spellings.length * 2);
		expect(trap.connections).toEqual({ starttls: 0, tls: 0, https: 0 });
		expect(trap.tokens).toEqual([]);
		// The node did talk to the credential's EWS URL meanwhile.
		expect(ewsCalls()).toBeGreaterThan(callsBefore + operations().length);
	}, 240_000);
});
