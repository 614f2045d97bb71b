import { NodeOperationError, type IExecuteFunctions, type ILoadOptionsFunctions, type INodeListSearchResult } from 'n8n-workflow';

import { loadExchangeAuth, type AuthenticationKind } from '../../shared/auth/exchangeAuth';
import { toNodeApiError } from '../../shared/errors/nodeErrors';
import { mailboxToUse, nodeParameters } from '../../shared/parameters';
import { openMailStore } from '../../shared/mail/open';
import { DELEGATED_CREDENTIAL_TYPE } from '../descriptions/common';

/**
 * Folder picker: every mail folder of the mailbox, filtered by the typed text. The value is the
 * folder's ID (two folders can have the same path text, and a folder keeps its ID when renamed);
 * the label is its path, with "/" inside a name written "\/" so that look-alikes print differently.
 */
export async function searchFolders(this: ILoadOptionsFunctions, filter?: string): Promise<INodeListSearchResult> {
	const kind = this.getNodeParameter('authentication', 'appOnly') as AuthenticationKind;
	// loadExchangeAuth reads credentials, the node and (for a refresh) the HTTP helper: all present here too.
	const ctx = this as unknown as IExecuteFunctions;
	const auth = await loadExchangeAuth(ctx, kind, DELEGATED_CREDENTIAL_TYPE);
	const parameters = nodeParameters(this);
	if (!parameters.mailbox('mailbox', 'Mailbox') && !auth.signedInUser) {
		// n8n shows a thrown error's message and description in the list ("No results" said nothing).
		throw new NodeOperationError(this.getNode(), 'Fill in "Mailbox" first', {
			description: kind === 'appOnly' ? 'App-only access has no mailbox of its own: enter the address of the mailbox to work in, then open the list again.' : 'The stored token names no user: enter the mailbox address, or reconnect the credential.',
		});
	}
	const mailbox = mailboxToUse(parameters, auth);
	try {
		const folders = await openMailStore(auth).listFolders(mailbox, { wellKnown: 'msgfolderroot' }, true);
		const needle = (filter ?? '').trim().toLowerCase();
		return {
			results: folders
				.filter((folder) => !needle || folder.path.toLowerCase().includes(needle))
				.sort((a, b) => a.path.localeCompare(b.path))
				.map((folder) => ({ name: folder.path, value: folder.id })),
		};
	} catch (error) {
		throw toNodeApiError(this.getNode(), error, { secrets: auth.secrets, action: 'Listing folders' });
	}
}
