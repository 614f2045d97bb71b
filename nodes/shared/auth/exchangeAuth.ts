import { NodeOperationError, type IExecuteFunctions } from 'n8n-workflow';

import { resolveCloudEndpoints, type CloudEndpoints } from '../clouds';
import { secretsOf } from '../errors/redact';
import type { TlsFields } from '../transport/tls';
import { isMailboxAllowed, mailboxRefusal, parseAllowedMailboxes, type MailboxPolicy } from './allowedMailboxes';
import { acquireAppOnlyToken, type AppOnlyCredential } from './appOnlyToken';
import { getDelegatedAccessToken, type DelegatedCredential } from './delegatedToken';
import { readTokenClaims } from './tokenClaims';

export type AuthenticationKind = 'appOnly' | 'delegated';

export const APP_ONLY_CREDENTIAL_TYPE = 'microsoftExchangeAppOnlyApi';

/**
 * Everything a transport needs from the selected credential, whichever kind it is: endpoints, TLS
 * settings, the values to keep out of messages, and a way to get a (fresh) access token.
 */
export interface ExchangeAuth {
	kind: AuthenticationKind;
	endpoints: CloudEndpoints;
	tls: TlsFields;
	/** Values that must never appear in output or errors; grows as tokens are minted. */
	secrets: string[];
	/** The signed-in user of a delegated credential (from the token), if known. */
	signedInUser?: string;
	getAccessToken(forceRefresh?: boolean): Promise<string>;
	/** The credential's Allowed Mailboxes (also for the ids a node is given: see transport/ews/ownership.ts). */
	mailboxPolicy: MailboxPolicy;
	/** Throws a NodeOperationError naming `field` when the credential's Allowed Mailboxes exclude `mailbox`. */
	assertMailboxAllowed(mailbox: string, field: string, itemIndex: number): void;
}

function mailboxGuard(ctx: IExecuteFunctions, policy: MailboxPolicy): ExchangeAuth['assertMailboxAllowed'] {
	return (mailbox, field, itemIndex) => {
		if (isMailboxAllowed(policy, mailbox)) return;
		const { message, description } = mailboxRefusal(mailbox, policy, field);
		throw new NodeOperationError(ctx.getNode(), message, { itemIndex, description });
	};
}

export async function loadExchangeAuth(
	ctx: IExecuteFunctions,
	kind: AuthenticationKind,
	delegatedCredentialType: string,
): Promise<ExchangeAuth> {
	if (kind === 'appOnly') {
		const credential = (await ctx.getCredentials(APP_ONLY_CREDENTIAL_TYPE)) as unknown as AppOnlyCredential;
		const policy = parseAllowedMailboxes((credential as unknown as { allowedMailboxes?: string }).allowedMailboxes);
		const secrets = secretsOf(credential as unknown as Record<string, unknown>);
		return {
			kind,
			endpoints: resolveCloudEndpoints(credential),
			tls: credential,
			secrets,
			mailboxPolicy: policy,
			assertMailboxAllowed: mailboxGuard(ctx, policy),
			async getAccessToken(forceRefresh = false) {
				const { accessToken } = await acquireAppOnlyToken(credential, { forceRefresh });
				secrets.push(accessToken);
				return accessToken;
			},
		};
	}
	const credential = (await ctx.getCredentials(delegatedCredentialType)) as unknown as DelegatedCredential;
	const policy = parseAllowedMailboxes((credential as unknown as { allowedMailboxes?: string }).allowedMailboxes);
	const secrets = secretsOf(credential as unknown as Record<string, unknown>);
	const storedToken = credential.oauthTokenData?.access_token;
	const claims = typeof storedToken === 'string' ? readTokenClaims(storedToken) : {};
	return {
		kind,
		endpoints: resolveCloudEndpoints(credential),
		tls: credential,
		secrets,
		signedInUser: claims.upn,
		mailboxPolicy: policy,
		assertMailboxAllowed: mailboxGuard(ctx, policy),
		async getAccessToken(forceRefresh = false) {
			const { accessToken } = await getDelegatedAccessToken(ctx, delegatedCredentialType, { forceRefresh });
			secrets.push(accessToken);
			return accessToken;
		},
	};
}
