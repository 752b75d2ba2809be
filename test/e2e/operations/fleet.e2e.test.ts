import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { boundedLoad, deferred } from '../../support/boundedLoad.js';
import { fleetToken, startFleet, untilAll, type FleetInstance } from '../../support/fleet.js';
import { gql } from '../../support/portico.js';
import { hs256App, writeConfigDir, type ConfigDir } from '../../support/configDir.js';
import { startRedis, type RedisHandle } from '../../support/redis.js';
import { startSubgraph, type SubgraphHandle } from '../../support/subgraphs.js';

const SECRET = 'fleet-test-secret-0123456789abcdef0123';
const RESYNC_MS = 300;

type Instance = FleetInstance;

let redis: RedisHandle;
let users: SubgraphHandle;
let config: ConfigDir;
let fleet: Instance[];

const token = (jti?: string) => fleetToken(SECRET, 'fleet-test', jti);

const ADMIN_TOKEN = 'fleet-admin-token-0123456789abcdef0123456';
const ADMIN_HEADERS = { authorization: `Bearer ${ADMIN_TOKEN}` };

beforeAll(async () => {
  [redis, users] = await Promise.all([startRedis(), startSubgraph('users')]);
  config = await writeConfigDir({
    name: 'fleet',
    root: {
      admin: { port: 0, token: { env: 'PORTICO_ADMIN_TOKEN' } },
      // Two cores shared with the rest of the suite: a Redis round trip can take far longer than
      // production's 100 ms budget, and this test is about instances failing, not Redis latency.
      redis: { url: redis.url, commandTimeoutMs: 2_000 },
      fleet: { resyncIntervalMs: RESYNC_MS },
    },
    bff: hs256App(SECRET, 'fleet-test'),
  });
  // Three instances of one deployment: the same files, one Redis.
  fleet = await startFleet(3, config.rootFile, { USERS_URL: users.url, PORTICO_ADMIN_TOKEN: ADMIN_TOKEN });
}, 120_000);
afterAll(async () => {
  await Promise.all((fleet ?? []).map((instance) => instance.process.stop()));
  await users?.release();
  await redis?.stop();
});

describe('three instances on one Redis', () => {
  it('refuse a token revoked on one of them, all three within 1 s', async () => {
    const { bearer, jti, exp } = await token();
    const query = (instance: Instance) => gql(instance.url, '{ user(id: "u1") { name } }', undefined, { authorization: `Bearer ${bearer}` });
    for (const instance of fleet) expect((await query(instance)).status).toBe(200);

    const response = await fetch(`${fleet[0]!.admin}/admin/revocations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...ADMIN_HEADERS },
      body: JSON.stringify({ jti, expiresAt: exp }),
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ revoked: jti, stores: ['redis'] });
    const elapsed = await untilAll(fleet, async (instance) => (await query(instance)).status === 401);
    expect(elapsed).toBeLessThan(1000);
    for (const instance of fleet) expect((await query(instance)).body.errors?.[0]?.extensions).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'revoked' });
    // Another token of the same user is unaffected.
    const other = await token();
    expect((await gql(fleet[2]!.url, '{ user(id: "u1") { name } }', undefined, { authorization: `Bearer ${other.bearer}` })).status).toBe(200);
  });

  it('apply a config reload made on one of them, all three within 1 s', async () => {
    const { bearer } = await token();
    const email = (instance: Instance) => gql(instance.url, '{ user(id: "u1") { email } }', undefined, { authorization: `Bearer ${bearer}` });
    for (const instance of fleet) expect((await email(instance)).status).toBe(200);
    await config.writeBff({ hide: ['User.email'] });
    const reloaded = await fetch(`${fleet[1]!.admin}/admin/reload`, { method: 'POST', headers: ADMIN_HEADERS });
    expect(reloaded.status).toBe(200);
    const elapsed = await untilAll(fleet, async (instance) => (await email(instance)).status === 400);
    expect(elapsed).toBeLessThan(1000);
  });

  it('catch up on a change whose announcement they missed, at the next resync', async () => {
    const { bearer } = await token();
    const email = (instance: Instance) => gql(instance.url, '{ user(id: "u1") { email } }', undefined, { authorization: `Bearer ${bearer}` });
    await config.writeBff({});
    // What a reload elsewhere leaves in Redis when its pub/sub message is lost: a newer version.
    await redis.client().incr('portico:fleet:config-version');
    const elapsed = await untilAll(fleet, async (instance) => (await email(instance)).status === 200);
    expect(elapsed).toBeLessThan(RESYNC_MS * 10);
  });

  it('lose only the requests a killed instance held, and nothing else', async () => {
    const { bearer } = await token();
    const { bearer: revoked, jti, exp } = await token();
    await fetch(`${fleet[0]!.admin}/admin/revocations`, { method: 'POST', headers: ADMIN_HEADERS, body: JSON.stringify({ jti, expiresAt: exp }) });
    const victim = 2;
    const CONCURRENCY = 6;
    const wrongAnswers = [0, 0, 0];
    const cut = [0, 0, 0]; // accepted, then the connection died: the requests an instance held
    const refused = [0, 0, 0]; // never accepted: a balancer retries these on another instance
    const killed = deferred();
    const report = await boundedLoad({
      total: 300,
      concurrency: CONCURRENCY,
      request: (i) => ({
        url: fleet[i % 3]!.url,
        init: {
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', authorization: `Bearer ${bearer}` },
          body: JSON.stringify({ query: `{ user(id: "u${(i % 20) + 1}") { id } }` }),
        },
      }),
      check: (body, status, i) => {
        const ok = status === 200 && (body as { data?: { user?: { id?: string } } })?.data?.user?.id === `u${(i % 20) + 1}`;
        if (!ok) wrongAnswers[i % 3]! += 1;
        return ok;
      },
      onTransportError: (i, code) => {
        if (code === 'ECONNREFUSED') refused[i % 3]! += 1;
        else cut[i % 3]! += 1;
      },
      onProgress: (done) => {
        if (done === 75) {
          fleet[victim]!.process.child.kill('SIGKILL');
          killed.resolve();
        }
      },
    });
    await killed.promise;
    // The survivors answered every request they were sent, correctly.
    expect([wrongAnswers[0], cut[0], refused[0], wrongAnswers[1], cut[1], refused[1]]).toEqual([0, 0, 0, 0, 0, 0]);
    expect(report.statuses[200]).toBeGreaterThanOrEqual(200);
    // The victim lost at most what it held at the moment it died: one request per client at most.
    expect(wrongAnswers[victim]).toBe(0);
    expect(cut[victim]).toBeLessThanOrEqual(CONCURRENCY);
    expect(cut[victim]! + refused[victim]!).toBeGreaterThan(0);
    // Shared state lives in Redis, so the survivors still know every revocation.
    for (const instance of fleet.slice(0, 2)) {
      expect((await gql(instance.url, '{ user(id: "u1") { id } }', undefined, { authorization: `Bearer ${revoked}` })).status).toBe(401);
    }
  });
});
