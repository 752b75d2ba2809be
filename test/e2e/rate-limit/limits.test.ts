import path from 'node:path';
import { Writable } from 'node:stream';
import type { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gql, startTestPortico, type TestPortico } from '../../support/portico.js';
import { startRedis, type RedisHandle } from '../../support/redis.js';
import { startSubgraph, type SubgraphHandle } from '../../support/subgraphs.js';
import { startIdp, type Idp } from '../../support/tokens.js';

// One gateway, in process, with buckets in a real Redis (config: test/e2e/rate-limit/config):
// - `limited`: tenant plans, free 20 points an hour and pro 2000; tokens come from the demo IdP
//   and are verified by the gateway's auth stage, which names the tenant and its plan;
// - `outage-open` / `outage-closed`: 3 points a day for the whole BFF, failing open / closed.
// The refills are so slow that the counts do not depend on time. The Redis outage test stops
// Redis, so it runs last.
const CONFIG = path.join(import.meta.dirname, 'config', 'portico.config.ts');

// Every request asks for other ids, so no cache or in-flight deduplication can answer one from
// another: each admitted request is one call at the subgraph.
let sequence = 0;
const CHEAP = () => `{ user(id: "x${sequence++}") { name } }`; // 1
const EXPENSIVE = () => `{ usersByIds(ids: [${Array.from({ length: 5 }, () => `"x${sequence++}"`).join(', ')}]) { name } }`; // 5 ids × 1

let redis: RedisHandle;
let admin: Redis;
let users: SubgraphHandle;
let idp: Idp;
let portico: TestPortico;
const logLines: string[] = [];
const logWaiters: { text: string; resolve: () => void }[] = [];

/** Resolves at the next log line containing `text` (a mode change, a reconnect). */
const nextLog = (text: string) => new Promise<void>((resolve) => logWaiters.push({ text, resolve }));

beforeAll(async () => {
  [redis, users, idp] = await Promise.all([startRedis(), startSubgraph('users'), startIdp()]);
  admin = redis.client();
  admin.on('error', () => {}); // it sees the outage too
  const logger = pino(
    { level: 'info' },
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        const line = chunk.toString();
        logLines.push(line);
        for (const waiter of logWaiters.filter((each) => line.includes(each.text))) {
          logWaiters.splice(logWaiters.indexOf(waiter), 1);
          waiter.resolve();
        }
        done();
      },
    }),
  );
  portico = await startTestPortico(
    { users },
    {
      config: CONFIG,
      logger,
      // 400 ms: long enough for a loaded CI box, far below the 2 s Redis pause below.
      env: { TEST_BFFS: 'limited,outage-open,outage-closed', TEST_REDIS_URL: redis.url, TEST_REDIS_TIMEOUT_MS: '400', IDP_URL: idp.url },
    },
  );
});
afterAll(async () => {
  await portico?.close(0);
  await Promise.all([users?.release(), redis?.stop(), idp?.stop()]);
});

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

describe('rate limits by tenant plan', () => {
  it('limits a tenant on the free plan at its plan’s budget while a pro tenant is not', async () => {
    await users.reset();
    const url = portico.bff('limited').url;
    const free = await idp.issue({ sub: 'u1', tenant: 'acme', plan: 'free', aud: 'portico-web' });
    const pro = await idp.issue({ sub: 'u2', tenant: 'globex', plan: 'pro', aud: 'portico-web' });
    const freeStatuses: number[] = [];
    const proStatuses: number[] = [];
    for (let i = 0; i < 25; i++) {
      freeStatuses.push((await gql(url, CHEAP(), undefined, bearer(free))).status);
      proStatuses.push((await gql(url, CHEAP(), undefined, bearer(pro))).status);
    }
    expect(freeStatuses).toEqual([...Array<number>(20).fill(200), ...Array<number>(5).fill(429)]);
    expect(proStatuses).toEqual(Array<number>(25).fill(200));
    // Only admitted requests reached the subgraph.
    expect((await users.stats()).requests).toBe(45);
  });

  it('drains the bucket of an expensive operation in exact proportion to its cost', async () => {
    await users.reset();
    const url = portico.bff('limited').url;
    const cheapCaller = await idp.issue({ sub: 'u3', tenant: 'initech', plan: 'free', aud: 'portico-web' });
    const dearCaller = await idp.issue({ sub: 'u4', tenant: 'umbrella', plan: 'free', aud: 'portico-web' });
    const left = async (query: () => string, token: string) => {
      const response = await gql(url, query(), undefined, bearer(token));
      if (response.status !== 200) return response.status;
      return Number(/"tenant";r=(\d+)/.exec(response.headers.get('RateLimit') ?? '')?.[1]);
    };
    const dear: number[] = [];
    const cheap: number[] = [];
    for (let i = 0; i < 5; i++) dear.push(await left(EXPENSIVE, dearCaller));
    for (let i = 0; i < 21; i++) cheap.push(await left(CHEAP, cheapCaller));
    // The same 20 points: 4 operations of cost 5, or 20 of cost 1.
    expect(dear).toEqual([15, 10, 5, 0, 429]);
    expect(cheap).toEqual([...Array.from({ length: 20 }, (_, i) => 19 - i), 429]);
    expect((await users.stats()).requests).toBe(24);

    const refused = await gql(url, EXPENSIVE(), undefined, bearer(dearCaller));
    expect(refused.status).toBe(429);
    expect(refused.body.errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
    // 5 points at 20 per 3600 s: 900 s, less the trickle refilled since the bucket emptied (the
    // Redis server's clock runs on: a point takes 180 s, so a few seconds' worth at most).
    expect(Number(refused.headers.get('Retry-After'))).toBeGreaterThan(890);
    expect(Number(refused.headers.get('Retry-After'))).toBeLessThanOrEqual(900);
    expect(refused.headers.get('RateLimit-Policy')).toBe('"global";q=1000000;w=86400, "tenant";q=20;w=3600');
  });
});

describe('the rate limiter while Redis is stopped mid-test', () => {
  const statusOf = async (bff: string) => (await gql(portico.bff(bff).url, CHEAP())).status;
  const statuses = async (bff: string, n: number) => {
    const result: number[] = [];
    for (let i = 0; i < n; i++) result.push(await statusOf(bff));
    return result;
  };

  it('keeps answering under each BFF’s fail mode, and limits in Redis again once it is back', async () => {
    // Shared limits in force: 3 admitted, then refused.
    expect(await statuses('outage-open', 4)).toEqual([200, 200, 200, 429]);
    expect(await statuses('outage-closed', 4)).toEqual([200, 200, 200, 429]);

    // Redis stops answering (every client paused for 2 s): both BFFs answer within the 400 ms
    // command timeout, before the pause ends, i.e. before the probe's PING is answered.
    await admin.client('PAUSE', '2000', 'ALL');
    let pauseOver = false;
    const probe = redis.client();
    const paused = probe.ping().then(() => (pauseOver = true));
    const during = await Promise.all([gql(portico.bff('outage-open').url, CHEAP()), gql(portico.bff('outage-closed').url, CHEAP())]);
    expect(pauseOver).toBe(false);
    expect(during.map((response) => response.status)).toEqual([200, 503]);
    expect(during[1].body.errors?.[0]?.extensions?.code).toBe('RATE_LIMIT_UNAVAILABLE');
    expect(during[1].headers.get('Retry-After')).toBe('1');
    await paused;
    probe.disconnect();

    // Redis is down: the open BFF limits with its local buckets (3, one spent during the pause),
    // the closed one refuses everything; every request is answered.
    await redis.kill();
    expect(await statuses('outage-open', 3)).toEqual([200, 200, 429]);
    expect(await statuses('outage-closed', 2)).toEqual([503, 503]);
    const logs = logLines.join('');
    expect(logs).toContain('failing open: this instance enforces the limits on its own');
    expect(logs).toContain('failing closed: requests are refused until it answers');

    // Redis is back (empty: no persistence), and the shared buckets decide again.
    // The rate limiter's own client: the revocation and fleet clients reconnect on their own time.
    const reconnected = nextLog('"purpose":"rate limits","msg":"redis: connected again"');
    const sharedAgain = nextLog('fleet-wide limits in force');
    await redis.restart();
    await reconnected;
    expect(await statuses('outage-open', 4)).toEqual([200, 200, 200, 429]);
    expect(await statuses('outage-closed', 4)).toEqual([200, 200, 200, 429]);
    await sharedAgain;
  });
});
