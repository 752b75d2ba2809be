import path from 'node:path';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPortico, type CliProcess } from '../../support/cli.js';
import { startRedis, type RedisHandle } from '../../support/redis.js';
import { startSubgraph, type SubgraphHandle } from '../../support/subgraphs.js';
import { TOKEN_BUCKET_SCRIPT } from '../../../src/stores/rate-limit/tokenBucketScript.js';

// Three `portico start` processes, each serving two BFFs with the same global limit of 40 points a
// day: `fleet-redis` keeps its buckets in the Redis all three share, `fleet-memory` in each
// process's memory. The refill over a day is so slow that the counts do not depend on time.
const CONFIG = path.join(import.meta.dirname, 'config', 'portico.config.ts');
const LIMIT = 40;
const PER_GATEWAY = 40; // 120 requests in all: three times the limit
// Costs 1. Each request asks for another id, so no layer can answer one from another's call
// (in-flight deduplication, caches): every admitted request is exactly one call at the subgraph.
const query = (id: string) => `{ user(id: "${id}") { name } }`;

let redis: RedisHandle;
let admin: Redis;
let users: SubgraphHandle;
let gateways: CliProcess[] = [];
let urls: { redis: string; memory: string }[] = [];

beforeAll(async () => {
  [redis, users] = await Promise.all([startRedis(), startSubgraph('users')]);
  admin = redis.client();
  const env = { TEST_BFFS: 'fleet-redis,fleet-memory', TEST_REDIS_URL: redis.url, USERS_URL: users.url, GLOBAL_LIMIT: String(LIMIT) };
  gateways = [0, 1, 2].map(() => runPortico(['start', '--config', CONFIG], env));
  // A process prints its URLs once it is serving, which is after its Redis connection is up.
  urls = await Promise.all(
    gateways.map(async (gateway) => ({
      // Three processes compiling TypeScript at once on two cores: give them time.
      redis: (await gateway.waitForLine(/^fleet-redis\s+(\S+)/, 90_000))[1]!,
      memory: (await gateway.waitForLine(/^fleet-memory\s+(\S+)/, 90_000))[1]!,
    })),
  );
}, 120_000);
afterAll(async () => {
  await Promise.all(gateways.map((gateway) => gateway.stop()));
  await Promise.all([users?.release(), redis?.stop()]);
});

/** PER_GATEWAY requests to each gateway, the three gateways at once; the statuses by gateway. */
async function drive(pick: (u: { redis: string; memory: string }) => string): Promise<number[][]> {
  return Promise.all(
    urls.map(async (u, gateway) => {
      const statuses: number[] = [];
      // Two at a time per gateway, so the gateways' requests interleave at Redis.
      const worker = async () => {
        while (statuses.length < PER_GATEWAY) {
          const id = `fleet-${gateway}-${statuses.length}`;
          statuses.push(0);
          const response = await fetch(pick(u), {
            method: 'POST',
            headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json' },
            body: JSON.stringify({ query: query(id) }),
          });
          await response.arrayBuffer();
          statuses[statuses.indexOf(0)] = response.status;
        }
      };
      await Promise.all([worker(), worker()]);
      return statuses;
    }),
  );
}

async function commandCalls(name: string): Promise<number> {
  const info = await admin.info('commandstats');
  return Number(new RegExp(`cmdstat_${name}:calls=(\\d+)`).exec(info)?.[1] ?? 0);
}

describe('a fleet of three gateways', () => {
  it('admits, sharing Redis, a total within 5% of the configured limit, counted at the subgraph, in one Redis round trip per request', async () => {
    await users.reset();
    await admin.script('LOAD', TOKEN_BUCKET_SCRIPT); // so every decision is one EVALSHA, none a NOSCRIPT retry
    const [evalshaBefore, evalBefore] = [await commandCalls('evalsha'), await commandCalls('eval')];

    const statuses = await drive((u) => u.redis);
    const admitted = statuses.flat().filter((status) => status === 200).length;
    const refused = statuses.flat().filter((status) => status === 429).length;
    expect(admitted + refused).toBe(3 * PER_GATEWAY);
    expect(Math.abs(admitted - LIMIT)).toBeLessThanOrEqual(LIMIT * 0.05);
    // Every process admitted some: the limit was shared, not won by one process.
    expect(statuses.every((each) => each.includes(200))).toBe(true);
    expect((await users.stats()).requests).toBe(admitted);
    // One EVALSHA per admitted or refused request, and nothing else evaluated.
    expect(await commandCalls('evalsha')).toBe(evalshaBefore + 3 * PER_GATEWAY);
    expect(await commandCalls('eval')).toBe(evalBefore);
  });

  it('admits about three times the limit when each gateway keeps its buckets in memory', async () => {
    await users.reset();
    const statuses = await drive((u) => u.memory);
    const admitted = statuses.flat().filter((status) => status === 200).length;
    expect(Math.abs(admitted - 3 * LIMIT)).toBeLessThanOrEqual(3 * LIMIT * 0.05);
    expect((await users.stats()).requests).toBe(admitted);
  });
});
