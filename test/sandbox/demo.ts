// Fixed demo tenant, apps and users. All values are fake and only valid against this sandbox.
import type { RegisteredApp, SandboxUser } from './types';

export const DEMO = {
	tenantId: '8f2c6a1e-4b7d-4e59-9c3a-5d1e7f0b2a64',
	tenantDomain: 'contoso.test',
	tenantDisplayName: 'Contoso (sandbox)',
	appOnlyClientId: '3b9e1f42-7c5a-4d8e-a1f6-0e2d4c6b8a91',
	appOnlyClientSecret: 'sandbox-secret-app-only-not-a-real-secret',
	delegatedClientId: 'c7d41a08-2e6f-4b93-8d5c-91f0a3e7b2d6',
	delegatedClientSecret: 'sandbox-secret-delegated-not-a-real-secret',
	user: 'alex@contoso.test',
	userDisplayName: 'Alex Wilber',
	sharedMailbox: 'invoices@contoso.test',
	noreplyMailbox: 'noreply@contoso.test',
	/** App-only: one `.default` token serves EWS and SMTP. */
	appOnlyScope: 'https://outlook.office365.com/.default',
	/** Delegated scopes on one resource prefix, plus refresh token and id token. */
	delegatedScopes: [
		'https://outlook.office365.com/SMTP.Send',
		'https://outlook.office365.com/EWS.AccessAsUser.All',
		'offline_access',
		'openid',
	],
} as const;

export function demoApps(): RegisteredApp[] {
	return [
		{
			tenantId: DEMO.tenantId,
			tenantDomains: [DEMO.tenantDomain],
			clientId: DEMO.appOnlyClientId,
			clientSecret: DEMO.appOnlyClientSecret,
			displayName: 'n8n Exchange app-only (sandbox)',
			roles: ['SMTP.SendAsApp', 'full_access_as_app'],
			graphRoles: ['Mail.ReadWrite', 'Mail.Send'],
			delegatedScopes: [],
			sendAs: [DEMO.sharedMailbox, DEMO.noreplyMailbox],
		},
		{
			tenantId: DEMO.tenantId,
			tenantDomains: [DEMO.tenantDomain],
			clientId: DEMO.delegatedClientId,
			clientSecret: DEMO.delegatedClientSecret,
			displayName: 'n8n Exchange delegated (sandbox)',
			roles: [],
			delegatedScopes: ['SMTP.Send', 'EWS.AccessAsUser.All', 'Mail.ReadWrite', 'Mail.Send', 'Mail.ReadWrite.Shared', 'Mail.Send.Shared', 'offline_access', 'openid', 'profile', 'email'],
			sendAs: [],
		},
	];
}

export function demoUsers(): SandboxUser[] {
	return [
		{
			upn: DEMO.user,
			displayName: DEMO.userDisplayName,
			tenantId: DEMO.tenantId,
			sendAs: [DEMO.sharedMailbox],
		},
	];
}
