import { rootCertificates, type ConnectionOptions } from 'tls';

/** TLS settings shared by every connection a credential makes (token endpoint, SMTP, EWS). */
export interface TlsFields {
	caCertificate?: string;
	allowUnauthorizedCerts?: boolean;
}

/**
 * Verification stays on unless the user explicitly switched it off in the credential. Extra CAs
 * (an on-premises or test CA) are added to Node's built-in list, not put in its place.
 */
export function tlsOptionsFor(fields: TlsFields): Pick<ConnectionOptions, 'ca' | 'rejectUnauthorized' | 'minVersion'> {
	const options: Pick<ConnectionOptions, 'ca' | 'rejectUnauthorized' | 'minVersion'> = {
		rejectUnauthorized: fields.allowUnauthorizedCerts !== true,
		minVersion: 'TLSv1.2',
	};
	const extra = (fields.caCertificate ?? '').trim();
	if (extra) {
		options.ca = [...rootCertificates, extra];
	}
	return options;
}
