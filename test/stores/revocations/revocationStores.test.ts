import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createMemoryRevocationStore } from '../../../src/stores/revocations/memoryRevocationStore.js';
import { createRedisRevocationStore } from '../../../src/stores/revocations/redisRevocationStore.js';
import { createRevocationStores } from '../../../src/stores/revocations/createRevocationStores.js';
import { redisConfig, startRedis, type RedisHandle } from '../../support/redis.js';

const NOW = Date.UTC(2030, 0, 1);
const inOneHour = NOW / 1000 + 3600;

describe('memory revocation store', () => {
  it('refuses a revoked jti until the token would have expired anyway', async () => {
    let clock = NOW;
    const store = createMemoryRevocationStore({ now: () => clock });
    expect(store.isRevoked('a')).toBe(false);
    await store.revoke('a', inOneHour);
    expect(store.isRevoked('a')).toBe(true);
    clock = inOneHour * 1000;
    expect(store.isRevoked('a')).toBe(false);
  });

  it('sweeps expired entries so the list does not grow without bound', async () => {
    let clock = NOW;
    const store = createMemoryRevocationStore({ now: () => clock, sweepEvery: 2 });
    await store.revoke('old', NOW / 1000 + 1);
    clock += 2_000;
    await store.revoke('new', inOneHour); // second addition: sweep
    clock = NOW; // had 'old' survived, it would read as revoked again
    expect(store.isRevoked('old')).toBe(false);
    expect(store.isRevoked('new')).toBe(true);
  });
});

describe('Redis revocation store (real redis-server)', () => {
  let redis: RedisHandle;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(() => redis?.stop());
  beforeEach(async () => {
    await redis.client().flushall();
  });

  it('stores one key per jti, expiring with the token', async () => {
    const client = redis.client();
    const store = createRedisRevocationStore({ client, keyPrefix: 'p:revoked:' });
    const exp = Math.floor(Date.now() / 1000) + 600;
    await store.revoke('jti-1', exp);
    expect(await store.isRevoked('jti-1')).toBe(true);
    expect(await store.isRevoked('jti-2')).toBe(false);
    expect(await client.pexpiretime('p:revoked:jti-1')).toBe(exp * 1000);
  });

  it('lets overlapping checks of one jti share an EXISTS, never another jti\'s answer, never a finished one', async () => {
    const client = redis.client();
    const store = createRedisRevocationStore({ client, keyPrefix: 'p:revoked:' });
    const exp = Math.floor(Date.now() / 1000) + 600;
    await store.revoke('revoked-jti', exp);
    const existsCalls = async () => Number(/cmdstat_exists:calls=(\d+)/.exec(await client.info('commandstats'))?.[1] ?? 0);

    const before = await existsCalls();
    // Ten requests of one token and ten of another, all at once: each token's answer is its own.
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => store.isRevoked(i % 2 === 0 ? 'revoked-jti' : 'good-jti')));
    expect(answers).toEqual(Array.from({ length: 20 }, (_, i) => i % 2 === 0));
    expect((await existsCalls()) - before).toBe(2);

    // Once answered, nothing is kept: the next check asks again and sees a revocation made since.
    expect(await store.isRevoked('good-jti')).toBe(false);
    await store.revoke('good-jti', exp);
    expect(await store.isRevoked('good-jti')).toBe(true);
    expect((await existsCalls()) - before).toBe(4);
  });

  it('does not store a revocation for a token that has already expired', async () => {
    const client = redis.client();
    await createRedisRevocationStore({ client }).revoke('gone', Math.floor(Date.now() / 1000) - 1);
    expect(await client.dbsize()).toBe(0);
  });

  it('shares revocations between instances (two gateways, one Redis)', async () => {
    const settings = redisConfig({ url: redis.url, keyPrefix: 'portico:', commandTimeoutMs: 500 });
    const a = createRevocationStores({ redis: settings });
    const b = createRevocationStores({ redis: settings });
    try {
      await a.get(undefined).revoke('shared', Math.floor(Date.now() / 1000) + 600);
      expect(await b.get(undefined).isRevoked('shared')).toBe(true);
      expect(await redis.client().exists('portico:revoked:shared')).toBe(1);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('picks memory without a Redis and refuses "redis" without one', () => {
    const stores = createRevocationStores();
    expect(stores.resolve(undefined)).toBe('memory');
    expect(() => stores.get('redis')).toThrow(/no Redis/);
    expect(createRevocationStores({ redis: redisConfig({ url: redis.url, keyPrefix: 'p:', commandTimeoutMs: 100 }) }).resolve(undefined)).toBe('redis');
  });
});
