import { NodeOperationError, type IExecuteFunctions } from 'n8n-workflow';

import type { MailApi } from '../mail/store';
import { resolveCloudEndpoints, type CloudEndpoints } from '../clouds';
import { mailboxApiOf } from '../credentialFields';
import { CredentialFieldError } from '../errors/credentialFieldError';
import { atStep } from '../errors/nodeErrors';
import { secretsOf } from '../errors/redact';
import type { TlsFields } from '../transport/tls';
import { isMailboxAllowed, mailboxRefusal, parseAllowedMailboxes, type MailboxPolicy } from './allowedMailboxes';
import { acquireAppOnlyToken, validateAppOnlyCredential, type AppOnlyCredential } from './appOnlyToken';
import { getDelegatedAccessToken, type DelegatedCredential } from './delegatedToken';
import { readTokenClaims } from './tokenClaims';

export type AuthenticationKind = 'appOnly' | 'delegated';

/** What the token is for: the credential's Mailbox API (Exchange node and trigger) or SMTP (Send Email node). */
export type TokenUse = 'mailbox' | 'smtp';

export const APP_ONLY_CREDENTIAL_TYPE = 'microsoftExchangeAppOnlyApi';

const TOKEN_STEP = 'Getting an access token';

/**
 * Everything a transport needs from the selected credential, whichever kind it is: endpoints, TLS
 * settings, the values to keep out of messages, and a way to get a (fresh) access token.
 */
export interface ExchangeAuth {
	kind: AuthenticationKind;
	/** The API the credential's mailbox calls go to (its Mailbox API field); undefined: EWS, as in 0.1. */
	mailboxApi?: MailApi;
	/** The resource every token of `getAccessToken` is for: Graph's for the Graph Mailbox API, else Exchange's. */
	tokenResource?: string;
	endpoints: CloudEndpoints;
	tls: TlsFields;
	/** Values that must never appear in output or errors; grows as tokens are minted. */
	secrets: string[];
	/** The signed-in user of a delegated credential (from the token), if known. */
	signedInUser?: string;
	/** For the fixes in error messages: the app registration and tenant of the credential. */
	clientId?: string;
	tenantId?: string;
	/**
	 * A token for `tokenResource`. Failures come back as a StepError "Getting an access
	 * token" naming the token service, so they are never reported as a failed send or EWS call.
	 */
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

/** The Mailbox API for `use` (SMTP has none) and the resource its tokens are for. */
function tokenTarget(data: object, endpoints: CloudEndpoints, use: TokenUse): { mailboxApi: MailApi; tokenResource: string } {
	const mailboxApi = mailboxApiOf(data as Parameters<typeof mailboxApiOf>[0]);
	return { mailboxApi, tokenResource: use === 'mailbox' && mailboxApi === 'graph' ? endpoints.graphResource : endpoints.resource };
}

const normalized = (resource: string) => resource.replace(/\/+$/, '').toLowerCase();

/** Audiences a token of each API carries: the cloud's resource URL, and the resource's well-known app id. */
function audiencesOf(api: MailApi, endpoints: CloudEndpoints): string[] {
	return api === 'graph'
		? [endpoints.graphResource, '00000003-0000-0000-c000-000000000000'].map(normalized)
		: [endpoints.resource, 'https://outlook.office.com', '00000002-0000-0ff1-ce00-000000000000'].map(normalized);
}

/**
 * A delegated token of the other API (connected before the Mailbox API changed) is refused here, with the fix,
 * instead of being sent where it cannot work. Other audiences pass: the service decides.
 */
function assertTokenFor(token: string, mailboxApi: MailApi, endpoints: CloudEndpoints): void {
	const audience = readTokenClaims(token).aud;
	const other: MailApi = mailboxApi === 'graph' ? 'ews' : 'graph';
	if (typeof audience !== 'string' || !audiencesOf(other, endpoints).includes(normalized(audience))) return;
	const api = mailboxApi === 'graph' ? 'Microsoft Graph' : 'EWS';
	throw new CredentialFieldError(
		'Mailbox API',
		`The credential was connected for ${other === 'graph' ? 'Microsoft Graph' : 'EWS'} (token for ${audience}), but its Mailbox API is ${api}`,
		'Open the credential and click "Connect my account" again: the sign-in then asks for the permissions of the Mailbox API it shows.',
	);
}

/**
 * `use` picks the token's resource: 'mailbox' follows the credential's Mailbox API (Graph or Exchange), 'smtp'
 * always the Exchange resource (SMTP.SendAsApp / SMTP.Send).
 */
export async function loadExchangeAuth(
	ctx: IExecuteFunctions,
	kind: AuthenticationKind,
	delegatedCredentialType: string,
	use: TokenUse = 'mailbox',
): Promise<ExchangeAuth> {
	if (kind === 'appOnly') {
		const credential = (await ctx.getCredentials(APP_ONLY_CREDENTIAL_TYPE)) as unknown as AppOnlyCredential;
		const policy = parseAllowedMailboxes((credential as unknown as { allowedMailboxes?: string }).allowedMailboxes);
		const secrets = secretsOf(credential as unknown as Record<string, unknown>);
		// Every field problem (empty IDs, a key that does not fit its certificate) shows now, naming the field.
		validateAppOnlyCredential(credential);
		const endpoints = resolveCloudEndpoints(credential);
		const { mailboxApi, tokenResource } = tokenTarget(credential, endpoints, use);
		return {
			kind,
			mailboxApi,
			tokenResource,
			endpoints,
			tls: credential,
			secrets,
			clientId: String(credential.clientId ?? '').trim(),
			tenantId: String(credential.tenantId ?? '').trim(),
			mailboxPolicy: policy,
			assertMailboxAllowed: mailboxGuard(ctx, policy),
			async getAccessToken(forceRefresh = false) {
				try {
					const { accessToken } = await acquireAppOnlyToken(credential, { forceRefresh, resource: tokenResource });
					secrets.push(accessToken);
					return accessToken;
				} catch (error) {
					throw atStep(TOKEN_STEP, endpoints.authorityHost, error);
				}
			},
		};
	}
	const credential = (await ctx.getCredentials(delegatedCredentialType)) as unknown as DelegatedCredential & { clientId?: string };
	const policy = parseAllowedMailboxes((credential as unknown as { allowedMailboxes?: string }).allowedMailboxes);
	const secrets = secretsOf(credential as unknown as Record<string, unknown>);
	const storedToken = credential.oauthTokenData?.access_token;
	const claims = typeof storedToken === 'string' ? readTokenClaims(storedToken) : {};
	const endpoints = resolveCloudEndpoints(credential);
	const { mailboxApi, tokenResource } = tokenTarget(credential, endpoints, use);
	return {
		kind,
		mailboxApi,
		tokenResource,
		endpoints,
		tls: credential,
		secrets,
		signedInUser: claims.upn,
		clientId: String(credential.clientId ?? '').trim(),
		tenantId: String(credential.tenantId ?? '').trim(),
		mailboxPolicy: policy,
		assertMailboxAllowed: mailboxGuard(ctx, policy),
		async getAccessToken(forceRefresh = false) {
			try {
				const { accessToken, credential: current } = await getDelegatedAccessToken(ctx, delegatedCredentialType, { forceRefresh });
				// n8n may have rotated the refresh token while refreshing: keep the new values out of messages too.
				secrets.push(accessToken, ...secretsOf(current as unknown as Record<string, unknown>));
				if (use === 'mailbox') assertTokenFor(accessToken, mailboxApi, endpoints);
				return accessToken;
			} catch (error) {
				throw atStep(TOKEN_STEP, endpoints.authorityHost, error);
			}
		},
	};
}
