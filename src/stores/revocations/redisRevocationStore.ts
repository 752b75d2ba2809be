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
  /**
   * Replicas that must hold a revocation before `revoke` resolves (Redis `WAIT`), so a master
   * that dies right after answering does not take it along: replication is asynchronous. A
   * replica that does not confirm within `replicaWaitMs` does not fail the revocation.
   * @default 0: a standalone server has no replicas to wait for
   */
  replicas?: number;
  /** @default 100 */
  replicaWaitMs?: number;
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
      // Held on the master already: a replica that is slow, absent (just after a failover) or a
      // WAIT that times out leaves it there, as without replicas.
      if (options.replicas) await client.wait(options.replicas, options.replicaWaitMs ?? 100).catch(() => 0);
    },
    async close() {
      if (options.ownsClient) client.disconnect();
    },
  };
}
