// Graph's error JSON ({"error": {code, message, innerError}}) and the codes the stand-in answers with.
import { randomUUID } from 'node:crypto';

export class GraphError extends Error {
	constructor(
		readonly status: number,
		readonly code: string,
		message: string,
		readonly headers: Record<string, string> = {},
		/** Answered without a JSON error body (a bare status, as a gateway answers). */
		readonly bare = false,
	) {
		super(message);
		this.name = 'GraphError';
	}
}

/** The body Graph sends with an error (concepts/errors.md). */
export function errorBody(code: string, message: string, requestId = randomUUID()) {
	return { error: { code, message, innerError: { date: new Date().toISOString().replace(/\.\d+Z$/, ''), 'request-id': requestId, 'client-request-id': requestId } } };
}

/** Errors with Graph's own texts (mail-specific codes from Exchange, generic ones from Graph). */
export const errors = {
	itemNotFound: () => new GraphError(404, 'ErrorItemNotFound', 'The specified object was not found in the store.'),
	folderNotFound: () => new GraphError(404, 'ErrorItemNotFound', 'The specified object was not found in the store.'),
	idMalformed: () => new GraphError(400, 'ErrorInvalidIdMalformed', 'Id is malformed.'),
	invalidUser: (user: string) => new GraphError(404, 'ErrorInvalidUser', `The requested user '${user}' is invalid.`),
	restDisabled: () => new GraphError(404, 'MailboxNotEnabledForRESTAPI', 'The mailbox is either inactive, soft-deleted, or is hosted on-premise.'),
	accessDenied: () => new GraphError(403, 'ErrorAccessDenied', 'Access is denied. Check credentials and try again.'),
	/** An application access policy that leaves this mailbox out (concepts/auth-limit-mailbox-access.md). */
	policyDenied: () => new GraphError(403, 'ErrorAccessDenied', 'Access to OData is disabled.'),
	meWithAppToken: () => new GraphError(400, 'BadRequest', '/me request is only valid with delegated authentication flow.'),
	folderExists: () => new GraphError(409, 'ErrorFolderExists', 'A folder with the specified name already exists.'),
	distinguishedFolder: () => new GraphError(400, 'ErrorDeleteDistinguishedFolder', 'Distinguished folders cannot be deleted.'),
	moveDistinguishedFolder: () => new GraphError(400, 'ErrorMoveDistinguishedFolder', 'Distinguished folders cannot be moved.'),
	noRecipients: () => new GraphError(400, 'ErrorInvalidRecipients', 'At least one recipient is not valid., Recipient is not valid.'),
	invalidRecipient: (address: string) => new GraphError(400, 'ErrorInvalidRecipients', `At least one recipient is not valid., Recipient '${address}' is not valid.`),
	sendAsDenied: () =>
		new GraphError(
			403,
			'ErrorSendAsDenied',
			'The user account which was used to submit this request does not have the right to send mail on behalf of the specified sending account. Cannot submit message.',
		),
	badMime: () => new GraphError(400, 'ErrorMimeContentInvalidBase64String', 'Invalid base64 string for MIME content.'),
	/** Unknown property in $select / $filter / $orderby. */
	unknownProperty: (name: string, type: string) => new GraphError(400, 'RequestBroker--ParseUri', `Could not find a property named '${name}' on type 'Microsoft.OutlookServices.${type}'.`),
	badQuery: (message: string) => new GraphError(400, 'BadRequest', message),
	inefficientFilter: () => new GraphError(400, 'InefficientFilter', 'The restriction or sort order is too complex for this operation.'),
	/** A body that does not match the entity type (unknown property, wrong primitive, bad enum value). */
	bodyRead: (message: string) => new GraphError(400, 'RequestBodyRead', message),
	invalidRequest: (message: string) => new GraphError(400, 'invalidRequest', message),
	// Status and code are not documented (message-post-attachments only says "under 3 MB"); 413 as the front end answers.
	attachmentTooLarge: () => new GraphError(413, 'RequestEntityTooLarge', 'The attachment is 3 MB or larger: this endpoint takes attachments under 3 MB; use createUploadSession.'),
	attachmentTooSmall: () =>
		new GraphError(400, 'ErrorAttachmentSizeShouldNotBeLessThanMinimumSize', 'Attachment size must be greater than the minimum size.'),
	messageTooLarge: (limitBytes: number) => new GraphError(413, 'ErrorMessageSizeExceeded', `The message exceeds the maximum supported size of ${limitBytes} bytes.`),
	syncStateNotFound: () => new GraphError(410, 'syncStateNotFound', 'The sync state generation is not found. The delta token is expired and data must be synchronized again.'),
	resyncRequired: () => new GraphError(410, 'resyncRequired', 'The delta token is no longer valid, and the app must reset the sync state.'),
	notSupported: (message: string) => new GraphError(405, 'ErrorInvalidRequest', message),
	resourceNotFound: (path: string) => new GraphError(400, 'BadRequest', `Resource not found for the segment '${path}'.`),
	methodNotAllowed: () => new GraphError(405, 'Request_BadRequest', 'The HTTP method is not allowed for the resource.'),
};
