import { createRequire } from 'node:module';
import { pino } from 'pino';
import { Writable } from 'node:stream';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createFailoverRateLimitStore, RateLimitStoreUnavailableError } from '../../../src/stores/rate-limit/failoverRateLimitStore.js';
import { createMemoryRateLimitStore } from '../../../src/stores/rate-limit/memoryRateLimitStore.js';
import { createRateLimitStores } from '../../../src/stores/rate-limit/createRateLimitStores.js';
import { createRedisRateLimitStore } from '../../../src/stores/rate-limit/redisRateLimitStore.js';
import type { Bucket, RateLimitStore } from '../../../src/stores/rate-limit/rateLimitStore.js';
import { startRedis, type RedisHandle } from '../../support/redis.js';

const keySlot = createRequire(import.meta.url)('cluster-key-slot') as (key: string) => number;

let redis: RedisHandle;
let admin: Redis;

beforeAll(async () => {
  redis = await startRedis();
  admin = redis.client();
  admin.on('error', () => {}); // one test stops Redis under it
});
afterAll(async () => {
  await redis?.stop();
});
beforeEach(async () => {
  await admin.flushall();
});

/** A clock tests move by hand. */
function manualClock(start = 1_700_000_000_000) {
  let time = start;
  return { now: () => time, advance: (ms: number) => (time += ms) };
}

/** Log lines, and a wait for the next line containing some text. */
function logCapture() {
  const lines: string[] = [];
  const waiters: { text: string; resolve: () => void }[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      const line = chunk.toString();
      lines.push(line);
      for (const waiter of waiters.filter((each) => line.includes(each.text))) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
      done();
    },
  });
  return {
    lines,
    logger: pino({ level: 'info' }, stream),
    next: (text: string) => new Promise<void>((resolve) => waiters.push({ text, resolve })),
  };
}

/** A fail-fast client like the gateway's, from the real stores factory. */
function gatewayStores(options: { now?: () => number; commandTimeoutMs?: number; logs?: ReturnType<typeof logCapture> } = {}) {
  const { logger } = options.logs ?? logCapture();
  return createRateLimitStores({
    redis: { url: redis.url, commandTimeoutMs: options.commandTimeoutMs ?? 2_000, connectTimeoutMs: 5_000, keyPrefix: 'portico:' },
    logger,
    ...(options.now ? { now: options.now } : {}),
  });
}

async function evalCalls(): Promise<number> {
  const info = await admin.info('commandstats');
  const calls = (name: string) => Number(new RegExp(`cmdstat_${name}:calls=(\\d+)`).exec(info)?.[1] ?? 0);
  return calls('evalsha') + calls('eval');
}

describe('the Redis rate-limit store', () => {
  const tiers: Bucket[] = [
    { key: 'global', limit: 100, windowMs: 60_000 },
    { key: 'tenant:t:acme', limit: 10, windowMs: 10_000 },
  ];

  it('makes the same decisions as the memory store over the same schedule', async () => {
    const clock = manualClock();
    const stores = gatewayStores({ now: clock.now });
    const shared = stores.forBff('web', { store: 'redis', failMode: 'closed' });
    await stores.ready();
    const local = createMemoryRateLimitStore({ now: clock.now });
    // Charges, refills by elapsed time, refusals that charge nothing, a partial refill.
    const schedule: [advanceMs: number, cost: number][] = [[0, 4], [0, 4], [0, 4], [500, 1], [1_000, 2], [2_500, 3], [0, 0], [9_000, 10], [1, 1]];
    for (const [advance, cost] of schedule) {
      clock.advance(advance);
      const [fromRedis, fromMemory] = [await shared.consume(tiers, cost), await local.consume(tiers, cost)];
      expect(fromRedis).toEqual(fromMemory);
    }
    await stores.close();
  });

  it('charges every tier or none, atomically, even under concurrent requests', async () => {
    const stores = gatewayStores();
    const store = stores.forBff('web', { store: 'redis', failMode: 'closed' });
    await stores.ready();
    const buckets: Bucket[] = [
      { key: 'global', limit: 1_000, windowMs: 3_600_000 },
      { key: 'tenant:t:acme', limit: 50, windowMs: 3_600_000 },
    ];
    const decisions = await Promise.all(Array.from({ length: 120 }, () => store.consume(buckets, 1)));
    expect(decisions.filter((decision) => decision.admitted)).toHaveLength(50);
    // The 70 refusals charged nothing to the global tier.
    const after = await store.consume([buckets[0]!], 0);
    expect(Math.round(after.remaining[0]!)).toBe(950);
    await stores.close();
  });

  it('keeps one BFF’s buckets in one Cluster slot and lets idle ones expire when full again', async () => {
    const clock = manualClock();
    const stores = gatewayStores({ now: clock.now });
    const store = stores.forBff('web', { store: 'redis', failMode: 'closed' });
    await stores.ready();
    const slow: Bucket[] = [
      { key: 'global', limit: 100, windowMs: 6_000_000 },
      { key: 'tenant:t:acme', limit: 10, windowMs: 1_000_000 },
      { key: 'anonymous:2001:db8:1:2::/64', limit: 5, windowMs: 5_000 },
    ];
    await store.consume(slow, 4);
    const keys = await admin.keys('portico:rl:*');
    expect(keys.sort()).toEqual(['portico:rl:{web}:anonymous:2001:db8:1:2::/64', 'portico:rl:{web}:global', 'portico:rl:{web}:tenant:t:acme']);
    expect(new Set(keys.map(keySlot)).size).toBe(1);
    // Each key lives until its bucket is full again (+1 ms): 4 of 10 points over 1000 s → 400 s;
    // 4 of 100 over 6000 s → 240 s. (The TTLs run down in real time as the test reads them.)
    const tenantTtl = await admin.pttl('portico:rl:{web}:tenant:t:acme');
    const globalTtl = await admin.pttl('portico:rl:{web}:global');
    expect(tenantTtl).toBeLessThanOrEqual(400_001);
    expect(tenantTtl).toBeGreaterThan(300_000);
    expect(globalTtl).toBeLessThanOrEqual(240_001);
    expect(globalTtl).toBeGreaterThan(140_000);
    await stores.close();
  });

  it('takes exactly one Redis round trip per decision when requests come one at a time', async () => {
    const stores = gatewayStores();
    const store = stores.forBff('web', { store: 'redis', failMode: 'closed' });
    await stores.ready();
    await store.consume(tiers, 1); // loads the script (EVALSHA → NOSCRIPT → EVAL) once
    const before = await evalCalls();
    let admitted = 0;
    for (let i = 0; i < 30; i++) if ((await store.consume(tiers, 1)).admitted) admitted++;
    expect(await evalCalls()).toBe(before + 30);
    expect(admitted).toBe(9);
    await stores.close();
  });

  it('decides requests that arrive while a call is on its way in one call, exactly as separate calls would', async () => {
    const clock = manualClock();
    const stores = gatewayStores({ now: clock.now });
    const store = stores.forBff('web', { store: 'redis', failMode: 'closed' });
    await stores.ready();
    await store.consume(tiers, 0); // loads the script
    const before = await evalCalls();
    // Six requests of one caller at once: the first goes alone, the five that arrive while it is
    // on its way go together as the next call.
    const costs = [3, 3, 3, 4, 0, 1];
    const together = await Promise.all(costs.map((cost) => store.consume(tiers, cost)));
    expect(await evalCalls()).toBe(before + 2);
    // One after another, as the memory store decides the same six at the same instant: 10 tenant
    // points pay 3, 3, 3; the 4 is refused and charges nothing; cost 0 is admitted; 1 takes the last.
    const local = createMemoryRateLimitStore({ now: clock.now });
    const oneByOne = [];
    for (const cost of costs) oneByOne.push(await local.consume(tiers, cost));
    expect(together).toEqual(oneByOne);
    expect(together.map((decision) => [decision.admitted, decision.remaining[1]])).toEqual([
      [true, 7],
      [true, 4],
      [true, 1],
      [false, 1],
      [true, 1],
      [true, 0],
    ]);
    // The global tier was charged for the four admitted requests with a cost (10 points), no more.
    expect((await store.consume(tiers, 0)).remaining[0]).toBe(90);
    await stores.close();
  });

  it('reloads its script after Redis forgets it (SCRIPT FLUSH) without failing a request', async () => {
    const stores = gatewayStores();
    const store = stores.forBff('web', { store: 'redis', failMode: 'closed' });
    await stores.ready();
    await store.consume(tiers, 1);
    await admin.script('FLUSH');
    await expect(store.consume(tiers, 1)).resolves.toMatchObject({ admitted: true });
    await stores.close();
  });
});

describe('the rate limiter when Redis fails', () => {
  const buckets: Bucket[] = [{ key: 'global', limit: 2, windowMs: 3_600_000 }];

  it('answers within the command timeout while Redis is blocked, from local buckets when failing open', async () => {
    const logs = logCapture();
    const stores = gatewayStores({ commandTimeoutMs: 100, logs });
    const open = stores.forBff('web', { store: 'redis', failMode: 'open' });
    const closed = stores.forBff('partner', { store: 'redis', failMode: 'closed' });
    await stores.ready();
    // CLIENT PAUSE holds every client's commands (its own too) for 1.5 s: a Redis that stopped
    // answering. The decisions must come back before the pause is over, i.e. before this PING is
    // answered; 1.4 s of slack over the 100 ms command timeout for a busy CI machine.
    await admin.client('PAUSE', '1500', 'ALL');
    let pauseOver = false;
    const probe = redis.client();
    const paused = probe.ping().then(() => (pauseOver = true));
    const [openDecision, closedDecision] = await Promise.allSettled([open.consume(buckets, 1), closed.consume(buckets, 1)]);
    expect(pauseOver).toBe(false);
    expect(openDecision).toEqual({ status: 'fulfilled', value: { admitted: true, remaining: [1] } });
    expect(closedDecision.status).toBe('rejected');
    expect((closedDecision as PromiseRejectedResult).reason).toBeInstanceOf(RateLimitStoreUnavailableError);
    expect(logs.lines.join('')).toContain('failing open');
    expect(logs.lines.join('')).toContain('failing closed');
    await paused;
    await stores.close();
  });

  it('fails every request a failed call carried, each to its fail mode', async () => {
    const stores = gatewayStores({ commandTimeoutMs: 100 });
    const closed = stores.forBff('partner', { store: 'redis', failMode: 'closed' });
    await stores.ready();
    await admin.client('PAUSE', '1500', 'ALL');
    const probe = redis.client();
    const paused = probe.ping();
    // One alone, then three together behind it: all four time out and are refused.
    const decisions = await Promise.allSettled([1, 1, 1, 1].map((cost) => closed.consume(buckets, cost)));
    expect(decisions.map((decision) => decision.status)).toEqual(['rejected', 'rejected', 'rejected', 'rejected']);
    for (const decision of decisions) expect((decision as PromiseRejectedResult).reason).toBeInstanceOf(RateLimitStoreUnavailableError);
    await paused;
    await stores.close();
  });

  it('never holds a request behind a call on its way for longer than maxWaitMs', async () => {
    // A command timeout far above the wait: only the store's own bound can answer early.
    const client = redis.client();
    const store = createRedisRateLimitStore({ client, namespace: 'web', maxWaitMs: 50 });
    await store.consume(buckets, 0); // loads the script
    await admin.client('PAUSE', '1500', 'ALL');
    let pauseOver = false;
    const probe = redis.client();
    const paused = probe.ping().then(() => (pauseOver = true));
    // The first request's call waits out the pause; the three behind it fail after 50 ms.
    const first = store.consume(buckets, 1);
    const behind = await Promise.allSettled([1, 1, 1].map((cost) => store.consume(buckets, cost)));
    expect(pauseOver).toBe(false);
    expect(behind.map((decision) => decision.status)).toEqual(['rejected', 'rejected', 'rejected']);
    expect((behind[0] as PromiseRejectedResult).reason.message).toMatch(/within 50 ms/);
    // They were never sent: once Redis answers, only the first request was charged.
    expect(await first).toEqual({ admitted: true, remaining: [1] });
    // (Had the three gone out, the first of them would have taken the last point.)
    expect(Math.floor((await store.consume(buckets, 0)).remaining[0]!)).toBe(1);
    await paused;
    client.disconnect();
  });

  it('limits locally while Redis is down and shares the limits again once it is back', async () => {
    const logs = logCapture();
    const stores = gatewayStores({ logs });
    const store = stores.forBff('web', { store: 'redis', failMode: 'open' }) as RateLimitStore & { mode(): string };
    await stores.ready();
    expect((await store.consume(buckets, 1)).admitted).toBe(true);
    expect(store.mode()).toBe('shared');

    await redis.kill();
    // The local buckets start full and limit on their own: 2 admitted, then refused.
    const local = [await store.consume(buckets, 1), await store.consume(buckets, 1), await store.consume(buckets, 1)];
    expect(local.map((decision) => decision.admitted)).toEqual([true, true, false]);
    expect(store.mode()).toBe('local');

    const reconnected = logs.next('redis: connected');
    await redis.restart();
    await reconnected;
    // A fresh Redis (no persistence): a full shared bucket again.
    expect(await store.consume(buckets, 1)).toEqual({ admitted: true, remaining: [1] });
    expect(store.mode()).toBe('shared');
    expect(logs.lines.join('')).toContain('fleet-wide limits in force');
    await stores.close();
  });
});

describe('createFailoverRateLimitStore', () => {
  it('refuses with RateLimitStoreUnavailableError when failing closed', async () => {
    const failing: RateLimitStore = { consume: () => Promise.reject(new Error('down')), close: () => Promise.resolve() };
    const store = createFailoverRateLimitStore({
      primary: failing,
      fallback: createMemoryRateLimitStore(),
      failMode: 'closed',
      bff: 'test',
      logger: pino({ level: 'silent' }),
    });
    await expect(store.consume([{ key: 'g', limit: 1, windowMs: 1_000 }], 1)).rejects.toBeInstanceOf(RateLimitStoreUnavailableError);
    expect(store.mode()).toBe('refusing');
  });

  it('uses the Redis store through a plain client too (no factory)', async () => {
    const client = redis.client();
    const store = createRedisRateLimitStore({ client, namespace: 'mobile' });
    expect(await store.consume([{ key: 'global', limit: 3, windowMs: 1_000 }], 2)).toEqual({ admitted: true, remaining: [1] });
    client.disconnect();
  });
});
