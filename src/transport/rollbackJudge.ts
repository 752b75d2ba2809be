import type { RollbackConfig } from '../config/trafficSchema.js';

/** One finished call of a version, as the judge counts it. */
export interface CallSample {
  /** A 5xx answer or a failed call (refused, timed out, unreachable). */
  failed: boolean;
  latencyMs: number;
}

/** Why a version was rolled back, with the figures that decided it (logged and on /readyz). */
export interface RollbackVerdict {
  reason: 'error_rate' | 'p99';
  version: { calls: number; errorRate: number; p99Ms: number };
  primary: { calls: number; errorRate: number; p99Ms: number };
}

export interface RollbackJudgeOptions {
  config: RollbackConfig;
  /** The version the others are compared against. */
  primary: string;
  /** Clock for the window. @default Date.now */
  now?: () => number;
}

export interface RollbackJudge {
  /**
   * Counts a call and, for a version other than the primary, returns a verdict when that version
   * now does worse than the primary by more than the configured margins over the window.
   */
  record(version: string, sample: CallSample): RollbackVerdict | undefined;
}

/**
 * Keeps at most this many samples per version: the newest. At 1 000 calls a second over a
 * one-minute window a version keeps its last 10 s, which still holds hundreds of failures if it
 * is failing; memory stays bounded whatever the traffic.
 */
const MAX_SAMPLES = 10_000;

interface Window {
  at: number[];
  failed: boolean[];
  latency: number[];
  failures: number;
  /** p99 over the window when it was last computed, and when. */
  p99Ms: number;
  p99At: number;
}

/**
 * Compares each version's calls with the primary's over a sliding window. The error rate is kept
 * as a running count, so judging it costs O(1) per call; p99 needs a sort, so it is recomputed at
 * most every windowMs/20 (3 s of a one-minute window), which delays a latency rollback by no more
 * than that.
 */
export function createRollbackJudge(options: RollbackJudgeOptions): RollbackJudge {
  const { config, primary } = options;
  const now = options.now ?? Date.now;
  const windows = new Map<string, Window>();
  const p99EveryMs = Math.max(1, Math.floor(config.windowMs / 20));

  const windowOf = (version: string): Window => {
    let window = windows.get(version);
    if (!window) {
      window = { at: [], failed: [], latency: [], failures: 0, p99Ms: 0, p99At: -Infinity };
      windows.set(version, window);
    }
    return window;
  };

  const prune = (window: Window, at: number) => {
    let drop = 0;
    const since = at - config.windowMs;
    while (drop < window.at.length && (window.at[drop]! <= since || window.at.length - drop > MAX_SAMPLES)) {
      if (window.failed[drop]) window.failures -= 1;
      drop += 1;
    }
    if (drop === 0) return;
    window.at.splice(0, drop);
    window.failed.splice(0, drop);
    window.latency.splice(0, drop);
  };

  const p99 = (window: Window, at: number): number => {
    if (at - window.p99At >= p99EveryMs) {
      window.p99Ms = percentile(window.latency, 0.99);
      window.p99At = at;
    }
    return window.p99Ms;
  };

  return {
    record(version, sample) {
      const at = now();
      const window = windowOf(version);
      window.at.push(at);
      window.failed.push(sample.failed);
      window.latency.push(sample.latencyMs);
      if (sample.failed) window.failures += 1;
      prune(window, at);
      if (version === primary || window.at.length < config.minCalls) return undefined;
      const base = windowOf(primary);
      prune(base, at);
      const errorRate = window.failures / window.at.length;
      const baseErrorRate = base.at.length === 0 ? 0 : base.failures / base.at.length;
      const figures = (): Pick<RollbackVerdict, 'version' | 'primary'> => ({
        version: { calls: window.at.length, errorRate, p99Ms: percentile(window.latency, 0.99) },
        primary: { calls: base.at.length, errorRate: baseErrorRate, p99Ms: percentile(base.latency, 0.99) },
      });
      if (errorRate - baseErrorRate > config.errorRateMargin) return { reason: 'error_rate', ...figures() };
      if (base.at.length >= config.minCalls && p99(window, at) - p99(base, at) > config.p99MarginMs) return { reason: 'p99', ...figures() };
      return undefined;
    },
  };
}

/** The q-quantile (nearest rank) of `values`; 0 for none. */
export function percentile(values: readonly number[], q: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
}
