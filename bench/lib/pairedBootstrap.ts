import { LatencyHistogram } from './latencyHistogram.js';
import { mulberry32 } from './mulberry32.js';

export interface RatioEstimate {
  /** The figure over all blocks pooled. */
  ratio: number;
  /** The 2.5th and 97.5th percentiles of the resampled ratios: a 95 % interval. */
  low: number;
  high: number;
}

/**
 * How far a percentile ratio between two targets can be trusted, when both ran in the same
 * blocks (interleaved): blocks are drawn with replacement, the same draw for both targets (a
 * neighbour that slowed block 7 slowed both), each side's drawn blocks pooled, and the ratio of
 * their `q`-quantiles taken; `resamples` times. Seeded, so a report can be reproduced.
 */
export function pairedBootstrap(
  target: readonly LatencyHistogram[],
  reference: readonly LatencyHistogram[],
  q: number,
  resamples = 500,
  seed = 1,
): RatioEstimate {
  const blocks = Math.min(target.length, reference.length);
  const pooled = (side: readonly LatencyHistogram[], times: readonly number[]) => {
    const sum = new LatencyHistogram();
    for (let block = 0; block < blocks; block++) sum.merge(side[block]!, times[block]!);
    return sum.percentile(q);
  };
  const ones = Array.from({ length: blocks }, () => 1);
  const ratio = pooled(target, ones) / pooled(reference, ones);
  const random = mulberry32(seed);
  const ratios: number[] = [];
  for (let i = 0; i < resamples; i++) {
    const times = Array.from({ length: blocks }, () => 0);
    for (let draw = 0; draw < blocks; draw++) times[Math.floor(random() * blocks)]! += 1;
    ratios.push(pooled(target, times) / pooled(reference, times));
  }
  ratios.sort((a, b) => a - b);
  const at = (p: number) => ratios[Math.min(ratios.length - 1, Math.floor(p * ratios.length))] ?? NaN;
  return { ratio, low: at(0.025), high: at(0.975) };
}
