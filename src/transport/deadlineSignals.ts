import { CancelSignal, type CallSignal } from '../context/cancelSignal.js';

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
 * - one CancelSignal (src/context/cancelSignal.ts, not a node AbortSignal, which costs ~0.5 KB of
 *   hidden classes in the old generation each), found through the caller's signal (a WeakMap),
 *   so it goes with the request;
 * - one timer while a call holds the signal: once the last one has released it, the timer is
 *   cleared at the end of that turn of the event loop (one sweep per turn for every lease that
 *   went idle in it), and set again, for the time left, when a call takes the lease after that.
 *   A timer left to run would hold the lease and its signal (~1 KB) for the whole
 *   timeout after the request ended, long enough to be promoted to the old generation on every
 *   request (bench/README.md, "Last results"). Waiting for the turn to end spares the timer
 *   the next plan step of the request, whose calls are made in the microtasks that follow the
 *   answer they waited for; calls that overlap never touch it at all;
 * - one `abort` listener per caller signal (per request), however many signals it gets.
 *
 * A signal aborts with a `TimeoutError` at its deadline (as `AbortSignal.timeout` does, which
 * `callerGaveUp` and the HTTP client tell apart from a client leaving), or with the caller's own
 * reason as soon as the caller's signal aborts, unless it is pinned (`pin`): then once unpinned.
 */
export interface DeadlineSignals {
  /**
   * A signal for one call that must end by `deadline` (epoch ms on the caller's clock), `ms`
   * from now: one the caller already holds that fires within `[deadline - slackMs, deadline]`,
   * or a new one firing at `deadline`. The lease's `release` must be called once the call has
   * settled, retries included.
   */
  acquire(caller: CallSignal | undefined, deadline: number, ms: number, slackMs: number): DeadlineLease;
  /**
   * Until as many `unpin`s, the caller's signal aborting does not abort `lease`'s (its deadline
   * still does): a shared call (withSharedCalls.ts) that other requests joined runs on its first
   * caller's lease, and must outlive that caller. The lease is offered to no further call once the
   * caller has left; the last `unpin` aborts it then, with the caller's reason, for the calls of
   * that request still holding it.
   */
  pin(lease: DeadlineLease): void;
  unpin(lease: DeadlineLease): void;
}

export interface DeadlineLease {
  /** When `signal` fires: the call's deadline, or up to `slackMs` before it. */
  readonly deadline: number;
  readonly signal: CallSignal;
  readonly release: () => void;
}

export interface DeadlineTimers {
  setTimeout(fire: () => void, ms: number): unknown;
  clearTimeout(timer: unknown): void;
  /** Runs `sweep` once the current turn of the event loop is over (setImmediate). */
  defer(sweep: () => void): void;
}

export interface DeadlineSignalsOptions {
  /** Timer functions; tests pass a manual queue. @default the global setTimeout (unref'd) and clearTimeout */
  timers?: DeadlineTimers;
}

interface Lease extends DeadlineLease {
  /** The lease's own signal, which it fires. */
  readonly signal: CancelSignal;
  /** The signal whose aborting aborts this one; undefined for calls without one. */
  readonly caller: CallSignal | undefined;
  /** Armed while `active` > 0 (and the lease is not done). */
  timer: unknown;
  /** Calls holding the signal now. */
  active: number;
  /** `pin`s not yet undone. */
  pins: number;
  /** Fired or aborted: never handed out again. */
  done: boolean;
}

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
  defer: (sweep) => void setImmediate(sweep),
};

export function createDeadlineSignals(options: DeadlineSignalsOptions = {}): DeadlineSignals {
  const timers = options.timers ?? unrefTimers;
  // Leases whose last holder let go in this turn of the event loop, and whether a sweep is due.
  const idle: Lease[] = [];
  let sweepDue = false;
  const sweep = () => {
    sweepDue = false;
    // Taken again since (a later plan step): still armed, as it should be.
    for (const lease of idle) if (lease.active === 0) disarm(lease);
    idle.length = 0;
  };
  // Keyed by the caller's signal, so a request's leases go with it. Calls without a signal
  // (health probes, tests) share one list, which is safe: their signal is only the timer.
  const byCaller = new WeakMap<CallSignal, Lease[]>();
  const unsignalled: Lease[] = [];

  function leasesOf(caller: CallSignal | undefined): Lease[] {
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
      // Pinned: offered no more, aborted at the last unpin (which reads the reason off the caller).
      if (lease.pins > 0) continue;
      disarm(lease);
      lease.signal.abort(reason);
    }
  }

  function fire(lease: Lease): void {
    lease.timer = undefined;
    lease.done = true;
    // Idle but not swept yet: nobody to tell, so no error is built.
    if (lease.active > 0) lease.signal.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError'));
  }

  function disarm(lease: Lease): void {
    if (lease.timer === undefined) return;
    timers.clearTimeout(lease.timer);
    lease.timer = undefined;
  }

  function create(caller: CallSignal | undefined, deadline: number): Lease {
    const signal = new CancelSignal();
    const lease: Lease = {
      deadline,
      signal,
      caller,
      timer: undefined,
      active: 0,
      pins: 0,
      done: false,
      release: () => {
        // The last holder gone: nothing to time, and nothing left for the timer to keep alive.
        if (--lease.active > 0 || lease.timer === undefined) return;
        idle.push(lease);
        if (!sweepDue) {
          sweepDue = true;
          timers.defer(sweep);
        }
      },
    };
    if (caller?.aborted) {
      lease.done = true;
      signal.abort(caller.reason);
    }
    return lease;
  }

  return {
    acquire(caller, deadline, ms, slackMs) {
      const leases = leasesOf(caller);
      const now = deadline - ms;
      // Not past its deadline: one no call held then has no timer to have marked it done.
      const earliest = Math.max(deadline - slackMs, now + 1);
      let lease: Lease | undefined;
      // The newest first: it fires latest, so the call loses the least time.
      for (let i = leases.length - 1; i >= 0; i--) {
        const candidate = leases[i]!;
        if (!candidate.done && candidate.deadline <= deadline && candidate.deadline >= earliest) {
          lease = candidate;
          break;
        }
      }
      if (lease === undefined) {
        lease = create(caller, deadline);
        // Offered for sharing no more: fired or aborted ones, idle ones past their deadline, and,
        // past MAX_OFFERED, the oldest that no call holds.
        let kept = 0;
        for (const old of leases) if (!old.done && (old.active > 0 || old.deadline > now)) leases[kept++] = old;
        leases.length = kept;
        for (let i = 0; i < leases.length && leases.length >= MAX_OFFERED; ) {
          if (leases[i]!.active === 0) leases.splice(i, 1);
          else i++;
        }
        leases.push(lease);
      }
      // The first holder (again) arms the timer, for the time the lease has left.
      if (lease.active++ === 0 && !lease.done && lease.timer === undefined) {
        const armed = lease;
        // An unnamed closure per timer set: tsx names every named one it makes, at a cost per lease.
        lease.timer = timers.setTimeout(() => fire(armed), lease.deadline - now);
      }
      return lease;
    },
    pin(lease) {
      (lease as Lease).pins += 1;
    },
    unpin(shared) {
      const lease = shared as Lease;
      if (--lease.pins > 0 || !lease.caller?.aborted || lease.signal.aborted) return;
      disarm(lease);
      lease.signal.abort(lease.caller.reason);
    },
  };
}
