import { describe, expect, it } from 'vitest';
import { msUntil, msUntilFull, refill, takeAll } from '../../../src/stores/rate-limit/tokenBucket.js';

const bucket = { key: 'b', limit: 10, windowMs: 10_000 };

describe('tokenBucket', () => {
  it('starts full', () => {
    expect(refill(undefined, bucket, 5)).toEqual({ tokens: 10, updatedAt: 5 });
  });

  it('refills evenly over the window and never above the limit', () => {
    expect(refill({ tokens: 0, updatedAt: 0 }, bucket, 1_000).tokens).toBe(1);
    expect(refill({ tokens: 0, updatedAt: 0 }, bucket, 5_500).tokens).toBe(5.5);
    expect(refill({ tokens: 4, updatedAt: 0 }, bucket, 60_000).tokens).toBe(10);
  });

  it('refills nothing when the clock goes backwards', () => {
    expect(refill({ tokens: 3, updatedAt: 1_000 }, bucket, 500)).toEqual({ tokens: 3, updatedAt: 1_000 });
  });

  it('charges every bucket or none', () => {
    const small = { key: 's', limit: 3, windowMs: 1_000 };
    const admitted = takeAll([undefined, undefined], [bucket, small], 3, 0);
    expect(admitted.admitted).toBe(true);
    expect(admitted.next.map((state) => state.tokens)).toEqual([7, 0]);
    const refused = takeAll(admitted.next, [bucket, small], 1, 0);
    expect(refused.admitted).toBe(false);
    expect(refused.next.map((state) => state.tokens)).toEqual([7, 0]);
  });

  it('says how long until a cost is affordable and until the bucket is full', () => {
    expect(msUntil(4, 1, bucket)).toBe(3_000);
    expect(msUntil(1, 4, bucket)).toBe(0);
    expect(msUntilFull(7.5, bucket)).toBe(2_500);
  });
});
