import { describe, expect, it } from 'vitest';
import { createCollectionMeter } from '../../../src/plugins/uploads/createCollectionMeter.js';

describe('createCollectionMeter', () => {
  it('collects once per `everyBytes` of body, counting across chunks and uploads', () => {
    let collections = 0;
    const meter = createCollectionMeter(4 * 65_536, () => collections++);
    for (let i = 0; i < 3; i++) meter(65_536);
    expect(collections).toBe(0);
    meter(65_536);
    expect(collections).toBe(1);
    // A second upload's chunks count towards the same rhythm.
    for (let i = 0; i < 7; i++) meter(65_536);
    expect(collections).toBe(2);
    meter(100);
    expect(collections).toBe(2);
  });

  it('never collects when `everyBytes` is 0', () => {
    let collections = 0;
    const meter = createCollectionMeter(0, () => collections++);
    for (let i = 0; i < 1000; i++) meter(65_536);
    expect(collections).toBe(0);
  });
});
