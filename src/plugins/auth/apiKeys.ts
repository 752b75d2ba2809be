import { createHash } from 'node:crypto';
import type { Principal } from '../../context/principal.js';

export interface ApiKeyEntry {
  id: string;
  /** SHA-256 of the key, lower-case hex. */
  hash: string;
  tenant: string;
  plan: string;
  scopes: readonly string[];
  roles: readonly string[];
  /** Epoch milliseconds from which the key is refused; none: until removed from the config. */
  expiresAt?: number | undefined;
}

export interface ApiKeyLookupOptions {
  /** Epoch milliseconds. @default Date.now */
  now?: () => number;
  /** Told the id of each key that authenticated a request (the last-used metric). */
  onUse?: (id: string) => void;
}

/** Longer input is not a key of ours; refusing it bounds the hashing an anonymous client causes. */
const MAX_KEY_LENGTH = 256;

/** The SHA-256 hex of a key, as the config stores it. `npm run token -- --hash-api-key KEY` prints it. */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/**
 * Partner API keys, held only as hashes: the config (in git) and the process never hold a usable
 * key. Lookup hashes the presented key and finds the hash; a timing difference could at most
 * reveal bits of a SHA-256 digest, which does not lead back to a key. API keys are high-entropy
 * random strings, so an unsalted fast hash is right here (unlike passwords).
 */
export function createApiKeyLookup(keys: readonly ApiKeyEntry[], options: ApiKeyLookupOptions = {}): (presented: string) => Principal | 'expired' | undefined {
  const now = options.now ?? Date.now;
  const byHash = new Map<string, { principal: Principal; expiresAt: number }>();
  for (const key of keys) {
    byHash.set(key.hash, {
      expiresAt: key.expiresAt ?? Number.POSITIVE_INFINITY,
      principal: Object.freeze({
        kind: 'apiKey',
        subject: key.id,
        tenant: key.tenant,
        plan: key.plan,
        scopes: Object.freeze([...key.scopes]),
        roles: Object.freeze([...key.roles]),
      }),
    });
  }
  return (presented) => {
    if (presented.length === 0 || presented.length > MAX_KEY_LENGTH) return undefined;
    const found = byHash.get(hashApiKey(presented));
    if (found === undefined) return undefined;
    if (now() >= found.expiresAt) return 'expired';
    options.onUse?.(found.principal.subject);
    return found.principal;
  };
}
