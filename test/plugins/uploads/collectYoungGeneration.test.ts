import { constants, PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { collectYoungGeneration } from '../../../src/plugins/uploads/collectYoungGeneration.js';

describe('collectYoungGeneration', () => {
  it('runs a young-generation collection (a scavenge) at once', async () => {
    const seen: PerformanceEntry[] = [];
    let observed!: () => void;
    const collected = new Promise<void>((resolve) => (observed = resolve));
    const observer = new PerformanceObserver((list) => {
      seen.push(...list.getEntries());
      observed();
    });
    observer.observe({ entryTypes: ['gc'] });
    try {
      collectYoungGeneration();
      await collected;
    } finally {
      observer.disconnect();
    }
    expect(seen.map((entry) => (entry as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind)).toContain(constants.NODE_PERFORMANCE_GC_MINOR);
  });

  it('exposes no `gc` global to the contexts created afterwards', () => {
    collectYoungGeneration();
    expect(runInNewContext('typeof gc')).toBe('undefined');
  });
});
