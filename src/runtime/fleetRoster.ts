import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { PubSub } from '../stores/pubsub/pubSub.js';
import { listenForNotices } from '../stores/pubsub/listenForNotices.js';
import { CONFIG_VERSION_COUNTER } from './fleet.js';
import type { InstanceSummary, RosterEntry } from './console/consoleSnapshot.js';
import { fleetMetrics } from './fleetMetrics.js';

export type { InstanceSummary, RosterEntry };

export const ROSTER_CHANNEL = 'fleet:roster';

export interface FleetRosterOptions {
  pubsub: PubSub;
  instanceId: string;
  /** The fleet config version this instance has applied (Fleet.appliedVersion). */
  appliedVersion(): number;
  summary(): InstanceSummary;
  logger: Logger;
  /** @default 5000: a silent instance shows as stale within seconds, at one small message per beat */
  heartbeatMs?: number;
  /** @default 3: one lost message (pub/sub is at-most-once) does not make an instance stale */
  staleAfterBeats?: number;
  /** @default Date.now */
  now?: () => number;
}

export interface FleetRoster {
  /** Every instance heard from lately (this one first), with its staleness. */
  instances(): RosterEntry[];
  /** One heartbeat now (the timer calls it): reads the fleet version, publishes this summary. */
  beat(): Promise<void>;
  close(): Promise<void>;
}

type Heartbeat = Omit<RosterEntry, 'lastSeen' | 'self' | 'stale' | 'reasons'> & { type: 'heartbeat' };

/**
 * Who is in the fleet, for the console's fleet view: each instance publishes a small summary on
 * the fleet's pub/sub every `heartbeatMs` and keeps the latest one of every other instance. An
 * instance is stale when it has been silent for `staleAfterBeats` beats (stopped, partitioned
 * from Redis) or has applied an older config than the fleet's version counter (it missed a
 * notice and its resync has not caught up yet). Entries silent for ten times as long are dropped.
 */
export function joinRoster(options: FleetRosterOptions): FleetRoster {
  const { pubsub, instanceId, logger } = options;
  const heartbeatMs = options.heartbeatMs ?? 5_000;
  const staleAfterMs = heartbeatMs * (options.staleAfterBeats ?? 3);
  const now = options.now ?? Date.now;
  const startedAt = now();
  const host = hostname();
  const others = new Map<string, { heartbeat: Heartbeat; lastSeen: number }>();
  let fleetVersion = 0;
  const metrics = fleetMetrics();

  const own = (): Heartbeat => ({
    type: 'heartbeat',
    instanceId,
    host,
    pid: process.pid,
    startedAt,
    appliedVersion: options.appliedVersion(),
    ...options.summary(),
  });

  const listener = listenForNotices(
    pubsub,
    ROSTER_CHANNEL,
    (message) => {
      const heartbeat = message as Heartbeat;
      if (heartbeat?.type !== 'heartbeat' || typeof heartbeat.instanceId !== 'string' || heartbeat.instanceId === instanceId) return;
      others.set(heartbeat.instanceId, { heartbeat, lastSeen: now() });
    },
    (error) => logger.warn({ err: error }, 'fleet roster: cannot subscribe; the fleet view shows this instance only'),
  );

  const instances = (): RosterEntry[] => {
    const at = now();
    const entry = ({ type: _type, ...heartbeat }: Heartbeat, lastSeen: number, self: boolean): RosterEntry => {
      const reasons: string[] = [];
      if (at - lastSeen > staleAfterMs) reasons.push(`silent for ${Math.round((at - lastSeen) / 1000)} s`);
      if (heartbeat.appliedVersion < fleetVersion) reasons.push(`config version ${heartbeat.appliedVersion}, fleet at ${fleetVersion}`);
      return { ...heartbeat, lastSeen, self, stale: reasons.length > 0, reasons };
    };
    const list = [entry(own(), at, true)];
    for (const [id, { heartbeat, lastSeen }] of others) {
      if (at - lastSeen > staleAfterMs * 10) others.delete(id);
      else list.push(entry(heartbeat, lastSeen, false));
    }
    return list;
  };

  const beat = async () => {
    try {
      fleetVersion = await pubsub.counter(CONFIG_VERSION_COUNTER);
      await pubsub.publish(ROSTER_CHANNEL, JSON.stringify(own()));
    } catch (error) {
      logger.debug({ err: error }, 'fleet roster: heartbeat not sent');
    }
    const list = instances();
    const stale = list.filter((instance) => instance.stale).length;
    metrics.instances.set({ state: 'live' }, list.length - stale);
    metrics.instances.set({ state: 'stale' }, stale);
  };
  const timer = setInterval(() => void beat(), heartbeatMs);
  timer.unref();
  void listener.active.then(beat, () => {});

  return {
    instances,
    beat,
    async close() {
      clearInterval(timer);
      await listener.stop();
    },
  };
}
