import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { CONFIG_VERSION_COUNTER } from '../../src/runtime/fleet.js';
import { joinRoster, type InstanceSummary } from '../../src/runtime/fleetRoster.js';
import { createMemoryPubSub } from '../../src/stores/pubsub/memoryPubSub.js';

const logger = pino({ level: 'silent' });
const summary = (requestRate: number): InstanceSummary => ({ requestRate, errorRate: 0, breakers: {}, bffs: ['web'] });

describe('the fleet roster', () => {
  it('lists every instance heard from, and marks one stale when it falls silent or behind on config', async () => {
    const pubsub = createMemoryPubSub();
    let now = 1_000_000;
    const applied = { a: 0, b: 0 };
    const common = { pubsub, logger, heartbeatMs: 60_000, staleAfterBeats: 3, now: () => now };
    const a = joinRoster({ ...common, instanceId: 'a', appliedVersion: () => applied.a, summary: () => summary(5) });
    const b = joinRoster({ ...common, instanceId: 'b', appliedVersion: () => applied.b, summary: () => summary(7) });
    await a.beat();
    await b.beat();
    await new Promise(setImmediate);
    expect(a.instances().map((i) => [i.instanceId, i.self, i.stale, i.requestRate])).toEqual([
      ['a', true, false, 5],
      ['b', false, false, 7],
    ]);

    // The fleet moves to config version 1; a applies it, b has not (yet).
    await pubsub.bump(CONFIG_VERSION_COUNTER);
    applied.a = 1;
    await a.beat();
    expect(a.instances().find((i) => i.instanceId === 'b')).toMatchObject({ stale: true, reasons: ['config version 0, fleet at 1'] });

    // b catches up but then falls silent for more than three heartbeats.
    applied.b = 1;
    await b.beat();
    await new Promise(setImmediate);
    expect(a.instances().find((i) => i.instanceId === 'b')).toMatchObject({ stale: false, reasons: [] });
    now += 3 * 60_000 + 1;
    expect(a.instances().find((i) => i.instanceId === 'b')).toMatchObject({ stale: true, reasons: ['silent for 180 s'] });
    // Much later it is dropped from the view.
    now += 30 * 60_000;
    expect(a.instances().map((i) => i.instanceId)).toEqual(['a']);
    await Promise.all([a.close(), b.close()]);
  });
});
