/**
 * What Microsoft Graph's mail error codes mean for an admin, and how to fix them, with the real
 * mailbox, app (client) ID and tenant filled in. Keyed on the failure's `code` (Graph's own, or
 * ours for failures without an answer); the HTTP status decides where no code is known.
 */
import type { MailFailure } from '../mail/store';
import { diagnoseEntraError, diagnoseNetworkError, diagnoseTlsError, type Diagnosis, type MailFailureFacts } from './catalogue';

/** What a Graph failure (a MailFailure with api 'graph') carries for its message. */
type GraphFailure = MailFailureFacts & Partial<Pick<MailFailure, 'kind' | 'tenantId' | 'endpoint'>>;

/** A value for a fix, or the bare word that stands for it (n8n renders descriptions as HTML: no angle brackets). */
function named(value: string | undefined, word: string): string {
	const trimmed = (value ?? '').trim();
	return trimmed && !/[<>&"]/.test(trimmed) ? trimmed : word;
}

const mailboxOf = (f: GraphFailure) => named(f.mailbox, 'MAILBOX');
const appOf = (f: GraphFailure) => named(f.clientId, 'CLIENT_ID');
const tenantOf = (f: GraphFailure) => named(f.tenantId, 'TENANT_ID');
const hostOf = (f: GraphFailure) => named(f.server, 'graph.microsoft.com');

/** The permissions the package asks for, by credential kind (README "Microsoft Graph"). */
const GRAPH_PERMISSIONS = 'Microsoft Graph application permissions Mail.ReadWrite and Mail.Send (delegated: Mail.ReadWrite, Mail.Send, Mail.ReadWrite.Shared, offline_access)';

/** Scoping an app-only Graph app to some mailboxes, and the Entra grant that would override it. */
function scopeFix(f: GraphFailure): string {
	return (
		`If the app is scoped to some mailboxes with RBAC for Applications, add ${mailboxOf(f)} to the scope: ` +
		`\`New-ManagementRoleAssignment -App ${appOf(f)} -Role "Application Mail.ReadWrite" -CustomResourceScope SCOPE_NAME\` ` +
		`(and "Application Mail.Send" for sending), then check with \`Test-ServicePrincipalAuthorization -Identity ${appOf(f)} -Resource ${mailboxOf(f)}\`. ` +
		`An older application access policy is checked with \`Test-ApplicationAccessPolicy -Identity ${mailboxOf(f)} -AppId ${appOf(f)}\`. ` +
		'Changes can take an hour to apply.'
	);
}

type Entry = (f: GraphFailure) => Omit<Diagnosis, 'code'>;

const GRAPH: Record<string, Entry> = {
	ErrorAccessDenied: (f) => ({
		message: `Microsoft Graph denied access to the mailbox ${mailboxOf(f)}`,
		fix: `App-only: grant the app ${appOf(f)} the ${GRAPH_PERMISSIONS.split(' (')[0]} with admin consent in tenant ${tenantOf(f)}. ${scopeFix(f)} Delegated: the signed-in user needs FullAccess on a shared mailbox (\`Add-MailboxPermission -Identity ${mailboxOf(f)} -User USER -AccessRights FullAccess\`) and the credential the Mail.ReadWrite.Shared scope.`,
	}),
	MailboxNotEnabledForRESTAPI: (f) => ({
		message: `The mailbox ${mailboxOf(f)} cannot be reached over Microsoft Graph`,
		fix: `Graph serves only Exchange Online mailboxes: ${mailboxOf(f)} is on-premises, inactive, soft-deleted or has no Exchange Online licence. Assign a licence with Exchange Online, or, for an on-premises mailbox, use a credential with Mailbox API EWS and the on-premises EWS URL (Custom cloud).`,
	}),
	MailboxNotHostedInExchangeOnline: (f) => GRAPH.MailboxNotEnabledForRESTAPI(f),
	ErrorInvalidUser: (f) => ({
		message: `No user or mailbox ${mailboxOf(f)} exists in tenant ${tenantOf(f)}`,
		fix: `Check the mailbox address (its primary SMTP address or user principal name) and that the credential's tenant (${tenantOf(f)}) and cloud are the mailbox's.`,
	}),
	ErrorItemNotFound: (f) => ({
		message: `The item was not found in the mailbox ${mailboxOf(f)} (it may have been deleted)`,
		fix: 'Use an ID from a recent Exchange node run with this credential. Graph IDs (immutable) stay the same when a message moves; IDs from an EWS credential or from another mailbox are not found here.',
	}),
	ErrorInvalidIdMalformed: () => ({
		message: 'The ID is not a Microsoft Graph ID',
		fix: 'Pass the "id" field of a message, folder or attachment returned by an Exchange node that uses a Graph credential. EWS IDs (from a credential with Mailbox API EWS, or saved by version 0.1) and Internet Message-IDs are different strings: read the message again with this credential.',
	}),
	ErrorInvalidMailboxItemId: (f) => ({
		message: `The ID belongs to another mailbox than ${mailboxOf(f)}`,
		fix: `Graph acts only on items of the mailbox the node names (${mailboxOf(f)}): put the mailbox the ID came from into the node's Mailbox field, or use an ID read from ${mailboxOf(f)}.`,
	}),
	ErrorQuotaExceeded: (f) => ({
		message: `The mailbox ${mailboxOf(f)} is full (storage quota exceeded)`,
		fix: `Free space in the mailbox (empty Deleted Items and Recoverable Items, archive old mail) or raise its quota; \`Get-MailboxStatistics -Identity ${mailboxOf(f)} | Format-List TotalItemSize\` shows its size.`,
	}),
	ErrorMessageSizeExceeded: (f) => ({
		message: 'The message is larger than the mailbox or the organisation allows',
		fix: `Send smaller attachments, or raise the limit: \`Set-Mailbox -Identity ${mailboxOf(f)} -MaxSendSize 150MB -MaxReceiveSize 150MB\` (Exchange Online allows up to 150 MB; the default is 35 MB).`,
	}),
	ApplicationThrottled: (f) => ({
		message: `Microsoft Graph is throttling this app for the mailbox ${mailboxOf(f)} and did not recover within the retries`,
		fix: `Outlook allows an app about 10,000 requests per 10 minutes and 4 at a time per mailbox: process fewer items per run or run less often (app ${appOf(f)}). Calls that are safe to repeat were already retried after the wait Graph asked for; sends are never repeated.`,
	}),
	TooManyRequests: (f) => GRAPH.ApplicationThrottled(f),
	InefficientFilter: () => ({
		message: 'Microsoft Graph refused the combination of filters as too complex',
		fix: 'Use fewer filters at once (Subject Contains together with others is the usual cause), or use Search instead of the filters.',
	}),
	ErrorSendAsDenied: (f) => ({
		message: `Sending as ${mailboxOf(f)} was refused`,
		fix: `App-only: grant the app ${appOf(f)} the Microsoft Graph application permission Mail.Send with admin consent (and "Application Mail.Send" in its RBAC scope). Delegated: grant the signed-in user Send As: \`Add-RecipientPermission -Identity ${mailboxOf(f)} -Trustee USER -AccessRights SendAs\`.`,
	}),
	ErrorFolderExists: () => ({ message: 'A folder of that name exists already', fix: 'Pick another name, or use the existing folder.' }),
	ErrorDeleteDistinguishedFolder: () => ({ message: 'A well-known folder (Inbox, Sent Items, …) cannot be deleted', fix: 'Delete one of its subfolders instead, or empty it.' }),
	syncStateNotFound: () => ({ message: 'The change feed position (delta token) has expired', fix: 'The trigger starts over by itself; if this shows in a workflow, run it again.' }),
	resyncRequired: () => ({ message: 'The change feed position (delta token) is no longer valid', fix: 'The trigger starts over by itself; if this shows in a workflow, run it again.' }),
	GraphNoArchiveMailbox: () => ({
		message: 'Microsoft Graph has no folder for the online archive\'s Inbox',
		fix: 'In the Folder field pick the folder by path or by ID instead of "Archive Mailbox Inbox", or use a credential with Mailbox API EWS for the online archive.',
	}),
	GraphForeignLink: (f) => ({
		message: `Microsoft Graph pointed the node at an address outside ${hostOf(f)}`,
		fix: `The node follows links and redirects only on the credential's Graph host (${hostOf(f)}), so the token goes nowhere else. Check that the Graph URL of the credential is Microsoft Graph itself and that no proxy in between rewrites answers.`,
	}),
	GraphDeadlineExceeded: (f) => ({
		message: `Microsoft Graph (${hostOf(f)}) did not finish its answer in time`,
		fix: 'Retry later or process fewer items per run (large attachments take longest). A send, reply or forward is not repeated: check Sent Items before running it again.',
	}),
	GraphUnreadableAnswer: (f) => ({
		message: `${hostOf(f)} sent an answer that is not a Microsoft Graph answer`,
		fix: `Check that the credential's Graph URL${f.endpoint ? ` (${f.endpoint})` : ''} is Microsoft Graph (https://graph.microsoft.com/v1.0 or the national cloud's), not a proxy or portal.`,
	}),
	'AADSTS65001': (f) => ({
		message: 'The Microsoft Graph permissions have not been consented to',
		fix: `In App registrations → ${appOf(f)} → API permissions, add the ${GRAPH_PERMISSIONS} and click "Grant admin consent" for tenant ${tenantOf(f)}.`,
	}),
	'AADSTS500011': (f) => ({
		message: 'The Microsoft Graph resource of this cloud was not found in the tenant',
		fix: `Check the Cloud of the credential (tenant ${tenantOf(f)}): a .us or .cn Graph host does not exist for a commercial tenant, and the other way round; a custom cloud needs the Graph URL of its cloud.`,
	}),
	'AADSTS70011': () => ({
		message: 'The requested Microsoft Graph scope is not valid',
		fix: 'App-only tokens for Graph use the scope "https://graph.microsoft.com/.default" (or the national cloud\'s Graph host): check the Cloud and, for a custom cloud, the Graph URL.',
	}),
};
GRAPH['AADSTS1002012'] = GRAPH['AADSTS70011'];

/** By HTTP status, when Graph's code is unknown or absent. */
function byStatus(f: GraphFailure): Diagnosis | undefined {
	const status = f.httpStatus ?? 0;
	const code = `HTTP ${status}`;
	if (status >= 300 && status < 400) {
		return { code, message: `${hostOf(f)} redirected the request`, fix: `The node does not follow redirects, so the token never leaves ${hostOf(f)}. Set the credential's Graph URL to Microsoft Graph itself; a redirect to a login page means a proxy in between.` };
	}
	switch (status) {
		case 401:
			return {
				code,
				message: `Microsoft Graph refused the access token, also after a fresh one was fetched`,
				fix: `The token must be for Microsoft Graph (audience https://${hostOf(f)}) and carry Mail.ReadWrite / Mail.Send: grant them to the app ${appOf(f)} with admin consent in tenant ${tenantOf(f)}; reconnect a delegated credential. Check the clock of the n8n server.`,
			};
		case 403:
			return { code, ...GRAPH.ErrorAccessDenied(f) };
		case 404:
			return { code, message: `Microsoft Graph found no such item or mailbox (${mailboxOf(f)})`, fix: 'Check the mailbox address and the ID; an ID from an EWS credential or another mailbox is not found here.' };
		case 413:
			return { code, ...GRAPH.ErrorMessageSizeExceeded(f) };
		case 429:
			return { code, ...GRAPH.ApplicationThrottled(f) };
		case 503:
		case 504:
			return { code, message: `Microsoft Graph (${hostOf(f)}) is unavailable or busy (HTTP ${status}) and did not recover within the retries`, fix: 'Retry later or process fewer items per run; a send, reply or forward is not repeated: check Sent Items before running it again.' };
	}
	if (status >= 500) return { code, message: `Microsoft Graph (${hostOf(f)}) failed with HTTP ${status}`, fix: 'Retry later; calls that are safe to repeat were already retried.' };
	if (status >= 400) return { code: `${f.code}`, message: `Microsoft Graph refused the request (${f.code})`, fix: 'The server\'s text below says what it refers to; if the request itself is at fault, please report it with the node settings (no credentials).' };
	return undefined;
}

/** Diagnosis for a Graph failure: by Graph's code, then the HTTP status, then the socket. */
export function diagnoseGraphFailure(failure: GraphFailure): Diagnosis | undefined {
	if (failure.api !== 'graph') return undefined;
	const known = GRAPH[failure.code];
	if (known) return { code: failure.code, ...known(failure) };
	if (/^AADSTS\d+$/.test(failure.code)) return diagnoseEntraError(failure.code, { clientId: failure.clientId, tenantId: failure.tenantId });
	if (failure.httpStatus) return byStatus(failure);
	const connection = { code: failure.code, message: failure.message };
	const facts = { server: failure.server };
	const tls = diagnoseTlsError(connection, facts);
	if (tls) return tls;
	const network = diagnoseNetworkError(connection, facts);
	if (network) return { ...network, fix: `${network.fix} A send, reply or forward is not repeated: check Sent Items before running it again.` };
	return undefined;
}
