import { describe, expect, it } from 'vitest';
import { LatencyHistogram } from '../../bench/lib/latencyHistogram.js';
import { pairedBootstrap } from '../../bench/lib/pairedBootstrap.js';

// A seeded spread of latencies shaped like a gateway's: most around 3-5 ms, a tail to 40 ms, a few slower.
function latencies(count: number, scale = 1, seed = 7): number[] {
  let state = seed;
  const random = () => ((state = (state * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648);
  return Array.from({ length: count }, () => {
    const r = random();
    return scale * (r < 0.95 ? 3 + 2 * random() : r < 0.999 ? 5 + 35 * random() : 50 + 400 * random());
  });
}

function exact(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.ceil(q * sorted.length) - 1]!;
}

describe('LatencyHistogram', () => {
  it('reads p50, p99 and p99.9 to within one bin of the exact nearest-rank value', () => {
    const values = latencies(50_000);
    const histogram = LatencyHistogram.of(values);
    for (const q of [0.5, 0.99]) expect(Math.abs(histogram.percentile(q) - exact(values, q))).toBeLessThanOrEqual(0.005);
    // Past 50 ms the bins are 1 ms wide.
    expect(Math.abs(histogram.percentile(0.9995) - exact(values, 0.9995))).toBeLessThanOrEqual(0.5);
  });

  it('pools runs by adding counts: the same percentile as one histogram of every sample', () => {
    const runs = [latencies(5_000, 1, 1), latencies(5_000, 1.2, 2), latencies(5_000, 0.9, 3)];
    const pooled = runs.map((run) => LatencyHistogram.of(run)).reduce((sum, h) => sum.merge(h), new LatencyHistogram());
    expect(pooled.total).toBe(15_000);
    expect(pooled.percentile(0.99)).toBe(LatencyHistogram.of(runs.flat()).percentile(0.99));
    expect(new LatencyHistogram().percentile(0.99)).toBeNaN();
  });
});

describe('pairedBootstrap', () => {
  it('finds no difference between identical targets, with an interval of zero width', () => {
    const blocks = Array.from({ length: 10 }, (_, i) => LatencyHistogram.of(latencies(3_000, 1, i + 1)));
    expect(pairedBootstrap(blocks, blocks, 0.99, 100)).toEqual({ ratio: 1, low: 1, high: 1 });
  });

  it('finds a 10 % slower target at about +10 %, with the interval around it, and is reproducible', () => {
    const reference = Array.from({ length: 10 }, (_, i) => LatencyHistogram.of(latencies(3_000, 1, i + 1)));
    const slower = Array.from({ length: 10 }, (_, i) => LatencyHistogram.of(latencies(3_000, 1.1, i + 101)));
    const estimate = pairedBootstrap(slower, reference, 0.99, 100);
    expect(estimate.ratio).toBeGreaterThan(1.05);
    expect(estimate.ratio).toBeLessThan(1.15);
    expect(estimate.low).toBeLessThanOrEqual(estimate.ratio);
    expect(estimate.high).toBeGreaterThanOrEqual(estimate.ratio);
    expect(pairedBootstrap(slower, reference, 0.99, 100)).toEqual(estimate);
  });
});
