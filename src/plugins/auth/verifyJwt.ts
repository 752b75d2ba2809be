import { errors, jwtVerify } from 'jose';
import type { Principal } from '../../context/principal.js';
import { AuthFailure, AuthUnavailable, type AuthFailureReason } from './authFailure.js';
import { principalFromClaims, type ClaimPaths } from './claims.js';
import type { KeySource } from './jwksKeySource.js';

export interface JwtVerifierOptions {
  keys: KeySource;
  algorithms: readonly string[];
  issuer: string | readonly string[];
  audience: string | readonly string[];
  clockSkewSeconds: number;
  requireJti: boolean;
  claims: ClaimPaths;
  /** Epoch milliseconds. */
  now: () => number;
}

/** What a full verification yields, and what the verified-token cache keeps. */
export interface VerifiedToken {
  principal: Principal;
  /** The token's `exp` in epoch ms: a cached verification never outlives it. */
  expiresAtMs: number;
}

/**
 * Full verification of one compact JWS: signature with a key the token cannot choose (see
 * KeySource), algorithm from the allow-list, `iss`, `aud`, `exp` (required) and `nbf` with the
 * configured leeway, then claims mapped to a principal. Every refusal is an AuthFailure with a
 * reason; keys that cannot be fetched are AuthUnavailable.
 */
export function createJwtVerifier(options: JwtVerifierOptions): (token: string) => Promise<VerifiedToken> {
  const requiredClaims = options.requireJti ? ['exp', 'jti'] : ['exp'];
  const getKey = options.keys.getKey.bind(options.keys);
  return async (token) => {
    let payload: Record<string, unknown>;
    try {
      ({ payload } = await jwtVerify(token, getKey, {
        algorithms: [...options.algorithms],
        issuer: typeof options.issuer === 'string' ? options.issuer : [...options.issuer],
        audience: typeof options.audience === 'string' ? options.audience : [...options.audience],
        clockTolerance: options.clockSkewSeconds,
        currentDate: new Date(options.now()),
        requiredClaims,
      }));
    } catch (error) {
      throw toAuthError(error);
    }
    const principal = principalFromClaims(payload, options.claims);
    return { principal, expiresAtMs: (payload['exp'] as number) * 1000 };
  };
}

function toAuthError(error: unknown): Error {
  if (error instanceof AuthFailure || error instanceof AuthUnavailable) return error;
  return new AuthFailure(reasonOf(error), 'bearer');
}

function reasonOf(error: unknown): AuthFailureReason {
  if (error instanceof errors.JWTExpired) return 'expired';
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.reason === 'missing') return 'missing_claim';
    switch (error.claim) {
      case 'nbf':
        return 'not_yet_valid';
      case 'iss':
        return 'wrong_issuer';
      case 'aud':
        return 'wrong_audience';
      default:
        return 'invalid_claims';
    }
  }
  if (error instanceof errors.JOSEAlgNotAllowed || error instanceof errors.JOSENotSupported) return 'algorithm_not_allowed';
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'bad_signature';
  // JWSInvalid, JWTInvalid (bad base64, bad JSON, unknown `crit`), and key/type mismatches.
  return 'malformed';
}
