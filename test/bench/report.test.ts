import { describe, expect, it } from 'vitest';
import { formatTable, median, summarise, verdictLine, type Measurement } from '../../bench/lib/report.js';
import type { LoadResult } from '../../bench/lib/loadgen.js';

function load(rps: number, p99: number, failures: Partial<LoadResult> = {}): LoadResult {
  return { requests: rps * 10, durationSeconds: 10, rps, p50: p99 / 2, p99, non2xx: 0, errors: 0, timeouts: 0, mismatches: 0, ...failures };
}

function measured(target: string, round: number, rps: number, p99: number, cpuSeconds = 10, failures: Partial<LoadResult> = {}): Measurement {
  return { target, round, load: load(rps, p99, failures), cpuSeconds, peakRssMiB: target === 'hive' ? 200 : 100, upstreamCalls: rps * 10 * 2 };
}

describe('bench report', () => {
  it('relates each round to the reference gateway of the same round, then takes the median', () => {
    // Round 2 is slow for both (a noisy neighbour): the per-round ratio stays 2.
    const rows = summarise(['portico', 'hive'], 'hive', [
      measured('portico', 1, 200, 10),
      measured('hive', 1, 100, 20),
      measured('portico', 2, 50, 40),
      measured('hive', 2, 25, 80),
      measured('portico', 3, 220, 10),
      measured('hive', 3, 100, 20),
    ]);
    const portico = rows.find((row) => row.target === 'portico')!;
    expect(portico.ratio.rps).toBe(2);
    expect(portico.ratio.p99).toBe(0.5);
    expect(portico.rps).toBe(200);
    expect(portico.peakRssMiB).toBe(100);
    expect(portico.ratio.peakRssMiB).toBe(0.5);
    expect(portico.upstreamCallsPerRequest).toBe(2);
  });

  it('reports requests per CPU second from the process CPU time, not from wall time', () => {
    const rows = summarise(['portico', 'hive'], 'hive', [measured('portico', 1, 100, 10, 2), measured('hive', 1, 100, 10, 8)]);
    expect(rows[0]!.rpsPerCoreSecond).toBe(500);
    expect(rows[0]!.ratio.rpsPerCoreSecond).toBe(4);
  });

  it('counts every non-2xx, socket error, timeout and wrong body as a failure, warm-up included', () => {
    const rows = summarise(['portico', 'hive'], 'hive', [measured('portico', 1, 100, 10, 1, { non2xx: 1, mismatches: 2, errors: 3, timeouts: 4 }), measured('hive', 1, 100, 10)], {
      portico: 5,
    });
    expect(rows[0]!.failures).toBe(15);
    expect(rows[1]!.failures).toBe(0);
  });

  it('ends a scenario with the line the issue fixes, and FAILED whatever the figures when a response was wrong', () => {
    const [portico] = summarise(['portico', 'hive'], 'hive', [measured('portico', 1, 150, 9), measured('hive', 1, 100, 10)]);
    expect(verdictLine('federation', portico, true)).toBe('bench federation: portico/hive rps ratio 1.50, p99 ratio 0.90, ok');
    expect(verdictLine('federation', portico, false)).toBe('bench federation: portico/hive rps ratio 1.50, p99 ratio 0.90, FAILED');
    expect(verdictLine('honest', undefined, false)).toBe('bench honest: portico/hive rps ratio n/a, p99 ratio n/a, FAILED');
  });

  it('prints a Markdown table with each figure beside its ratio to Hive', () => {
    const table = formatTable(summarise(['portico', 'hive'], 'hive', [measured('portico', 1, 150, 9), measured('hive', 1, 100, 10)]));
    const lines = table.split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[2]).toBe('| portico | 150 | ×1.50 | 4.50 | ×0.90 | 9.00 | ×0.90 | 0 | 100 | ×0.50 | 150 | ×1.50 | 2.0 |');
  });

  it('takes the median of an even number of rounds as the mean of the middle two, ignoring rounds with no figure', () => {
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([NaN, 3])).toBe(3);
    expect(median([])).toBeNaN();
  });
});
