import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { createMemoryPubSub } from '../../../src/stores/pubsub/memoryPubSub.js';
import { createRedisPubSub } from '../../../src/stores/pubsub/redisPubSub.js';
import type { PubSub } from '../../../src/stores/pubsub/pubSub.js';
import { startRedis, type RedisHandle } from '../../support/redis.js';

let redis: RedisHandle;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => redis?.stop());

/** Resolves with the next message on `channel`. */
function nextMessage(pubsub: PubSub, channel: string): Promise<string> {
  return new Promise((resolve) => {
    void pubsub.subscribe(channel, (message) => resolve(message));
  });
}

const redisPubSub = (keyPrefix: string) =>
  createRedisPubSub({ client: new Redis(redis.url), subscriber: new Redis(redis.url), keyPrefix, ownsClients: true });

describe.each([
  ['memory', () => { const shared = createMemoryPubSub(); return [shared, shared] as const; }],
  ['redis', () => [redisPubSub('t1:'), redisPubSub('t1:')] as const],
])('%s pub/sub', (_kind, make) => {
  it('delivers a message to a subscriber of another instance', async () => {
    const [a, b] = make();
    const received = new Promise<string>((resolve) => {
      void b.subscribe('fleet', resolve).then(() => a.publish('fleet', 'hello'));
    });
    expect(await received).toBe('hello');
    await Promise.all([a.close(), b.close()]);
  });

  it('keeps counters that every instance reads and bumps atomically', async () => {
    const [a, b] = make();
    const start = await a.counter('version');
    const bumps = await Promise.all([a.bump('version'), b.bump('version'), a.bump('version')]);
    expect(new Set(bumps).size).toBe(3);
    expect(await b.counter('version')).toBe(start + 3);
    await Promise.all([a.close(), b.close()]);
  });

  it('stops delivering after unsubscribe', async () => {
    const [a, b] = make();
    const seen: string[] = [];
    const off = await b.subscribe('fleet', (message) => seen.push(message));
    const last = nextMessage(b, 'fleet');
    await off();
    await a.publish('fleet', 'after');
    expect(await last).toBe('after');
    expect(seen).toEqual([]);
    await Promise.all([a.close(), b.close()]);
  });
});

describe('redis pub/sub', () => {
  it('keeps channels and counters under the key prefix', async () => {
    const pubsub = redisPubSub('tenant-a:');
    await pubsub.bump('fleet:config-version');
    expect(await redis.client().get('tenant-a:fleet:config-version')).toBe('1');
    await pubsub.close();
  });

  it('unsubscribes without waiting for a Redis that has gone away, so a gateway can stop while Redis is down', async () => {
    const own = await startRedis();
    const options = { retryStrategy: () => 50, maxRetriesPerRequest: null };
    const [client, subscriber] = [new Redis(own.url, options), new Redis(own.url, options)];
    for (const connection of [client, subscriber]) connection.on('error', () => {});
    const pubsub = createRedisPubSub({ client, subscriber, keyPrefix: 'gone:', ownsClients: true });
    const off = await pubsub.subscribe('fleet', () => {});
    const closed = new Promise((resolve) => subscriber.once('close', resolve));
    await own.kill();
    await closed;
    // Before, this waited in ioredis's offline queue until Redis came back.
    await off();
    await pubsub.close();
    await own.stop();
  });
});
