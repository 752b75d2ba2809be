/**
 * Portico alone: subscriptions over SSE from a Redis event source, on one gateway process:
 *   node --import tsx bench/subscriptionsRedis.ts [--subscriptions 5000] [--events 100]
 *
 * A real redis-server and one `portico start` (the BFF of test/support/eventsDeployment.ts: an
 * `orderStatus` subscription on `orders.<id>.status`). The bench opens `subscriptions` SSE streams
 * (graphql-sse distinct connections: one HTTP/1.1 connection each), all on one channel, then
 * publishes `events` events one after another, each once every stream has the previous one, and
 * reports:
 *   - delivery latency, publish to client receipt, p50 and p99 over every (event, stream) pair;
 *   - RSS per subscription: the gateway's RSS with the streams open, less before, over the count;
 *   - CPU per 1,000 delivered events: the gateway's CPU seconds during the publishing, in ms.
 * The client runs in this process, on the same two cores: its parsing is in the latency figures.
 * Hive Gateway has no Redis event source to set beside it: `npm run bench:subscriptions`
 * (bench/subscriptions.ts) is the side-by-side one, both gateways proxying one upstream subscription.
 * Results are printed and written to .bench-results/subscriptions-redis.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { Agent } from 'node:http';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { SignJWT } from 'jose';
import { cpuSeconds, rssMiB } from './lib/procStats.js';
import { runPortico } from '../test/support/cli.js';
import { writeEventsDeployment } from '../test/support/eventsDeployment.js';
import { startRedis } from '../test/support/redis.js';
import { sseSubscribe, type SseSubscription } from '../test/support/sseSubscription.js';

const { values } = parseArgs({ options: { subscriptions: { type: 'string', default: '5000' }, events: { type: 'string', default: '100' } } });
const count = Number(values.subscriptions);
const events = Number(values.events);
const SECRET = 'bench-subscriptions-secret-0123456789abcdef';

const redis = await startRedis();
const publisher = redis.client();
const config = await writeEventsDeployment({
  name: 'bench-subscriptions',
  redisUrl: redis.url,
  secret: SECRET,
  issuer: 'bench',
  root: { subscriptions: { maxPerProcess: count + 10 } },
  bff: { http: { maxConnections: count + 100 }, subscriptions: { maxPerPrincipal: count } },
});
const gateway = runPortico(['start', '--config', config.rootFile], { PORTICO_ADMIN_TOKEN: 'bench-admin-token-0123456789abcdef0123456789', NODE_ENV: 'production' });
try {
  const [, url] = await gateway.waitForLine(/^app\s+(http:\S+)$/, 100_000);
  const pid = gateway.child.pid!;
  const bearer = await new SignJWT({ scope: 'orders:read' }).setProtectedHeader({ alg: 'HS256' }).setIssuer('bench').setAudience('app').setSubject('bench').setExpirationTime('2h').sign(new TextEncoder().encode(SECRET));
  const rssBefore = rssMiB(pid);
  const agent = new Agent({ keepAlive: false, maxSockets: Infinity });
  const streams: SseSubscription[] = [];
  // Opened in waves of 250, so the connection backlog never overflows.
  for (let i = 0; i < count; i += 250) {
    const wave = Array.from({ length: Math.min(250, count - i) }, () => sseSubscribe({ url: url!, query: 'subscription { orderStatus(orderId: "bench") { seq status } }', token: bearer, agent }));
    for (const stream of wave) if ((await stream.response).statusCode !== 200) throw new Error('a subscription was refused');
    streams.push(...wave);
  }
  const rssOpen = rssMiB(pid);

  // Published only once the gateway's subscriber connection listens: pub/sub keeps no backlog.
  while (((await publisher.pubsub('NUMSUB', 'orders.bench.status')) as [string, number])[1] < 1);
  const latencies: number[] = [];
  const cpuStart = cpuSeconds(pid);
  for (let seq = 1; seq <= events; seq += 1) {
    const sentAt = performance.now();
    await publisher.publish('orders.bench.status', JSON.stringify({ orderId: 'bench', status: 'PAID', seq }));
    await Promise.all(streams.map((stream) => stream.until((s) => s.events.length >= seq, `event ${seq}`, 60_000)));
    for (const stream of streams) latencies.push(stream.events[seq - 1]!.at - sentAt);
  }
  const cpuMs = (cpuSeconds(pid) - cpuStart) * 1000;
  for (const stream of streams) stream.close();
  agent.destroy();

  latencies.sort((a, b) => a - b);
  const pick = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!;
  const result = {
    subscriptions: count,
    events,
    delivered: latencies.length,
    latencyMs: { p50: round(pick(0.5)), p99: round(pick(0.99)) },
    rssKiBPerSubscription: round(((rssOpen - rssBefore) * 1024) / count),
    cpuMsPer1000Events: round((cpuMs * 1000) / latencies.length),
  };
  console.log(JSON.stringify(result, null, 2));
  const out = path.resolve(import.meta.dirname, '..', '.bench-results');
  mkdirSync(out, { recursive: true });
  writeFileSync(path.join(out, 'subscriptions-redis.json'), `${JSON.stringify(result, null, 2)}\n`);
} finally {
  await gateway.stop();
  await redis.stop();
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
