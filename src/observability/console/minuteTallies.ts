/**
 * Keyed tallies over a sliding window, kept as one map per minute (a ring of `minutes` maps):
 * a minute's map is replaced when the ring comes round, so old keys leave with their minute and
 * the window needs no sweeping. Each minute holds at most `maxKeys` keys; later ones are tallied
 * under `overflowKey`, so a client inventing tenants or names cannot grow the heap.
 */
export class MinuteTallies<T> {
  private readonly maps: (Map<string, T> | undefined)[];
  private readonly stamps: number[];

  constructor(
    private readonly minutes: number,
    private readonly create: () => T,
    private readonly maxKeys = 1_000,
    private readonly overflowKey = '(other)',
  ) {
    this.maps = new Array<Map<string, T> | undefined>(minutes);
    this.stamps = new Array<number>(minutes).fill(-1);
  }

  /** The tally of `key` in the minute of `nowMs`, created on first use. */
  at(nowMs: number, key: string): T {
    const minute = Math.floor(nowMs / 60_000);
    const slot = minute % this.minutes;
    let map = this.maps[slot];
    if (!map || this.stamps[slot] !== minute) {
      map = new Map();
      this.maps[slot] = map;
      this.stamps[slot] = minute;
    }
    let tally = map.get(key);
    if (tally === undefined) {
      if (map.size >= this.maxKeys) key = this.overflowKey;
      tally = map.get(key);
      if (tally === undefined) map.set(key, (tally = this.create()));
    }
    return tally;
  }

  /** Every (key, tally) of the window ending at `nowMs`, oldest minute first. */
  *entries(nowMs: number): Generator<[string, T]> {
    const now = Math.floor(nowMs / 60_000);
    for (let minute = now - this.minutes + 1; minute <= now; minute++) {
      const slot = ((minute % this.minutes) + this.minutes) % this.minutes;
      if (this.stamps[slot] !== minute) continue;
      yield* this.maps[slot]!;
    }
  }
}

/** A counter tally, for `MinuteTallies<Count>`. */
export interface Count {
  n: number;
}

/** Sums counts per key over the window and returns the `top` largest, largest first. */
export function topCounts(tallies: MinuteTallies<Count>, nowMs: number, top: number): { key: string; count: number }[] {
  const sums = new Map<string, number>();
  for (const [key, tally] of tallies.entries(nowMs)) sums.set(key, (sums.get(key) ?? 0) + tally.n);
  return [...sums]
    .map(([key, count]) => ({ key, count }))
    .sort((a, b) => b.count - a.count || a.key.localeCompare(b.key))
    .slice(0, top);
}
