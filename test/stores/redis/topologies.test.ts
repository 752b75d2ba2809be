import { createRequire } from 'node:module';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RedisConfig } from '../../../src/config/redisSchema.js';
import { createFallbackStores } from '../../../src/stores/fallback/createFallbackStores.js';
import { createFleetPubSub } from '../../../src/stores/pubsub/createFleetPubSub.js';
import { createRateLimitStores } from '../../../src/stores/rate-limit/createRateLimitStores.js';
import { createResponseCacheStore } from '../../../src/stores/response-cache/createResponseCacheStore.js';
import { createRevocationStores } from '../../../src/stores/revocations/createRevocationStores.js';
import { startRedisCluster, startRedisSentinel, type RedisClusterHandle, type RedisSentinelHandle } from '../../support/redisTopologies.js';

// Every store gets its Redis client from the one connection factory. Each config below has a URL
// nothing listens on (DEAD_URL): a store that reaches Redis at all was built from the `sentinel`
// or `cluster` settings, and a store that connected by URL would fail (or fall back) here.

const keySlot = createRequire(import.meta.url)('cluster-key-slot') as (key: string) => number;
const logger = pino({ level: 'silent' });

let cluster: RedisClusterHandle;
let sentinel: RedisSentinelHandle;
beforeAll(async () => {
  [cluster, sentinel] = await Promise.all([startRedisCluster(), startRedisSentinel()]);
}, 60_000);
afterAll(async () => {
  await Promise.all([cluster?.stop(), sentinel?.stop()]);
});

/** The key a store wrote, read back by a client of the topology's own (not the store's). */
async function readBack(topology: 'cluster' | 'sentinel', key: string): Promise<string | null> {
  if (topology === 'cluster') return cluster.client().get(key);
  const { Redis } = await import('ioredis');
  const client = new Redis({ sentinels: sentinel.sentinels, name: sentinel.name, maxRetriesPerRequest: 1 });
  try {
    return await client.get(key);
  } finally {
    client.disconnect();
  }
}

describe.each([
  ['cluster', (prefix: string): RedisConfig => cluster.config({ keyPrefix: prefix, commandTimeoutMs: 2_000 })],
  ['sentinel', (prefix: string): RedisConfig => sentinel.config({ keyPrefix: prefix, commandTimeoutMs: 2_000 })],
] as const)('every store on a Redis %s, through the connection factory', (topology, configWith) => {
  it('rate limits: the multi-tier charge is shared by two gateways, every tier in one slot', async () => {
    const redis = configWith(`${topology}-rl:`);
    const [a, b] = [createRateLimitStores({ redis, logger }), createRateLimitStores({ redis, logger })];
    try {
      // Failing closed: a store whose client could not reach Redis would refuse, never admit.
      const storeA = a.forBff('web', { store: 'redis', failMode: 'closed' });
      const storeB = b.forBff('web', { store: 'redis', failMode: 'closed' });
      expect(await a.ready()).toBe(true);
      expect(await b.ready()).toBe(true);
      const buckets = [
        { key: 'global', limit: 100, windowMs: 60_000 },
        { key: 'tenant:acme', limit: 3, windowMs: 60_000 },
        { key: 'op:Search', limit: 50, windowMs: 60_000 },
      ];
      const whole = (decision: { admitted: boolean; remaining: number[] }) => ({ ...decision, remaining: decision.remaining.map(Math.floor) });
      expect(whole(await storeA.consume(buckets, 2))).toEqual({ admitted: true, remaining: [98, 1, 48] });
      // The other gateway sees the same buckets: the tenant tier (1 left, refilling) refuses.
      expect(whole(await storeB.consume(buckets, 2))).toEqual({ admitted: false, remaining: [98, 1, 48] });
      if (topology === 'cluster') {
        const keys = (await Promise.all(cluster.nodes.map((node) => cluster.nodeKeys(node.port, `${topology}-rl:*`)))).flat();
        expect(keys).toHaveLength(3);
        expect(new Set(keys.map(keySlot)).size).toBe(1);
      }
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('revocations: one gateway revokes, another refuses the token', async () => {
    const redis = configWith(`${topology}-rv:`);
    const [a, b] = [createRevocationStores({ redis, logger }), createRevocationStores({ redis, logger })];
    try {
      await a.get('redis').revoke('jti-1', Math.floor(Date.now() / 1000) + 600);
      expect(await b.get('redis').isRevoked('jti-1')).toBe(true);
      expect(await b.get('redis').isRevoked('jti-2')).toBe(false);
      expect(await readBack(topology, `${topology}-rv:revoked:jti-1`)).toBe('1');
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('fallback cache: what one gateway stored, another serves', async () => {
    const redis = configWith(`${topology}-fb:`);
    const [a, b] = [createFallbackStores({ config: { store: 'redis' }, redis, logger }), createFallbackStores({ config: { store: 'redis' }, redis, logger })];
    try {
      const entry = { status: 200, body: '{"data":{}}', storedAt: 1 };
      await a.forSource(1_000).set('k1', entry, 60_000);
      // The store swallows its errors (a miss), so the entry is read back from Redis itself too.
      expect(JSON.parse((await readBack(topology, `${topology}-fb:fallback:k1`))!)).toEqual(entry);
      expect(await b.forSource(1_000).get('k1')).toEqual(entry);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('response cache: entries and entity purges are shared by two gateways', async () => {
    const redis = configWith(`${topology}-rc:`);
    const make = () => createResponseCacheStore({ store: 'redis', maxBytes: 1_000 } as never, { redis, logger, invalidationMemoryMs: 60_000 });
    const [a, b] = [make(), make()];
    try {
      const entry = { data: '{"order":{"id":"o1"}}', storedAt: Date.now() };
      expect(await a.set('q1', entry, { ttlMs: 60_000, entities: ['Order:o1'], startedAt: Date.now() })).toBe(true);
      expect(await b.get('q1')).toEqual(entry);
      expect(await b.invalidate(['Order:o1'], Date.now())).toBe(1);
      expect(await a.get('q1')).toBeUndefined();
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('fleet pub/sub: a notice from one gateway reaches another, counters are shared', async () => {
    const redis = configWith(`${topology}-ps:`);
    const [a, b] = [createFleetPubSub(redis, logger), createFleetPubSub(redis, logger)];
    try {
      const received = new Promise<string>((resolve) => {
        void b.subscribe('config', resolve).then(() => a.publish('config', 'v2'));
      });
      expect(await received).toBe('v2');
      expect(await a.bump('version')).toBe(1);
      expect(await b.counter('version')).toBe(1);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});
