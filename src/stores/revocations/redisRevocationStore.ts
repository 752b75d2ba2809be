import { LRUCache } from 'lru-cache';
import type { RedisClient } from '../redis/createRedisClient.js';
import { joinInFlight } from '../../context/joinInFlight.js';
import { runScript } from '../redis/runScript.js';
import { REVOCATION_CHECK } from './revocationCheckScript.js';
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
   * Revocations this instance knows (revoked here, or answered as revoked by Redis) are also
   * kept in memory until the token's `exp`, at most this many, the oldest dropped first.
   * @default 100_000
   */
  maxKnown?: number;
  /**
   * Told how many known revocations Redis had lost and were written back after the client
   * connected again (only when some were: Redis lost data, which the operator should hear of).
   */
  onRestored?: (count: number) => void;
  /**
   * A subscriber connection for `onRevoked`, made on its first call (a connection in subscriber
   * mode runs nothing else). Every revocation is published on `<keyPrefix>events` with its jti.
   * @default none: `onRevoked` rejects
   */
  subscriber?: () => RedisClient;
}

/**
 * Revocations shared by a fleet: one Redis key per revoked `jti`, expiring with the token (so the
 * list never needs pruning). A check is one round trip, a script that answers the key's `PTTL`
 * (whether it exists, and until when) together with the key it answers for
 * (revocationCheckScript.ts).
 *
 * Checks of one `jti` that overlap share that round trip: a check asked while a check of the
 * same `jti` is on its way joins it instead of sending another (the many concurrent requests of
 * one token cost one command, its ioredis command object, promise and reply parsing). The answer
 * is the one Redis gave for that `jti`, the key the list is kept by, so no other token's answer
 * is ever used. A "not revoked" answer is never kept: it may be older than the joining request by
 * at most that one round trip, and the next check asks again.
 *
 * A "revoked" answer is kept, in memory, until the token's `exp`: a revocation is never undone,
 * so keeping it can only refuse what Redis would refuse. It is kept because Redis can lose keys
 * it acknowledged: a master restarted without persistence comes back empty (and its replicas copy
 * the empty data set), a failover can promote a replica that had not yet received the last
 * writes. This instance then goes on refusing every token it knew to be revoked, and when its
 * client connects again it writes those revocations back (`SET … NX`, with their expiry), so the
 * instances that never saw them refuse them too.
 */
export function createRedisRevocationStore(options: RedisRevocationStoreOptions): RevocationStore {
  const { client } = options;
  const prefix = options.keyPrefix ?? 'portico:revoked:';
  const now = options.now ?? Date.now;
  const channel = `${prefix}events`;
  let subscriber: RedisClient | undefined;
  const listeners = new Set<(jti: string) => void>();
  const inFlight = new Map<string, Promise<boolean>>();
  const known = createKnownRevocations(options.maxKnown ?? 100_000, now);

  // The first 'ready' finds nothing known; every later one follows an outage, after which Redis
  // may have come back without keys it had.
  client.on('ready', () => {
    const entries = known.entries();
    if (entries.length === 0) return;
    void Promise.all(
      entries.map(([jti, until]) =>
        (until === Infinity ? client.set(prefix + jti, '1', 'NX') : client.set(prefix + jti, '1', 'PXAT', until, 'NX')).then(
          (written) => (written === 'OK' ? 1 : 0),
          // Redis went away again: the next 'ready' tries again.
          () => 0,
        ),
      ),
    ).then((written) => {
      const count = written.reduce<number>((sum, each) => sum + each, 0);
      if (count > 0) options.onRestored?.(count);
    });
  });

  return {
    isRevoked(jti) {
      if (known.has(jti)) return true;
      return joinInFlight(inFlight, jti, async () => {
        const key = prefix + jti;
        const [answeredFor, ttl] = (await runScript(client, REVOCATION_CHECK, [1, key])) as [string, number];
        if (answeredFor !== key) {
          // Replies and commands are out of step on this connection: nothing it answers can be
          // trusted until it is made again. The check fails; the store's fail mode decides.
          if (client.status === 'ready') client.disconnect(true);
          throw new Error('a revocation check was answered with the reply to another command; reconnecting to Redis');
        }
        if (ttl === -2) return false;
        known.add(jti, ttl === -1 ? Infinity : now() + ttl);
        return true;
      });
    },
    async revoke(jti, expiresAt) {
      const expiresAtMs = expiresAt * 1000;
      // Already expired tokens are refused as expired; a key that would expire at once is pointless.
      if (expiresAtMs <= now()) return;
      // Known here first: this instance refuses the token even if the write below fails.
      known.add(jti, expiresAtMs);
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
      known.clear();
      subscriber?.disconnect();
      if (options.ownsClient) client.disconnect();
    },
  };
}

interface KnownRevocations {
  /** True while `jti` is known and its token has not expired. */
  has(jti: string): boolean;
  add(jti: string, untilMs: number): void;
  /** The unexpired entries: `[jti, until epoch ms or Infinity]`. */
  entries(): [string, number][];
  clear(): void;
}

/**
 * jti → until when (epoch ms), at most `max` entries, in an LRU cache as the verified-token cache
 * keeps tokens (plugins/auth/verifiedTokenCache.ts): the expiry is compared on lookup, and
 * lookups use `peek`, so the entry dropped when it is full is the one added or renewed longest
 * ago. A dropped entry is only a lost copy; Redis still holds the key unless it lost it too.
 */
function createKnownRevocations(max: number, now: () => number): KnownRevocations {
  const until = max > 0 ? new LRUCache<string, number>({ max }) : undefined;
  return {
    has(jti) {
      const expiresAt = until?.peek(jti);
      if (expiresAt === undefined) return false;
      if (expiresAt > now()) return true;
      until!.delete(jti);
      return false;
    },
    add(jti, untilMs) {
      until?.set(jti, Math.max(untilMs, until.peek(jti) ?? 0));
    },
    entries() {
      const at = now();
      return until ? [...until.entries()].filter(([, expiresAt]) => expiresAt > at) : [];
    },
    clear() {
      until?.clear();
    },
  };
}
