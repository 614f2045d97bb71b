/**
 * A credential field that cannot work as filled in (empty, malformed, a key that does not match its
 * certificate). Found when the credential is loaded, before anything goes over the network, and
 * reported with the field's name instead of being guessed at from a library message.
 */
export class CredentialFieldError extends Error {
	constructor(
		/** The field as the credential form labels it, e.g. "SMTP Host". */
		readonly field: string,
		message: string,
		/** What to put into the field. */
		readonly fix: string,
	) {
		super(message);
		this.name = 'CredentialFieldError';
	}
}
