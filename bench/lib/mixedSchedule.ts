import { mulberry32 } from './mulberry32.js';

export interface Slot {
  /** ms after the start. */
  at: number;
  target: number;
}

/**
 * The fixed schedule: request i at `i × 1000 / rate` ms; targets in cycles of one request each,
 * the order of each cycle a seeded shuffle, so no target always follows the same other one (a
 * request right after a costly one meets its cost) and each has exactly one request in every
 * `targets × 1000 / rate` ms.
 */
export function createSchedule(targets: number, rate: number, seed: number): () => Slot {
  const random = mulberry32(seed);
  let i = 0;
  let cycle: number[] = [];
  return () => {
    if (cycle.length === 0) {
      cycle = Array.from({ length: targets }, (_, t) => t);
      for (let k = targets - 1; k > 0; k--) {
        const j = Math.floor(random() * (k + 1));
        [cycle[k], cycle[j]] = [cycle[j]!, cycle[k]!];
      }
    }
    const slot = { at: (i * 1000) / rate, target: cycle.pop()! };
    i += 1;
    return slot;
  };
}

/** The measured block a request scheduled at `at` ms belongs to; -1 in the warm-up. */
export function blockOf(at: number, warmupMs: number, blockMs: number): number {
  return at < warmupMs ? -1 : Math.floor((at - warmupMs) / blockMs);
}
