import { Repeater } from 'graphql-yoga';
import { describe, expect, it } from 'vitest';
import { guardEvents } from '../../../src/plugins/subscriptions/guardEvents.js';

/** A source the test pushes into, which records whether it was told to stop. */
function source() {
  let push!: (value: number) => Promise<unknown>;
  let finish!: () => void;
  let stopped = false;
  const events = new Repeater<number>(async (p, stop) => {
    push = p;
    finish = () => stop();
    await stop;
    stopped = true;
  });
  return { events, push: (value: number) => push(value), finish: () => finish(), stopped: () => stopped };
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

describe('guardEvents', () => {
  it('passes events through in order and ends when the source does, buffered events first', async () => {
    const s = source();
    let closed = 0;
    const guarded = guardEvents(s.events, { maxBuffered: 10, overflow: () => -1, onClose: () => (closed += 1) });
    await flush();
    for (const value of [1, 2, 3]) void s.push(value);
    await flush();
    s.finish();
    const seen: number[] = [];
    for await (const value of guarded) seen.push(value);
    expect(seen).toEqual([1, 2, 3]);
    expect(closed).toBe(1);
  });

  it('ends a consumer that falls more than maxBuffered behind with the overflow event, and stops the source', async () => {
    const s = source();
    const guarded = guardEvents(s.events, { maxBuffered: 2, overflow: () => -1, onClose: () => undefined });
    await flush();
    for (const value of [1, 2, 3]) void s.push(value);
    await flush();
    const seen: number[] = [];
    for await (const value of guarded) seen.push(value);
    // Buffered events are dropped with the stream: the last event is the reason it ended.
    expect(seen).toEqual([-1]);
    expect(s.stopped()).toBe(true);
  });

  it('end(last): drops what is buffered, delivers last, then completes', async () => {
    const s = source();
    const guarded = guardEvents(s.events, { maxBuffered: 10, overflow: () => -1, onClose: () => undefined });
    await flush();
    void s.push(1);
    await flush();
    guarded.end(99);
    const seen: number[] = [];
    for await (const value of guarded) seen.push(value);
    expect(seen).toEqual([99]);
    expect(s.stopped()).toBe(true);
  });

  it('a consumer that returns stops the source and closes once', async () => {
    const s = source();
    let closed = 0;
    const guarded = guardEvents(s.events, { maxBuffered: 10, overflow: () => -1, onClose: () => (closed += 1) });
    const next = guarded.next();
    await flush();
    void s.push(7);
    expect(await next).toEqual({ value: 7, done: false });
    await guarded.return();
    await guarded.return();
    await flush();
    expect(closed).toBe(1);
    expect(s.stopped()).toBe(true);
  });
});
