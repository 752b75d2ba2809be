import type { RevocationStore } from './revocationStore.js';

export interface MemoryRevocationStoreOptions {
  /** Epoch milliseconds; injected by tests. @default Date.now */
  now?: () => number;
  /**
   * Entries kept before expired ones are swept on the next `revoke`. Sweeping is O(n), so it runs
   * at most once per this many additions rather than on every call.
   * @default 10_000
   */
  sweepEvery?: number;
}

/**
 * Revocations held in this process: right for one instance (`npm start`, tests). A fleet needs the
 * Redis store, or a token revoked on one instance stays good on the others.
 */
export function createMemoryRevocationStore(options: MemoryRevocationStoreOptions = {}): RevocationStore {
  const now = options.now ?? Date.now;
  const sweepEvery = options.sweepEvery ?? 10_000;
  const expiresAtByJti = new Map<string, number>();
  const listeners = new Set<(jti: string) => void>();
  let additions = 0;

  const sweep = () => {
    const nowSeconds = now() / 1000;
    for (const [jti, expiresAt] of expiresAtByJti) if (expiresAt <= nowSeconds) expiresAtByJti.delete(jti);
  };

  return {
    isRevoked(jti) {
      const expiresAt = expiresAtByJti.get(jti);
      return expiresAt !== undefined && expiresAt > now() / 1000;
    },
    async revoke(jti, expiresAt) {
      expiresAtByJti.set(jti, Math.max(expiresAt, expiresAtByJti.get(jti) ?? 0));
      additions += 1;
      if (additions % sweepEvery === 0) sweep();
      for (const listener of listeners) listener(jti);
    },
    async onRevoked(listener) {
      listeners.add(listener);
      return async () => {
        listeners.delete(listener);
      };
    },
    async close() {
      expiresAtByJti.clear();
      listeners.clear();
    },
  };
}
