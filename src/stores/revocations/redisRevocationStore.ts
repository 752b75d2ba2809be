import type { RedisClient } from '../redis/createRedisClient.js';
import type { RevocationStore } from './revocationStore.js';

export interface RedisRevocationStoreOptions {
  /** A connected ioredis client (standalone, Sentinel or Cluster). The store never closes it unless `ownsClient`. */
  client: RedisClient;
  /**
   * Prefix of the one key per revoked `jti`. Shared by every gateway instance and by whatever
   * revokes tokens (an admin tool writes `SET <prefix><jti> 1 PXAT <exp ms>`).
   * @default 'portico:revoked:'
   */
  keyPrefix?: string;
  /** Close the client on `close()`: true when the store created it. @default false */
  ownsClient?: boolean;
  /** Epoch milliseconds; injected by tests. @default Date.now */
  now?: () => number;
}

/**
 * Revocations shared by a fleet: one Redis key per revoked `jti`, expiring with the token (so the
 * list never needs pruning). A check is one `EXISTS` round trip.
 */
export function createRedisRevocationStore(options: RedisRevocationStoreOptions): RevocationStore {
  const { client } = options;
  const prefix = options.keyPrefix ?? 'portico:revoked:';
  const now = options.now ?? Date.now;
  return {
    async isRevoked(jti) {
      return (await client.exists(prefix + jti)) === 1;
    },
    async revoke(jti, expiresAt) {
      const expiresAtMs = expiresAt * 1000;
      // Already expired tokens are refused as expired; a key that would expire at once is pointless.
      if (expiresAtMs <= now()) return;
      await client.set(prefix + jti, '1', 'PXAT', expiresAtMs);
    },
    async close() {
      if (options.ownsClient) client.disconnect();
    },
  };
}
