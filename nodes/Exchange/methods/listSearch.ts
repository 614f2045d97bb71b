import type { IExecuteFunctions, ILoadOptionsFunctions, INodeListSearchResult } from 'n8n-workflow';

import { loadExchangeAuth, type AuthenticationKind } from '../../shared/auth/exchangeAuth';
import { toNodeApiError } from '../../shared/errors/nodeErrors';
import { mailboxToUse, nodeParameters } from '../../shared/parameters';
import { EwsClient } from '../../shared/transport/ews/client';
import { listFolders } from '../../shared/transport/ews/folders';
import { DELEGATED_CREDENTIAL_TYPE } from '../descriptions/common';

/** Folder picker: every mail folder of the mailbox by path, filtered by the typed text. */
export async function searchFolders(this: ILoadOptionsFunctions, filter?: string): Promise<INodeListSearchResult> {
	const kind = this.getNodeParameter('authentication', 'appOnly') as AuthenticationKind;
	// loadExchangeAuth reads credentials, the node and (for a refresh) the HTTP helper: all present here too.
	const ctx = this as unknown as IExecuteFunctions;
	const auth = await loadExchangeAuth(ctx, kind, DELEGATED_CREDENTIAL_TYPE);
	const parameters = nodeParameters(this);
	// Nothing to list until a mailbox is given (app-only) or known (delegated).
	if (!parameters.mailbox('mailbox', 'Mailbox') && !auth.signedInUser) return { results: [] };
	const mailbox = mailboxToUse(parameters, auth);
	try {
		const folders = await listFolders(new EwsClient(auth, { ewsUrl: auth.endpoints.ewsUrl ?? '' }), mailbox);
		const needle = (filter ?? '').trim().toLowerCase();
		return {
			results: folders
				.filter((folder) => !needle || folder.path.toLowerCase().includes(needle))
				.sort((a, b) => a.path.localeCompare(b.path))
				.map((folder) => ({ name: folder.path, value: folder.path })),
		};
	} catch (error) {
		throw toNodeApiError(this.getNode(), error, { secrets: auth.secrets, action: 'Listing folders' });
	}
}
