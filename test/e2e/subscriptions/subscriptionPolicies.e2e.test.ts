import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFleet, untilAll, revokeVia, type FleetInstance } from '../../support/fleet.js';
import type { ConfigDir } from '../../support/configDir.js';
import { TEST_ADMIN_TOKEN } from '../../support/portico.js';
import { startRedis, type RedisHandle } from '../../support/redis.js';
import { sseSubscribe, type SseSubscription } from '../../support/sseSubscription.js';
import { writeEventsDeployment } from '../../support/eventsDeployment.js';

const SECRET = 'subscriptions-test-secret-0123456789abcdef';
const ISSUER = 'subscriptions-test';
const QUERY = 'subscription ($id: ID!) { orderStatus(orderId: $id) { orderId status seq } }';

let redis: RedisHandle;
let publisher: Redis;
let config: ConfigDir;
let fleet: FleetInstance[];

/** An HS256 token for `sub` with a fresh jti, valid for `ttlSeconds`. */
async function token(sub: string, options: { ttlSeconds?: number; scope?: string } = {}) {
  const jti = randomUUID();
  const exp = Math.floor(Date.now() / 1000) + (options.ttlSeconds ?? 1800);
  const bearer = await new SignJWT({ scope: options.scope ?? 'orders:read' })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuer(ISSUER)
    .setAudience('app')
    .setSubject(sub)
    .setJti(jti)
    .setExpirationTime(exp)
    .sign(new TextEncoder().encode(SECRET));
  return { bearer, jti, exp };
}

const subscribe = (instance: FleetInstance, orderId: string, bearer: string, query = QUERY) =>
  sseSubscribe({ url: instance.url, query, variables: { id: orderId }, token: bearer });

/** Resolves once `count` gateway connections listen on the channel: events published from then on arrive. */
async function listening(channel: string, count: number): Promise<void> {
  // Each probe is a real round trip to Redis: the loop paces itself without a timer.
  for (let probes = 0; probes < 20_000; probes += 1) {
    const [, subscribers] = (await publisher.pubsub('NUMSUB', channel)) as [string, number];
    if (subscribers >= count) return;
  }
  throw new Error(`nobody listens on ${channel}`);
}

const publish = (orderId: string, event: Record<string, unknown>) => publisher.publish(`orders.${orderId}.status`, JSON.stringify({ orderId, ...event }));
const lastCode = (subscription: SseSubscription) => subscription.results().at(-1)?.errors?.[0]?.extensions?.code;

beforeAll(async () => {
  redis = await startRedis();
  publisher = redis.client();
  config = await writeEventsDeployment({
    name: 'subscriptions',
    redisUrl: redis.url,
    secret: SECRET,
    issuer: ISSUER,
    root: { subscriptions: { maxPerProcess: 6, retryAfterSeconds: 7 } },
    bff: {
      // Denied fields become nulls with errors, so a subscription with one runs: the case where a
      // leak could happen, event after event.
      authz: { onDenied: 'null' },
      subscriptions: { maxPerPrincipal: 2, maxBufferedEvents: 4 },
    },
  });
  fleet = await startFleet(3, config.rootFile, { PORTICO_ADMIN_TOKEN: TEST_ADMIN_TOKEN });
}, 120_000);
afterAll(async () => {
  await Promise.all((fleet ?? []).map((instance) => instance.process.stop()));
  await redis?.stop();
});

describe('subscriptions over a Redis event source, three instances on one Redis', () => {
  it('deliver each published event, in order, on every instance, with heartbeats between', async () => {
    const { bearer } = await token('events-user');
    const subscriptions = fleet.map((instance) => subscribe(instance, 'o-order', bearer));
    await listening('orders.o-order.status', 3);
    for (let seq = 1; seq <= 3; seq += 1) await publish('o-order', { status: 'PAID', seq, internalNote: 'x' });
    for (const subscription of subscriptions) {
      await subscription.until((s) => s.results().length === 3, 'three events');
      expect(subscription.results().map((r) => r.data)).toEqual([1, 2, 3].map((seq) => ({ orderStatus: { orderId: 'o-order', status: 'PAID', seq } })));
      expect((await subscription.response).headers['content-type']).toMatch(/^text\/event-stream/);
    }
    // yoga's SSE heartbeat (a comment every 12 s; 300 ms under NODE_ENV=test, as here).
    await subscriptions[0]!.until((s) => s.heartbeats() >= 2, 'second heartbeat');
    for (const subscription of subscriptions) subscription.close();
  });

  it('end a subscription whose token is revoked on one instance, on all three within 1 s (TOKEN_REVOKED)', async () => {
    const { bearer, jti, exp } = await token('revoked-user');
    const subscriptions = fleet.map((instance) => subscribe(instance, 'o-revoke', bearer));
    await listening('orders.o-revoke.status', 3);
    // The revocation channel: every instance listens before the revocation is made.
    await listening('portico:revoked:events', 3);
    await publish('o-revoke', { status: 'PAID', seq: 1 });
    for (const subscription of subscriptions) await subscription.until((s) => s.results().length === 1, 'first event');

    const started = performance.now();
    expect((await revokeVia(fleet[0]!, jti, exp)).status).toBe(200);
    const elapsed = await Promise.all(
      subscriptions.map(async (subscription) => {
        await subscription.ended;
        return performance.now() - started;
      }),
    );
    for (const ms of elapsed) expect(ms).toBeLessThan(1000);
    for (const subscription of subscriptions) {
      expect(lastCode(subscription)).toBe('TOKEN_REVOKED');
      expect(subscription.events.at(-1)?.event).toBe('complete');
    }
  });

  it('end a subscription at its token\'s expiry, on all three within 1 s of exp (TOKEN_EXPIRED)', async () => {
    // Two seconds of life: enough to subscribe on three instances of a loaded machine, short
    // enough to wait for. JWT times are whole seconds, so this is the one wall-clock wait.
    const { bearer, exp } = await token('expiring-user', { ttlSeconds: 3 });
    const subscriptions = fleet.map((instance) => subscribe(instance, 'o-expire', bearer));
    await listening('orders.o-expire.status', 3);
    await Promise.all(subscriptions.map((subscription) => subscription.ended));
    const endedAt = Date.now();
    expect(endedAt).toBeGreaterThanOrEqual(exp * 1000);
    expect(endedAt - exp * 1000).toBeLessThan(1000);
    for (const subscription of subscriptions) expect(lastCode(subscription)).toBe('TOKEN_EXPIRED');
  });

  it('never send a denied field: each event has it null with FORBIDDEN, the published value in no byte', async () => {
    const { bearer } = await token('no-internal-scope');
    const query = 'subscription ($id: ID!) { orderStatus(orderId: $id) { orderId seq internalNote } }';
    const subscription = subscribe(fleet[1]!, 'o-denied', bearer, query);
    await listening('orders.o-denied.status', 1);
    for (let seq = 1; seq <= 3; seq += 1) await publish('o-denied', { status: 'PAID', seq, internalNote: `secret-note-${seq}` });
    await subscription.until((s) => s.results().length === 3, 'three events');
    for (const [i, result] of subscription.results().entries()) {
      expect(result.data).toEqual({ orderStatus: { orderId: 'o-denied', seq: i + 1, internalNote: null } });
      expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN', field: 'OrderEvent.internalNote' });
    }
    expect(subscription.raw()).not.toContain('secret-note');
    // A caller holding the scope gets the field: the nulls above are the policy, not the source.
    const allowed = subscribe(fleet[1]!, 'o-denied', (await token('internal', { scope: 'orders:read orders:internal' })).bearer, query);
    // The channel is already subscribed (the first stream): a stream attaches before its response starts.
    await allowed.response;
    await publish('o-denied', { status: 'PAID', seq: 4, internalNote: 'for-insiders' });
    await allowed.until((s) => s.results().length === 1, 'event');
    expect(allowed.results()[0]?.data).toMatchObject({ orderStatus: { internalNote: 'for-insiders' } });
    subscription.close();
    allowed.close();
  });

  it('refuse a principal\'s next subscription past its cap (429 SUBSCRIPTION_LIMIT_REACHED), and the process\'s with 503 and Retry-After', async () => {
    const instance = fleet[2]!;
    const open: SseSubscription[] = [];
    const alice = (await token('alice')).bearer;
    for (let i = 0; i < 2; i += 1) open.push(subscribe(instance, `o-cap-a${i}`, alice));
    for (const subscription of open) await subscription.response;
    const third = subscribe(instance, 'o-cap-a2', alice);
    expect((await third.response).statusCode).toBe(429);
    await third.ended;
    expect(lastCode(third)).toBe('SUBSCRIPTION_LIMIT_REACHED');

    // Alice holds 2 of the process's 6; two more principals fill it.
    for (const sub of ['bob', 'carol']) {
      const bearer = (await token(sub)).bearer;
      for (let i = 0; i < 2; i += 1) open.push(subscribe(instance, `o-cap-${sub}${i}`, bearer));
    }
    for (const subscription of open) expect((await subscription.response).statusCode).toBe(200);
    const full = subscribe(instance, 'o-cap-d', (await token('dave')).bearer);
    const response = await full.response;
    expect(response.statusCode).toBe(503);
    expect(response.headers['retry-after']).toBe('7');
    await full.ended;
    expect(lastCode(full)).toBe('SUBSCRIPTIONS_AT_CAPACITY');
    // Another instance of the fleet has room: the refusal is this process's, not the fleet's.
    const elsewhere = subscribe(fleet[0]!, 'o-cap-d', (await token('dave')).bearer);
    expect((await elsewhere.response).statusCode).toBe(200);
    elsewhere.close();

    // Slots come back when clients leave.
    for (const subscription of open) subscription.close();
    await untilAll([instance], async () => {
      const again = subscribe(instance, 'o-cap-a3', alice);
      const ok = (await again.response).statusCode === 200;
      again.close();
      return ok;
    });
  });

  it('drop a slow consumer with SLOW_CONSUMER while another on the same channel receives every event', async () => {
    const instance = fleet[0]!;
    const slow = subscribe(instance, 'o-slow', (await token('slow')).bearer, 'subscription ($id: ID!) { orderStatus(orderId: $id) { seq blob } }');
    const fast = subscribe(instance, 'o-slow', (await token('fast')).bearer, 'subscription ($id: ID!) { orderStatus(orderId: $id) { seq blob } }');
    await Promise.all([slow.response, fast.response]);
    await listening('orders.o-slow.status', 1);
    await slow.until((s) => s.heartbeats() >= 1, 'stream open');
    slow.pause();
    // 48 events of 256 KB (12 MB): about twice what the socket buffers between the gateway and a stalled client
    // hold here (4 MB send, ~128 KB receive), so the gateway's buffer (4 events) overflows.
    const blob = 'x'.repeat(256 * 1024);
    const events = 48;
    for (let seq = 1; seq <= events; seq += 1) await publish('o-slow', { status: 'PAID', seq, blob });
    // Counted, not parsed, as chunks arrive: parsing 12 MB of events per chunk would be the slow part.
    await fast.until((s) => s.events.length === events, 'every event', 60_000);
    expect(fast.results().map((r) => (r.data?.orderStatus as { seq: number }).seq)).toEqual(Array.from({ length: events }, (_, i) => i + 1));
    slow.resume();
    const { completed } = await slow.ended;
    expect(completed).toBe(true);
    expect(lastCode(slow)).toBe('SLOW_CONSUMER');
    expect(slow.results().length).toBeLessThan(events);
    fast.close();
  }, 120_000);

  it('keep a running subscription on the schema it started on across a reload', async () => {
    const { bearer } = await token('reload-user');
    const before = subscribe(fleet[1]!, 'o-reload', bearer);
    await listening('orders.o-reload.status', 1);
    await config.writeBff({ hide: ['OrderEvent.status'] });
    const reloaded = await fetch(`${fleet[1]!.admin}/admin/reload`, { method: 'POST', headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } });
    expect(reloaded.status).toBe(200);
    // The new schema refuses `status`; the running subscription still gets it.
    const after = subscribe(fleet[1]!, 'o-reload', bearer);
    await after.ended;
    expect(lastCode(after)).toBe('GRAPHQL_VALIDATION_FAILED');
    await publish('o-reload', { status: 'SHIPPED', seq: 1 });
    await before.until((s) => s.results().length === 1, 'event after reload');
    expect(before.results()[0]?.data).toEqual({ orderStatus: { orderId: 'o-reload', status: 'SHIPPED', seq: 1 } });
    before.close();
  });
});
