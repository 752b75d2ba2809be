import type { LoadResult } from './loadgen.js';

/** One timed run of one target in one round (warm-up runs are checked but not measured). */
export interface Measurement {
  target: string;
  round: number;
  load: LoadResult;
  /** CPU seconds the process under test used during the run (utime + stime). */
  cpuSeconds: number;
  /** VmHWM of the process under test after the run. */
  peakRssMiB: number;
  /** Requests the subgraphs received during the run. */
  upstreamCalls: number;
}

export interface TargetSummary {
  target: string;
  rps: number;
  p50: number;
  p99: number;
  /** Non-2xx, socket errors, timeouts and wrong bodies, warm-up included. */
  failures: number;
  peakRssMiB: number;
  /** Requests served per CPU second the process used: throughput independent of idle time. */
  rpsPerCoreSecond: number;
  upstreamCallsPerRequest: number;
  /** Each figure over the reference target's, median of the per-round ratios (same round). */
  ratio: { rps: number; p50: number; p99: number; peakRssMiB: number; rpsPerCoreSecond: number };
}

export function failuresOf(load: LoadResult): number {
  return load.non2xx + load.errors + load.timeouts + load.mismatches;
}

export function median(values: readonly number[]): number {
  const sorted = values.filter((value) => Number.isFinite(value)).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/**
 * Summarises each target over the rounds and relates it to `reference` (Hive Gateway) round by
 * round: ratios are taken within a round, then their median reported, so a noisy neighbour that
 * slows one round slows both gateways in that round and cancels out.
 */
export function summarise(
  targets: readonly string[],
  reference: string,
  measurements: readonly Measurement[],
  warmupFailures: Readonly<Record<string, number>> = {},
): TargetSummary[] {
  const of = (target: string) => measurements.filter((m) => m.target === target);
  const inRound = (target: string, round: number) => measurements.find((m) => m.target === target && m.round === round);
  return targets.map((target) => {
    const runs = of(target);
    const requests = runs.reduce((sum, m) => sum + m.load.requests, 0);
    const cpu = runs.reduce((sum, m) => sum + m.cpuSeconds, 0);
    const perRound = (pick: (m: Measurement) => number) =>
      median(
        runs.map((m) => {
          const ref = inRound(reference, m.round);
          return ref ? pick(m) / pick(ref) : NaN;
        }),
      );
    const refRuns = of(reference);
    const refRequests = refRuns.reduce((sum, m) => sum + m.load.requests, 0);
    const refCpu = refRuns.reduce((sum, m) => sum + m.cpuSeconds, 0);
    const rpsPerCoreSecond = cpu > 0 ? requests / cpu : NaN;
    const refPerCore = refCpu > 0 ? refRequests / refCpu : NaN;
    const peak = Math.max(...runs.map((m) => m.peakRssMiB));
    const refPeak = Math.max(...refRuns.map((m) => m.peakRssMiB));
    return {
      target,
      rps: median(runs.map((m) => m.load.rps)),
      p50: median(runs.map((m) => m.load.p50)),
      p99: median(runs.map((m) => m.load.p99)),
      failures: runs.reduce((sum, m) => sum + failuresOf(m.load), 0) + (warmupFailures[target] ?? 0),
      peakRssMiB: peak,
      rpsPerCoreSecond,
      upstreamCallsPerRequest: requests > 0 ? runs.reduce((sum, m) => sum + m.upstreamCalls, 0) / requests : NaN,
      ratio: {
        rps: perRound((m) => m.load.rps),
        p50: perRound((m) => m.load.p50),
        p99: perRound((m) => m.load.p99),
        peakRssMiB: peak / refPeak,
        rpsPerCoreSecond: rpsPerCoreSecond / refPerCore,
      },
    };
  });
}

const num = (value: number, digits = 0) => (Number.isFinite(value) ? value.toFixed(digits) : '-');
const ratio = (value: number) => (Number.isFinite(value) ? `×${value.toFixed(2)}` : '-');

/** A Markdown table (pasted as is into bench/README.md). */
export function formatTable(rows: readonly TargetSummary[]): string {
  const header = [
    'target',
    'req/s',
    'vs hive',
    'p50 ms',
    'vs hive',
    'p99 ms',
    'vs hive',
    'failed',
    'peak RSS MiB',
    'vs hive',
    'req per core-s',
    'vs hive',
    'subgraph calls/req',
  ];
  const lines = rows.map((row) => [
    row.target,
    num(row.rps),
    ratio(row.ratio.rps),
    num(row.p50, 2),
    ratio(row.ratio.p50),
    num(row.p99, 2),
    ratio(row.ratio.p99),
    String(row.failures),
    num(row.peakRssMiB),
    ratio(row.ratio.peakRssMiB),
    num(row.rpsPerCoreSecond),
    ratio(row.ratio.rpsPerCoreSecond),
    num(row.upstreamCallsPerRequest, 1),
  ]);
  return [header, header.map(() => '---'), ...lines].map((cells) => `| ${cells.join(' | ')} |`).join('\n');
}

/** The closing line of a scenario, in the form the issue fixes. */
export function verdictLine(scenario: string, portico: TargetSummary | undefined, ok: boolean): string {
  const fmt = (value: number | undefined) => (value !== undefined && Number.isFinite(value) ? value.toFixed(2) : 'n/a');
  return `bench ${scenario}: portico/hive rps ratio ${fmt(portico?.ratio.rps)}, p99 ratio ${fmt(portico?.ratio.p99)}, ${ok ? 'ok' : 'FAILED'}`;
}
