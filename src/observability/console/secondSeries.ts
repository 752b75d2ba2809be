/**
 * A fixed window of per-second buckets (a ring, allocated once): counters and a latency
 * histogram per second. Recording is index arithmetic on typed arrays, with no allocation, so it
 * can sit on the request path; percentiles and rates are computed only when someone reads.
 *
 * Latency buckets are quarter-octaves of milliseconds (bucket i holds up to 2^(i/4) ms, about
 * 19 % wide), so a percentile read from them is within one bucket from 1 ms to 55 s (slower
 * calls land in the last bucket), at a fixed 64 × 4 bytes per second however many requests arrive.
 */
export const LATENCY_BUCKETS = 64;

/** The counters every series keeps per second. */
export const COUNTERS = ['requests', 'errors', 'fallbacks', 'cacheLookups', 'cacheHits', 'rateLimited'] as const;
export type CounterName = (typeof COUNTERS)[number];
const COUNTER_INDEX = Object.fromEntries(COUNTERS.map((name, i) => [name, i])) as Record<CounterName, number>;

export interface SeriesPoint {
  /** Epoch ms of the point's first second. */
  at: number;
  requests: number;
  errors: number;
  fallbacks: number;
  /** Milliseconds; null when no request finished in the step. */
  p50: number | null;
  p99: number | null;
}

export type SeriesTotals = Record<CounterName, number>;

/** Upper bound in ms of latency bucket `i`. */
export const bucketUpperMs = (i: number): number => 2 ** (i / 4);

export function latencyBucket(ms: number): number {
  if (!(ms > 1)) return 0;
  const i = Math.ceil(Math.log2(ms) * 4);
  return i < LATENCY_BUCKETS ? i : LATENCY_BUCKETS - 1;
}

export class SecondSeries {
  readonly seconds: number;
  // Which absolute second each slot holds; a slot from an older lap is cleared before reuse.
  private readonly stamp: Float64Array;
  private readonly counts: Uint32Array;
  private readonly latency: Uint32Array;

  constructor(seconds: number) {
    this.seconds = seconds;
    this.stamp = new Float64Array(seconds).fill(-1);
    this.counts = new Uint32Array(seconds * COUNTERS.length);
    this.latency = new Uint32Array(seconds * LATENCY_BUCKETS);
  }

  /** Adds `by` to a counter in the second of `nowMs`. */
  count(nowMs: number, counter: CounterName, by = 1): void {
    this.counts[this.slot(nowMs) * COUNTERS.length + COUNTER_INDEX[counter]]! += by;
  }

  /** One finished call: a request, maybe an error, its latency in the histogram. */
  observe(nowMs: number, latencyMs: number, failed: boolean): void {
    const slot = this.slot(nowMs);
    const base = slot * COUNTERS.length;
    this.counts[base]!++;
    if (failed) this.counts[base + 1]!++;
    this.latency[slot * LATENCY_BUCKETS + latencyBucket(latencyMs)]!++;
  }

  /** Sums of every counter over the last `seconds` seconds up to `nowMs`. */
  totals(nowMs: number, seconds = this.seconds): SeriesTotals {
    const totals = Object.fromEntries(COUNTERS.map((name) => [name, 0])) as SeriesTotals;
    const now = Math.floor(nowMs / 1000);
    for (let second = now - Math.min(seconds, this.seconds) + 1; second <= now; second++) {
      const slot = this.live(second);
      if (slot < 0) continue;
      for (let c = 0; c < COUNTERS.length; c++) totals[COUNTERS[c]!] += this.counts[slot * COUNTERS.length + c]!;
    }
    return totals;
  }

  /**
   * The whole window as points of `stepSeconds` each, oldest first, ending with the step that
   * holds `nowMs`; percentiles come from the merged histograms of the step's seconds.
   */
  points(nowMs: number, stepSeconds: number): SeriesPoint[] {
    const now = Math.floor(nowMs / 1000);
    const lastStart = now - (now % stepSeconds);
    const steps = Math.floor(this.seconds / stepSeconds);
    const merged = new Uint32Array(LATENCY_BUCKETS);
    const points: SeriesPoint[] = [];
    for (let start = lastStart - (steps - 1) * stepSeconds; start <= lastStart; start += stepSeconds) {
      merged.fill(0);
      let requests = 0;
      let errors = 0;
      let fallbacks = 0;
      for (let second = start; second < start + stepSeconds && second <= now; second++) {
        const slot = this.live(second);
        if (slot < 0) continue;
        requests += this.counts[slot * COUNTERS.length]!;
        errors += this.counts[slot * COUNTERS.length + 1]!;
        fallbacks += this.counts[slot * COUNTERS.length + 2]!;
        for (let b = 0; b < LATENCY_BUCKETS; b++) merged[b]! += this.latency[slot * LATENCY_BUCKETS + b]!;
      }
      points.push({ at: start * 1000, requests, errors, fallbacks, p50: percentile(merged, 0.5), p99: percentile(merged, 0.99) });
    }
    return points;
  }

  private slot(nowMs: number): number {
    const second = Math.floor(nowMs / 1000);
    const slot = second % this.seconds;
    if (this.stamp[slot] !== second) {
      this.stamp[slot] = second;
      this.counts.fill(0, slot * COUNTERS.length, (slot + 1) * COUNTERS.length);
      this.latency.fill(0, slot * LATENCY_BUCKETS, (slot + 1) * LATENCY_BUCKETS);
    }
    return slot;
  }

  /** The slot holding `second`, or -1 when it was never written or has been lapped. */
  private live(second: number): number {
    const slot = ((second % this.seconds) + this.seconds) % this.seconds;
    return this.stamp[slot] === second ? slot : -1;
  }
}

/** The upper bound of the bucket holding quantile `q` (ms), or null for an empty histogram. */
export function percentile(histogram: ArrayLike<number>, q: number): number | null {
  let total = 0;
  for (let b = 0; b < histogram.length; b++) total += histogram[b]!;
  if (total === 0) return null;
  const rank = Math.ceil(q * total);
  let seen = 0;
  for (let b = 0; b < histogram.length; b++) {
    seen += histogram[b]!;
    if (seen >= rank) return Math.round(bucketUpperMs(b) * 10) / 10;
  }
  return Math.round(bucketUpperMs(histogram.length - 1) * 10) / 10;
}
