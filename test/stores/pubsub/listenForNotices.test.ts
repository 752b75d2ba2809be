import { describe, expect, it } from 'vitest';
import { createMemoryPubSub } from '../../../src/stores/pubsub/memoryPubSub.js';
import { listenForNotices } from '../../../src/stores/pubsub/listenForNotices.js';
import type { PubSub } from '../../../src/stores/pubsub/pubSub.js';

/** Lets queued microtasks (the memory pub/sub's deliveries) run. */
const delivered = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('listenForNotices', () => {
  it('hands each JSON notice on, parsed, and drops a message that is not JSON', async () => {
    const pubsub = createMemoryPubSub();
    const notices: unknown[] = [];
    const listener = listenForNotices(pubsub, 'fleet:test', (notice) => notices.push(notice), () => {});
    await listener.active;
    await pubsub.publish('fleet:test', JSON.stringify({ type: 'config', version: 2 }));
    await pubsub.publish('fleet:test', 'not json {');
    await pubsub.publish('fleet:other', JSON.stringify({ type: 'config', version: 3 }));
    await delivered();
    expect(notices).toEqual([{ type: 'config', version: 2 }]);
  });

  it('hears nothing once stopped', async () => {
    const pubsub = createMemoryPubSub();
    const notices: unknown[] = [];
    const listener = listenForNotices(pubsub, 'fleet:test', (notice) => notices.push(notice), () => {});
    await listener.active;
    await listener.stop();
    await pubsub.publish('fleet:test', '{}');
    await delivered();
    expect(notices).toEqual([]);
  });

  it('reports a subscription that cannot be made to onError, and stop() still resolves', async () => {
    const down = new Error('store unreachable');
    const pubsub = { ...createMemoryPubSub(), subscribe: () => Promise.reject(down) } satisfies PubSub;
    const errors: unknown[] = [];
    const listener = listenForNotices(pubsub, 'fleet:test', () => {}, (error) => errors.push(error));
    await expect(listener.active).rejects.toBe(down);
    expect(errors).toEqual([down]);
    await expect(listener.stop()).resolves.toBeUndefined();
  });
});
