import type { RatioEstimate } from './pairedBootstrap.js';

/** What one interval says about a bound on a ratio: within it, beyond it, or not known. */
export type BoundReading = 'holds' | 'missed' | 'unresolved';

/**
 * `holds` when the whole 95 % interval lies below `1 + bound` (the upper end under it), `missed`
 * when it lies wholly above, `unresolved` when it straddles the bound (or is NaN: no data).
 */
export function readBound(estimate: RatioEstimate, bound: number): BoundReading {
  if (estimate.high < 1 + bound) return 'holds';
  if (estimate.low > 1 + bound) return 'missed';
  return 'unresolved';
}

/**
 * Three verdicts, not two: on a noisy machine an interval may straddle the bound, and then the run
 * shows neither that the bound holds nor that it is missed. Any changed answer is a FAIL. A run
 * whose server fell behind the schedule (`keptUp` false) measured a queue that every mode waited
 * in alike, so its ratios tend to 1 whatever a mode costs: it shows nothing about the bound.
 */
export function boundVerdict(readings: readonly BoundReading[], failures: number, keptUp = true): 'PASS' | 'FAIL' | 'UNRESOLVED' {
  if (failures > 0) return 'FAIL';
  if (!keptUp) return 'UNRESOLVED';
  if (readings.includes('missed')) return 'FAIL';
  return readings.length > 0 && readings.every((reading) => reading === 'holds') ? 'PASS' : 'UNRESOLVED';
}

/**
 * Whether the measured part began with a backlog still draining (a warm-up too short for the
 * machine): the first block's p99 over twice the largest of the second half's. A pause that
 * recurs through the run (a mark-compact every few seconds) is in the second half too, so it does
 * not trip this; a queue left by a cold start decays over the first blocks and does.
 */
export function startedBehind(blockP99s: readonly number[]): boolean {
  if (blockP99s.length < 4) return false;
  const secondHalf = blockP99s.slice(Math.ceil(blockP99s.length / 2)).filter((p99) => Number.isFinite(p99));
  return secondHalf.length > 0 && blockP99s[0]! > 2 * Math.max(...secondHalf);
}
