import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { PubSub } from '../stores/pubsub/pubSub.js';
import { listenForNotices } from '../stores/pubsub/listenForNotices.js';
import type { ConfigReloader, ReloadTrigger } from './configReloader.js';
import { fleetMetrics } from './fleetMetrics.js';

export const FLEET_CHANNEL = 'fleet';
/** Redis key (under the key prefix) holding the fleet's config version. */
export const CONFIG_VERSION_COUNTER = 'fleet:config-version';

export interface FleetOptions {
  pubsub: PubSub;
  reloader: ConfigReloader;
  logger: Logger;
  /** How often to compare this instance's config version with the fleet's. */
  resyncIntervalMs: number;
  /** @default a random UUID: tells this instance's own notices apart */
  instanceId?: string;
}

export interface Fleet {
  readonly instanceId: string;
  /** The fleet config version this instance has applied. */
  appliedVersion(): number;
  /** Resolves once the first version read and the subscription are done (tests; readiness). */
  ready(): Promise<void>;
  /** One resync now (the timer calls it); resolves after any reload it caused. */
  resync(): Promise<void>;
  close(): Promise<void>;
}

interface ConfigNotice {
  type: 'config';
  version: number;
  from: string;
}

// Reloads this instance started on its own: only these are announced. One caused by a notice
// is not re-announced, or every notice would echo around the fleet.
const LOCAL_TRIGGERS: ReadonlySet<ReloadTrigger> = new Set(['signal', 'admin', 'watch']);

/**
 * Keeps the instances sharing one Redis on the same config. A reload made on one instance (SIGHUP,
 * `POST /admin/reload`, a file change) bumps the fleet's config version in Redis and announces it
 * on the fleet channel; every other instance reloads its own config files when the notice
 * arrives, typically within milliseconds. Pub/sub delivers at most once, so each instance also
 * compares versions every `resyncIntervalMs` and reloads when it is behind: a missed notice heals.
 *
 * Each instance reloads from its own files, so this assumes they are the same files (a shared
 * ConfigMap, an image built from one commit); it makes the fleet reload together, it does not
 * copy config between instances. Token revocations need no notice: with a Redis the revocation
 * store is Redis itself, consulted on every request, so a revocation is fleet-wide at once.
 */
export function joinFleet(options: FleetOptions): Fleet {
  const { pubsub, reloader, logger } = options;
  const instanceId = options.instanceId ?? randomUUID();
  // This instance just loaded the files as they are now, so it starts level with the fleet. Read
  // in the background: a Redis that is down must not hold up start-up (ioredis connects later,
  // and the subscription and resync work from then on).
  const metrics = fleetMetrics();
  let applied = 0;
  const advance = (version: number) => {
    applied = Math.max(applied, version);
    metrics.configVersion.set({ view: 'applied' }, applied);
  };
  const joined = pubsub.counter(CONFIG_VERSION_COUNTER).then(
    (version) => {
      advance(version);
      metrics.configVersion.set({ view: 'fleet' }, version);
    },
    (error: unknown) => logger.warn({ err: error }, 'fleet: cannot read the config version yet; resync will retry'),
  );

  const catchUp = async (version: number, trigger: ReloadTrigger) => {
    if (version <= applied) return false;
    const outcome = await reloader.reload(trigger);
    // Applied or refused, this instance has looked at that version: a refused config is logged
    // and retried only when the fleet moves on, not on every resync.
    advance(version);
    if (!outcome.ok) logger.error({ version, reason: outcome.error }, 'fleet: the announced config was refused here');
    return true;
  };

  const listener = listenForNotices(
    pubsub,
    FLEET_CHANNEL,
    (message) => {
      const notice = message as ConfigNotice;
      if (notice.type !== 'config' || notice.from === instanceId || !Number.isInteger(notice.version)) return;
      logger.info({ version: notice.version, from: notice.from }, 'fleet: config change announced');
      void catchUp(notice.version, 'fleet');
    },
    (error) => logger.warn({ err: error }, 'fleet: cannot subscribe to the fleet channel; resync still catches up'),
  );

  const stopListening = reloader.onReload((outcome) => {
    if (!outcome.ok || !LOCAL_TRIGGERS.has(outcome.trigger)) return;
    void (async () => {
      try {
        const version = await pubsub.bump(CONFIG_VERSION_COUNTER);
        advance(version);
        metrics.configVersion.set({ view: 'fleet' }, version);
        await pubsub.publish(FLEET_CHANNEL, JSON.stringify({ type: 'config', version, from: instanceId } satisfies ConfigNotice));
      } catch (error) {
        logger.warn({ err: error }, 'fleet: cannot announce the reload; other instances catch up on their next resync');
      }
    })();
  });

  const resync = async () => {
    await joined;
    try {
      const version = await pubsub.counter(CONFIG_VERSION_COUNTER);
      metrics.configVersion.set({ view: 'fleet' }, version);
      metrics.resyncs.inc({ result: (await catchUp(version, 'resync')) ? 'caught_up' : 'current' });
    } catch (error) {
      metrics.resyncs.inc({ result: 'failed' });
      logger.warn({ err: error }, 'fleet: resync failed; retrying on the next interval');
    }
  };
  const timer = setInterval(() => void resync(), options.resyncIntervalMs);
  timer.unref();

  return {
    instanceId,
    appliedVersion: () => applied,
    ready: async () => {
      await joined;
      await listener.active;
    },
    resync,
    async close() {
      clearInterval(timer);
      stopListening();
      // Not awaiting a subscription still pending (Redis down): closing the store ends it.
      await listener.stop();
    },
  };
}
