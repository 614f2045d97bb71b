import { CredentialNetworkClient } from '../../nodes/shared/transport/networkClient';
import { useSmtpTrap } from '../support/smtpTrap';

const currentTrap = useSmtpTrap();

describe('the token client talks to the credential\'s token service only', () => {
	it('refuses any other host (discovery, metadata, a redirect target) before opening a socket, even a trusted one', async () => {
		const trap = currentTrap();
		const client = new CredentialNetworkClient({ caCertificate: trap.ca }, { allowedHosts: ['login.microsoftonline.com'] });
		const trapUrl = `https://${trap.host}:${trap.httpsPort}`;
		for (const url of [`${trapUrl}/common/discovery/instance`, `${trapUrl}/tenant/v2.0/.well-known/openid-configuration`, `https://login.microsoftonline.com.${trap.host}.nip.io:${trap.httpsPort}/`, `http://login.microsoftonline.com/tenant/oauth2/v2.0/token`]) {
			await expect(client.sendGetRequestAsync(url)).rejects.toThrow(/^Refused to send a request to /);
			await expect(client.sendPostRequestAsync(url, { body: 'client_secret=x' })).rejects.toThrow(/the credential's token service is login\.microsoftonline\.com$/);
		}
		expect(trap.connections.https).toBe(0);
	});

	it('sends to the named host (and port) as usual', async () => {
		const trap = currentTrap();
		const client = new CredentialNetworkClient({ caCertificate: trap.ca }, { allowedHosts: [`${trap.host}:${trap.httpsPort}`] });
		const response = await client.sendPostRequestAsync<{ error?: string }>(`https://${trap.host}:${trap.httpsPort}/tenant/oauth2/v2.0/token`, { body: 'grant_type=client_credentials' });
		expect(response).toMatchObject({ status: 400, body: { error: 'invalid_request' } });
		expect(trap.connections.https).toBe(1);
	});
});
