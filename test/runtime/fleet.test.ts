import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { PorticoConfig } from '../../src/config/loadConfig.js';
import { createConfigReloader, type ConfigReloader } from '../../src/runtime/configReloader.js';
import { CONFIG_VERSION_COUNTER, FLEET_CHANNEL, joinFleet } from '../../src/runtime/fleet.js';
import { createMemoryPubSub } from '../../src/stores/pubsub/memoryPubSub.js';
import { deferred } from '../support/boundedLoad.js';

const logger = pino({ level: 'silent' });

/** A reloader whose loads succeed (or fail) on demand, counting them. */
function reloader(options: { fail?: () => boolean } = {}): ConfigReloader & { loads: number } {
  let loads = 0;
  const inner = createConfigReloader({
    logger,
    load: async () => {
      loads += 1;
      if (options.fail?.()) throw new Error('broken config');
      return {} as PorticoConfig;
    },
    apply: async () => {},
  });
  return Object.defineProperty(inner, 'loads', { get: () => loads }) as ConfigReloader & { loads: number };
}

const nextReload = (target: ConfigReloader) => {
  const done = deferred<string>();
  const off = target.onReload((outcome) => {
    off();
    done.resolve(outcome.ok ? outcome.trigger : `${outcome.trigger}: ${outcome.error}`);
  });
  return done.promise;
};

describe('the fleet channel', () => {
  it('announces a local reload, and the other instances reload once', async () => {
    const pubsub = createMemoryPubSub();
    const [a, b, c] = [reloader(), reloader(), reloader()];
    const fleets = [a, b, c].map((r, i) => joinFleet({ pubsub, reloader: r, logger, resyncIntervalMs: 60_000, instanceId: `i${i}` }));
    await Promise.all(fleets.map((fleet) => fleet.ready()));
    const [atB, atC] = [nextReload(b), nextReload(c)];
    await a.reload('admin');
    expect(await Promise.all([atB, atC])).toEqual(['fleet', 'fleet']);
    // The outcome listeners run inside the reload; let the fleet's own continuation finish.
    await new Promise(setImmediate);
    expect([a.loads, b.loads, c.loads]).toEqual([1, 1, 1]);
    expect(fleets.map((fleet) => fleet.appliedVersion())).toEqual([1, 1, 1]);
    await Promise.all(fleets.map((fleet) => fleet.close()));
  });

  it('does not re-announce reloads caused by the fleet itself', async () => {
    const pubsub = createMemoryPubSub();
    const published: string[] = [];
    await pubsub.subscribe(FLEET_CHANNEL, (message) => published.push(message));
    const [a, b] = [reloader(), reloader()];
    const fleets = [joinFleet({ pubsub, reloader: a, logger, resyncIntervalMs: 60_000 }), joinFleet({ pubsub, reloader: b, logger, resyncIntervalMs: 60_000 })];
    await Promise.all(fleets.map((fleet) => fleet.ready()));
    const atB = nextReload(b);
    await a.reload('signal');
    await atB;
    await fleets[1]!.resync();
    expect(published).toHaveLength(1);
    expect(await pubsub.counter(CONFIG_VERSION_COUNTER)).toBe(1);
    await Promise.all(fleets.map((fleet) => fleet.close()));
  });

  it('catches up on resync when the announcement was missed, and only once per version', async () => {
    const pubsub = createMemoryPubSub();
    const b = reloader();
    const fleet = joinFleet({ pubsub, reloader: b, logger, resyncIntervalMs: 60_000 });
    await fleet.ready();
    await pubsub.bump(CONFIG_VERSION_COUNTER);
    await fleet.resync();
    await fleet.resync();
    expect(b.loads).toBe(1);
    expect(fleet.appliedVersion()).toBe(1);
    await fleet.close();
  });

  it('marks a version it refused as seen, so a broken config is not reloaded on every resync', async () => {
    const pubsub = createMemoryPubSub();
    const b = reloader({ fail: () => true });
    const fleet = joinFleet({ pubsub, reloader: b, logger, resyncIntervalMs: 60_000 });
    await fleet.ready();
    await pubsub.bump(CONFIG_VERSION_COUNTER);
    await fleet.resync();
    await fleet.resync();
    expect(b.loads).toBe(1);
    expect(b.version).toBe(1);
    await fleet.close();
  });
});
