import { describe, expect, it } from 'vitest';
import { compareGateways, figuresOf, formatTable, median, percentile, type GatewayRound } from '../../bench/subscriptions/subscriptionReport.js';

const round = (gateway: string, n: number, overrides: Partial<GatewayRound> = {}): GatewayRound => ({
  gateway,
  round: n,
  subscriptions: { sse: 100, ws: 100 },
  latencies: { sse: [1, 2, 3, 4], ws: [10, 20, 30, 40] },
  rssMiB: { before: 100, withSse: 110, withBoth: 130 },
  cpuSeconds: 2,
  delivered: 4000,
  expected: 4000,
  upstreamSubscriptions: 200,
  ...overrides,
});

describe('the subscription bench figures', () => {
  it('takes nearest-rank percentiles of unsorted values', () => {
    const values = Array.from({ length: 100 }, (_, i) => 100 - i);
    expect(percentile(values, 0.5)).toBe(50);
    expect(percentile(values, 0.99)).toBe(99);
    expect(percentile(values, 1)).toBe(100);
    expect(percentile([7], 0.99)).toBe(7);
    expect(percentile([], 0.5)).toBeNaN();
  });

  it('takes the median of an even count as the mean of the middle two (two rounds: their mean)', () => {
    expect(median([0.5, 1.5])).toBe(1);
    expect(median([3, 1, 2])).toBe(2);
    expect(median([])).toBeNaN();
  });

  it('derives latency, memory per subscription, CPU per 1,000 events and upstream fan-in from one round', () => {
    expect(figuresOf(round('portico', 1))).toEqual({
      sseP50: 2,
      sseP99: 4,
      wsP50: 20,
      wsP99: 40,
      // 10 MiB over 100 SSE subscriptions, 20 MiB over 100 WebSocket ones, 30 MiB over 200.
      rssKiBPerSse: 102.4,
      rssKiBPerWs: 204.8,
      rssKiBPerSubscription: 153.6,
      // 2 CPU seconds for 4,000 events: 500 ms per 1,000.
      cpuMsPer1000Events: 500,
      upstreamPerSubscription: 1,
    });
  });

  it('compares per round and takes the median of the ratios, not the ratio of the medians', () => {
    const rounds = [
      round('portico', 1, { cpuSeconds: 1 }),
      round('hive', 1, { cpuSeconds: 4 }),
      round('portico', 2, { cpuSeconds: 3 }),
      round('hive', 2, { cpuSeconds: 3 }),
      round('portico', 3, { cpuSeconds: 8 }),
      round('hive', 3, { cpuSeconds: 16 }),
    ];
    const [portico, hive] = compareGateways(rounds, ['portico', 'hive'], 'hive');
    // Per-round ratios 0.25, 1, 0.5: median 0.5 (the medians' ratio would be 3/4).
    expect(portico!.ratios!.cpuMsPer1000Events).toBe(0.5);
    expect(portico!.figures.cpuMsPer1000Events).toBe(750);
    expect(hive!.figures.cpuMsPer1000Events).toBe(1000);
    expect(hive!.ratios).toBeUndefined();
  });

  it('prints a figure per row with each gateway and the ratio to the baseline', () => {
    const rows = compareGateways([round('portico', 1, { cpuSeconds: 1 }), round('hive', 1)], ['portico', 'hive'], 'hive');
    const table = formatTable(rows, 'hive').split('\n');
    expect(table[0]).toBe('| figure | portico | hive | portico/hive |');
    expect(table).toContain('| CPU ms / 1,000 events | 250.0 | 500.0 | ×0.50 |');
    expect(table).toContain('| SSE p99 ms | 4.00 | 4.00 | ×1.00 |');
  });
});
