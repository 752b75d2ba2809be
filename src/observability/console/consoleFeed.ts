import { MinuteTallies, topCounts, type Count } from './minuteTallies.js';
import { SecondSeries, type SeriesPoint, type SeriesTotals } from './secondSeries.js';

/**
 * What the operator console (src/runtime/console/) shows, kept in the process: fixed rings of
 * per-second buckets per BFF and per source, per-minute tallies for the top-N tables, and short
 * lists of the latest breaker transitions and errors. No database, nothing to install; a restart
 * starts the window afresh, which is what `/metrics` and Prometheus are for.
 *
 * It is fed at the same points as the Prometheus series, by the code that counts them
 * (useRequestMetrics, withBreaker, withFallbackCache, useRateLimit, useResponseCache): every
 * `record*` call is a few typed-array increments or a map lookup, never a per-request
 * allocation, because it runs on every request and every upstream call.
 */
export interface ConsoleFeed {
  /** A GraphQL request answered by a BFF; `cost` is its static cost when it was priced. */
  request(bff: string, operation: string, latencyMs: number, failed: boolean, stale: boolean, cost: number | undefined): void;
  /** An error sent to a client, by its extensions.code (already bounded by the catalogue). */
  graphqlError(bff: string, code: string, operation: string | undefined): void;
  /** An upstream attempt that reached the source (or failed to). */
  sourceCall(source: string, latencyMs: number, failed: boolean): void;
  /** An attempt an open breaker refused without calling the source. */
  sourceRejected(source: string): void;
  /** A failed read answered from the fallback cache. */
  fallbackServed(source: string): void;
  breaker(source: string, state: string): void;
  /** A request refused with RATE_LIMITED. */
  rateLimited(bff: string, plan: string, tenant: string): void;
  /** A response-cache lookup (hit or not). */
  cacheLookup(bff: string, hit: boolean): void;
  snapshot(): FeedSnapshot;
  /** Requests and errors per second over the last RATE_SECONDS, all BFFs together (fleet heartbeats). */
  rates(): { requestRate: number; errorRate: number };
}

export interface SeriesSummary {
  name: string;
  /** Per second, over the last `RATE_SECONDS`. */
  requestRate: number;
  errorRate: number;
  /** Over the whole window. */
  totals: SeriesTotals;
  /** The window in `STEP_SECONDS` steps, oldest first. */
  points: SeriesPoint[];
}

export interface OperationSummary {
  bff: string;
  operation: string;
  count: number;
  meanMs: number;
  maxMs: number;
  /** Sum of the static costs of its priced requests, and their mean. */
  totalCost: number;
  meanCost: number | null;
}

export interface FeedSnapshot {
  at: number;
  windowSeconds: number;
  stepSeconds: number;
  rateSeconds: number;
  bffs: SeriesSummary[];
  sources: SeriesSummary[];
  breakerHistory: { at: number; source: string; state: string }[];
  rateLimited: { bff: string; plan: string; tenant: string; count: number }[];
  errorsByCode: { bff: string; code: string; count: number }[];
  recentErrors: { at: number; bff: string; code: string; operation: string | null }[];
  operationsByCost: OperationSummary[];
  operationsByLatency: OperationSummary[];
}

export interface ConsoleFeedOptions {
  /** @default Date.now */
  now?: () => number;
  /** @default 900: the 15 minutes an operator looks back over during an incident */
  windowSeconds?: number;
  /** @default 10: 90 points per chart, fine enough to see a spike, small enough to send every second */
  stepSeconds?: number;
  /** @default 10 */
  topN?: number;
}

/** The rate shown as "now": long enough to be steady at low traffic, short enough to react. */
export const RATE_SECONDS = 10;
const HISTORY = 100;
const RECENT_ERRORS = 30;
// Keys are joined with a character no BFF name, plan, tenant or code contains.
const SEP = '\u0001';

interface OperationTally {
  count: number;
  latencySum: number;
  latencyMax: number;
  costSum: number;
  priced: number;
}

export function createConsoleFeed(options: ConsoleFeedOptions = {}): ConsoleFeed {
  const now = options.now ?? Date.now;
  const windowSeconds = options.windowSeconds ?? 900;
  const stepSeconds = options.stepSeconds ?? 10;
  const topN = options.topN ?? 10;
  const minutes = Math.max(1, Math.ceil(windowSeconds / 60));
  const bffs = new Map<string, SecondSeries>();
  const sources = new Map<string, SecondSeries>();
  const series = (map: Map<string, SecondSeries>, name: string) => {
    let found = map.get(name);
    if (!found) map.set(name, (found = new SecondSeries(windowSeconds)));
    return found;
  };
  const operations = new Map<string, MinuteTallies<OperationTally>>();
  const newCount = (): Count => ({ n: 0 });
  const refusals = new MinuteTallies<Count>(minutes, newCount);
  const errors = new MinuteTallies<Count>(minutes, newCount);
  const history: FeedSnapshot['breakerHistory'] = [];
  const recent: FeedSnapshot['recentErrors'] = [];

  const summarize = (map: Map<string, SecondSeries>, at: number): SeriesSummary[] =>
    [...map].map(([name, s]) => {
      const recentTotals = s.totals(at, RATE_SECONDS);
      return {
        name,
        requestRate: recentTotals.requests / RATE_SECONDS,
        errorRate: recentTotals.errors / RATE_SECONDS,
        totals: s.totals(at),
        points: s.points(at, stepSeconds),
      };
    });

  const operationSummaries = (at: number): OperationSummary[] => {
    const sums = new Map<string, OperationSummary & { latencySum: number; priced: number }>();
    for (const [bff, tallies] of operations) {
      for (const [operation, tally] of tallies.entries(at)) {
        const key = bff + SEP + operation;
        let sum = sums.get(key);
        if (!sum) sums.set(key, (sum = { bff, operation, count: 0, meanMs: 0, maxMs: 0, totalCost: 0, meanCost: null, latencySum: 0, priced: 0 }));
        sum.count += tally.count;
        sum.latencySum += tally.latencySum;
        sum.maxMs = Math.max(sum.maxMs, tally.latencyMax);
        sum.totalCost += tally.costSum;
        sum.priced += tally.priced;
      }
    }
    return [...sums.values()].map(({ latencySum, priced, ...summary }) => ({
      ...summary,
      meanMs: summary.count ? Math.round((latencySum / summary.count) * 10) / 10 : 0,
      maxMs: Math.round(summary.maxMs * 10) / 10,
      meanCost: priced ? Math.round((summary.totalCost / priced) * 10) / 10 : null,
    }));
  };

  return {
    request(bff, operation, latencyMs, failed, stale, cost) {
      const at = now();
      const s = series(bffs, bff);
      s.observe(at, latencyMs, failed);
      if (stale) s.count(at, 'fallbacks');
      let tallies = operations.get(bff);
      if (!tallies) operations.set(bff, (tallies = new MinuteTallies(minutes, () => ({ count: 0, latencySum: 0, latencyMax: 0, costSum: 0, priced: 0 }))));
      const tally = tallies.at(at, operation);
      tally.count++;
      tally.latencySum += latencyMs;
      if (latencyMs > tally.latencyMax) tally.latencyMax = latencyMs;
      if (cost !== undefined && Number.isFinite(cost)) {
        tally.costSum += cost;
        tally.priced++;
      }
    },
    graphqlError(bff, code, operation) {
      const at = now();
      errors.at(at, bff + SEP + code).n++;
      recent.push({ at, bff, code, operation: operation ?? null });
      if (recent.length > RECENT_ERRORS) recent.shift();
    },
    sourceCall(source, latencyMs, failed) {
      series(sources, source).observe(now(), latencyMs, failed);
    },
    sourceRejected(source) {
      const at = now();
      const s = series(sources, source);
      s.count(at, 'requests');
      s.count(at, 'errors');
    },
    fallbackServed(source) {
      series(sources, source).count(now(), 'fallbacks');
    },
    breaker(source, state) {
      series(sources, source);
      history.push({ at: now(), source, state });
      if (history.length > HISTORY) history.shift();
    },
    rateLimited(bff, plan, tenant) {
      const at = now();
      series(bffs, bff).count(at, 'rateLimited');
      refusals.at(at, bff + SEP + plan + SEP + tenant).n++;
    },
    cacheLookup(bff, hit) {
      const at = now();
      const s = series(bffs, bff);
      s.count(at, 'cacheLookups');
      if (hit) s.count(at, 'cacheHits');
    },
    rates() {
      const at = now();
      let requests = 0;
      let failed = 0;
      for (const s of bffs.values()) {
        const totals = s.totals(at, RATE_SECONDS);
        requests += totals.requests;
        failed += totals.errors;
      }
      return { requestRate: requests / RATE_SECONDS, errorRate: failed / RATE_SECONDS };
    },
    snapshot() {
      const at = now();
      const ops = operationSummaries(at);
      return {
        at,
        windowSeconds,
        stepSeconds,
        rateSeconds: RATE_SECONDS,
        bffs: summarize(bffs, at),
        sources: summarize(sources, at),
        breakerHistory: history.slice(),
        rateLimited: topCounts(refusals, at, topN).map(({ key, count }) => {
          const [bff = '', plan = '', tenant = ''] = key.split(SEP);
          return { bff, plan, tenant, count };
        }),
        errorsByCode: topCounts(errors, at, topN).map(({ key, count }) => {
          const [bff = '', code = ''] = key.split(SEP);
          return { bff, code, count };
        }),
        recentErrors: recent.slice().reverse(),
        operationsByCost: ops.filter((op) => op.totalCost > 0).sort((a, b) => b.totalCost - a.totalCost).slice(0, topN),
        operationsByLatency: ops.sort((a, b) => b.meanMs - a.meanMs).slice(0, topN),
      };
    },
  };
}

let processFeed: ConsoleFeed | undefined;

/**
 * The process's feed, which every recording site writes to, as prom-client's default registry is
 * the process's: several gateways started in one process (tests) share it, as they share the
 * metric series.
 */
export function consoleFeed(): ConsoleFeed {
  return (processFeed ??= createConsoleFeed());
}

/**
 * Drops the process's feed, so the next `consoleFeed()` starts empty, as in a new process. For
 * test files that share a worker process (vitest without isolation, test/support/processState.ts).
 */
export function resetConsoleFeed(): void {
  processFeed = undefined;
}
