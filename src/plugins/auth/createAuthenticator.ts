import type { PartnerCredentials } from '../../config/clientCertificatesSchema.js';
import type { ClientCertificate } from '../../context/clientCertificate.js';
import { ANONYMOUS, type Principal } from '../../context/principal.js';
import { joinInFlight } from '../../context/joinInFlight.js';
import type { RevocationStore } from '../../stores/revocations/revocationStore.js';
import { createApiKeyLookup, type ApiKeyEntry } from './apiKeys.js';
import { AuthFailure, AuthUnavailable } from './authFailure.js';
import type { CertificateLookup } from './clientCertificates.js';
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
  /** Partner client certificates → principals; absent when the BFF accepts none. */
  certificates?: CertificateLookup | undefined;
  /**
   * What a partner presents (src/config/clientCertificatesSchema.ts).
   * @default 'apiKey'
   */
  partnerCredentials?: PartnerCredentials;
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
   * each null when absent, and the TLS connection's client certificate, if any). Throws AuthFailure (401) or AuthUnavailable (503). Returns a plain
   * value, not a promise, whenever nothing had to wait: a cache hit with the memory revocation
   * store allocates no promise.
   */
  authenticate(authorization: string | null, apiKey: string | null, certificate?: ClientCertificate): Principal | Promise<Principal>;
  /** Counters for tests, the benchmark and metrics. */
  readonly stats: { readonly verifications: number; readonly cacheHits: number };
}

// A compact JWS: three base64url parts; the third may be empty only for `alg: none`, which the
// verifier refuses with its own reason.
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;
const BEARER = /^bearer +/i;

/**
 * Decides who is calling, in this order: conflicting credentials, client certificate (when the
 * BFF accepts them), API key, no credentials (anonymous), bearer token. A bearer token goes through the verified-token cache; a miss is
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
    return joinInFlight(pending, key, async () => {
      stats.verifications += 1;
      const verified = await verify(token);
      cache?.set(key, verified);
      return verified;
    });
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

  function apiKeyPrincipal(apiKey: string): Principal {
    if (!lookupApiKey) throw new AuthFailure('api_keys_not_accepted', 'apiKey');
    const principal = lookupApiKey(apiKey);
    if (principal === undefined) throw new AuthFailure('invalid_api_key', 'apiKey');
    if (principal === 'expired') throw new AuthFailure('expired_api_key', 'apiKey');
    return principal;
  }

  const partnerCredentials = options.partnerCredentials ?? 'apiKey';
  const certificates = partnerCredentials === 'apiKey' ? undefined : options.certificates;

  /**
   * A client that presented a certificate: a bad one is refused whatever else the request carries
   * (invalid credentials are always 401); a good one is the partner, with the API key 'both'
   * requires, and nothing else.
   */
  function certificatePartner(certificate: ClientCertificate, lookup: CertificateLookup, authorization: string | null, apiKey: string | null): Principal {
    const partner = lookup(certificate);
    if (authorization !== null) throw new AuthFailure('ambiguous_credentials');
    if (partnerCredentials === 'both') {
      if (apiKey === null) throw new AuthFailure('api_key_required', 'apiKey');
      if (apiKeyPrincipal(apiKey).tenant !== partner.tenant) throw new AuthFailure('credentials_mismatch', 'certificate');
      return partner;
    }
    if (apiKey !== null) throw partnerCredentials === 'certificate' ? new AuthFailure('api_keys_not_accepted', 'apiKey') : new AuthFailure('ambiguous_credentials');
    return partner;
  }

  return {
    stats,
    authenticate(authorization, apiKey, certificate) {
      if (authorization !== null && apiKey !== null) throw new AuthFailure('ambiguous_credentials');
      if (certificate !== undefined && certificates) return certificatePartner(certificate, certificates, authorization, apiKey);
      if (apiKey !== null) {
        // A partner key alone is not enough where the partner must also hold its certificate.
        if (partnerCredentials === 'both') throw new AuthFailure('client_certificate_required', 'certificate');
        return apiKeyPrincipal(apiKey);
      }
      if (authorization === null) {
        if (options.anonymous === 'deny') throw new AuthFailure('credentials_required');
        return ANONYMOUS;
      }
      return bearer(authorization);
    },
  };
}
