import type { Priority } from '../../config/loadSheddingSchema.js';
import type { CallSignal } from '../../context/cancelSignal.js';

export type { Priority };

/** Why an operation was not admitted. `cancelled` is not shedding: the caller went away. */
export type RejectReason = 'over_limit' | 'queue_full' | 'queue_timeout' | 'displaced' | 'cancelled';

/** A held slot. `release` is idempotent, so every path that may end a request can call it. */
export interface Ticket {
  priority: Priority;
  /** ms spent in the queue; 0 when admitted at once. */
  waitedMs: number;
  release(): void;
}

export type Admission = { admitted: true; ticket: Ticket } | { admitted: false; reason: RejectReason; waitedMs: number };

export interface AdmissionOptions {
  /** Slots in all; critical operations may take every one. */
  maxConcurrent: number;
  /** Slots normal operations may fill (≤ maxConcurrent); the rest are reserved for critical ones. */
  normalLimit: number;
  /** Slots best-effort operations may fill (≤ normalLimit). */
  bestEffortLimit: number;
  /** Waiters (critical and normal); best-effort operations never wait. */
  maxQueue: number;
  /** Longest wait in the queue. */
  queueTimeoutMs: number;
  /** @default performance.now */
  now?: () => number;
  /** Timer for queue timeouts. @default setTimeout, unref'd */
  setTimer?: (fn: () => void, ms: number) => () => void;
  /** Called after every change of the in-flight or queued count (for gauges). */
  onChange?: (inFlight: number, queued: number) => void;
}

export interface AcquireOptions {
  /** Aborting it takes the operation out of the queue. */
  signal?: CallSignal;
  /** Cuts the queue timeout, e.g. to what is left of the request's budget. */
  maxWaitMs?: number;
}

export interface AdmissionController {
  /**
   * Admits at once (synchronously) when a slot the priority may use is free, sheds a best-effort
   * operation at once when none is, and otherwise queues the operation (critical before normal,
   * first come first served within a priority) until a slot frees, it times out, it is displaced
   * by a critical operation, or its signal aborts.
   */
  acquire(priority: Priority, options?: AcquireOptions): Admission | Promise<Admission>;
  /**
   * `acquire`'s first step alone: the ticket when a slot the priority may use is free and nobody
   * of its priority or above waits, otherwise `undefined` (nothing is queued or refused). For a
   * caller that builds its wait options only when it has to wait.
   */
  tryAcquire(priority: Priority): Ticket | undefined;
  readonly inFlight: number;
  readonly queued: number;
}

interface Waiter {
  priority: Priority;
  enqueuedAt: number;
  settle(admission: Admission): void;
}

/**
 * A concurrency limit with priority partitions and a bounded priority queue, in the manner of
 * Netflix's concurrency-limits "partitioned" limiter: lower priorities see a smaller limit, so as
 * load grows best-effort work is refused first, then normal work, while the top slots stay free
 * for critical operations. Pure: no I/O, the clock and the timer are injected.
 */
export function createAdmissionController(options: AdmissionOptions): AdmissionController {
  const { maxConcurrent, maxQueue, queueTimeoutMs } = options;
  const now = options.now ?? (() => performance.now());
  const setTimer =
    options.setTimer ??
    ((fn: () => void, ms: number) => {
      const timer = setTimeout(fn, ms);
      timer.unref();
      return () => clearTimeout(timer);
    });
  const limits: Record<Priority, number> = {
    critical: maxConcurrent,
    normal: Math.min(options.normalLimit, maxConcurrent),
    'best-effort': Math.min(options.bestEffortLimit, options.normalLimit, maxConcurrent),
  };
  for (const [priority, limit] of Object.entries(limits)) {
    if (!Number.isInteger(limit) || limit < 0) throw new RangeError(`${priority} limit must be a non-negative integer, got ${limit}`);
  }
  // Two FIFO lists instead of one sorted queue: priorities are few and the order within one is arrival.
  const critical: Waiter[] = [];
  const normal: Waiter[] = [];
  let inFlight = 0;
  const changed = () => options.onChange?.(inFlight, critical.length + normal.length);

  const release = () => {
    inFlight--;
    drain();
    changed();
  };
  const issue = (priority: Priority, waitedMs: number): Ticket => {
    inFlight++;
    return new HeldSlot(priority, waitedMs, release);
  };

  // Admits waiters while the head's priority has room: critical ones first, so a normal waiter
  // never takes a slot a critical one is waiting for.
  const drain = () => {
    for (;;) {
      const queue = critical.length > 0 ? critical : normal;
      const head = queue[0];
      if (!head || inFlight >= limits[head.priority]) return;
      queue.shift();
      head.settle({ admitted: true, ticket: issue(head.priority, now() - head.enqueuedAt) });
    }
  };

  const tryAcquire = (priority: Priority): Ticket | undefined => {
    // Nothing of this priority waits whenever it has room (drain keeps that true), so taking a
    // free slot at once never overtakes a waiter of the same or a higher priority.
    const waiting = priority === 'critical' ? critical.length : critical.length + normal.length;
    if (inFlight >= limits[priority] || waiting !== 0) return undefined;
    const ticket = issue(priority, 0);
    changed();
    return ticket;
  };

  const acquire = (priority: Priority, acquireOptions: AcquireOptions = {}): Admission | Promise<Admission> => {
    const ticket = tryAcquire(priority);
    if (ticket) return { admitted: true, ticket };
    if (priority === 'best-effort') return { admitted: false, reason: 'over_limit', waitedMs: 0 };
    if (acquireOptions.signal?.aborted) return { admitted: false, reason: 'cancelled', waitedMs: 0 };
    const maxWaitMs = Math.min(queueTimeoutMs, acquireOptions.maxWaitMs ?? Infinity);
    if (maxWaitMs <= 0) return { admitted: false, reason: 'queue_timeout', waitedMs: 0 };
    if (critical.length + normal.length >= maxQueue) {
      // A full queue makes room for a critical operation at the expense of the newest normal one
      // (it has waited least); a normal operation has nobody it may displace.
      const displaced = priority === 'critical' ? normal.pop() : undefined;
      if (!displaced) return { admitted: false, reason: 'queue_full', waitedMs: 0 };
      displaced.settle({ admitted: false, reason: 'displaced', waitedMs: now() - displaced.enqueuedAt });
    }

    return new Promise<Admission>((resolve) => {
      const queue = priority === 'critical' ? critical : normal;
      let cancelTimer = () => {};
      const onAbort = () => leave('cancelled');
      const waiter: Waiter = {
        priority,
        enqueuedAt: now(),
        settle(admission) {
          cancelTimer();
          acquireOptions.signal?.removeEventListener('abort', onAbort);
          resolve(admission);
        },
      };
      const leave = (reason: RejectReason) => {
        const index = queue.indexOf(waiter);
        if (index === -1) return;
        queue.splice(index, 1);
        waiter.settle({ admitted: false, reason, waitedMs: now() - waiter.enqueuedAt });
        changed();
      };
      queue.push(waiter);
      cancelTimer = setTimer(() => leave('queue_timeout'), maxWaitMs);
      acquireOptions.signal?.addEventListener('abort', onAbort, { once: true });
      changed();
    });
  };

  return {
    acquire,
    tryAcquire,
    // eslint-disable-next-line no-restricted-syntax -- one controller per BFF, made at start-up
    get inFlight() {
      return inFlight;
    },
    // eslint-disable-next-line no-restricted-syntax -- one controller per BFF, made at start-up
    get queued() {
      return critical.length + normal.length;
    },
  };
}

/**
 * A ticket as a class, not an object literal with a `release` closure: a ticket lives as long as
 * its operation, and a closure and its context per operation would live, and under load be
 * promoted to V8's old generation, with it.
 */
class HeldSlot implements Ticket {
  #released = false;
  readonly #onRelease: () => void;
  constructor(
    readonly priority: Priority,
    readonly waitedMs: number,
    onRelease: () => void,
  ) {
    this.#onRelease = onRelease;
  }

  release(): void {
    if (this.#released) return;
    this.#released = true;
    this.#onRelease();
  }
}
