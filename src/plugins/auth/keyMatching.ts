import type { JWK } from 'jose';

const EC_CURVES: Record<string, string> = { ES256: 'P-256', ES384: 'P-384', ES512: 'P-521' };

/**
 * Whether a published key may verify a token of `alg`. Each key verifies one family only, so a
 * token cannot pick how its key is used: an RSA key never becomes an HMAC secret (the RS/HS
 * confusion), and symmetric (`oct`) keys are never taken from a JWKS at all.
 */
export function jwkFitsAlgorithm(jwk: JWK, alg: string): boolean {
  if (jwk.use !== undefined && jwk.use !== 'sig') return false;
  if (jwk.key_ops !== undefined && !jwk.key_ops.includes('verify')) return false;
  if (jwk.alg !== undefined && jwk.alg !== alg) return false;
  if (alg.startsWith('RS') || alg.startsWith('PS')) return jwk.kty === 'RSA';
  if (alg in EC_CURVES) return jwk.kty === 'EC' && jwk.crv === EC_CURVES[alg];
  if (alg === 'EdDSA') return jwk.kty === 'OKP' && (jwk.crv === 'Ed25519' || jwk.crv === 'Ed448');
  return false;
}

/**
 * The one key for a token: by `kid` when the token names one, else the only key that fits the
 * algorithm (several would make the choice the token's, so none is chosen).
 */
export function pickKey<K>(candidates: readonly K[], kidOf: (key: K) => string | undefined, fits: (key: K) => boolean, kid: string | undefined): K | undefined {
  if (kid !== undefined) {
    const named = candidates.filter((key) => kidOf(key) === kid && fits(key));
    if (named.length > 0) return named.length === 1 ? named[0] : undefined;
    // Some deployments configure a single key without a kid while the IdP stamps one on tokens.
    const unnamed = candidates.filter((key) => kidOf(key) === undefined && fits(key));
    return unnamed.length === 1 ? unnamed[0] : undefined;
  }
  const fitting = candidates.filter(fits);
  return fitting.length === 1 ? fitting[0] : undefined;
}
