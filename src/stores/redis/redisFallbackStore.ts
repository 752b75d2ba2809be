import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { CachedResponse, FallbackStore } from '../fallbackStore.js';

export interface RedisFallbackStoreOptions {
  /** `redis://` or `rediss://` URL. */
  url: string;
  /** Prefix of every key, so the cache can share a Redis with other data. */
  keyPrefix: string;
  /** A command slower than this fails (and a lookup is a miss): the fallback must stay fast. */
  commandTimeoutMs: number;
  logger?: Logger;
}

/**
 * Fallback responses in Redis, shared by every gateway instance: `SET key json PX ttl` after a
 * successful read, `GET` when a call fails. Bounded by Redis' own `maxmemory` policy (use
 * `allkeys-lru`). Nothing waits long for a Redis that is down: one attempt per command, a short
 * command timeout; failures are logged and count as misses.
 */
export function createRedisFallbackStore(options: RedisFallbackStoreOptions): FallbackStore {
  const { keyPrefix, logger } = options;
  const redis = new Redis(options.url, {
    keyPrefix,
    commandTimeout: options.commandTimeoutMs,
    // Commands issued while (re)connecting wait in the offline queue, but never longer than
    // commandTimeout, and are failed at once when a connection attempt fails.
    maxRetriesPerRequest: 0,
    // Reconnect quickly after an outage; each attempt is cheap and failures are misses meanwhile.
    retryStrategy: (times) => Math.min(times * 200, 2_000),
  });
  let lastErrorLog = 0;
  const report = (error: unknown, operation: string) => {
    // One line per second at most: a Redis outage must not turn every failed read into a log line.
    const now = Date.now();
    if (now - lastErrorLog < 1_000) return;
    lastErrorLog = now;
    logger?.warn({ err: error, operation }, 'fallback store (redis) unavailable: treating as a miss');
  };
  redis.on('error', (error) => report(error, 'connection'));

  return {
    async get(key) {
      try {
        const text = await redis.get(key);
        return text === null ? undefined : (JSON.parse(text) as CachedResponse);
      } catch (error) {
        report(error, 'get');
        return undefined;
      }
    },
    async set(key, value, ttlMs) {
      try {
        await redis.set(key, JSON.stringify(value), 'PX', ttlMs);
      } catch (error) {
        report(error, 'set');
      }
    },
    async close() {
      redis.disconnect();
    },
  };
}
