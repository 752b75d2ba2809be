import { describe, expect, it } from 'vitest';
import { createSubscriptionHub } from '../../../src/sources/graphql/createSubscriptionHub.js';

/** An upstream stream the test drives: `emit`, `complete`, `fail`; counts opens and closes. */
function upstreamSource() {
  const state = { opened: 0, closed: 0 };
  let current: { push(value: { n: number }): void; end(error?: unknown): void } | undefined;
  const open = (): AsyncIterator<{ n: number }> => {
    state.opened += 1;
    const queue: { n: number }[] = [];
    let ended: { error?: unknown } | undefined;
    let waiter: { resolve: (step: IteratorResult<{ n: number }>) => void; reject: (error: unknown) => void } | undefined;
    const flush = () => {
      if (!waiter) return;
      const w = waiter;
      if (queue.length > 0) {
        waiter = undefined;
        w.resolve({ value: queue.shift()!, done: false });
      } else if (ended) {
        waiter = undefined;
        if (ended.error) w.reject(ended.error);
        else w.resolve({ value: undefined, done: true });
      }
    };
    current = {
      push: (value) => {
        queue.push(value);
        flush();
      },
      end: (error) => {
        ended = error === undefined ? {} : { error };
        flush();
      },
    };
    return {
      next: () => new Promise((resolve, reject) => {
        waiter = { resolve, reject };
        flush();
      }),
      return: () => {
        state.closed += 1;
        ended ??= {};
        flush();
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  };
  return { state, open, emit: (n: number) => current!.push({ n }), complete: () => current!.end(), fail: (error: unknown) => current!.end(error) };
}

const hubOf = () => createSubscriptionHub<{ n: number }>({ copy: (value) => ({ ...value }) });

describe('createSubscriptionHub', () => {
  it('opens one upstream stream for every subscriber of a key, each getting every event in its own copy', async () => {
    const hub = hubOf();
    const upstream = upstreamSource();
    const a = hub.join('k', upstream.open);
    const b = hub.join('k', upstream.open);
    expect(upstream.state.opened).toBe(1);
    expect(hub.size).toBe(1);
    upstream.emit(1);
    const [first, second] = [await a.next(), await b.next()];
    expect(first).toEqual({ value: { n: 1 }, done: false });
    expect(second).toEqual({ value: { n: 1 }, done: false });
    expect(first.value).not.toBe(second.value);
  });

  it('keeps other keys apart', () => {
    const hub = hubOf();
    const upstream = upstreamSource();
    hub.join('u1', upstream.open);
    hub.join('u2', upstream.open);
    expect(upstream.state.opened).toBe(2);
  });

  it('gives a late joiner the events from its joining on, and closes the upstream when the last subscriber leaves', async () => {
    const hub = hubOf();
    const upstream = upstreamSource();
    const early = hub.join('k', upstream.open);
    upstream.emit(1);
    expect(await early.next()).toEqual({ value: { n: 1 }, done: false });
    const late = hub.join('k', upstream.open);
    upstream.emit(2);
    expect(await late.next()).toEqual({ value: { n: 2 }, done: false });
    expect(await early.next()).toEqual({ value: { n: 2 }, done: false });

    await early.return!();
    expect(upstream.state.closed).toBe(0);
    upstream.emit(3);
    expect(await late.next()).toEqual({ value: { n: 3 }, done: false });
    const aborted = new AbortController();
    const third = hub.join('k', upstream.open, aborted.signal);
    await late.return!();
    expect(upstream.state.closed).toBe(0);
    aborted.abort();
    expect(await third.next()).toEqual({ value: undefined, done: true });
    await Promise.resolve();
    expect(upstream.state.closed).toBe(1);
    expect(hub.size).toBe(0);
    // The next subscriber opens a new stream.
    hub.join('k', upstream.open);
    expect(upstream.state.opened).toBe(2);
  });

  it('ends every subscriber when the upstream completes, after the events queued for it', async () => {
    const hub = hubOf();
    const upstream = upstreamSource();
    const a = hub.join('k', upstream.open);
    const b = hub.join('k', upstream.open);
    upstream.emit(1);
    upstream.complete();
    for (const subscriber of [a, b]) {
      expect(await subscriber.next()).toEqual({ value: { n: 1 }, done: false });
      expect(await subscriber.next()).toEqual({ value: undefined, done: true });
    }
    expect(hub.size).toBe(0);
  });

  it('fails every subscriber with the upstream error, once', async () => {
    const hub = hubOf();
    const upstream = upstreamSource();
    const a = hub.join('k', upstream.open);
    const b = hub.join('k', upstream.open);
    const failure = new Error('source gone');
    upstream.fail(failure);
    await expect(a.next()).rejects.toBe(failure);
    await expect(b.next()).rejects.toBe(failure);
    expect(await a.next()).toEqual({ value: undefined, done: true });
    expect(hub.size).toBe(0);
  });
});
