import { describe, expect, it } from 'vitest';
import { createPushQueue } from '../../src/context/pushQueue.js';

describe('createPushQueue', () => {
  it('hands a waiting pull the next push, then the queued events, `last`, the failure, and done for ever after', async () => {
    const queue = createPushQueue<string>();
    const waiting = queue.next();
    queue.push('a');
    expect(await waiting).toEqual({ value: 'a', done: false });
    queue.push('b');
    queue.finish({ last: 'bye', failure: { error: new Error('upstream broke') } });
    // A second end is ignored: the first stands.
    queue.finish();
    expect(await queue.next()).toEqual({ value: 'b', done: false });
    expect(await queue.next()).toEqual({ value: 'bye', done: false });
    await expect(queue.next()).rejects.toThrow('upstream broke');
    expect(await queue.next()).toEqual({ value: undefined, done: true });
    expect(await queue.next()).toEqual({ value: undefined, done: true });
  });

  it('drops queued events and an undelivered `last` on clear, and ends a pull already waiting', async () => {
    const queue = createPushQueue<number>();
    queue.push(1);
    queue.push(2);
    queue.finish({ last: 99 });
    expect(queue.length).toBe(2);
    queue.clear();
    expect(queue.length).toBe(0);
    expect(await queue.next()).toEqual({ value: undefined, done: true });

    const other = createPushQueue<number>();
    const waiting = other.next();
    other.finish();
    expect(other.finished).toBe(true);
    expect(await waiting).toEqual({ value: undefined, done: true });
  });
});
