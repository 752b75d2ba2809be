import type { Logger } from 'pino';
import type { RedisClient } from '../redis/createRedisClient.js';
import { storeFailureLog } from '../redis/storeFailureLog.js';
import type { CachedResponse, FallbackStore } from './fallbackStore.js';

export interface RedisFallbackStoreOptions {
  /**
   * A client from `createRedisClient` (role `request`): one attempt per command and a short
   * command timeout, so a lookup never waits long on a Redis that is down.
   */
  client: RedisClient;
  /** Prefix of every key, so the cache can share a Redis with other data. */
  keyPrefix: string;
  /** Close the client on `close()`: true when the caller made it for this store. @default false */
  ownsClient?: boolean;
  logger?: Logger | undefined;
}

/**
 * Fallback responses in Redis, shared by every gateway instance: `SET key json PX ttl` after a
 * successful read, `GET` when a call fails. One key per command, so on a Cluster entries spread
 * over every slot. Bounded by Redis' own `maxmemory` policy (use `allkeys-lru`). Failures are
 * logged (once a second at most) and count as misses.
 */
export function createRedisFallbackStore(options: RedisFallbackStoreOptions): FallbackStore {
  const { client, keyPrefix, logger } = options;
  const report = storeFailureLog(logger, 'fallback store (redis) unavailable: treating as a miss');

  return {
    async get(key) {
      try {
        const text = await client.get(keyPrefix + key);
        return text === null ? undefined : (JSON.parse(text) as CachedResponse);
      } catch (error) {
        report(error, 'get');
        return undefined;
      }
    },
    async set(key, value, ttlMs) {
      try {
        await client.set(keyPrefix + key, JSON.stringify(value), 'PX', ttlMs);
      } catch (error) {
        report(error, 'set');
      }
    },
    async close() {
      if (options.ownsClient) client.disconnect();
    },
  };
}
