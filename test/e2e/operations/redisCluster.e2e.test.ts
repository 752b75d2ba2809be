import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hs256App, writeConfigDir, type ConfigDir } from '../../support/configDir.js';
import { FLEET_ADMIN, fleetToken, revokeVia, startFleet, untilAll, type FleetInstance } from '../../support/fleet.js';
import { gql, TEST_ADMIN_TOKEN } from '../../support/portico.js';
import { startRedisCluster, type RedisClusterHandle } from '../../support/redisTopologies.js';
import { startSubgraph, type SubgraphHandle } from '../../support/subgraphs.js';

// Three `portico start` processes sharing a real 3-master Redis Cluster. The root config's URL
// is dead (DEAD_URL): the gateways reach the cluster only through `redis.cluster.nodes`, via the
// one connection factory, for every store (rate limits, revocations, fleet notices).

const SECRET = 'cluster-test-secret-0123456789abcdef012';
const ISSUER = 'cluster-test';
const LIMIT = 40;
const PER_GATEWAY = 40; // three times the limit in all
const keySlot = createRequire(import.meta.url)('cluster-key-slot') as (key: string) => number;
const token = (jti?: string) => fleetToken(SECRET, ISSUER, jti);

let cluster: RedisClusterHandle;
let users: SubgraphHandle;
let config: ConfigDir;
let fleet: FleetInstance[];

beforeAll(async () => {
  [cluster, users] = await Promise.all([startRedisCluster(), startSubgraph('users')]);
  config = await writeConfigDir({
    name: 'cluster',
    root: {
      admin: FLEET_ADMIN,
      // Two shared cores: a round trip may take far longer than production's 100 ms budget.
      redis: cluster.config({ commandTimeoutMs: 2_000 }),
      fleet: { resyncIntervalMs: 300 },
    },
    bff: {
      ...hs256App(SECRET, ISSUER),
      // Two tiers charged by one script: a BFF-wide budget and a per-caller one on Query.user.
      // Refills over a day are so slow that the counts do not depend on time.
      rateLimit: {
        store: 'redis',
        failMode: 'closed',
        tiers: [
          { kind: 'global', limit: LIMIT, windowSeconds: 86_400 },
          { kind: 'field', field: 'Query.user', limit: 1_000, windowSeconds: 86_400 },
        ],
      },
    },
  });
  fleet = await startFleet(3, config.rootFile, { USERS_URL: users.url });
}, 150_000);
afterAll(async () => {
  await Promise.all((fleet ?? []).map((instance) => instance.process.stop()));
  await Promise.all([users?.release(), cluster?.stop()]);
});

describe('three gateways on a Redis Cluster', () => {
  it('share one rate limit: the fleet admits the limit ±5%, each charge a multi-tier script in one slot', async () => {
    const { bearer } = await token();
    await users.reset();
    const statuses = await Promise.all(
      fleet.map(async (instance, gateway) => {
        const seen: number[] = [];
        // Two at a time per gateway, so the gateways' charges interleave at the cluster.
        const worker = async () => {
          while (seen.length < PER_GATEWAY) {
            const id = `c-${gateway}-${seen.length}`;
            seen.push(0);
            const { status } = await gql(instance.url, `{ user(id: "${id}") { name } }`, undefined, { authorization: `Bearer ${bearer}` });
            seen[seen.indexOf(0)] = status;
          }
        };
        await Promise.all([worker(), worker()]);
        return seen;
      }),
    );
    const admitted = statuses.flat().filter((status) => status === 200).length;
    expect(admitted + statuses.flat().filter((status) => status === 429).length).toBe(3 * PER_GATEWAY);
    expect(Math.abs(admitted - LIMIT)).toBeLessThanOrEqual(LIMIT * 0.05);
    expect(statuses.every((each) => each.includes(200))).toBe(true);
    expect((await users.stats()).requests).toBe(admitted);

    // Both tiers' buckets exist, on one node, in one slot (the BFF's hash tag).
    const keys = (await Promise.all(cluster.nodes.map((node) => cluster.nodeKeys(node.port, 'portico:rl:*')))).flat();
    expect(keys).toHaveLength(2);
    expect(new Set(keys.map(keySlot)).size).toBe(1);
  });

  it('refuse a token revoked on one of them, all three within 1 s', async () => {
    const { bearer, jti, exp } = await token();
    // A BFF with a fresh budget is not needed: revocation is checked before the rate limiter.
    const query = (instance: FleetInstance) => gql(instance.url, '{ __typename }', undefined, { authorization: `Bearer ${bearer}` });
    const response = await revokeVia(fleet[0]!, jti, exp);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ revoked: jti, stores: ['redis'] });
    const elapsed = await untilAll(fleet, async (instance) => (await query(instance)).status === 401);
    expect(elapsed).toBeLessThan(1000);
    for (const instance of fleet) expect((await query(instance)).body.errors?.[0]?.extensions).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'revoked' });
  });

  it('apply a config reload made on one of them (a fleet notice), all three within 1 s', async () => {
    const { bearer } = await token();
    const typename = (instance: FleetInstance) => gql(instance.url, '{ __typename }', undefined, { authorization: `Bearer ${bearer}` });
    for (const instance of fleet) expect((await typename(instance)).status).not.toBe(401);
    // The reloaded BFF accepts no token of this issuer any more.
    await config.writeBff({ auth: { jwt: { keys: [{ alg: 'HS256', secret: SECRET }], algorithms: ['HS256'], issuer: 'another-issuer', audience: 'app' } } });
    const reloaded = await fetch(`${fleet[1]!.admin}/admin/reload`, { method: 'POST', headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } });
    expect(reloaded.status).toBe(200);
    const elapsed = await untilAll(fleet, async (instance) => (await typename(instance)).status === 401);
    expect(elapsed).toBeLessThan(1000);
  });
});
