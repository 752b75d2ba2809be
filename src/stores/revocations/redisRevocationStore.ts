import type { RedisClient } from '../redis/createRedisClient.js';
import { joinInFlight } from '../../context/joinInFlight.js';
import type { RevocationStore } from './revocationStore.js';

export interface RedisRevocationStoreOptions {
  /** A connected ioredis client (standalone, Sentinel or Cluster). The store never closes it unless `ownsClient`. */
  client: RedisClient;
  /**
   * Prefix of the one key per revoked `jti`. Shared by every gateway instance and by whatever
   * revokes tokens (an admin tool writes `SET <prefix><jti> 1 PXAT <exp ms>`).
   * @default 'portico:revoked:'
   */
  keyPrefix?: string;
  /** Close the client on `close()`: true when the store created it. @default false */
  ownsClient?: boolean;
  /**
   * Replicas that must hold a revocation before `revoke` resolves (Redis `WAIT`), so a master
   * that dies right after answering does not take it along: replication is asynchronous. A
   * replica that does not confirm within `replicaWaitMs` does not fail the revocation.
   * @default 0: a standalone server has no replicas to wait for
   */
  replicas?: number;
  /** @default 100 */
  replicaWaitMs?: number;
  /** Epoch milliseconds; injected by tests. @default Date.now */
  now?: () => number;
  /**
   * A subscriber connection for `onRevoked`, made on its first call (a connection in subscriber
   * mode runs nothing else). Every revocation is published on `<keyPrefix>events` with its jti.
   * @default none: `onRevoked` rejects
   */
  subscriber?: () => RedisClient;
}

/**
 * Revocations shared by a fleet: one Redis key per revoked `jti`, expiring with the token (so the
 * list never needs pruning). A check is one `EXISTS` round trip.
 *
 * Checks of one `jti` that overlap share that round trip: a check asked while an `EXISTS` for the
 * same `jti` is on its way joins it instead of sending another (the many concurrent requests of
 * one token cost one command, its ioredis command object, promise and reply parsing). The answer
 * is the one Redis gave for that `jti`, the key the list is kept by, so no other token's answer
 * is ever used; it may be older than the joining request by at most that one round trip, which
 * is why only checks still waiting are joined, never a finished answer kept. Nothing is held once
 * the answer arrives: the map holds at most one entry per `jti` with a check in flight.
 */
export function createRedisRevocationStore(options: RedisRevocationStoreOptions): RevocationStore {
  const { client } = options;
  const prefix = options.keyPrefix ?? 'portico:revoked:';
  const now = options.now ?? Date.now;
  const channel = `${prefix}events`;
  let subscriber: RedisClient | undefined;
  const listeners = new Set<(jti: string) => void>();
  const inFlight = new Map<string, Promise<boolean>>();
  return {
    isRevoked(jti) {
      return joinInFlight(inFlight, jti, async () => (await client.exists(prefix + jti)) === 1);
    },
    async revoke(jti, expiresAt) {
      const expiresAtMs = expiresAt * 1000;
      // Already expired tokens are refused as expired; a key that would expire at once is pointless.
      if (expiresAtMs <= now()) return;
      await client.set(prefix + jti, '1', 'PXAT', expiresAtMs);
      // Instances holding subscriptions on this token end them now, not at their next check.
      await client.publish(channel, jti);
      // Held on the master already: a replica that is slow, absent (just after a failover) or a
      // WAIT that times out leaves it there, as without replicas.
      if (options.replicas) await client.wait(options.replicas, options.replicaWaitMs ?? 100).catch(() => 0);
    },
    async onRevoked(listener) {
      if (!subscriber) {
        if (!options.subscriber) throw new Error('this revocation store was made without a subscriber connection');
        subscriber = options.subscriber();
        subscriber.on('message', (from: string, jti: string) => {
          if (from === channel) for (const each of listeners) each(jti);
        });
        // ioredis subscribes again by itself after a reconnect.
        await subscriber.subscribe(channel);
      }
      listeners.add(listener);
      return async () => {
        listeners.delete(listener);
      };
    },
    async close() {
      listeners.clear();
      subscriber?.disconnect();
      if (options.ownsClient) client.disconnect();
    },
  };
}
