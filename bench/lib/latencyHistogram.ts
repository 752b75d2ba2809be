/**
 * Latencies counted in fixed bins, HDR-style: 10 µs wide below 50 ms (a p99 of 5-20 ms is read to
 * 0.1-0.2 %), 1 ms wide from 50 ms to 10 s, and one bin for anything slower. Runs are merged by
 * adding counts, so a percentile can be taken over many runs pooled (or over a bootstrap resample
 * of them, bench/lib/pairedBootstrap.ts) without keeping or re-sorting every sample.
 */
export class LatencyHistogram {
  static readonly FINE_MS = 50;
  static readonly FINE_BINS = 5_000;
  static readonly COARSE_BINS = 9_950;
  readonly counts = new Float64Array(LatencyHistogram.FINE_BINS + LatencyHistogram.COARSE_BINS + 1);
  total = 0;

  static of(latenciesMs: Iterable<number>): LatencyHistogram {
    const histogram = new LatencyHistogram();
    for (const ms of latenciesMs) histogram.add(ms);
    return histogram;
  }

  /** A histogram from `bins()`: how one crosses a process boundary (IPC carries JSON). */
  static ofBins(bins: readonly (readonly [number, number])[]): LatencyHistogram {
    const histogram = new LatencyHistogram();
    for (const [bin, count] of bins) {
      histogram.counts[bin]! += count;
      histogram.total += count;
    }
    return histogram;
  }

  /** The non-empty bins as `[bin, count]` pairs: a few hundred numbers instead of 15,000. */
  bins(): [number, number][] {
    return this.usedBins().map((bin) => [bin, this.counts[bin]!]);
  }

  /** The bins in use, found when first merged: a run fills a few hundred of the 15,000. */
  private used: number[] | undefined;

  add(ms: number, count = 1): void {
    this.counts[binOf(ms)]! += count;
    this.total += count;
    this.used = undefined;
  }

  /** Adds another histogram's counts, `times` over (a run drawn twice by a bootstrap counts twice). */
  merge(other: LatencyHistogram, times = 1): this {
    if (times === 0) return this;
    const counts = this.counts;
    const theirs = other.counts;
    for (const i of other.usedBins()) counts[i]! += theirs[i]! * times;
    this.total += other.total * times;
    this.used = undefined;
    return this;
  }

  private usedBins(): number[] {
    if (!this.used) {
      this.used = [];
      for (let i = 0; i < this.counts.length; i++) if (this.counts[i] !== 0) this.used.push(i);
    }
    return this.used;
  }

  /** The q-quantile (0 < q ≤ 1, nearest rank), as the middle of its bin; NaN when empty. */
  percentile(q: number): number {
    if (this.total === 0) return NaN;
    const rank = Math.max(1, Math.ceil(q * this.total));
    let seen = 0;
    for (let i = 0; i < this.counts.length; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return middleOf(i);
    }
    return middleOf(this.counts.length - 1);
  }
}

function binOf(ms: number): number {
  if (!(ms >= 0)) return 0;
  if (ms < LatencyHistogram.FINE_MS) return Math.floor(ms * 100);
  return Math.min(LatencyHistogram.FINE_BINS + Math.floor(ms - LatencyHistogram.FINE_MS), LatencyHistogram.FINE_BINS + LatencyHistogram.COARSE_BINS);
}

function middleOf(bin: number): number {
  if (bin < LatencyHistogram.FINE_BINS) return (bin + 0.5) / 100;
  return LatencyHistogram.FINE_MS + (bin - LatencyHistogram.FINE_BINS) + 0.5;
}
