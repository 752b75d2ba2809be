import type { Logger } from 'pino';
import type { RedisConfig } from '../../config/redisSchema.js';
import { createRedisClient, waitUntilReady, type RedisClient } from '../redis/createRedisClient.js';
import { createMemoryRevocationStore } from './memoryRevocationStore.js';
import { createRedisRevocationStore } from './redisRevocationStore.js';
import type { RevocationStore } from './revocationStore.js';

export interface RevocationStoresOptions {
  /** The deployment's shared Redis; absent means only the memory store exists. */
  redis?: RedisConfig | undefined;
  logger?: Logger | undefined;
}

/** The revocation stores of one process, shared by its BFFs, closed together on shutdown. */
export interface RevocationStores {
  /** 'redis' when the deployment has a Redis and `store` does not say otherwise, else 'memory'. */
  resolve(store: 'memory' | 'redis' | undefined): 'memory' | 'redis';
  /** The one store of that kind in this process. Throws for 'redis' without a Redis. */
  get(store: 'memory' | 'redis' | undefined): RevocationStore;
  /**
   * Resolves once the Redis store (if one was created) is connected, or after
   * `connectTimeoutMs`: serving before that would answer the first requests with 503 while the
   * connection is still being made. Never rejects; a Redis that is down is the store's to report.
   */
  ready(): Promise<void>;
  close(): Promise<void>;
}

/**
 * A revocation is a fact about a token, not about one BFF, so the BFFs of a process share one
 * store of each kind: revoking a `jti` refuses it on web, mobile and partner at once. Stores are
 * created on first use, so a deployment without Redis never opens a connection.
 */
export function createRevocationStores(options: RevocationStoresOptions = {}): RevocationStores {
  const { redis } = options;
  let memory: RevocationStore | undefined;
  let shared: RevocationStore | undefined;
  let client: RedisClient | undefined;
  const kindOf = (store: 'memory' | 'redis' | undefined) => store ?? (redis ? 'redis' : 'memory');
  return {
    resolve: kindOf,
    get(store) {
      if (kindOf(store) === 'memory') return (memory ??= createMemoryRevocationStore());
      if (!redis) throw new Error('revocations.store is "redis" but the deployment has no Redis (root "redis" or REDIS_URL)');
      if (!shared) {
        // Every request waits on this check. Checks sent while the connection is (re)made wait for
        // it, up to the command timeout, so the first requests after start-up wait briefly instead
        // of failing, and a Redis outage costs each request at most that long.
        client = createRedisClient(redis, { role: 'request', purpose: 'revocations', logger: options.logger, queueWhileConnecting: true });
        shared = createRedisRevocationStore({
          client,
          keyPrefix: `${redis.keyPrefix}revoked:`,
          ownsClient: true,
          subscriber: () => createRedisClient(redis, { role: 'subscriber', purpose: 'revocation events', logger: options.logger }),
          // A Sentinel-managed master has a replica that a failover promotes: it must have the revocation.
          ...(redis.sentinel ? { replicas: 1, replicaWaitMs: Math.ceil(redis.commandTimeoutMs / 2) } : {}),
          onRestored: (count) =>
            options.logger?.warn({ count }, 'revocations: Redis had lost revocations this instance knew; wrote them back'),
        });
      }
      return shared;
    },
    async ready() {
      if (client && redis) await waitUntilReady(client, redis.connectTimeoutMs);
    },
    async close() {
      await Promise.all([memory?.close(), shared?.close()]);
      memory = undefined;
      shared = undefined;
      client = undefined;
    },
  };
}
