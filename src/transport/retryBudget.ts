export interface RetryBudgetOptions {
  /** Retries allowed as a share of the requests seen in the window. @default 0.1 */
  ratio: number;
  /** Retries always allowed per window, whatever the traffic. @default 10 */
  min: number;
  /** Length of the sliding window. @default 10000 */
  windowMs: number;
  /** Slots the window is kept in; one ages out at a time. @default 10 */
  slots?: number;
  /** Clock (ms). @default Date.now */
  now?: () => number;
}

export interface RetryBudget {
  /** Counts one original request (not a retry) towards what retries may spend. */
  recordRequest(): void;
  /** Takes one retry from the budget; false (and nothing taken) when it is spent. */
  tryAcquire(): boolean;
  /** Requests and retries in the current window. */
  snapshot(): { requests: number; retries: number };
}

/**
 * A per-source retry budget (Finagle's idea): within a sliding window, retries may not exceed
 * `min + ratio × requests`. During an outage every request fails, and without a budget each one
 * would be sent `1 + maxRetries` times; with it the source sees at most `ratio` more traffic than
 * it would without retries, plus a small constant. Time is read from `now`, never from timers, so
 * the window moves only when asked and a test can drive it with a fake clock.
 */
export function createRetryBudget(options: RetryBudgetOptions): RetryBudget {
  const { ratio, min, windowMs } = options;
  const slots = options.slots ?? 10;
  const now = options.now ?? Date.now;
  if (!(ratio >= 0 && ratio <= 1)) throw new RangeError(`retry budget ratio must be within 0..1, got ${ratio}`);
  if (!Number.isInteger(slots) || slots < 1) throw new RangeError(`retry budget slots must be a positive integer, got ${slots}`);
  const slotMs = Math.max(1, windowMs / slots);
  // Each slot remembers which epoch it counts, so a slot is reset lazily when time comes back to it.
  const epochs = new Float64Array(slots).fill(-1);
  const requests = new Float64Array(slots);
  const retries = new Float64Array(slots);

  function current(): number {
    const epoch = Math.floor(now() / slotMs);
    const index = epoch % slots;
    if (epochs[index] !== epoch) {
      epochs[index] = epoch;
      requests[index] = 0;
      retries[index] = 0;
    }
    return epoch;
  }

  function totals(epoch: number): { requests: number; retries: number } {
    let r = 0;
    let t = 0;
    for (let i = 0; i < slots; i++) {
      if (epochs[i]! > epoch - slots) {
        r += requests[i]!;
        t += retries[i]!;
      }
    }
    return { requests: r, retries: t };
  }

  return {
    recordRequest() {
      const epoch = current();
      requests[epoch % slots]! += 1;
    },
    tryAcquire() {
      const epoch = current();
      const seen = totals(epoch);
      if (seen.retries + 1 > min + ratio * seen.requests) return false;
      retries[epoch % slots]! += 1;
      return true;
    },
    snapshot() {
      return totals(current());
    },
  };
}

/**
 * Delay before retry number `retry` (1-based): uniform in [0, min(maxMs, baseMs · 2^(retry-1))]
 * ("full jitter"), so the retries of many failed requests spread out instead of arriving together.
 */
export function backoffDelay(retry: number, baseMs: number, maxMs: number, random: () => number): number {
  const cap = Math.min(maxMs, baseMs * 2 ** (retry - 1));
  return Math.floor(random() * cap);
}
