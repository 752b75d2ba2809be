import { describe, expect, it } from 'vitest';
import { createDeadlineSignals, type DeadlineTimers } from '../../src/transport/deadlineSignals.js';

/**
 * Timers the test fires by hand, in the order they were set; `delays` lists each one's ms.
 * `endTurn` runs what was deferred to the end of the event loop's turn.
 */
function manualTimers(): DeadlineTimers & { pending(): number; delays: number[]; fireAll(): void; endTurn(): void } {
  const queue = new Map<number, () => void>();
  const delays: number[] = [];
  const deferred: (() => void)[] = [];
  let next = 0;
  return {
    defer(sweep) {
      deferred.push(sweep);
    },
    endTurn() {
      for (const sweep of deferred.splice(0)) sweep();
    },
    setTimeout(fire, ms) {
      queue.set(++next, fire);
      delays.push(ms);
      return next;
    },
    clearTimeout(timer) {
      queue.delete(timer as number);
    },
    pending: () => queue.size,
    delays,
    fireAll() {
      const due = [...queue.values()];
      queue.clear();
      for (const fire of due) fire();
    },
  };
}

describe('deadline signals shared by the calls of one request', () => {
  it('hands a later call of the same request the signal it already holds when that fires within the slack, never after its deadline', () => {
    const timers = manualTimers();
    const signals = createDeadlineSignals({ timers });
    const client = new AbortController().signal;
    const first = signals.acquire(client, 10_000, 5_000, 250);
    expect(signals.acquire(client, 10_100, 5_000, 250)).toBe(first);
    // Fires too early for this call: it gets its own.
    const later = signals.acquire(client, 10_300, 5_000, 250);
    expect(later).not.toBe(first);
    expect(later.deadline).toBe(10_300);
    // Would fire after this call's deadline: never shared.
    expect(signals.acquire(client, 9_900, 4_900, 250)).not.toBe(first);
    // Another request never shares.
    expect(signals.acquire(new AbortController().signal, 10_000, 5_000, 250)).not.toBe(first);
    expect(timers.pending()).toBe(4);
  });

  it('aborts a signal still held at its deadline with a TimeoutError, and then hands it out no more', () => {
    const timers = manualTimers();
    const signals = createDeadlineSignals({ timers });
    const client = new AbortController().signal;
    const lease = signals.acquire(client, 10_000, 5_000, 250);
    timers.fireAll();
    expect(lease.signal.aborted).toBe(true);
    expect(lease.signal.reason).toMatchObject({ name: 'TimeoutError' });
    expect(signals.acquire(client, 10_000, 5_000, 250)).not.toBe(lease);
  });

  it('keeps no timer past the turn in which the last call holding a signal released it (nothing of the request outlives it), and sets one for the time left when a call takes it again', () => {
    const timers = manualTimers();
    const signals = createDeadlineSignals({ timers });
    const client = new AbortController().signal;
    // Deadlines on the caller's clock: the first call is made at 5 000, the later ones at 5 100.
    const a = signals.acquire(client, 10_000, 5_000, 250);
    const b = signals.acquire(client, 10_050, 4_950, 250);
    expect(b).toBe(a);
    a.release();
    timers.endTurn();
    expect(timers.pending()).toBe(1);
    b.release();
    expect(timers.pending()).toBe(1);
    timers.endTurn();
    expect(timers.pending()).toBe(0);
    timers.fireAll();
    expect(a.signal.aborted).toBe(false);
    // The next plan step of the request, 100 ms on: the same signal, timed for its 4 900 ms left.
    const c = signals.acquire(client, 10_100, 5_000, 250);
    expect(c).toBe(a);
    expect(timers.delays).toEqual([5_000, 4_900]);
    timers.fireAll();
    expect(c.signal.reason).toMatchObject({ name: 'TimeoutError' });
  });

  it('keeps the timer of a signal a call takes again in the same turn (the next plan step of the request)', () => {
    const timers = manualTimers();
    const signals = createDeadlineSignals({ timers });
    const client = new AbortController().signal;
    const step1 = signals.acquire(client, 10_000, 5_000, 250);
    step1.release();
    const step2 = signals.acquire(client, 10_010, 5_000, 250);
    expect(step2).toBe(step1);
    timers.endTurn();
    expect(timers.delays).toEqual([5_000]);
    expect(timers.pending()).toBe(1);
    step2.release();
    timers.endTurn();
    expect(timers.pending()).toBe(0);
  });

  it('hands out no signal whose deadline passed while no call held it', () => {
    const timers = manualTimers();
    const signals = createDeadlineSignals({ timers });
    const client = new AbortController().signal;
    const lease = signals.acquire(client, 10_000, 5_000, 250);
    lease.release();
    timers.endTurn();
    // Made at 10 100 with 100 ms left: the old signal would fire within the slack, but is spent.
    expect(signals.acquire(client, 10_200, 100, 250)).not.toBe(lease);
  });

  it('keeps a pinned signal alive when its client leaves, offers it to no later call, and aborts it with the client\'s reason at the last unpin', () => {
    const timers = manualTimers();
    const signals = createDeadlineSignals({ timers });
    const client = new AbortController();
    const pass = signals.acquire(client.signal, 10_000, 5_000, 250);
    // Another call of the same request on the same signal.
    const sibling = signals.acquire(client.signal, 10_000, 5_000, 250);
    expect(sibling).toBe(pass);
    signals.pin(pass);
    signals.pin(pass);
    const gone = new Error('client went away');
    client.abort(gone);
    expect(pass.signal.aborted).toBe(false);
    expect(signals.acquire(client.signal, 10_000, 5_000, 250).signal.reason).toBe(gone);
    signals.unpin(pass);
    expect(pass.signal.aborted).toBe(false);
    pass.release();
    signals.unpin(pass);
    // The sibling still held it: aborted now, as it would have been when the client left.
    expect(pass.signal.reason).toBe(gone);
    expect(timers.pending()).toBe(0);
  });

  it('times out a pinned signal at its deadline all the same', () => {
    const timers = manualTimers();
    const signals = createDeadlineSignals({ timers });
    const client = new AbortController();
    const lease = signals.acquire(client.signal, 10_000, 5_000, 250);
    signals.pin(lease);
    timers.fireAll();
    expect(lease.signal.reason).toMatchObject({ name: 'TimeoutError' });
  });

  it('aborts every signal of a request with the client\'s reason as soon as the client leaves, and stops their timers', () => {
    const timers = manualTimers();
    const signals = createDeadlineSignals({ timers });
    const client = new AbortController();
    const early = signals.acquire(client.signal, 10_000, 5_000, 250);
    const late = signals.acquire(client.signal, 11_000, 6_000, 250);
    const gone = new Error('client went away');
    client.abort(gone);
    expect(early.signal.reason).toBe(gone);
    expect(late.signal.reason).toBe(gone);
    expect(timers.pending()).toBe(0);
    // A call that starts after the client left is aborted from the start.
    expect(signals.acquire(client.signal, 12_000, 5_000, 250).signal.reason).toBe(gone);
  });

  it('lifts the listener warning only on a signal shared by many calls', async () => {
    const signals = createDeadlineSignals({ timers: manualTimers() });
    const client = new AbortController().signal;
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on('warning', onWarning);
    try {
      const leases = Array.from({ length: 30 }, () => signals.acquire(client, 10_000, 5_000, 250));
      for (const lease of leases) lease.signal.addEventListener('abort', () => {});
      expect(new Set(leases).size).toBe(1);
      // Warnings are emitted on a later tick.
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings.filter((warning) => warning.name === 'MaxListenersExceededWarning')).toEqual([]);
  });
});
