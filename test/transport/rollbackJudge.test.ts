import { describe, expect, it } from 'vitest';
import { rollbackSchema } from '../../src/config/trafficSchema.js';
import { createRollbackJudge, percentile } from '../../src/transport/rollbackJudge.js';

function judge(config: Record<string, unknown>) {
  let clock = 1_000_000;
  const j = createRollbackJudge({ config: rollbackSchema.parse(config), primary: 'stable', now: () => clock });
  return { judge: j, advance: (ms: number) => (clock += ms) };
}

describe('the rollback judge', () => {
  it('rolls a version back once its error rate exceeds the primary\'s by the margin, after minCalls', () => {
    const { judge: j } = judge({ windowMs: 10_000, minCalls: 10, errorRateMargin: 0.2 });
    for (let i = 0; i < 20; i++) j.record('stable', { failed: i % 10 === 0, latencyMs: 5 }); // 10 %
    // 3 failures in 10 calls = 30 %, 20 points above: not more than the margin.
    for (let i = 0; i < 7; i++) expect(j.record('canary', { failed: false, latencyMs: 5 })).toBeUndefined();
    for (let i = 0; i < 2; i++) expect(j.record('canary', { failed: true, latencyMs: 5 })).toBeUndefined();
    expect(j.record('canary', { failed: true, latencyMs: 5 })).toBeUndefined();
    const verdict = j.record('canary', { failed: true, latencyMs: 5 }); // 4 of 11 = 36 %
    expect(verdict).toMatchObject({ reason: 'error_rate', version: { calls: 11 }, primary: { calls: 20, errorRate: 0.1 } });
  });

  it('never judges the primary', () => {
    const { judge: j } = judge({ minCalls: 1 });
    for (let i = 0; i < 50; i++) expect(j.record('stable', { failed: true, latencyMs: 5_000 })).toBeUndefined();
  });

  it('forgets calls older than the window', () => {
    const { judge: j, advance } = judge({ windowMs: 1_000, minCalls: 5, errorRateMargin: 0.5 });
    for (let i = 0; i < 4; i++) j.record('canary', { failed: true, latencyMs: 1 });
    advance(1_001);
    // The four failures left the window: 1 failure in 5 calls now, not 5 in 8.
    for (let i = 0; i < 4; i++) expect(j.record('canary', { failed: false, latencyMs: 1 })).toBeUndefined();
    expect(j.record('canary', { failed: true, latencyMs: 1 })).toBeUndefined();
  });

  it('rolls back on p99 only against a primary with enough calls of its own', () => {
    const { judge: j } = judge({ windowMs: 60_000, minCalls: 5, p99MarginMs: 100 });
    for (let i = 0; i < 10; i++) expect(j.record('canary', { failed: false, latencyMs: 500 })).toBeUndefined();
    for (let i = 0; i < 5; i++) j.record('stable', { failed: false, latencyMs: 20 });
    expect(j.record('canary', { failed: false, latencyMs: 500 })).toMatchObject({ reason: 'p99', version: { p99Ms: 500 }, primary: { p99Ms: 20 } });
  });

  it('takes the nearest-rank percentile', () => {
    expect(percentile([], 0.99)).toBe(0);
    expect(percentile(Array.from({ length: 100 }, (_, i) => i + 1), 0.99)).toBe(99);
    expect(percentile([3, 1, 2], 0.5)).toBe(2);
  });
});
