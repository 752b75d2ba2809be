import { once } from 'node:events';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createMemoryRevocationStore } from '../../../src/stores/revocations/memoryRevocationStore.js';
import { createRedisRevocationStore } from '../../../src/stores/revocations/redisRevocationStore.js';
import { createRevocationStores } from '../../../src/stores/revocations/createRevocationStores.js';
import { createRedisClient } from '../../../src/stores/redis/createRedisClient.js';
import { deferred } from '../../support/boundedLoad.js';
import { redisConfig, startRedis, type RedisHandle } from '../../support/redis.js';
import { startReplyDroppingProxy } from '../../support/replyDroppingProxy.js';

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

  it('lets overlapping checks of one jti share a PTTL, never another jti\'s answer, never a finished "not revoked"', async () => {
    const client = redis.client();
    const store = createRedisRevocationStore({ client, keyPrefix: 'p:revoked:' });
    const exp = Math.floor(Date.now() / 1000) + 600;
    // Revoked by another instance: this store has not seen it yet.
    await client.set('p:revoked:revoked-jti', '1', 'PXAT', exp * 1000);
    const checks = async () => Number(/cmdstat_pttl:calls=(\d+)/.exec(await client.info('commandstats'))?.[1] ?? 0);

    const before = await checks();
    // Ten requests of one token and ten of another, all at once: each token's answer is its own.
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => store.isRevoked(i % 2 === 0 ? 'revoked-jti' : 'good-jti')));
    expect(answers).toEqual(Array.from({ length: 20 }, (_, i) => i % 2 === 0));
    expect((await checks()) - before).toBe(2);

    // "Not revoked" is never kept: the next check asks again and sees a revocation made since.
    expect(await store.isRevoked('good-jti')).toBe(false);
    await client.set('p:revoked:good-jti', '1', 'PXAT', exp * 1000);
    expect(await store.isRevoked('good-jti')).toBe(true);
    expect((await checks()) - before).toBe(4);
    // "Revoked" is: a revocation is never undone, so asking Redis again could only say the same.
    expect(store.isRevoked('revoked-jti')).toBe(true);
    expect((await checks()) - before).toBe(4);
  });

  it('counts a key written by hand without an expiry as a revocation', async () => {
    const client = redis.client();
    await client.set('p:revoked:by-hand', '1');
    expect(await createRedisRevocationStore({ client, keyPrefix: 'p:revoked:' }).isRevoked('by-hand')).toBe(true);
  });

  it('keeps refusing what it knew when Redis comes back empty, and writes it back for the instances that did not know', async () => {
    const exp = Math.floor(Date.now() / 1000) + 600;
    const restored = deferred<number>();
    // Instance A revoked one token itself and saw another, revoked by a tool, refused.
    const a = createRedisRevocationStore({ client: redis.client(), keyPrefix: 'p:revoked:', onRestored: restored.resolve });
    await a.revoke('revoked-here', exp);
    await redis.client().set('p:revoked:revoked-elsewhere', '1', 'PXAT', (exp + 60) * 1000);
    expect(await a.isRevoked('revoked-elsewhere')).toBe(true);

    // A master without persistence, restarted: every key is gone.
    await redis.kill();
    try {
      // While Redis is down, A still refuses both without asking it.
      expect(a.isRevoked('revoked-here')).toBe(true);
      expect(a.isRevoked('revoked-elsewhere')).toBe(true);
    } finally {
      await redis.restart();
    }

    // A's client connects again and writes both back, with the tokens' own expiries: exactly
    // for its own revocation; for the one it learned, Redis's PTTL read on A's clock, so up to
    // that check's round trip later (the same machine's clock here: never earlier).
    expect(await restored.promise).toBe(2);
    const probe = redis.client();
    expect(await probe.pexpiretime('p:revoked:revoked-here')).toBe(exp * 1000);
    const learned = await probe.pexpiretime('p:revoked:revoked-elsewhere');
    expect(learned).toBeGreaterThanOrEqual((exp + 60) * 1000);
    expect(learned).toBeLessThan((exp + 60) * 1000 + 1_000);
    // So instance B, which never saw either, refuses both; a token nobody revoked still passes.
    const b = createRedisRevocationStore({ client: redis.client(), keyPrefix: 'p:revoked:' });
    expect(await b.isRevoked('revoked-here')).toBe(true);
    expect(await b.isRevoked('revoked-elsewhere')).toBe(true);
    expect(await b.isRevoked('never-revoked')).toBe(false);
  });

  it('never takes the reply to another check as its answer: the check fails, the connection is made again', async () => {
    const proxy = await startReplyDroppingProxy(redis.port);
    const client = createRedisClient(redisConfig({ url: proxy.url, commandTimeoutMs: 1_000 }), { role: 'request', purpose: 'revocations', queueWhileConnecting: true });
    try {
      const store = createRedisRevocationStore({ client, keyPrefix: 'p:revoked:' });
      await redis.client().set('p:revoked:bad', '1', 'PXAT', (Math.floor(Date.now() / 1000) + 600) * 1000);
      expect(await store.isRevoked('warm-up')).toBe(false); // the script is cached: one EVALSHA per check from here

      // Two checks go out together; the reply to the first is lost, so the client hands the
      // second's reply ("p:revoked:bad" exists) to the first. Read as its answer, a good token
      // would be refused, and remembered as revoked until its exp.
      const lost = proxy.dropNext(Buffer.from('*2\r\n$14\r\np:revoked:good\r\n:-2\r\n'));
      const [good, bad] = await Promise.allSettled([store.isRevoked('good'), store.isRevoked('bad')]);
      await lost;
      const reconnected = once(client, 'ready');
      expect(good).toMatchObject({ status: 'rejected', reason: { message: expect.stringMatching(/reply to another command/) } });
      // The second check's own reply never comes: it fails too, with the connection.
      expect(bad.status).toBe('rejected');

      // The connection is made again, and its answers are right: "good" was not kept as revoked.
      await reconnected;
      expect(await store.isRevoked('good')).toBe(false);
      expect(await store.isRevoked('bad')).toBe(true);
    } finally {
      client.disconnect();
      await proxy.close();
    }
  });

  it('keeps at most maxKnown revocations in memory, dropping the oldest; Redis still answers for it', async () => {
    const client = redis.client();
    const store = createRedisRevocationStore({ client, keyPrefix: 'p:revoked:', maxKnown: 1 });
    const exp = Math.floor(Date.now() / 1000) + 600;
    await store.revoke('first', exp);
    await store.revoke('second', exp);
    expect(store.isRevoked('second')).toBe(true);
    const answer = store.isRevoked('first');
    expect(answer).toBeInstanceOf(Promise);
    expect(await answer).toBe(true);
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
