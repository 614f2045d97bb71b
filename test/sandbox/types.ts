// Public types of the Microsoft 365 sandbox (Entra ID + Exchange Online SMTP stand-ins on loopback).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ParsedMail } from 'mailparser';
import type { EwsService } from './ews';
import type { GraphService } from './graph';

export interface RegisteredApp {
	tenantId: string; // GUID
	tenantDomains?: string[]; // e.g. ['contoso.test'], accepted in the URL instead of the GUID
	clientId: string; // GUID
	clientSecret?: string;
	secretExpiresAt?: Date; // in the past -> AADSTS7000222 when the secret is used
	certificatePem?: string; // registered certificate (PEM) for client_assertion auth
	roles: string[]; // application permissions with admin consent, e.g. ['SMTP.SendAsApp','full_access_as_app']
	/** Microsoft Graph application permissions with admin consent, e.g. ['Mail.ReadWrite','Mail.Send']; unset/[] = none (the token has no roles). */
	graphRoles?: string[];
	delegatedScopes: string[]; // consented delegated scopes (Exchange and Graph names), e.g. ['SMTP.Send','EWS.AccessAsUser.All','Mail.ReadWrite','offline_access','openid']
	sendAs: string[]; // mailboxes the app's service principal may send as / has FullAccess on; '*' = all
	displayName?: string;
	/** Web redirect URIs; when set, authorize/token reject any other redirect_uri with AADSTS50011. Unset = accept any. */
	redirectUris?: string[];
}

export interface SandboxUser {
	upn: string;
	displayName: string;
	tenantId: string;
	sendAs?: string[]; // other mailboxes this user may send as (shared mailboxes)
}

export interface SandboxOptions {
	host?: string; // default '127.0.0.1'
	ports?: { https?: number; smtp?: number; control?: number }; // default 0 = pick free port
	apps?: RegisteredApp[]; // default: demoApps()
	users?: SandboxUser[]; // default: demoUsers()
	tokenLifetimeSeconds?: number; // default 3600
	/** Resources the tenant knows; default ['https://outlook.office365.com','https://outlook.office.com'] (+ the sandbox's own https origin). */
	audiences?: string[];
	/** Token audiences the Graph stand-in accepts; default the global Graph resource (https://graph.microsoft.com and its app id). */
	graphAudiences?: string[];
	tlsDir?: string; // optional: reuse/persist CA + server key/cert in this folder
	/** EWS schema folder (messages.xsd, types.xsd, xml.xsd); default ../shared/ews-schemas beside the repository. */
	ewsSchemaDir?: string;
	log?: (line: string) => void; // default: no logging
	/** Where warnings go (e.g. no EWS schema folder); default console.warn. */
	warn?: (line: string) => void;
}

/** Handler for an extra route on one of the sandbox's HTTP(S) servers. `params` = RegExp capture groups. */
export type RouteHandler = (
	req: IncomingMessage,
	res: ServerResponse,
	match: { url: URL; params: string[] },
) => void | Promise<void>;

export interface RouteRegistry {
	/** A string path matches that path and anything below it (`/EWS/Exchange.asmx`); a RegExp must match the whole pathname. First match wins. */
	addRoute(method: string, path: string | RegExp, handler: RouteHandler): void;
}

export interface Sandbox {
	ca: string; // PEM of the CA that signed the server certificate (clients trust this)
	host: string;
	entra: EntraStandIn;
	smtp: SmtpStandIn;
	/** EWS stand-in at `${https.origin}/EWS/Exchange.asmx` (url, store, requests, counts(), failNext(), setLatency()…). */
	ews: EwsService;
	/** Microsoft Graph v1.0 stand-in over the same mailboxes as `ews` (requests, counts(), failNext(), setAppScope()…). */
	graph: GraphService;
	/** `${https.origin}/v1.0`, the Graph base URL (graph.microsoft.com/v1.0 in the sandbox). */
	graphUrl: string;
	control: { url: string } & RouteRegistry; // plain http://host:port
	/** The HTTPS server Entra runs on; other stand-ins (EWS) add their routes here. */
	https: { origin: string; port: number } & RouteRegistry;
	stop(): Promise<void>;
}

export type EntraErrorCode = 7000215 | 7000222 | 700016 | 90002 | 65001 | 700027 | 50011 | 700082;

export interface TokenRequestRecord {
	grantType: string;
	clientId: string;
	tenant: string; // as written in the URL
	scope: string;
	ok: boolean;
	error?: string; // e.g. 'AADSTS7000215'
	/** How the client authenticated: 'secret', 'certificate' or 'none' (not part of the original interface, handy in tests). */
	clientAuth?: 'secret' | 'certificate' | 'none';
	at: Date;
}

export interface AccessTokenClaims {
	aud: string;
	iss: string;
	tid: string;
	appid: string;
	app_displayname?: string;
	oid: string;
	sub?: string;
	idtyp?: 'app' | 'user';
	roles?: string[];
	scp?: string;
	upn?: string;
	unique_name?: string;
	name?: string;
	iat: number;
	nbf: number;
	exp: number;
	ver: '1.0';
	[claim: string]: unknown;
}

export interface EntraStandIn {
	origin: string; // 'https://127.0.0.1:PORT'
	authorityHost: string; // '127.0.0.1:PORT'
	port: number;
	tokenUrl(tenant: string): string;
	authorizeUrl(tenant: string): string;
	requests: TokenRequestRecord[];
	registerApp(app: RegisteredApp): void; // add or replace by clientId
	failNext(code: EntraErrorCode, count?: number): void;
	issueToken(claims: {
		tenantId: string;
		clientId: string;
		roles?: string[];
		scp?: string;
		upn?: string;
		audience?: string;
		lifetimeSeconds?: number;
	}): string;
	verifyToken(token: string): Promise<AccessTokenClaims>; // throws TokenVerificationError
	clearRequests(): void;
	/** Looks up a registered app / user (used by the SMTP and EWS stand-ins). */
	findApp(clientId: string): RegisteredApp | undefined;
	findUser(upn: string): SandboxUser | undefined;
}

export type SmtpFailureKind = '5.7.3' | '5.7.139' | '5.2.252' | '4.7.66';

export interface SmtpAuthAttempt {
	user: string;
	ok: boolean;
	response: string;
	/** Why it failed (never contains the token). */
	reason?: string;
	at: Date;
}

export interface SmtpStandIn {
	host: string;
	port: number;
	messages: ReceivedMessage[]; // in arrival order
	authAttempts: SmtpAuthAttempt[];
	connections: number; // TCP connections accepted
	failNext(kind: SmtpFailureKind, count?: number): void;
	waitForMessages(n: number, timeoutMs?: number): Promise<ReceivedMessage[]>;
	clear(): void; // messages, attempts, connections
}

export interface ReceivedMessage {
	id: string;
	authUser: string;
	envelope: { from: string; to: string[] };
	raw: Buffer;
	parsed: ParsedMail;
	receivedAt: Date;
}
