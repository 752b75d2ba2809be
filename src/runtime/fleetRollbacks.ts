import type { Logger } from 'pino';
import type { PubSub } from '../stores/pubsub/pubSub.js';
import { listenForNotices } from '../stores/pubsub/listenForNotices.js';
import type { VersionRollback } from '../transport/createVersionRouter.js';

/** Where instances tell each other of automatic rollbacks (docs/traffic.md). */
export const ROLLBACK_CHANNEL = 'fleet:rollbacks';

interface RollbackNotice extends VersionRollback {
  type: 'rollback';
  from: string;
  source: string;
}

export interface FleetRollbacksOptions {
  pubsub: PubSub;
  instanceId: string;
  logger: Logger;
  /** Applies a rollback decided elsewhere to the transports in force now; true when it changed anything. */
  follow(source: string, rollback: VersionRollback): boolean;
}

export interface FleetRollbacks {
  /** Tells the other instances of a rollback decided here. */
  announce(source: string, rollback: VersionRollback): void;
  close(): Promise<void>;
}

/**
 * Makes a rollback fleet-wide: the instance whose calls showed the canary failing announces it on
 * the fleet's pub/sub, and every other instance applies it on receipt (milliseconds), provided it
 * runs the same traffic block (the notice carries a hash of it). Without this each instance rolls
 * back on its own calls, within its own window; with it, the others stop sending to the canary
 * as soon as one has seen enough. Pub/sub is at most once: an instance that misses a notice
 * still judges its own calls, as before, so a lost notice costs time, never correctness.
 */
export function shareRollbacks(options: FleetRollbacksOptions): FleetRollbacks {
  const { pubsub, instanceId, logger } = options;
  const listener = listenForNotices(
    pubsub,
    ROLLBACK_CHANNEL,
    (message) => {
      const notice = message as RollbackNotice;
      if (notice.type !== 'rollback' || notice.from === instanceId || typeof notice.source !== 'string' || typeof notice.version !== 'string') return;
      options.follow(notice.source, { version: notice.version, fingerprint: notice.fingerprint, verdict: notice.verdict });
    },
    (error) => logger.warn({ err: error }, 'fleet: cannot subscribe to rollback notices; each instance judges its own calls'),
  );
  return {
    announce(source, rollback) {
      const notice: RollbackNotice = { type: 'rollback', from: instanceId, source, ...rollback };
      pubsub.publish(ROLLBACK_CHANNEL, JSON.stringify(notice)).catch((error: unknown) => {
        logger.warn({ err: error, source, version: rollback.version }, 'fleet: cannot announce a rollback; the other instances judge their own calls');
      });
    },
    close: () => listener.stop(),
  };
}
