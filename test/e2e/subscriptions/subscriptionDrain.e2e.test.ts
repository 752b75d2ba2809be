import { Agent } from 'node:http';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startFleet, type FleetInstance } from '../../support/fleet.js';
import { TEST_ADMIN_TOKEN } from '../../support/portico.js';
import { startRedis, type RedisHandle } from '../../support/redis.js';
import { sseSubscribe, type SseSubscription } from '../../support/sseSubscription.js';
import { writeEventsDeployment } from '../../support/eventsDeployment.js';

const SECRET = 'subscriptions-drain-secret-0123456789abcdef';
const DRAIN_MS = 10_000;
const STREAMS = 1_000;

let redis: RedisHandle;
let instance: FleetInstance;

beforeAll(async () => {
  redis = await startRedis();
  const config = await writeEventsDeployment({
    name: 'subscriptions-drain',
    redisUrl: redis.url,
    secret: SECRET,
    issuer: 'drain',
    root: { shutdown: { drainTimeoutMs: DRAIN_MS } },
    bff: { http: { maxConnections: STREAMS + 100 }, subscriptions: { maxPerPrincipal: STREAMS } },
  });
  [instance] = (await startFleet(1, config.rootFile, { PORTICO_ADMIN_TOKEN: TEST_ADMIN_TOKEN })) as [FleetInstance];
}, 120_000);
afterAll(async () => {
  await instance?.process.stop();
  await redis?.stop();
});

it('SIGTERM with 1,000 open subscriptions: every client gets a completion, and the process exits 0 within the drain window', async () => {
  const bearer = await new SignJWT({ scope: 'orders:read' })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuer('drain')
    .setAudience('app')
    .setSubject('drain-user')
    .setExpirationTime('30m')
    .sign(new TextEncoder().encode(SECRET));
  // One SSE stream per HTTP/1.1 connection, as browsers open them (graphql-sse distinct connections).
  const agent = new Agent({ keepAlive: false, maxSockets: Infinity });
  const streams: SseSubscription[] = [];
  // Opened in waves of 100: a thousand requests at once on a loaded two-core machine would wait
  // past the gateway's header timeout (408) before it read them.
  for (let i = 0; i < STREAMS; i += 100) {
    const wave = Array.from({ length: 100 }, () => sseSubscribe({ url: instance.url, query: 'subscription { orderStatus(orderId: "drain") { seq } }', token: bearer, agent }));
    for (const stream of wave) expect((await stream.response).statusCode).toBe(200);
    streams.push(...wave);
  }

  const signalled = performance.now();
  instance.process.child.kill('SIGTERM');
  const ends = await Promise.all(streams.map((stream) => stream.ended));
  const exit = await instance.process.exited;
  const exitedAfter = performance.now() - signalled;

  expect(ends.filter((end) => end.completed)).toHaveLength(STREAMS);
  // No error on the way out: the drain is a completion, the client reconnects elsewhere.
  expect(streams.filter((stream) => stream.results().length > 0)).toHaveLength(0);
  expect(exit.code).toBe(0);
  expect(exitedAfter).toBeLessThan(DRAIN_MS);
  agent.destroy();
}, 120_000);
