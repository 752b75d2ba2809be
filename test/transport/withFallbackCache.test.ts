import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createSourceTransport, type SourceTransport } from '../../src/transport/composeTransport.js';
import { ANONYMOUS_SCOPE, fallbackKey, principalScopeKey } from '../../src/transport/fallbackKey.js';
import type { FallbackStore } from '../../src/stores/fallback/fallbackStore.js';
import { createMemoryFallbackStore } from '../../src/stores/fallback/memoryFallbackStore.js';
import { createFallbackStores } from '../../src/stores/fallback/createFallbackStores.js';
import { ANONYMOUS } from '../../src/context/principal.js';
import { redisConfig, startRedis } from '../support/redis.js';
import { manualClock, principal, read, startTestUpstream, testScope, write, type TestUpstream } from './testUpstream.js';

let upstream: TestUpstream;
const transports: SourceTransport[] = [];
beforeAll(async () => {
  upstream = await startTestUpstream();
});
afterAll(() => upstream[Symbol.asyncDispose]());
beforeEach(() => {
  upstream.seen.length = 0;
  upstream.behave({ status: 200, body: { name: 'Compact Planter' } });
});
afterEach(() => {
  for (const transport of transports.splice(0)) transport.breaker.shutdown();
});

function transportWith(options: { store?: FallbackStore; now?: () => number; ttlMs?: number; volumeThreshold?: number } = {}) {
  const transport = createSourceTransport({
    source: 'products',
    http: upstream.http.call,
    store: options.store ?? createMemoryFallbackStore({ maxBytes: 1_000_000 }),
    resilience: {
      timeoutMs: 2_000,
      breaker: { errorThresholdPercentage: 50, volumeThreshold: options.volumeThreshold ?? 1_000, resetTimeoutMs: 60_000, rollingCountTimeoutMs: 10_000, rollingCountBuckets: 10 },
      retry: { maxRetries: 0, baseDelayMs: 0, maxDelayMs: 0, budgetRatio: 0, budgetMin: 0, budgetWindowMs: 10_000 },
      fallback: { enabled: true, ttlMs: options.ttlMs ?? 60_000 },
    },
    ...(options.now ? { now: options.now } : {}),
  });
  transports.push(transport);
  return transport.call;
}

const alice = principal('alice', ['orders:read', 'catalog:read'], { tenant: 't1' });

/** A real store that also counts the writes reaching it. */
function countingStore(store: FallbackStore): FallbackStore & { writes: number } {
  const counted = {
    writes: 0,
    get: (key: string) => store.get(key),
    set(key: string, value: Parameters<FallbackStore['set']>[1], ttlMs: number) {
      counted.writes += 1;
      return store.set(key, value, ttlMs);
    },
    close: () => store.close(),
  };
  return counted;
}

describe('the fallback cache', () => {
  it('serves the last good answer when the call fails, and marks it stale with its age', async () => {
    const clock = manualClock();
    const call = transportWith({ now: clock.now });
    await call(read(upstream, '/products/p1', testScope({ principal: alice })));
    clock.advance(1_500);
    upstream.behave({ status: 500 });
    const scope = testScope({ principal: alice });
    const response = await call(read(upstream, '/products/p1', scope));
    expect(response.status).toBe(200);
    expect(JSON.parse(response.body)).toEqual({ name: 'Compact Planter' });
    expect(response.headers['content-type']).toBe('application/json');
    expect(scope.stale).toEqual([{ source: 'products', ageMs: 1_500 }]);
    expect(upstream.seen).toHaveLength(2);
  });

  it('never serves one caller\'s answer to a caller with other scopes, another subject or another tenant', async () => {
    const call = transportWith();
    await call(read(upstream, '/me/orders', testScope({ principal: alice })));
    upstream.behave({ status: 500 });
    for (const other of [
      principal('bob', ['admin']),
      principal('bob', ['orders:read', 'catalog:read'], { tenant: 't1' }),
      principal('alice', ['orders:read', 'catalog:read'], { tenant: 't2' }),
      ANONYMOUS,
    ]) {
      const scope = testScope({ principal: other });
      const response = await call(read(upstream, '/me/orders', scope));
      expect(response.status).toBe(500);
      expect(scope.stale).toBeUndefined();
    }
    // The same caller is recognised whatever order the scopes come in.
    const again = testScope({ principal: principal('alice', ['catalog:read', 'orders:read'], { tenant: 't1' }) });
    expect((await call(read(upstream, '/me/orders', again))).status).toBe(200);
    expect(again.stale).toHaveLength(1);
  });

  it('shares answers between anonymous callers, who all see the same data', async () => {
    const call = transportWith();
    await call(read(upstream, '/products/p2', testScope()));
    upstream.behave({ drop: true });
    expect((await call(read(upstream, '/products/p2', testScope()))).status).toBe(200);
    expect(principalScopeKey(ANONYMOUS)).toBe(ANONYMOUS_SCOPE);
  });

  it('keys GraphQL reads by document and variables, and ignores headers such as the request id', () => {
    const base = { method: 'POST' as const, url: 'http://orders/graphql', source: 'orders', idempotent: true };
    const q = (variables: unknown, requestId: string) =>
      fallbackKey({ ...base, headers: { 'x-request-id': requestId }, body: JSON.stringify({ query: '{ order(id: $id) { id } }', variables }) });
    expect(q({ id: 'o1' }, 'a')).toBe(q({ id: 'o1' }, 'b'));
    expect(q({ id: 'o1' }, 'a')).not.toBe(q({ id: 'o2' }, 'a'));
  });

  it('does not serve an answer older than ttlMs', async () => {
    const clock = manualClock();
    const call = transportWith({ now: clock.now, ttlMs: 1_000 });
    await call(read(upstream, '/products/p1', testScope()));
    clock.advance(1_001);
    upstream.behave({ status: 503 });
    const scope = testScope();
    expect((await call(read(upstream, '/products/p1', scope))).status).toBe(503);
    expect(scope.stale).toBeUndefined();
  });

  it('answers from the cache while the breaker is open, without calling the upstream', async () => {
    const call = transportWith({ volumeThreshold: 1 });
    await call(read(upstream, '/products/p1', testScope()));
    upstream.behave({ status: 500 });
    await call(read(upstream, '/products/p9', testScope()));
    await call(read(upstream, '/products/p9', testScope()));
    expect(transports[0]!.breaker.state()).toBe('open');
    const scope = testScope();
    expect((await call(read(upstream, '/products/p1', scope))).status).toBe(200);
    expect(scope.stale).toHaveLength(1);
    expect(upstream.seen).toHaveLength(3);
  });

  it('neither stores nor serves writes, and stores no error answers', async () => {
    const call = transportWith();
    await call(write(upstream, '/graphql', testScope()));
    upstream.behave({ status: 404 });
    await call(read(upstream, '/products/zz', testScope()));
    upstream.behave({ status: 500 });
    expect((await call(write(upstream, '/graphql', testScope()))).status).toBe(500);
    expect((await call(read(upstream, '/products/zz', testScope()))).status).toBe(500);
  });

  it('does not rewrite an unchanged answer on every call: only once the stored copy is ttlMs/10 old', async () => {
    const clock = manualClock();
    const store = countingStore(createMemoryFallbackStore({ maxBytes: 1_000_000 }));
    const call = transportWith({ store, now: clock.now, ttlMs: 10_000 });
    for (let i = 0; i < 5; i++) {
      await call(read(upstream, '/products/p1', testScope()));
      clock.advance(100);
    }
    expect(store.writes).toBe(1);
    clock.advance(500);
    await call(read(upstream, '/products/p1', testScope()));
    expect(store.writes).toBe(2);
    // The age served is that of the copy stored, which is never more than ttlMs/10 behind the
    // last answer the upstream gave.
    clock.advance(300);
    upstream.behave({ status: 500 });
    const scope = testScope();
    expect((await call(read(upstream, '/products/p1', scope))).status).toBe(200);
    expect(scope.stale).toEqual([{ source: 'products', ageMs: 300 }]);
  });

  it('stores a changed answer at once, so the fallback is always the last answer seen', async () => {
    const clock = manualClock();
    const store = countingStore(createMemoryFallbackStore({ maxBytes: 1_000_000 }));
    const call = transportWith({ store, now: clock.now });
    await call(read(upstream, '/products/p1', testScope()));
    clock.advance(10);
    upstream.behave({ status: 200, body: { name: 'Compact Planter', price: 12 } });
    await call(read(upstream, '/products/p1', testScope()));
    expect(store.writes).toBe(2);
    upstream.behave({ status: 503 });
    const response = await call(read(upstream, '/products/p1', testScope()));
    expect(JSON.parse(response.body)).toEqual({ name: 'Compact Planter', price: 12 });
  });

  it('keeps memory bounded: the least recently used answers go first', async () => {
    const store = createMemoryFallbackStore({ maxBytes: 1_500 });
    const big = 'x'.repeat(200);
    for (const key of ['a', 'b', 'c']) await store.set(key, { status: 200, body: big, storedAt: 0 }, 60_000);
    await store.get('a');
    await store.set('d', { status: 200, body: big, storedAt: 0 }, 60_000);
    expect(await store.get('b')).toBeUndefined();
    expect(await store.get('a')).toBeDefined();
    expect(await store.get('d')).toBeDefined();
  });
});

describe('the fallback cache in Redis', () => {
  it('lets one gateway instance serve what another stored, and treats a Redis that is down as a miss', async () => {
    await using redis = await startRedis();
    // Two gateway instances, each with its own stores and Redis client.
    const config = redisConfig({ url: redis.url, keyPrefix: 'test:', commandTimeoutMs: 200 });
    const storesA = createFallbackStores({ config: { store: 'redis' }, redis: config });
    const storesB = createFallbackStores({ config: { store: 'redis' }, redis: config });
    const storeA = storesA.forSource(1_000);
    const storeB = storesB.forSource(1_000);
    try {
      const instanceA = transportWith({ store: storeA });
      const instanceB = transportWith({ store: storeB });
      await instanceA(read(upstream, '/products/p1', testScope({ principal: alice })));
      // The write is not awaited by the transport; wait until Redis has it.
      const client = redis.client();
      for (;;) if ((await client.keys('test:fallback:*')).length > 0) break;
      expect(await client.pttl((await client.keys('test:fallback:*'))[0]!)).toBeGreaterThan(50_000);

      upstream.behave({ status: 500 });
      const scope = testScope({ principal: alice });
      expect((await instanceB(read(upstream, '/products/p1', scope))).status).toBe(200);
      expect(scope.stale).toHaveLength(1);
      const stranger = testScope({ principal: principal('mallory', ['orders:read', 'catalog:read'], { tenant: 't1' }) });
      expect((await instanceB(read(upstream, '/products/p1', stranger))).status).toBe(500);

      client.disconnect();
      await redis.kill();
      const started = performance.now();
      expect((await instanceB(read(upstream, '/products/p1', testScope({ principal: alice })))).status).toBe(500);
      expect(performance.now() - started).toBeLessThan(5_000);
    } finally {
      await storesA.close();
      await storesB.close();
    }
  });
});
