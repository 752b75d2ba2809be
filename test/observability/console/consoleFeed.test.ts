import { describe, expect, it } from 'vitest';
import { createConsoleFeed } from '../../../src/observability/console/consoleFeed.js';

function clock(start = 1_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => void (now += ms) };
}

describe('the console feed', () => {
  it('keeps rates, fallbacks, cache hits and refusals per BFF', () => {
    const time = clock();
    const feed = createConsoleFeed({ now: time.now });
    feed.request('web', 'Home', 12, false, false, 5);
    feed.request('web', 'Home', 30, true, true, 5);
    feed.cacheLookup('web', true);
    feed.cacheLookup('web', false);
    feed.cacheLookup('web', true);
    feed.rateLimited('web', 'free', 'acme');
    const [web] = feed.snapshot().bffs;
    expect(web).toMatchObject({ name: 'web', requestRate: 0.2, errorRate: 0.1 });
    expect(web!.totals).toEqual({ requests: 2, errors: 1, fallbacks: 1, cacheLookups: 3, cacheHits: 2, rateLimited: 1 });
    expect(feed.rates()).toEqual({ requestRate: 0.2, errorRate: 0.1 });
  });

  it('ranks refusals by plan and tenant, and errors by code, over the last 15 minutes only', () => {
    const time = clock();
    const feed = createConsoleFeed({ now: time.now, topN: 2 });
    for (let i = 0; i < 3; i++) feed.rateLimited('partner', 'free', 'acme');
    feed.rateLimited('partner', 'pro', 'globex');
    feed.rateLimited('web', '(anonymous)', '(anonymous)');
    feed.rateLimited('web', '(anonymous)', '(anonymous)');
    feed.graphqlError('web', 'SUBGRAPH_UNAVAILABLE', 'Home');
    expect(feed.snapshot().rateLimited).toEqual([
      { bff: 'partner', plan: 'free', tenant: 'acme', count: 3 },
      { bff: 'web', plan: '(anonymous)', tenant: '(anonymous)', count: 2 },
    ]);
    expect(feed.snapshot().errorsByCode).toEqual([{ bff: 'web', code: 'SUBGRAPH_UNAVAILABLE', count: 1 }]);
    expect(feed.snapshot().recentErrors).toEqual([{ at: 1_000_000, bff: 'web', code: 'SUBGRAPH_UNAVAILABLE', operation: 'Home' }]);
    time.advance(16 * 60_000);
    expect(feed.snapshot().rateLimited).toEqual([]);
    expect(feed.snapshot().errorsByCode).toEqual([]);
  });

  it('ranks operations by total cost and by mean latency', () => {
    const feed = createConsoleFeed({ now: clock().now });
    feed.request('web', 'Cheap', 100, false, false, 1);
    feed.request('web', 'Cheap', 300, false, false, 1);
    feed.request('web', 'Dear', 10, false, false, 50);
    feed.request('mobile', 'Unpriced', 50, false, false, undefined);
    const { operationsByCost, operationsByLatency } = feed.snapshot();
    expect(operationsByCost.map((op) => [op.operation, op.totalCost, op.meanCost])).toEqual([
      ['Dear', 50, 50],
      ['Cheap', 2, 1],
    ]);
    expect(operationsByLatency.map((op) => [op.bff, op.operation, op.count, op.meanMs, op.maxMs])).toEqual([
      ['web', 'Cheap', 2, 200, 300],
      ['mobile', 'Unpriced', 1, 50, 50],
      ['web', 'Dear', 1, 10, 10],
    ]);
  });

  it('records source calls, refusals by an open breaker, fallbacks and breaker history', () => {
    const time = clock();
    const feed = createConsoleFeed({ now: time.now });
    feed.sourceCall('inventory', 20, false);
    feed.sourceCall('inventory', 5, true);
    feed.breaker('inventory', 'open');
    feed.sourceRejected('inventory');
    feed.fallbackServed('inventory');
    time.advance(1_000);
    feed.breaker('inventory', 'half_open');
    feed.breaker('inventory', 'closed');
    const snapshot = feed.snapshot();
    expect(snapshot.sources[0]!.totals).toMatchObject({ requests: 3, errors: 2, fallbacks: 1 });
    expect(snapshot.breakerHistory.map((entry) => entry.state)).toEqual(['open', 'half_open', 'closed']);
  });
});
