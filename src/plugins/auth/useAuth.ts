import type { Logger } from 'pino';
import type { AuthConfig } from '../../config/authSchema.js';
import type { PorticoPlugin, RequestScope } from '../../context/requestScope.js';
import type { ConnectionCheck } from '../../context/connectionCheck.js';
import { sourceOf } from '../../context/sourceHeaders.js';
import { porticoError } from '../../errors/index.js';
import { createMemoryRevocationStore } from '../../stores/revocations/memoryRevocationStore.js';
import type { RevocationStore } from '../../stores/revocations/revocationStore.js';
import { AuthFailure, AuthUnavailable, challengeFor, type ChallengeSchemes } from './authFailure.js';
import { createAuthenticator, type Authenticator } from './createAuthenticator.js';
import { createCertificateLookup } from './clientCertificates.js';
import { createIdentityHeaderWriter, IDENTITY_JWKS_PATH, identityJwks } from './identityHeaders.js';
import { createJwksKeySource, type KeySource } from './jwksKeySource.js';
import { createStaticKeySource } from './staticKeySource.js';
import { recordApiKeyUse } from './apiKeyMetrics.js';
import { createJwtVerifier } from './verifyJwt.js';

/**
 * The BFF's `auth` config (documented key by key in src/config/authSchema.ts, the one place the
 * defaults and their reasons live) plus what the process provides.
 */
export type AuthOptions = AuthConfig & {
  /** The BFF's name: the `realm` of every challenge. */
  realm: string;
  /**
   * The revocation store (src/stores/revocations/), shared by the process's BFFs.
   * @default a memory store of this plugin's own (one BFF, tests)
   */
  revocationStore?: RevocationStore;
  /** Epoch milliseconds; injected by tests. @default Date.now */
  now?: () => number;
  /** For the JWKS. @default globalThis.fetch */
  fetch?: typeof globalThis.fetch;
  /** Replaces the key source built from `jwt.jwksUrl`/`jwt.keys` (tests). */
  keySource?: KeySource;
  logger?: Pick<Logger, 'warn'>;
  /**
   * Per source name, the JWT claims it receives (sources' `claims` in the registry), signed with
   * the identity headers (`x-portico-claims`, docs/identity.md).
   * @default {}: no source receives claims beyond the identity headers
   */
  claimsBySource?: Readonly<Record<string, readonly string[]>>;
};

/** The plugin with its authenticator, so tests and the benchmark can read its counters. */
export type AuthPlugin = PorticoPlugin & {
  authenticator: Authenticator;
  /** The same decision for a long-lived connection's credentials, when it opens (src/context/connectionCheck.ts). */
  checkConnection: ConnectionCheck;
};

/**
 * Authentication: who is calling, decided before the request body is parsed (yoga's
 * `onRequestParse`, the hook its own JWT plugin uses), so a request with bad credentials costs no
 * parsing, no validation, no cache lookup, no rate-limit charge and no subgraph call.
 *
 * Sets `context.portico.principal` (a JWT, an API key, a partner's client certificate or ANONYMOUS) and the identity headers every
 * upstream call of the request carries (`context.portico.upstreamHeaders`, docs/identity.md).
 * Missing credentials pass as ANONYMOUS unless `anonymous: 'deny'`; field authorization decides
 * what they may read. Invalid credentials are always 401 UNAUTHENTICATED with `WWW-Authenticate`;
 * keys or revocations that cannot be checked are 503 AUTH_UNAVAILABLE.
 */
export function useAuth(options: AuthOptions): AuthPlugin {
  const now = options.now ?? Date.now;
  const { jwt, apiKeys, logger } = options;
  if (options.revocations.store === 'redis' && !options.revocationStore) {
    // A memory list in its place would let a token revoked elsewhere in the fleet through here.
    throw new Error(`BFF ${options.realm}: auth.revocations.store is "redis" but no Redis revocation store was provided`);
  }
  const keySource =
    options.keySource ??
    (jwt?.jwksUrl
      ? createJwksKeySource({
          url: jwt.jwksUrl,
          refreshIntervalMs: jwt.jwks.refreshIntervalSeconds * 1000,
          cooldownMs: jwt.jwks.cooldownSeconds * 1000,
          timeoutMs: jwt.jwks.timeoutMs,
          now,
          ...(options.fetch ? { fetch: options.fetch } : {}),
          onFetchError: (error) => logger?.warn({ err: error, bff: options.realm }, 'JWKS fetch failed; keeping the last good keys'),
        })
      : jwt?.keys
        ? createStaticKeySource(jwt.keys)
        : undefined);

  const authenticator = createAuthenticator({
    verifyJwt:
      jwt && keySource
        ? createJwtVerifier({
            keys: keySource,
            algorithms: jwt.algorithms,
            issuer: jwt.issuer,
            audience: jwt.audience,
            clockSkewSeconds: jwt.clockSkewSeconds,
            requireJti: jwt.requireJti,
            claims: jwt.claims,
            now,
          })
        : undefined,
    maxTokenBytes: jwt?.maxTokenBytes ?? 8192,
    cacheMaxEntries: jwt?.cache.maxEntries ?? 0,
    apiKeys: apiKeys.enabled ? apiKeys.keys.map(({ expiresAt, ...key }) => ({ ...key, ...(expiresAt ? { expiresAt: Date.parse(expiresAt) } : {}) })) : undefined,
    onApiKeyUse: (id) => recordApiKeyUse(options.realm, id, now()),
    certificates: options.clientCertificates ? createCertificateLookup(options.clientCertificates.partners, { now }) : undefined,
    partnerCredentials: options.partnerCredentials,
    anonymous: options.anonymous,
    revocations: options.revocationStore ?? createMemoryRevocationStore({ now }),
    onRevocationStoreError: options.revocations.onStoreError,
    onRevocationCheckSkipped: (error) => logger?.warn({ err: error, bff: options.realm }, 'revocation list unavailable; token let through unchecked'),
    now,
  });
  const identity = createIdentityHeaderWriter({ secret: options.identityHeaders.secret, signingKey: options.identityHeaders.signingKey, now });
  // The public half of the signing key, for sources to verify with (docs/identity.md).
  const jwks = options.identityHeaders.signingKey === undefined ? undefined : JSON.stringify(identityJwks(options.identityHeaders.signingKey));
  const claimsBySource = options.claimsBySource ?? {};
  const withClaims = Object.keys(claimsBySource).length > 0;
  // Registered per request, so every call to a listed source carries the claims of the caller.
  const registerClaims = (scope: RequestScope) => {
    if (!withClaims) return;
    (scope.sourceHeaders ??= []).push({
      request(name) {
        const list = claimsBySource[sourceOf(name)];
        return list === undefined ? undefined : identity.claims(scope.principal, list);
      },
    });
  };
  const schemes: ChallengeSchemes = { realm: options.realm, bearer: jwt !== undefined, apiKeyHeader: apiKeys.enabled ? apiKeys.header : undefined };
  const apiKeyHeader = apiKeys.header;
  const retryAfter = String(jwt?.jwks.cooldownSeconds ?? 10);

  const refuse = (error: unknown): never => {
    if (error instanceof AuthFailure) {
      throw porticoError('UNAUTHENTICATED', {
        details: { reason: error.reason },
        headers: { 'WWW-Authenticate': challengeFor(error, schemes) },
      });
    }
    if (error instanceof AuthUnavailable) {
      logger?.warn({ err: error.cause ?? error, bff: options.realm }, `cannot authenticate: ${error.message}`);
      throw porticoError('AUTH_UNAVAILABLE', { headers: { 'Retry-After': retryAfter } });
    }
    throw error;
  };

  return {
    authenticator,
    async checkConnection(credentials) {
      try {
        await authenticator.authenticate(credentials.get('authorization'), credentials.get(apiKeyHeader));
      } catch (error) {
        refuse(error);
      }
    },
    onRequest({ request, fetchAPI, endResponse }) {
      if (jwks === undefined || !request.url.includes(IDENTITY_JWKS_PATH) || new URL(request.url).pathname !== IDENTITY_JWKS_PATH) return;
      endResponse(new fetchAPI.Response(jwks, { status: 200, headers: { 'content-type': 'application/jwk-set+json', 'cache-control': 'max-age=300' } }));
    },
    onRequestParse({ request, serverContext }) {
      const scope = serverContext.portico;
      // The server creates the scope for every request; without one there is nowhere to put the
      // principal, and serving the request anyway would skip authentication.
      if (!scope) throw new Error('useAuth: the request has no context.portico scope');
      let result;
      try {
        // The certificate comes from the TLS session (the server put it in the scope), never a header.
        result = authenticator.authenticate(request.headers.get('authorization'), request.headers.get(apiKeyHeader), scope.clientCertificate);
      } catch (error) {
        return refuse(error);
      }
      if (result instanceof Promise) {
        return result.then((principal) => {
          scope.principal = principal;
          identity.write(principal, scope.upstreamHeaders);
          registerClaims(scope);
        }, refuse);
      }
      scope.principal = result;
      identity.write(result, scope.upstreamHeaders);
      registerClaims(scope);
      return undefined;
    },
  };
}
