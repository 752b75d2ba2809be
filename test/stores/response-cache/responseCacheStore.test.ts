import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryResponseCacheStore } from '../../../src/stores/response-cache/memoryResponseCacheStore.js';
import { createRedisResponseCacheStore } from '../../../src/stores/response-cache/redisResponseCacheStore.js';
import type { ResponseCacheStore } from '../../../src/stores/response-cache/responseCacheStore.js';
import { startRedis, type RedisHandle } from '../../support/redis.js';

let redis: RedisHandle;
let client: Redis;
let prefixes = 0;

beforeAll(async () => {
  redis = await startRedis();
  client = redis.client();
});
afterAll(async () => {
  await redis?.stop();
});

const entry = (data: unknown, storedAt = 1_000) => ({ data: JSON.stringify(data), storedAt });
const ttl = { ttlMs: 60_000, startedAt: 1_000 };

const kinds: [string, () => ResponseCacheStore][] = [
  ['memory', () => createMemoryResponseCacheStore({ maxBytes: 1024 * 1024, invalidationMemoryMs: 60_000 })],
  // A fresh prefix per store: the tests share one Redis.
  ['redis', () => createRedisResponseCacheStore({ client, keyPrefix: `test${++prefixes}:rc:`, invalidationMemoryMs: 60_000 })],
];

describe.each(kinds)('the %s response cache store', (_kind, create) => {
  it('returns what was stored', async () => {
    const store = create();
    expect(await store.set('k1', entry({ a: 1 }), { ...ttl, entities: ['Order:o1'] })).toBe(true);
    expect(await store.get('k1')).toEqual(entry({ a: 1 }));
    expect(await store.get('k2')).toBeUndefined();
  });

  it('purges every response holding an invalidated entity, and only those', async () => {
    const store = create();
    await store.set('a', entry(1), { ...ttl, entities: ['Order:o1', 'Product:p1'] });
    await store.set('b', entry(2), { ...ttl, entities: ['Order:o1'] });
    await store.set('c', entry(3), { ...ttl, entities: ['Order:o2', 'Product:p1'] });
    expect(await store.invalidate(['Order:o1'], 2_000)).toBe(2);
    expect(await store.get('a')).toBeUndefined();
    expect(await store.get('b')).toBeUndefined();
    expect(await store.get('c')).toEqual(entry(3));
    expect(await store.invalidate(['Order:o1'], 2_001)).toBe(0);
  });

  it('does not store a response read before one of its entities was invalidated', async () => {
    const store = create();
    await store.invalidate(['Order:o1'], 5_000);
    // Started before the mutation's purge: it may hold the old order.
    expect(await store.set('old', entry(1), { ttlMs: 60_000, startedAt: 4_999, entities: ['Order:o1'] })).toBe(false);
    expect(await store.get('old')).toBeUndefined();
    // Started after it: fresh data.
    expect(await store.set('new', entry(2), { ttlMs: 60_000, startedAt: 5_001, entities: ['Order:o1'] })).toBe(true);
    expect(await store.set('other', entry(3), { ttlMs: 60_000, startedAt: 4_000, entities: ['Order:o2'] })).toBe(true);
  });

  it('purges a replaced entry by the entities of its new response', async () => {
    const store = create();
    await store.set('k', entry(1), { ...ttl, entities: ['Order:o1'] });
    await store.set('k', entry(2), { ...ttl, entities: ['Order:o2'] });
    expect(await store.get('k')).toEqual(entry(2));
    expect(await store.invalidate(['Order:o2'], 2_000)).toBe(1);
    expect(await store.get('k')).toBeUndefined();
  });
});

describe('the memory response cache store', () => {
  // (Redis keeps the old index membership until the index expires: a later purge of the old
  // entity may remove the new entry too. Over-purging costs a miss; it never serves stale data.)
  it('forgets the old entities of a replaced entry', async () => {
    const store = createMemoryResponseCacheStore({ maxBytes: 1024 * 1024, invalidationMemoryMs: 60_000 });
    await store.set('k', entry(1), { ...ttl, entities: ['Order:o1'] });
    await store.set('k', entry(2), { ...ttl, entities: ['Order:o2'] });
    expect(await store.invalidate(['Order:o1'], 2_000)).toBe(0);
    expect(await store.get('k')).toEqual(entry(2));
  });

  it('evicts least recently used responses beyond its byte budget and forgets them in the index', async () => {
    const store = createMemoryResponseCacheStore({ maxBytes: 2_000, invalidationMemoryMs: 60_000 });
    const big = 'x'.repeat(400);
    await store.set('a', entry(big), { ...ttl, entities: ['Order:o1'] });
    await store.set('b', entry(big), { ...ttl, entities: ['Order:o1'] });
    await store.set('c', entry(big), { ...ttl, entities: ['Order:o1'] });
    expect(await store.get('a')).toBeUndefined();
    expect(await store.invalidate(['Order:o1'], 2_000)).toBe(2);
  });
});

describe('the redis response cache store', () => {
  it('lets entries expire with their max-age, in Redis itself', async () => {
    const prefix = `ttl${++prefixes}:`;
    const store = createRedisResponseCacheStore({ client, keyPrefix: prefix, invalidationMemoryMs: 60_000 });
    await store.set('k', entry(1), { ttlMs: 30_000, startedAt: 0, entities: ['Order:o1'] });
    const ttlMs = await client.pttl(`${prefix}r:k`);
    expect(ttlMs).toBeGreaterThan(29_000);
    expect(ttlMs).toBeLessThanOrEqual(30_000);
    expect(await client.pttl(`${prefix}i:Order:o1`)).toBeGreaterThan(29_000);
  });

  it('is a miss, never an error, while Redis is down', async () => {
    const down = new Redis(1, '127.0.0.1', { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null });
    const store = createRedisResponseCacheStore({ client: down, keyPrefix: 'x:', invalidationMemoryMs: 60_000 });
    expect(await store.get('k')).toBeUndefined();
    expect(await store.set('k', entry(1), { ...ttl, entities: [] })).toBe(false);
    expect(await store.invalidate(['Order:o1'], 1)).toBe(0);
    down.disconnect();
  });
});
