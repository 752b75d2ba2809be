import { describe, expect, it } from 'vitest';
import { bucketUpperMs, latencyBucket, percentile, SecondSeries } from '../../../src/observability/console/secondSeries.js';

describe('SecondSeries', () => {
  it('counts per second and sums a trailing window', () => {
    const series = new SecondSeries(60);
    series.observe(10_000, 5, false);
    series.observe(10_500, 7, true);
    series.count(11_200, 'fallbacks');
    series.observe(12_000, 9, false);
    expect(series.totals(12_999, 2)).toMatchObject({ requests: 1, errors: 0, fallbacks: 1 });
    expect(series.totals(12_999, 3)).toMatchObject({ requests: 3, errors: 1, fallbacks: 1 });
  });

  it('forgets a second once the ring comes round to it, and never reports a lapped slot', () => {
    const series = new SecondSeries(10);
    series.observe(1_000, 5, true);
    // Ten seconds later the same slot is reused for a new second.
    series.observe(11_000, 5, false);
    expect(series.totals(11_000)).toMatchObject({ requests: 1, errors: 0 });
    // Twenty seconds on, with nothing recorded, the window is empty.
    expect(series.totals(31_000)).toMatchObject({ requests: 0, errors: 0 });
  });

  it('reads p50 and p99 per step from the merged histograms, within one bucket', () => {
    const series = new SecondSeries(60);
    for (let i = 0; i < 98; i++) series.observe(20_000 + i * 10, 10, false);
    series.observe(21_000, 500, false);
    series.observe(21_000, 500, false);
    const points = series.points(29_999, 10);
    expect(points).toHaveLength(6);
    const last = points.at(-1)!;
    expect(last).toMatchObject({ at: 20_000, requests: 100, errors: 0 });
    expect(last.p50! / 10).toBeGreaterThanOrEqual(1);
    expect(last.p50! / 10).toBeLessThan(1.2);
    expect(last.p99! / 500).toBeGreaterThanOrEqual(1);
    expect(last.p99! / 500).toBeLessThan(1.2);
    expect(points[0]).toMatchObject({ requests: 0, p50: null, p99: null });
  });

  it('puts latencies in quarter-octave buckets whose upper bound covers them', () => {
    for (const ms of [0, 0.4, 1, 1.5, 3, 10, 99.9, 250, 1_000, 29_000]) {
      const bucket = latencyBucket(ms);
      expect(bucketUpperMs(bucket)).toBeGreaterThanOrEqual(ms);
      if (bucket > 0) expect(bucketUpperMs(bucket - 1)).toBeLessThan(ms);
    }
    expect(percentile([0, 0, 0], 0.5)).toBeNull();
  });
});
