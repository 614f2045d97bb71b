import { expiryWarning, readTokenClaims } from '../../nodes/shared/auth/tokenClaims';

const tokenWith = (claims: object) => `e30.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.sig`;

describe('token claims (diagnostics only)', () => {
	it('reads roles', () => {
		expect(readTokenClaims(tokenWith({ roles: ['SMTP.SendAsApp'] })).roles).toEqual(['SMTP.SendAsApp']);
		expect(readTokenClaims('not a token')).toEqual({});
	});

	it('warns about an expiry within 30 days, and about a past one', () => {
		const now = new Date('2026-11-23T00:00:00Z');
		expect(expiryWarning('2026-12-10', now)).toMatch(/expires in 17 day/);
		expect(expiryWarning('2026-11-01', now)).toMatch(/expired on 2026-11-01/);
		expect(expiryWarning('2027-06-01', now)).toBeUndefined();
		expect(expiryWarning(undefined, now)).toBeUndefined();
	});
});
