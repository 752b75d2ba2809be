import { describe, expect, it } from 'vitest';
import { blockOf, createSchedule } from '../../bench/lib/mixedSchedule.js';
import { boundVerdict, readBound, startedBehind } from '../../bench/lib/boundVerdict.js';
import { LatencyHistogram } from '../../bench/lib/latencyHistogram.js';

describe('createSchedule', () => {
  it('sends request i at i × 1000 / rate ms, whatever the targets', () => {
    const next = createSchedule(6, 1200, 1);
    const slots = Array.from({ length: 1200 }, () => next());
    expect(slots[0]!.at).toBe(0);
    expect(slots[1]!.at).toBeCloseTo(1000 / 1200, 9);
    expect(slots[1199]!.at).toBeCloseTo(1199 * (1000 / 1200), 9);
  });

  it('gives every target exactly one request per cycle, in an order that changes from cycle to cycle', () => {
    const targets = 6;
    const next = createSchedule(targets, 1200, 7);
    const cycles = Array.from({ length: 200 }, () => Array.from({ length: targets }, () => next().target));
    for (const cycle of cycles) expect([...cycle].sort()).toEqual([0, 1, 2, 3, 4, 5]);
    // No target always follows the same other one: over 200 cycles each target has several predecessors.
    const before = new Map<number, Set<number>>();
    for (const cycle of cycles) for (let i = 1; i < cycle.length; i++) before.set(cycle[i]!, (before.get(cycle[i]!) ?? new Set()).add(cycle[i - 1]!));
    for (const t of [0, 1, 2, 3, 4, 5]) expect(before.get(t)?.size).toBeGreaterThan(3);
  });

  it('is the same schedule for the same seed, a different one for another', () => {
    const draw = (seed: number) => {
      const next = createSchedule(6, 1000, seed);
      return Array.from({ length: 60 }, () => next().target);
    };
    expect(draw(3)).toEqual(draw(3));
    expect(draw(3)).not.toEqual(draw(4));
  });
});

describe('blockOf', () => {
  it('puts the warm-up in no block and the rest in blocks of the given length', () => {
    expect(blockOf(0, 10_000, 2_000)).toBe(-1);
    expect(blockOf(9_999.9, 10_000, 2_000)).toBe(-1);
    expect(blockOf(10_000, 10_000, 2_000)).toBe(0);
    expect(blockOf(11_999.9, 10_000, 2_000)).toBe(0);
    expect(blockOf(12_000, 10_000, 2_000)).toBe(1);
  });
});

describe('LatencyHistogram.bins', () => {
  it('carries a histogram across JSON (the load generator is another process) unchanged', () => {
    const histogram = LatencyHistogram.of([0.5, 3.21, 3.21, 49.99, 75, 12_000]);
    const copy = LatencyHistogram.ofBins(JSON.parse(JSON.stringify(histogram.bins())) as [number, number][]);
    expect(copy.total).toBe(6);
    for (const q of [0.1, 0.5, 0.9, 1]) expect(copy.percentile(q)).toBe(histogram.percentile(q));
  });
});

describe('the verdict on a 5 % bound', () => {
  it('reads an interval as holding only when its upper end is below the bound', () => {
    expect(readBound({ ratio: 1.01, low: 0.98, high: 1.049 }, 0.05)).toBe('holds');
    expect(readBound({ ratio: 1.02, low: 0.99, high: 1.05 }, 0.05)).toBe('unresolved');
    expect(readBound({ ratio: 1.08, low: 1.051, high: 1.1 }, 0.05)).toBe('missed');
    expect(readBound({ ratio: NaN, low: NaN, high: NaN }, 0.05)).toBe('unresolved');
  });

  it('passes only when every reading holds, no answer changed and the server kept up', () => {
    expect(boundVerdict(['holds', 'holds', 'holds'], 0)).toBe('PASS');
    expect(boundVerdict(['holds', 'unresolved', 'holds'], 0)).toBe('UNRESOLVED');
    expect(boundVerdict(['holds', 'missed', 'unresolved'], 0)).toBe('FAIL');
    expect(boundVerdict(['holds', 'holds', 'holds'], 1)).toBe('FAIL');
    // A queue every mode waited in alike makes every ratio 1: that shows nothing.
    expect(boundVerdict(['holds', 'holds', 'holds'], 0, false)).toBe('UNRESOLVED');
    expect(boundVerdict(['missed'], 0, false)).toBe('UNRESOLVED');
    expect(boundVerdict([], 0)).toBe('UNRESOLVED');
  });
});

describe('startedBehind', () => {
  it('tells a backlog draining through the first blocks from a pause that recurs through the run', () => {
    // A mark-compact every third block, the first block among them: not a backlog.
    const pauses = Array.from({ length: 30 }, (_, i) => (i % 3 === 0 ? 110 : 15));
    expect(startedBehind(pauses)).toBe(false);
    // A cold start's queue, decaying over the first blocks, then the same weather.
    const backlog = [2067, 1843, 1416, 1098, 864, 336, 198, ...pauses.slice(7)];
    expect(startedBehind(backlog)).toBe(true);
    expect(startedBehind([500, 10, 10])).toBe(false);
  });
});
