import type { Logger } from 'pino';
import type { RedisConfig } from '../../config/redisSchema.js';
import type { ResponseCacheStoreConfig } from '../../config/responseCacheSchema.js';
import { createRedisClient } from '../redis/createRedisClient.js';
import { createMemoryResponseCacheStore } from './memoryResponseCacheStore.js';
import { createRedisResponseCacheStore } from './redisResponseCacheStore.js';
import type { ResponseCacheStore } from './responseCacheStore.js';

export interface ResponseCacheStoreDeps {
  /** The fleet's Redis (root `redis` / REDIS_URL); `store: 'auto'` uses it when present. */
  redis?: RedisConfig | undefined;
  /** How long invalidations are remembered: the longest request budget of the BFFs. */
  invalidationMemoryMs: number;
  logger: Logger;
}

/**
 * The one response-cache store of a process, shared by its BFFs (keys name the BFF; entities do
 * not, so a mutation through one BFF purges what the others cached of the same entity).
 */
export function createResponseCacheStore(config: ResponseCacheStoreConfig, deps: ResponseCacheStoreDeps): ResponseCacheStore {
  const { redis, logger, invalidationMemoryMs } = deps;
  const useRedis = config.store === 'redis' || (config.store === 'auto' && redis !== undefined);
  if (!useRedis) {
    logger.info({ store: 'memory', maxBytes: config.maxBytes }, 'response cache: entries in this process (per instance)');
    return createMemoryResponseCacheStore({ maxBytes: config.maxBytes, invalidationMemoryMs });
  }
  if (!redis) throw new Error('responseCache.store is "redis" but no Redis is configured (root "redis" or REDIS_URL)');
  // A lookup slower than the command timeout is a miss: the cache must never be slower than the
  // source. Lookups sent while the connection is being made wait for it (within that timeout),
  // so the first requests after start-up are not all misses.
  const client = createRedisClient(redis, { role: 'request', purpose: 'response cache', logger, queueWhileConnecting: true });
  // On a Cluster every response-cache key shares one hash slot, so the scripts stay atomic.
  const keyPrefix = `${redis.keyPrefix}${redis.cluster ? '{rc}' : 'rc'}:`;
  const store = createRedisResponseCacheStore({ client, keyPrefix, invalidationMemoryMs, logger });
  logger.info({ store: 'redis' }, 'response cache: entries in Redis, shared by the fleet');
  return {
    ...store,
    async close() {
      await store.close();
      client.disconnect();
    },
  };
}
