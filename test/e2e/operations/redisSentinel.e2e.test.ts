import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/loadConfig.js';
import { startPortico, type Portico } from '../../../src/runtime/startPortico.js';
import { hs256App, writeConfigDir } from '../../support/configDir.js';
import { FLEET_ADMIN, fleetToken, revokeVia } from '../../support/fleet.js';
import { gql, TEST_ADMIN_TOKEN } from '../../support/portico.js';
import { startRedisSentinel, type RedisSentinelHandle } from '../../support/redisTopologies.js';
import { startSubgraph, type SubgraphHandle } from '../../support/subgraphs.js';

// Two gateways (in this process, each with its own stores and Redis clients) on a real Sentinel
// group: one master, one replica, three sentinels. The root config's URL is dead: the gateways
// find the master only through `redis.sentinel`. Under load, the master process is killed; the
// sentinels promote the replica. docs/redis.md documents each store's fail mode during the window:
//   rate limits (failMode open)      → this instance's own buckets, no refusals by the limiter
//   revocations (onStoreError deny)  → 503 AUTH_UNAVAILABLE for requests with a token
// and the test measures the window, the refusals and the time until state is shared again.

const SECRET = 'sentinel-test-secret-0123456789abcdef01';
const ISSUER = 'sentinel-test';
const token = (jti?: string) => fleetToken(SECRET, ISSUER, jti);

interface Gateway {
  portico: Portico;
  url: string;
  admin: string;
  /** Epoch ms of each log line, by message. */
  logs: { at: number; msg: string }[];
}

let sentinel: RedisSentinelHandle;
let users: SubgraphHandle;
let gateways: Gateway[];

beforeAll(async () => {
  [sentinel, users] = await Promise.all([startRedisSentinel(), startSubgraph('users')]);
  const { rootFile } = await writeConfigDir({
    name: 'sentinel',
    root: {
      admin: FLEET_ADMIN,
      // 500 ms: two shared cores may be slow, and every command during the window waits this long at most.
      redis: sentinel.config({ commandTimeoutMs: 500 }),
    },
    bff: {
      ...hs256App(SECRET, ISSUER),
      rateLimit: {
        store: 'redis',
        failMode: 'open',
        tiers: [
          { kind: 'global', limit: 1_000_000, windowSeconds: 86_400 },
          // The sharing probe: a small daily budget for usersByIds per caller, for the whole fleet.
          { kind: 'field', field: 'Query.usersByIds', limit: 10, windowSeconds: 86_400 },
        ],
      },
    },
  });
  const config = await loadConfig(rootFile, { USERS_URL: users.url, PORTICO_ADMIN_TOKEN: TEST_ADMIN_TOKEN });
  gateways = await Promise.all(
    [0, 1].map(async () => {
      const logs: Gateway['logs'] = [];
      const logger = pino({ level: 'info' }, { write: (line: string) => void logs.push({ at: Date.now(), msg: (JSON.parse(line) as { msg: string }).msg }) });
      const portico = await startPortico(config, { logger });
      return { portico, logs, url: portico.bffs[0]!.url, admin: portico.admin!.url };
    }),
  );
}, 60_000);
afterAll(async () => {
  await Promise.all((gateways ?? []).map((gateway) => gateway.portico.close(0)));
  await Promise.all([users?.release(), sentinel?.stop()]);
});

interface Answer {
  at: number;
  status: number;
  code: string | undefined;
  kind: 'token' | 'revoked' | 'anonymous';
}

describe('a Sentinel failover under load', () => {
  it('keeps each store in its fail mode during the window, shares state again within 5 s of the promotion, forgets no revocation', async () => {
    const valid = await token();
    const revoked = await token();
    expect((await revokeVia(gateways[0]!, revoked.jti, revoked.exp)).status).toBe(200);

    const answers: Answer[] = [];
    let stop = false;
    let failover: { killedAt: number; promoted: Promise<number> } | undefined;
    let promotedAt: number | undefined;
    const kinds = ['token', 'anonymous', 'revoked'] as const;
    // Four clients, each cycling over the gateways and the three kinds of caller; pacing is the round trip.
    const client = async (n: number) => {
      for (let i = n; !stop; i += 4) {
        const kind = kinds[i % 3]!;
        const gateway = gateways[i % 2]!;
        const bearer = kind === 'token' ? valid.bearer : kind === 'revoked' ? revoked.bearer : undefined;
        const response = await gql(gateway.url, `{ user(id: "u${(i % 20) + 1}") { id } }`, undefined, bearer ? { authorization: `Bearer ${bearer}` } : {});
        answers.push({ at: Date.now(), status: response.status, code: response.body.errors?.[0]?.extensions?.code as string | undefined, kind });
        if (answers.length === 40) {
          failover = await sentinel.killMaster();
          void failover.promoted.then((at) => (promotedAt = at));
        }
        // Run until 3 s after the promotion: long enough to see state shared again.
        if (promotedAt !== undefined && Date.now() - promotedAt > 3_000) stop = true;
      }
    };
    await Promise.all([0, 1, 2, 3].map(client));
    const { killedAt } = failover!;
    const promoted = promotedAt!;

    // Fail modes: only revocation checks were refused (503 AUTH_UNAVAILABLE, deny), only requests
    // with a token, and only between the kill and 5 s after the promotion. No other 5xx at all.
    const refused = answers.filter((answer) => answer.status >= 500);
    for (const answer of refused) {
      expect(answer).toMatchObject({ status: 503, code: 'AUTH_UNAVAILABLE' });
      expect(answer.kind).not.toBe('anonymous');
      expect(answer.at).toBeGreaterThanOrEqual(killedAt);
      expect(answer.at - promoted).toBeLessThan(5_000);
    }
    // The rate limiter failed open: anonymous callers were always answered.
    expect(answers.filter((answer) => answer.kind === 'anonymous').every((answer) => answer.status === 200)).toBe(true);
    // A token revoked before the failover was never let through, before, during or after it.
    expect(answers.filter((answer) => answer.kind === 'revoked' && answer.status === 200)).toEqual([]);
    // Revocation checks work again within 5 s of the promotion on both gateways.
    const lastRefusal = Math.max(killedAt, ...refused.map((answer) => answer.at));
    expect(lastRefusal - promoted).toBeLessThan(5_000);
    expect(answers.some((answer) => answer.kind === 'token' && answer.status === 200 && answer.at > lastRefusal)).toBe(true);

    // The limiters went local during the window and shared again within 5 s of the promotion.
    const sharedAgain = gateways.map((gateway) => gateway.logs.find((line) => line.at >= killedAt && line.msg.includes('fleet-wide limits in force'))?.at);
    for (const at of sharedAgain) {
      expect(at).toBeDefined();
      expect(at! - promoted).toBeLessThan(5_000);
    }

    // Shared limits, seen from outside: the caller's usersByIds budget, spent on one gateway, is
    // spent on the other too.
    const probe = (gateway: Gateway) => gql(gateway.url, '{ usersByIds(ids: ["u1"]) { id } }', undefined, { authorization: `Bearer ${valid.bearer}` });
    const spent: number[] = [];
    while (spent.length < 12 && !spent.includes(429)) spent.push((await probe(gateways[0]!)).status);
    expect(spent[0]).toBe(200);
    expect(spent.at(-1)).toBe(429);
    expect((await probe(gateways[1]!)).status).toBe(429);
    // A revocation after the promotion reaches both; the one from before is still known.
    const late = await token();
    expect((await revokeVia(gateways[1]!, late.jti, late.exp)).status).toBe(200);
    for (const gateway of gateways) {
      expect((await gql(gateway.url, '{ __typename }', undefined, { authorization: `Bearer ${late.bearer}` })).status).toBe(401);
      expect((await gql(gateway.url, '{ __typename }', undefined, { authorization: `Bearer ${revoked.bearer}` })).status).toBe(401);
    }

    const figures = {
      requests: answers.length,
      failoverWindowMs: promoted - killedAt,
      refused: refused.length,
      refusedWindowMs: refused.length ? lastRefusal - Math.min(...refused.map((answer) => answer.at)) : 0,
      revocationsSharedAfterPromotionMs: Math.max(0, lastRefusal - promoted),
      limitsSharedAfterPromotionMs: sharedAgain.map((at) => at! - promoted),
    };
    console.info(`sentinel failover figures: ${JSON.stringify(figures)}`);
  }, 60_000);
});
