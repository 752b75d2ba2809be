import { createHash } from 'node:crypto';
import type { Principal } from '../context/principal.js';
import type { UpstreamRequest } from './httpClient.js';

/** The scope every caller without credentials shares: anonymous answers are the same for all. */
export const ANONYMOUS_SCOPE = 'anonymous';

const scopeKeys = new WeakMap<Principal, string>();

/**
 * Who a cached answer may be served to: a digest of everything about the caller that can change
 * what an upstream returns (how they authenticated, subject, tenant, scopes and roles, the last two
 * sorted so their order does not matter). Two users never share a key, even with equal scopes:
 * an upstream may answer "my orders" differently per subject. Anonymous callers share one key.
 */
export function principalScopeKey(principal: Principal | undefined): string {
  if (!principal || principal.kind === 'anonymous') return ANONYMOUS_SCOPE;
  let key = scopeKeys.get(principal);
  if (key === undefined) {
    const material = JSON.stringify([
      principal.kind,
      principal.subject,
      principal.tenant ?? null,
      [...principal.scopes].sort(),
      [...principal.roles].sort(),
    ]);
    key = createHash('sha256').update(material).digest('base64url');
    scopeKeys.set(principal, key);
  }
  return key;
}

/**
 * Key of one upstream read in the fallback cache: source, method, URL (REST path and query),
 * body (for GraphQL: the document, the variables and the operation name), the caller's scope and
 * the client headers header rules forward.
 * Hashed, so keys have one size whatever the document, and no query text or id ends up in Redis
 * key names.
 */
export function fallbackKey(request: UpstreamRequest): string {
  return createHash('sha256')
    .update(`${request.source}\0${request.method}\0${request.url}\0${request.body ?? ''}\0${principalScopeKey(request.scope?.principal)}${forwardedPart(request)}`)
    .digest('base64url');
}

/**
 * Everything `fallbackKey` covers but the body, unhashed: with the body string it identifies a
 * read without hashing anything long (src/transport/withFallbackCache.ts). The caller's scope
 * comes first, since that is where reads sending one body differ.
 */
export function fallbackKeyRest(request: UpstreamRequest): string {
  return `${fallbackScopeKey(request)}\0${request.source}\0${request.method}\0${request.url}`;
}

/**
 * The caller part of the key: whose stored answers this caller may be served. Calls shared
 * between requests (src/transport/withSharedCalls.ts) are shared only within one such scope.
 */
export function fallbackScopeKey(request: UpstreamRequest): string {
  return `${principalScopeKey(request.scope?.principal)}${forwardedPart(request)}`;
}

/** The client headers header rules forward (docs/headers.md): an answer may depend on them. Empty without rules, so keys stay as they were. */
function forwardedPart(request: UpstreamRequest): string {
  const key = request.scope?.forwardedHeadersKey;
  return key === undefined ? '' : `\0h:${key}`;
}
