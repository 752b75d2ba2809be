import { setMaxListeners } from 'node:events';

/**
 * The deadline signals of upstream calls, shared between the calls of one request.
 *
 * A federated request makes about ten upstream calls, a few at a time, within milliseconds of
 * each other, and each used to get its own `AbortSignal.any([caller, AbortSignal.timeout(ms)])`:
 * ~20 µs of signal bookkeeping per call, and a `DOMException` per timer firing seconds later,
 * long after the call had ended (bench/README.md, scenario (c)). Here a call whose deadline is
 * within `slackMs` after that of a signal its request already holds takes that signal instead:
 * it may be cut off up to `slackMs` early, never late. What stays per signal, not per call:
 *
 * - one `AbortController` and one timer; the timer holds the controller until it fires, so no
 *   weak reference has to survive between the calls that share it;
 * - one `abort` listener per caller signal (per request), however many signals it gets;
 * - a timer that fires once every call holding its signal has settled aborts nothing (no
 *   `DOMException`, no event): nobody is left to tell.
 *
 * A signal aborts with a `TimeoutError` at its deadline (as `AbortSignal.timeout` does, which
 * `callerGaveUp` and the HTTP client tell apart from a client leaving), or with the caller's own
 * reason as soon as the caller's signal aborts.
 */
export interface DeadlineSignals {
  /**
   * A signal for one call that must end by `deadline` (epoch ms on the caller's clock), `ms`
   * from now: one the caller already holds that fires within `[deadline - slackMs, deadline]`,
   * or a new one firing at `deadline`. The lease's `release` must be called once the call has
   * settled, retries included.
   */
  acquire(caller: AbortSignal | undefined, deadline: number, ms: number, slackMs: number): DeadlineLease;
}

export interface DeadlineLease {
  /** When `signal` fires: the call's deadline, or up to `slackMs` before it. */
  readonly deadline: number;
  readonly signal: AbortSignal;
  readonly release: () => void;
}

export interface DeadlineTimers {
  setTimeout(fire: () => void, ms: number): unknown;
  clearTimeout(timer: unknown): void;
}

export interface DeadlineSignalsOptions {
  /** Timer functions; tests pass a manual queue. @default the global setTimeout (unref'd) and clearTimeout */
  timers?: DeadlineTimers;
}

interface Lease extends DeadlineLease {
  readonly controller: AbortController;
  timer: unknown;
  /** Calls holding the signal now. */
  active: number;
  /** The listener limit is lifted. */
  unlimited: boolean;
  /** Fired or aborted: never handed out again. */
  done: boolean;
}

/**
 * Node warns past 10 listeners on one signal, and each call holding it has at most one on it at
 * a time (in-flight dedup, the pool, or a retry's backoff). Lifting the limit costs ~2.5 µs, so
 * only signals held by this many calls at once pay for it.
 */
const LISTENER_WARNING_AT = 10;

/**
 * Signals a caller's list offers for sharing. A request holds one or two; calls without a caller
 * signal share one list, where deadlines cut by different request budgets could pile up.
 */
const MAX_OFFERED = 16;

const unrefTimers: DeadlineTimers = {
  setTimeout(fire, ms) {
    const timer = setTimeout(fire, ms);
    timer.unref();
    return timer;
  },
  clearTimeout: (timer) => clearTimeout(timer as NodeJS.Timeout),
};

export function createDeadlineSignals(options: DeadlineSignalsOptions = {}): DeadlineSignals {
  const timers = options.timers ?? unrefTimers;
  // Keyed by the caller's signal, so a request's leases go with it. Calls without a signal
  // (health probes, tests) share one list, which is safe: their signal is only the timer.
  const byCaller = new WeakMap<AbortSignal, Lease[]>();
  const unsignalled: Lease[] = [];

  function leasesOf(caller: AbortSignal | undefined): Lease[] {
    if (caller === undefined) return unsignalled;
    let leases = byCaller.get(caller);
    if (leases === undefined) {
      const created: Lease[] = [];
      byCaller.set(caller, created);
      if (!caller.aborted) caller.addEventListener('abort', () => abortAll(created, caller.reason), { once: true });
      leases = created;
    }
    return leases;
  }

  function abortAll(leases: Lease[], reason: unknown): void {
    for (const lease of leases) {
      if (lease.done) continue;
      lease.done = true;
      timers.clearTimeout(lease.timer);
      lease.controller.abort(reason);
    }
  }

  function create(caller: AbortSignal | undefined, deadline: number, ms: number): Lease {
    const controller = new AbortController();
    const lease: Lease = {
      deadline,
      signal: controller.signal,
      controller,
      timer: undefined,
      active: 0,
      unlimited: false,
      done: false,
      release: () => {
        lease.active -= 1;
      },
    };
    if (caller?.aborted) {
      lease.done = true;
      controller.abort(caller.reason);
      return lease;
    }
    lease.timer = timers.setTimeout(() => {
      lease.done = true;
      if (lease.active > 0) controller.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError'));
    }, ms);
    return lease;
  }

  return {
    acquire(caller, deadline, ms, slackMs) {
      const leases = leasesOf(caller);
      let lease: Lease | undefined;
      // The newest first: it fires latest, so the call loses the least time.
      for (let i = leases.length - 1; i >= 0; i--) {
        const candidate = leases[i]!;
        if (!candidate.done && candidate.deadline <= deadline && candidate.deadline >= deadline - slackMs) {
          lease = candidate;
          break;
        }
      }
      if (lease === undefined) {
        lease = create(caller, deadline, ms);
        // Offered for sharing no more: fired or aborted ones, and, past MAX_OFFERED, the oldest
        // that no call holds (their timers still fire; nothing listens).
        let kept = 0;
        for (const old of leases) if (!old.done) leases[kept++] = old;
        leases.length = kept;
        for (let i = 0; i < leases.length && leases.length >= MAX_OFFERED; ) {
          if (leases[i]!.active === 0) leases.splice(i, 1);
          else i++;
        }
        leases.push(lease);
      }
      lease.active += 1;
      if (lease.active >= LISTENER_WARNING_AT && !lease.unlimited) {
        lease.unlimited = true;
        setMaxListeners(0, lease.signal);
      }
      return lease;
    },
  };
}
