// Compact JWS (RS256/PS256) on node:crypto. jose is ESM-only and jest (CommonJS, Node 20) cannot require it,
// so the sandbox signs and verifies itself; the tests cross-check the result with jose in a child process.
import { constants, createPrivateKey, createPublicKey, generateKeyPairSync, randomUUID, sign, verify } from 'node:crypto';
import type { JsonWebKey, KeyObject } from 'node:crypto';

export type JwsAlgorithm = 'RS256' | 'PS256';

export interface DecodedJwt {
	header: Record<string, unknown>;
	payload: Record<string, unknown>;
	signingInput: string;
	signature: Buffer;
}

export class TokenVerificationError extends Error {
	constructor(
		/** expired/not_yet_valid -> EWS `invalid_lifetime`; audience -> `invalid_resource`. */
		readonly reason: 'malformed' | 'algorithm' | 'signature' | 'expired' | 'not_yet_valid' | 'issuer' | 'audience',
		message: string,
	) {
		super(message);
		this.name = 'TokenVerificationError';
	}
}

const base64url = (data: Buffer | string): string => Buffer.from(data).toString('base64url');

export function decodeJwt(token: string): DecodedJwt {
	const parts = token.split('.');
	if (parts.length !== 3 || parts.some((part) => !/^[A-Za-z0-9_-]*$/.test(part))) {
		throw new TokenVerificationError('malformed', 'The token is not a compact JWS.');
	}
	try {
		return {
			header: JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8')) as Record<string, unknown>,
			payload: JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')) as Record<string, unknown>,
			signingInput: `${parts[0]}.${parts[1]}`,
			signature: Buffer.from(parts[2], 'base64url'),
		};
	} catch {
		throw new TokenVerificationError('malformed', 'The token header or payload is not JSON.');
	}
}

function rsaOptions(algorithm: JwsAlgorithm, key: KeyObject) {
	return algorithm === 'PS256'
		? { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST }
		: { key, padding: constants.RSA_PKCS1_PADDING };
}

export function signJwt(
	payload: Record<string, unknown>,
	privateKey: KeyObject,
	header: Record<string, unknown> & { alg: JwsAlgorithm },
): string {
	const signingInput = `${base64url(JSON.stringify({ typ: 'JWT', ...header }))}.${base64url(JSON.stringify(payload))}`;
	const signature = sign('sha256', Buffer.from(signingInput), rsaOptions(header.alg, privateKey));
	return `${signingInput}.${base64url(signature)}`;
}

/** Checks the signature only; claim checks are up to the caller. */
export function verifyJwtSignature(decoded: DecodedJwt, publicKey: KeyObject, allowed: JwsAlgorithm[]): void {
	const alg = decoded.header.alg as JwsAlgorithm;
	if (!allowed.includes(alg)) throw new TokenVerificationError('algorithm', `Algorithm '${String(alg)}' is not accepted.`);
	if (!verify('sha256', Buffer.from(decoded.signingInput), rsaOptions(alg, publicKey), decoded.signature)) {
		throw new TokenVerificationError('signature', 'The token signature is invalid.');
	}
}

/** The sandbox's token signing key: RS256 like Entra's v1 access tokens, published as JWKS. */
export class SigningKey {
	readonly kid = randomUUID().replace(/-/g, '').slice(0, 27);
	private readonly privateKey: KeyObject;
	readonly publicKey: KeyObject;

	constructor() {
		const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
		this.privateKey = createPrivateKey(pair.privateKey.export({ type: 'pkcs8', format: 'pem' }));
		this.publicKey = createPublicKey(this.privateKey);
	}

	sign(payload: Record<string, unknown>): string {
		return signJwt(payload, this.privateKey, { alg: 'RS256', kid: this.kid, x5t: this.kid });
	}

	verify(token: string): Record<string, unknown> {
		const decoded = decodeJwt(token);
		if (decoded.header.kid !== this.kid) throw new TokenVerificationError('signature', 'The token was signed by an unknown key.');
		verifyJwtSignature(decoded, this.publicKey, ['RS256']);
		return decoded.payload;
	}

	jwks(): { keys: JsonWebKey[] } {
		const jwk = this.publicKey.export({ format: 'jwk' });
		return { keys: [{ kty: 'RSA', use: 'sig', alg: 'RS256', kid: this.kid, x5t: this.kid, n: jwk.n, e: jwk.e }] };
	}
}
