import type { Redis } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';
import { createMemoryRateLimitStore } from '../../src/stores/rate-limit/memoryRateLimitStore.js';
import type { RateLimitStore } from '../../src/stores/rate-limit/rateLimitStore.js';
import { createRedisRateLimitStore } from '../../src/stores/rate-limit/redisRateLimitStore.js';
import { startRedis, type RedisHandle } from './redis.js';

/** A rate-limit store by name, made fresh per test (a Redis store under its own key namespace). */
export type RateLimitStoreCase = [name: string, make: (namespace: string) => RateLimitStore];

/**
 * The stores a rate-limit test runs each case against, for `describe.each`: memory, and Redis on
 * a real `redis-server` started once for the file (beforeAll) and stopped after it. Both read the
 * clock `now`, so buckets refill only when the test says.
 */
export function useRateLimitStores(now: () => number): RateLimitStoreCase[] {
  let redis: RedisHandle | undefined;
  let client: Redis | undefined;
  beforeAll(async () => {
    redis = await startRedis();
    client = redis.client();
  });
  afterAll(async () => {
    await redis?.stop();
  });
  return [
    ['memory', () => createMemoryRateLimitStore({ now })],
    ['Redis', (namespace) => createRedisRateLimitStore({ client: client!, namespace, now })],
  ];
}
