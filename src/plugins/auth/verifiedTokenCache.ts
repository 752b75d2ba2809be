import { hash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { VerifiedToken } from './verifyJwt.js';

/**
 * The cache key of a token: its SHA-256. A collision-resistant hash, because a collision would
 * let one token borrow another's verification; and not the token itself, so a heap dump of the
 * gateway holds no usable bearer tokens. One-shot `crypto.hash` allocates no Hash object.
 */
export function tokenCacheKey(token: string): string {
  return hash('sha256', token, 'base64url');
}

export interface VerifiedTokenCache {
  /** The verification of a token still before its `exp`; an expired one is dropped. */
  get(key: string): VerifiedToken | undefined;
  set(key: string, verified: VerifiedToken): void;
  readonly size: number;
}

/**
 * Verified tokens, least recently used first out, each kept no later than the token's own `exp`.
 * Only signature, algorithm, issuer, audience and claims are skipped on a hit; revocation is
 * checked by the caller on every request. `undefined` when `maxEntries` is 0 (cache off).
 */
export function createVerifiedTokenCache(options: { maxEntries: number; now: () => number }): VerifiedTokenCache | undefined {
  if (options.maxEntries === 0) return undefined;
  const { now } = options;
  // No ttl option: lru-cache's ttl bookkeeping costs a timestamp per get; the token's own
  // expiry is one comparison.
  const lru = new LRUCache<string, VerifiedToken>({ max: options.maxEntries });
  return {
    get(key) {
      const entry = lru.get(key);
      if (entry === undefined) return undefined;
      if (entry.expiresAtMs <= now()) {
        lru.delete(key);
        return undefined;
      }
      return entry;
    },
    set(key, verified) {
      lru.set(key, verified);
    },
    // eslint-disable-next-line no-restricted-syntax -- one cache per authenticator, made at start-up
    get size() {
      return lru.size;
    },
  };
}
