import { describe, expect, it } from 'vitest';
import { backoffDelay, createRetryBudget } from '../../src/transport/retryBudget.js';
import { manualClock } from './testUpstream.js';

describe('the retry budget', () => {
  it('allows the floor of retries to a quiet source', () => {
    const budget = createRetryBudget({ ratio: 0.1, min: 3, windowMs: 10_000, now: manualClock().now });
    budget.recordRequest();
    expect([budget.tryAcquire(), budget.tryAcquire(), budget.tryAcquire(), budget.tryAcquire()]).toEqual([true, true, true, false]);
  });

  it('lets retries grow with traffic by the ratio, never beyond floor + ratio × requests', () => {
    const budget = createRetryBudget({ ratio: 0.1, min: 2, windowMs: 10_000, now: manualClock().now });
    for (let i = 0; i < 100; i++) budget.recordRequest();
    let granted = 0;
    while (budget.tryAcquire()) granted++;
    expect(granted).toBe(12);
    expect(budget.snapshot()).toEqual({ requests: 100, retries: 12 });
  });

  it('forgets requests and retries once they leave the window', () => {
    const clock = manualClock();
    const budget = createRetryBudget({ ratio: 0, min: 1, windowMs: 1_000, slots: 10, now: clock.now });
    budget.recordRequest();
    expect(budget.tryAcquire()).toBe(true);
    expect(budget.tryAcquire()).toBe(false);
    clock.advance(500);
    expect(budget.tryAcquire()).toBe(false);
    clock.advance(600);
    expect(budget.tryAcquire()).toBe(true);
    expect(budget.snapshot()).toEqual({ requests: 0, retries: 1 });
  });

  it('rejects a ratio outside 0..1', () => {
    expect(() => createRetryBudget({ ratio: 2, min: 0, windowMs: 1_000 })).toThrow(/ratio/);
  });
});

describe('backoff with full jitter', () => {
  it('draws each delay between 0 and a cap that doubles per retry up to the maximum', () => {
    expect([1, 2, 3, 4, 5].map((retry) => backoffDelay(retry, 25, 250, () => 0.999))).toEqual([24, 49, 99, 199, 249]);
    expect(backoffDelay(3, 25, 250, () => 0)).toBe(0);
    expect(backoffDelay(2, 25, 250, () => 0.5)).toBe(25);
  });
});
