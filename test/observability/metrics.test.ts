import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { counter, declareSeries, gauge, histogram } from '../../src/observability/metrics.js';

describe('metric series helpers', () => {
  it('declares a series once per registry: a second declaration gets the first, with its values', async () => {
    const registry = new Registry();
    const declare = () => counter({ name: 'test_calls_total', help: 'calls', labelNames: ['bff'] }, registry);
    declare().inc({ bff: 'web' });
    declare().inc({ bff: 'web' });
    expect(declare()).toBe(declare());
    expect(await registry.getMetricsAsJSON()).toEqual([
      expect.objectContaining({ name: 'test_calls_total', values: [expect.objectContaining({ value: 2, labels: { bff: 'web' } })] }),
    ]);
  });

  it('keeps registries apart: the same name in another registry is another series', () => {
    const a = new Registry();
    const b = new Registry();
    const inA = gauge({ name: 'test_depth', help: 'depth' }, a);
    const inB = gauge({ name: 'test_depth', help: 'depth' }, b);
    expect(inA).not.toBe(inB);
    expect(a.getSingleMetric('test_depth')).toBe(inA);
    expect(b.getSingleMetric('test_depth')).toBe(inB);
  });

  it('creates histograms with their buckets', async () => {
    const registry = new Registry();
    histogram({ name: 'test_seconds', help: 'time', buckets: [0.1, 1] }, registry).observe(0.5);
    const text = await registry.metrics();
    expect(text).toContain('test_seconds_bucket{le="0.1"} 0');
    expect(text).toContain('test_seconds_bucket{le="1"} 1');
  });

  it('declares a feature table: each entry its kind, in the given registry, and again the same series', async () => {
    const registry = new Registry();
    const declare = () =>
      declareSeries(
        {
          calls: { type: 'counter', name: 'test_table_calls_total', help: 'calls', labelNames: ['source'] },
          depth: { type: 'gauge', name: 'test_table_depth', help: 'depth' },
          time: { type: 'histogram', name: 'test_table_seconds', help: 'time', buckets: [1] },
        },
        registry,
      );
    const series = declare();
    series.calls.inc({ source: 'orders' });
    series.depth.set(3);
    series.time.observe(0.5);
    expect(declare().calls).toBe(series.calls);
    const text = await registry.metrics();
    expect(text).toContain('# TYPE test_table_calls_total counter');
    expect(text).toContain('test_table_calls_total{source="orders"} 1');
    expect(text).toContain('# TYPE test_table_depth gauge');
    expect(text).toContain('test_table_seconds_bucket{le="1"} 1');
  });
});
