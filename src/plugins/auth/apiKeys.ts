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
export function createApiKeyLookup(keys: readonly ApiKeyEntry[]): (presented: string) => Principal | undefined {
  const byHash = new Map<string, Principal>();
  for (const key of keys) {
    byHash.set(
      key.hash,
      Object.freeze({
        kind: 'apiKey',
        subject: key.id,
        tenant: key.tenant,
        plan: key.plan,
        scopes: Object.freeze([...key.scopes]),
        roles: Object.freeze([...key.roles]),
      }),
    );
  }
  return (presented) => (presented.length === 0 || presented.length > MAX_KEY_LENGTH ? undefined : byHash.get(hashApiKey(presented)));
}
