import { ANONYMOUS, type Principal } from '../../context/principal.js';
import type { RevocationStore } from '../../stores/revocations/revocationStore.js';
import { createApiKeyLookup, type ApiKeyEntry } from './apiKeys.js';
import { AuthFailure, AuthUnavailable } from './authFailure.js';
import { createVerifiedTokenCache, tokenCacheKey, type VerifiedTokenCache } from './verifiedTokenCache.js';
import type { VerifiedToken } from './verifyJwt.js';

export interface AuthenticatorOptions {
  /** Full verification of a bearer token; absent when the BFF accepts no JWTs. */
  verifyJwt?: ((token: string) => Promise<VerifiedToken>) | undefined;
  maxTokenBytes: number;
  /** 0 turns the verified-token cache off. */
  cacheMaxEntries: number;
  /** Accepted API keys; absent when the BFF accepts none. */
  apiKeys?: readonly ApiKeyEntry[] | undefined;
  /** Told the id of each API key that authenticated a request. */
  onApiKeyUse?: (id: string) => void;
  anonymous: 'allow' | 'deny';
  revocations: RevocationStore;
  onRevocationStoreError: 'deny' | 'allow';
  /** Called when the revocation store fails and `onRevocationStoreError` is 'allow'. */
  onRevocationCheckSkipped?: (error: unknown) => void;
  /** Epoch milliseconds. */
  now: () => number;
}

export interface Authenticator {
  /**
   * The principal for a request's credentials (the Authorization header and the API key header,
   * each null when absent). Throws AuthFailure (401) or AuthUnavailable (503). Returns a plain
   * value, not a promise, whenever nothing had to wait: a cache hit with the memory revocation
   * store allocates no promise.
   */
  authenticate(authorization: string | null, apiKey: string | null): Principal | Promise<Principal>;
  /** Counters for tests, the benchmark and metrics. */
  readonly stats: { readonly verifications: number; readonly cacheHits: number };
}

// A compact JWS: three base64url parts; the third may be empty only for `alg: none`, which the
// verifier refuses with its own reason.
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;
const BEARER = /^bearer +/i;

/**
 * Decides who is calling, in this order: conflicting credentials, API key, no credentials
 * (anonymous), bearer token. A bearer token goes through the verified-token cache; a miss is
 * verified once even when many requests present it at the same moment. Revocation is checked
 * after the cache, on every request.
 */
export function createAuthenticator(options: AuthenticatorOptions): Authenticator {
  const { verifyJwt, maxTokenBytes, revocations, now } = options;
  const cache: VerifiedTokenCache | undefined = createVerifiedTokenCache({ maxEntries: options.cacheMaxEntries, now });
  const lookupApiKey = options.apiKeys
    ? createApiKeyLookup(options.apiKeys, { now, ...(options.onApiKeyUse ? { onUse: options.onApiKeyUse } : {}) })
    : undefined;
  const pending = new Map<string, Promise<VerifiedToken>>();
  const stats = { verifications: 0, cacheHits: 0 };

  function checkRevoked(principal: Principal): Principal | Promise<Principal> {
    const jti = principal.jti;
    if (jti === undefined) return principal;
    let revoked: boolean | Promise<boolean>;
    try {
      revoked = revocations.isRevoked(jti);
    } catch (error) {
      return storeFailed(principal, error);
    }
    if (revoked === false) return principal;
    if (revoked === true) throw new AuthFailure('revoked', 'bearer');
    return revoked.then(
      (isRevoked) => {
        if (isRevoked) throw new AuthFailure('revoked', 'bearer');
        return principal;
      },
      (error: unknown) => storeFailed(principal, error),
    );
  }

  function storeFailed(principal: Principal, error: unknown): Principal {
    if (options.onRevocationStoreError === 'deny') throw new AuthUnavailable('revocations', { cause: error });
    options.onRevocationCheckSkipped?.(error);
    return principal;
  }

  function verifyOnce(token: string, key: string, verify: (token: string) => Promise<VerifiedToken>): Promise<VerifiedToken> {
    let verifying = pending.get(key);
    if (verifying === undefined) {
      stats.verifications += 1;
      verifying = verify(token).then((verified) => {
        cache?.set(key, verified);
        return verified;
      });
      const settled = () => pending.delete(key);
      verifying.then(settled, settled);
      pending.set(key, verifying);
    }
    return verifying;
  }

  function bearer(authorization: string): Principal | Promise<Principal> {
    let token: string;
    if (authorization.startsWith('Bearer ')) token = authorization.slice(7);
    else {
      const prefix = BEARER.exec(authorization);
      if (prefix === null) throw new AuthFailure('malformed_header', 'bearer');
      token = authorization.slice(prefix[0].length);
    }
    if (!verifyJwt) throw new AuthFailure('bearer_not_accepted', 'bearer');
    if (token.length > maxTokenBytes) throw new AuthFailure('too_large', 'bearer');

    const key = tokenCacheKey(token);
    const hit = cache?.get(key);
    if (hit !== undefined) {
      stats.cacheHits += 1;
      return checkRevoked(hit.principal);
    }
    if (!COMPACT_JWS.test(token)) throw new AuthFailure('malformed', 'bearer');
    return verifyOnce(token, key, verifyJwt).then((verified) => checkRevoked(verified.principal));
  }

  return {
    stats,
    authenticate(authorization, apiKey) {
      if (authorization !== null && apiKey !== null) throw new AuthFailure('ambiguous_credentials');
      if (apiKey !== null) {
        if (!lookupApiKey) throw new AuthFailure('api_keys_not_accepted', 'apiKey');
        const principal = lookupApiKey(apiKey);
        if (principal === undefined) throw new AuthFailure('invalid_api_key', 'apiKey');
        if (principal === 'expired') throw new AuthFailure('expired_api_key', 'apiKey');
        return principal;
      }
      if (authorization === null) {
        if (options.anonymous === 'deny') throw new AuthFailure('credentials_required');
        return ANONYMOUS;
      }
      return bearer(authorization);
    },
  };
}
