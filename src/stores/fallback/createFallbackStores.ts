import type { Logger } from 'pino';
import type { RedisConfig } from '../../config/redisSchema.js';
import type { FallbackCacheConfig } from '../../config/resilienceSchema.js';
import { createRedisClient } from '../redis/createRedisClient.js';
import type { FallbackStore } from './fallbackStore.js';
import { createMemoryFallbackStore } from './memoryFallbackStore.js';
import { createRedisFallbackStore } from './redisFallbackStore.js';

export interface FallbackStoresOptions {
  /** Root `fallbackCache`: where the answers live. @default memory */
  config?: FallbackCacheConfig | undefined;
  /** The fleet's Redis (root `redis` / REDIS_URL); required when `config.store` is `redis`. */
  redis?: RedisConfig | undefined;
  logger?: Logger | undefined;
}

/** The fallback stores of one source registry, closed together. */
export interface FallbackStores {
  /**
   * The store for one source: with Redis the one shared store (Redis' `maxmemory` bounds it), in
   * memory an LRU of its own bounded by that source's `maxBytes`, so one source with big answers
   * cannot evict another's.
   */
  forSource(maxBytes: number): FallbackStore;
  close(): Promise<void>;
}

export function createFallbackStores(options: FallbackStoresOptions): FallbackStores {
  const { redis, logger } = options;
  if (options.config?.store === 'redis' && !redis) throw new Error('fallbackCache.store is "redis" but no redis is configured');
  const shared =
    options.config?.store === 'redis' && redis
      ? createRedisFallbackStore({
          client: createRedisClient(redis, { role: 'request', purpose: 'fallback cache', logger, queueWhileConnecting: true }),
          keyPrefix: `${redis.keyPrefix}fallback:`,
          ownsClient: true,
          logger,
        })
      : undefined;
  const stores: FallbackStore[] = shared ? [shared] : [];
  return {
    forSource(maxBytes) {
      if (shared) return shared;
      const store = createMemoryFallbackStore({ maxBytes });
      stores.push(store);
      return store;
    },
    async close() {
      await Promise.all(stores.map((store) => store.close()));
      stores.length = 0;
    },
  };
}
