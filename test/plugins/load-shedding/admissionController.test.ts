import { describe, expect, it } from 'vitest';
import {
  createAdmissionController,
  type Admission,
  type AdmissionOptions,
  type Ticket,
} from '../../../src/plugins/load-shedding/admissionController.js';

/** A controller on a manual clock whose queue timers fire only when the test advances time. */
function controller(overrides: Partial<AdmissionOptions> = {}) {
  let clock = 0;
  const timers = new Set<{ at: number; fn: () => void }>();
  const admission = createAdmissionController({
    maxConcurrent: 4,
    normalLimit: 3,
    bestEffortLimit: 2,
    maxQueue: 2,
    queueTimeoutMs: 1000,
    now: () => clock,
    setTimer(fn, ms) {
      const timer = { at: clock + ms, fn };
      timers.add(timer);
      return () => timers.delete(timer);
    },
    ...overrides,
  });
  return {
    admission,
    advance(ms: number) {
      clock += ms;
      for (const timer of [...timers]) {
        if (timer.at <= clock) {
          timers.delete(timer);
          timer.fn();
        }
      }
    },
    pendingTimers: () => timers.size,
  };
}

function admitted(result: Admission | Promise<Admission>): Ticket {
  if (result instanceof Promise) throw new Error('expected an immediate admission, got a queued one');
  if (!result.admitted) throw new Error(`expected an admission, got ${result.reason}`);
  return result.ticket;
}

describe('the admission controller', () => {
  it('admits each priority up to its own limit at once', () => {
    const { admission } = controller();
    admitted(admission.acquire('best-effort'));
    admitted(admission.acquire('best-effort'));
    expect(admission.acquire('best-effort')).toEqual({ admitted: false, reason: 'over_limit', waitedMs: 0 });
    admitted(admission.acquire('normal'));
    admitted(admission.acquire('critical'));
    expect(admission.inFlight).toBe(4);
  });

  it('sheds best-effort work at once instead of queueing it', () => {
    const { admission } = controller({ maxConcurrent: 2, normalLimit: 2, bestEffortLimit: 2 });
    admitted(admission.acquire('normal'));
    admitted(admission.acquire('normal'));
    const result = admission.acquire('best-effort');
    expect(result).not.toBeInstanceOf(Promise);
    expect(result).toMatchObject({ admitted: false, reason: 'over_limit' });
    expect(admission.queued).toBe(0);
  });

  it('keeps the reserved slots for critical operations', async () => {
    const { admission } = controller();
    for (let i = 0; i < 3; i++) admitted(admission.acquire('normal'));
    const normal = admission.acquire('normal');
    expect(normal).toBeInstanceOf(Promise);
    admitted(admission.acquire('critical'));
    expect(admission.inFlight).toBe(4);
    expect(admission.queued).toBe(1);
  });

  it('hands a freed slot to a waiting critical operation before an earlier normal one', async () => {
    const { admission } = controller({ maxConcurrent: 2, normalLimit: 2, bestEffortLimit: 1 });
    const held = [admitted(admission.acquire('normal')), admitted(admission.acquire('critical'))];
    const order: string[] = [];
    const normal = Promise.resolve(admission.acquire('normal')).then((a) => (order.push('normal'), a));
    const critical = Promise.resolve(admission.acquire('critical')).then((a) => (order.push('critical'), a));
    held[0]!.release();
    const first = await critical;
    expect(first.admitted).toBe(true);
    held[1]!.release();
    expect((await normal).admitted).toBe(true);
    expect(order).toEqual(['critical', 'normal']);
  });

  it('admits waiters of one priority in arrival order and reports how long they waited', async () => {
    const { admission, advance } = controller({ maxConcurrent: 1, normalLimit: 1, bestEffortLimit: 1 });
    const held = admitted(admission.acquire('normal'));
    const first = admission.acquire('normal') as Promise<Admission>;
    const second = admission.acquire('normal') as Promise<Admission>;
    advance(40);
    held.release();
    const a = await first;
    expect(a).toMatchObject({ admitted: true, ticket: { waitedMs: 40 } });
    if (a.admitted) a.ticket.release();
    expect((await second).admitted).toBe(true);
  });

  it('refuses a waiter whose queue time runs out', async () => {
    const { admission, advance, pendingTimers } = controller({ maxConcurrent: 1, normalLimit: 1, bestEffortLimit: 1 });
    admitted(admission.acquire('normal'));
    const waiting = admission.acquire('normal') as Promise<Admission>;
    advance(999);
    expect(admission.queued).toBe(1);
    advance(1);
    expect(await waiting).toEqual({ admitted: false, reason: 'queue_timeout', waitedMs: 1000 });
    expect(admission.queued).toBe(0);
    expect(pendingTimers()).toBe(0);
  });

  it('cuts the wait to the request budget left and refuses at once when none is left', async () => {
    const { admission, advance } = controller({ maxConcurrent: 1, normalLimit: 1, bestEffortLimit: 1 });
    admitted(admission.acquire('normal'));
    expect(admission.acquire('critical', { maxWaitMs: 0 })).toMatchObject({ admitted: false, reason: 'queue_timeout' });
    const waiting = admission.acquire('critical', { maxWaitMs: 50 }) as Promise<Admission>;
    advance(50);
    expect(await waiting).toMatchObject({ admitted: false, reason: 'queue_timeout', waitedMs: 50 });
  });

  it('lets a critical operation displace the newest normal waiter from a full queue', async () => {
    const { admission } = controller({ maxConcurrent: 1, normalLimit: 1, bestEffortLimit: 1, maxQueue: 2 });
    const held = admitted(admission.acquire('normal'));
    const older = admission.acquire('normal') as Promise<Admission>;
    const newer = admission.acquire('normal') as Promise<Admission>;
    expect(admission.acquire('normal')).toMatchObject({ admitted: false, reason: 'queue_full' });
    const critical = admission.acquire('critical') as Promise<Admission>;
    expect(await newer).toMatchObject({ admitted: false, reason: 'displaced' });
    held.release();
    expect((await critical).admitted).toBe(true);
    expect(admission.queued).toBe(1);
    void older;
  });

  it('refuses a critical operation when the full queue holds only critical ones', () => {
    const { admission } = controller({ maxConcurrent: 1, normalLimit: 1, bestEffortLimit: 1, maxQueue: 1 });
    admitted(admission.acquire('critical'));
    void admission.acquire('critical');
    expect(admission.acquire('critical')).toMatchObject({ admitted: false, reason: 'queue_full' });
  });

  it('takes a waiter whose client went away out of the queue', async () => {
    const { admission, pendingTimers } = controller({ maxConcurrent: 1, normalLimit: 1, bestEffortLimit: 1 });
    admitted(admission.acquire('normal'));
    const abort = new AbortController();
    const waiting = admission.acquire('normal', { signal: abort.signal }) as Promise<Admission>;
    abort.abort();
    expect(await waiting).toMatchObject({ admitted: false, reason: 'cancelled' });
    expect(admission.queued).toBe(0);
    expect(pendingTimers()).toBe(0);
  });

  it('frees a slot once however often a ticket is released', () => {
    const { admission } = controller();
    const ticket = admitted(admission.acquire('normal'));
    admitted(admission.acquire('normal'));
    ticket.release();
    ticket.release();
    expect(admission.inFlight).toBe(1);
  });

  it('reports every change of the in-flight and queued counts', async () => {
    const seen: [number, number][] = [];
    const { admission } = controller({ maxConcurrent: 1, normalLimit: 1, bestEffortLimit: 1, onChange: (f, q) => seen.push([f, q]) });
    const held = admitted(admission.acquire('normal'));
    const waiting = admission.acquire('normal') as Promise<Admission>;
    held.release();
    const next = await waiting;
    if (next.admitted) next.ticket.release();
    expect(seen).toEqual([
      [1, 0],
      [1, 1],
      [1, 0],
      [0, 0],
    ]);
  });
});
