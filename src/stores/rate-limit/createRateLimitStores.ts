import { createRedisClient, waitUntilReady, type RedisClient } from '../redis/createRedisClient.js';
import type { Logger } from 'pino';
import type { RateLimitConfig } from '../../config/rateLimitSchema.js';
import type { RedisConfig } from '../../config/redisSchema.js';
import { createFailoverRateLimitStore } from './failoverRateLimitStore.js';
import { createMemoryRateLimitStore } from './memoryRateLimitStore.js';
import type { RateLimitStore } from './rateLimitStore.js';
import { createRedisRateLimitStore } from './redisRateLimitStore.js';

export interface RateLimitStoresOptions {
  /** The fleet's Redis (root `redis` / REDIS_URL); BFFs with store 'auto' use it when present. */
  redis?: RedisConfig | undefined;
  logger: Logger;
  /** Clock for every store. @default memory: Date.now; Redis: the server's clock */
  now?: () => number;
}

/** The rate-limit stores of one process, one per BFF, closed together on shutdown. */
export interface RateLimitStores {
  forBff(bff: string, config: Pick<RateLimitConfig, 'store' | 'failMode'>): RateLimitStore;
  /**
   * Resolves once Redis is connected, or after `redis.connectTimeoutMs` (false) so a missing
   * Redis never keeps the gateway down; true at once when no BFF uses Redis.
   */
  ready(): Promise<boolean>;
  close(): Promise<void>;
}

export function createRateLimitStores(options: RateLimitStoresOptions): RateLimitStores {
  const { redis: redisConfig, logger, now } = options;
  const stores: RateLimitStore[] = [];
  let client: RedisClient | undefined;
  let connected: Promise<boolean> | undefined;

    // Standalone, Sentinel or Cluster, as the root `redis` says; the script's keys share a hash
  // tag, so on a Cluster every tier of one decision lives in one slot.
  const redisClient = (config: RedisConfig) => (client ??= createRedisClient(config, { role: 'request', purpose: 'rate limits', logger }));

  return {
    forBff(bff, config) {
      const useRedis = config.store === 'redis' || (config.store === 'auto' && redisConfig !== undefined);
      let store: RateLimitStore;
      if (useRedis) {
        if (!redisConfig) throw new Error(`BFF ${bff}: rateLimit.store is "redis" but no Redis is configured (root "redis" or REDIS_URL)`);
        store = createFailoverRateLimitStore({
          primary: createRedisRateLimitStore({
            client: redisClient(redisConfig),
            namespace: bff,
            keyPrefix: redisConfig.keyPrefix,
            maxWaitMs: redisConfig.commandTimeoutMs,
            ...(now ? { now } : {}),
          }),
          fallback: createMemoryRateLimitStore(now ? { now } : {}),
          failMode: config.failMode,
          bff,
          logger,
        });
        logger.info({ bff, store: 'redis', failMode: config.failMode }, 'rate limiter: buckets in Redis, shared by the fleet');
      } else {
        store = createMemoryRateLimitStore(now ? { now } : {});
        logger.info({ bff, store: 'memory' }, 'rate limiter: buckets in this process (limits are per instance)');
      }
      stores.push(store);
      return store;
    },
    async ready() {
      if (!client || !redisConfig) return true;
      // Waited for once: a Redis that was down at start-up does not delay each BFF in turn.
      connected ??= waitUntilReady(client, redisConfig.connectTimeoutMs);
      return connected;
    },
    async close() {
      await Promise.all(stores.map((store) => store.close()));
      stores.length = 0;
      client?.disconnect();
      client = undefined;
    },
  };
}
