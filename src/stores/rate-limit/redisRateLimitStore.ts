import type { Cluster, Redis } from 'ioredis';
import type { Bucket, Consumption, RateLimitStore } from './rateLimitStore.js';
import { runScript } from '../redis/runScript.js';
import { TOKEN_BUCKET } from './tokenBucketScript.js';

export interface RedisRateLimitStoreOptions {
  /**
   * A client configured to fail fast (createRateLimitStores does: `commandTimeout`, no offline
   * queue, no per-command retries). Standalone or Cluster; the store never closes it.
   */
  client: Redis | Cluster;
  /** Usually the BFF's name. It is the Cluster hash tag of every key, so one call stays in one slot. */
  namespace: string;
  /** @default 'portico:' */
  keyPrefix?: string;
  /**
   * The clock, in epoch ms. @default the Redis server's clock (`TIME` in the script), so a fleet
   * of gateways with drifting clocks still refills every bucket at one rate.
   */
  now?: () => number;
  /**
   * The longest a request waits for its decision when it waits behind a call already on its way
   * (see below): then it fails, as its own command would after the client's command timeout, so
   * sharing calls never makes a request wait longer than that. createRateLimitStores passes
   * `redis.commandTimeoutMs`.
   * @default 1_000
   */
  maxWaitMs?: number;
}

/** Requests over one set of buckets waiting for the call that decides them. */
interface Batch {
  buckets: readonly Bucket[];
  costs: number[];
  settle: { resolve(consumption: Consumption): void; reject(error: unknown): void }[];
  /** Fails the batch's requests `maxWaitMs` after the first of them arrived; absent for a lone request. */
  timer?: ReturnType<typeof setTimeout>;
}

/** The most requests one script call decides; more wait for the next call. */
const MAX_BATCH = 256;

/**
 * Buckets in Redis, shared by every gateway instance: one EVALSHA per decision, whatever the
 * number of tiers. After a Redis restart (scripts are not persisted) the first call finds no
 * script and sends it once with EVAL.
 *
 * Requests over the same buckets (one caller's, under load) share calls: while one call for those
 * buckets is on its way, the requests that arrive wait and then go together as the next call,
 * which decides them one after another exactly as separate calls at that instant would
 * (tokenBucketScript.ts). A lone request goes at once, so batching adds no wait when idle, and
 * under load it saves the gateway and Redis a script call per request: ~25 µs of the gateway's
 * CPU each, measured with three tiers. A failed call fails each request it carried, and each
 * meets the limiter's fail mode as it would alone; so does a request that has waited `maxWaitMs`
 * (a Redis that stopped answering would otherwise hold it for the call ahead, then its own). As
 * with a command that times out, Redis may still run a call whose requests were failed.
 */
export function createRedisRateLimitStore(options: RedisRateLimitStoreOptions): RateLimitStore {
  const { client, namespace } = options;
  const prefix = `${options.keyPrefix ?? 'portico:'}rl:{${namespace}}:`;
  const now = options.now;
  const maxWaitMs = options.maxWaitMs ?? 1_000;
  const waiting = new Map<string, Batch>();
  /** Calls on their way, by group: 1 but for a moment after a batch filled up. */
  const sending = new Map<string, number>();

  function send(group: string, batch: Batch): void {
    sending.set(group, (sending.get(group) ?? 0) + 1);
    const { buckets, costs, settle } = batch;
    const args: (string | number)[] = [buckets.length];
    for (const bucket of buckets) args.push(prefix + bucket.key);
    args.push(now ? Math.floor(now()) : -1, costs.length, ...costs);
    for (const bucket of buckets) args.push(bucket.limit, bucket.windowMs);
    runScript(client, TOKEN_BUCKET, args as [number, ...(string | number)[]]).then(
      (reply) => {
        clearTimeout(batch.timer);
        const values = reply as (number | string)[];
        const width = buckets.length + 1;
        for (let j = 0; j < settle.length; j++) {
          const at = j * width;
          const remaining: number[] = [];
          for (let i = 1; i < width; i++) remaining.push(Number(values[at + i]));
          settle[j]!.resolve({ admitted: values[at] === 1, remaining });
        }
        next(group);
      },
      (error: unknown) => {
        clearTimeout(batch.timer);
        for (const each of settle) each.reject(error);
        next(group);
      },
    );
  }

  function next(group: string): void {
    const left = sending.get(group)! - 1;
    if (left === 0) sending.delete(group);
    else sending.set(group, left);
    const batch = waiting.get(group);
    if (batch === undefined) return;
    waiting.delete(group);
    send(group, batch);
  }

  return {
    consume(buckets: readonly Bucket[], cost: number): Promise<Consumption> {
      let group = '';
      for (const bucket of buckets) group += `${bucket.key}\u0000${bucket.limit}\u0000${bucket.windowMs}\u0001`;
      return new Promise((resolve, reject) => {
        if (!sending.has(group)) return send(group, { buckets, costs: [cost], settle: [{ resolve, reject }] });
        let batch = waiting.get(group);
        if (batch === undefined || batch.costs.length >= MAX_BATCH) {
          // A full batch goes now, beside the call on its way, rather than grow without bound.
          if (batch !== undefined) send(group, batch);
          const created: Batch = { buckets, costs: [], settle: [] };
          created.timer = setTimeout(() => {
            // Not sent yet: it never will be, so Redis charges nothing for requests that failed.
            if (waiting.get(group) === created) waiting.delete(group);
            const error = new Error(`no rate-limit decision from Redis within ${maxWaitMs} ms`);
            // Requests whose call has answered are settled already, and a promise settles once.
            for (const each of created.settle) each.reject(error);
          }, maxWaitMs);
          created.timer.unref?.();
          batch = created;
          waiting.set(group, batch);
        }
        batch.costs.push(cost);
        batch.settle.push({ resolve, reject });
      });
    },
    close() {
      return Promise.resolve();
    },
  };
}
