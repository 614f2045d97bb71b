/** An ExchangeService for the baselines, set up the way a hand-written app-only integration does it. */
import type { ExchangeService } from 'ews-javascript-api';

import { EwsHttpClient } from '../../nodes/shared/transport/ews/xhr';
import { fetchAppOnlyToken, type WorkerInput } from './common';

export type Ews = typeof import('ews-javascript-api');

/** Loaded outside the timed part in every worker (about 900 modules). */
export const loadEws = (): Ews => require('ews-javascript-api') as Ews;

export async function baselineService(ews: Ews, input: WorkerInput): Promise<ExchangeService> {
	const token = await fetchAppOnlyToken(input);
	const service = new ews.ExchangeService(ews.ExchangeVersion.Exchange2013_SP1);
	service.Url = new ews.Uri(input.ewsUrl);
	// The same HTTP layer as ours (node https, same TLS settings): only the call pattern differs.
	service.XHRApi = new EwsHttpClient({ caCertificate: String(input.credential.caCertificate ?? '') });
	service.Credentials = new ews.OAuthCredentials(token);
	service.ImpersonatedUserId = new ews.ImpersonatedUserId(ews.ConnectingIdType.SmtpAddress, input.mailbox);
	service.HttpHeaders.Add('X-AnchorMailbox', input.mailbox);
	return service;
}
