import { Cluster, Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { createRedisClient, type RedisClient } from '../../../src/stores/redis/createRedisClient.js';
import { redisConfig } from '../../support/redis.js';

// What the factory makes of the root `redis` config, read from the client it built. (That each
// store's client reaches a real Sentinel group or Cluster is in topologies.test.ts.)
const make = (...args: Parameters<typeof createRedisClient>): RedisClient => {
  const client = createRedisClient(...args);
  // Nothing listens at these addresses: only the options are read.
  client.disconnect();
  return client;
};

describe('createRedisClient', () => {
  it('takes credentials, TLS and the database from the URL, and the timeouts from the config', () => {
    const client = make(redisConfig({ url: 'rediss://svc:s%40cret@[::1]:6380/3', commandTimeoutMs: 150, connectTimeoutMs: 900 }), { role: 'request', purpose: 'test' });
    expect(client).toBeInstanceOf(Redis);
    expect((client as Redis).options).toMatchObject({
      host: '::1',
      port: 6380,
      db: 3,
      username: 'svc',
      password: 's@cret',
      tls: {},
      commandTimeout: 150,
      connectTimeout: 900,
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
    });
  });

  it('asks the sentinels for the master, with TLS to the master when the URL says rediss', () => {
    const sentinels = [{ host: '10.0.0.1', port: 26379 }];
    const client = make(redisConfig({ url: 'rediss://:pw@unused/2', sentinel: { name: 'mymaster', sentinels } }), { role: 'channel', purpose: 'test' });
    expect(client).toBeInstanceOf(Redis);
    expect((client as Redis).options).toMatchObject({ name: 'mymaster', sentinels, db: 2, password: 'pw', tls: {}, enableTLSForSentinelMode: true, failoverDetector: true });
  });

  it('builds a Cluster client seeded with the URL host and every listed node', () => {
    const nodes = [{ host: '10.0.0.2', port: 7001 }];
    const client = make(redisConfig({ url: 'redis://:pw@10.0.0.1:7000', cluster: { nodes } }), { role: 'request', purpose: 'test', queueWhileConnecting: true });
    expect(client).toBeInstanceOf(Cluster);
    // ioredis keeps the seeds in a private field; reading it is the one way to see them unconnected.
    expect((client as unknown as { startupNodes: unknown[] }).startupNodes).toEqual([{ host: '10.0.0.1', port: 7000 }, ...nodes]);
    expect((client as Cluster).options).toMatchObject({ enableOfflineQueue: true, redisOptions: { password: 'pw', db: 0, maxRetriesPerRequest: 0 } });
  });
});
