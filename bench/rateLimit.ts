/**
 * What the Redis rate limiter costs against the in-memory one, as a throughput ratio, in one run:
 *   node --import tsx bench/rateLimit.ts [--duration 4] [--connections 16] [--rounds 3]
 *
 * One gateway process (`portico start`, config bench/rate-limit/) serves two BFFs that differ only
 * in where their buckets live: `bench-memory` (this process's memory) and `bench-redis` (a real
 * redis-server on a free port, one EVALSHA per request). Every request is admitted and charged to
 * two buckets (global, caller's address). Two queries:
 *   - `{ ping { ok } }` (cost 1, no source): the gateway alone, so the limiter's share is as large
 *     as it can be;
 *   - `{ user(id: "u1") { name } }` (cost 1, the users subgraph): a request as the demo serves it.
 * Rounds alternate memory and Redis, so drift in the machine's load hits both alike; the figures
 * are medians over the rounds. Target: Redis at ≥ 85 % of memory's throughput.
 *
 * Two ratios are reported. `throughput` is requests per second, Redis over memory: what a client
 * sees, but on a two-core box shared with the load generator, the subgraph and redis-server it
 * moves with everything else running. `cpu` is the gateway process's own CPU per request, memory
 * over Redis: the throughput ratio of a gateway that is CPU-bound with Redis on another host (the
 * production shape), and far steadier on a busy machine. Last, the limiter alone in this process:
 * CPU µs per decision of each store (32 decisions in flight), the gateway-side price of a Redis
 * round trip.
 *
 * Bounded: 2 s of warm-up per BFF and query, then duration × 2 × 2 × rounds seconds of load (48 s
 * by default), plus a few seconds of start-up. Results are printed and written to
 * .bench-results/rate-limit.json.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import autocannon from 'autocannon';
import { Redis } from 'ioredis';
import { cpuSeconds } from './lib/procStats.js';
import { createMemoryRateLimitStore } from '../src/stores/rate-limit/memoryRateLimitStore.js';
import type { Bucket, RateLimitStore } from '../src/stores/rate-limit/rateLimitStore.js';
import { createRedisRateLimitStore } from '../src/stores/rate-limit/redisRateLimitStore.js';
import { parseLoadOptions } from './lib/loadOptions.js';
import { freePort } from './lib/processes.js';

const root = path.resolve(import.meta.dirname, '..');
const TARGET_RATIO = 0.85;

const { durationSeconds, connections, rounds } = parseLoadOptions({ durationSeconds: 4, connections: 16, rounds: 3 });

const children: ChildProcess[] = [];
process.once('exit', () => children.forEach((child) => child.kill('SIGKILL')));

/** Spawns a process and resolves with the first stdout/stderr line matching `ready`. */
function start(command: string, args: string[], ready: RegExp, env: Record<string, string> = {}): Promise<{ child: ChildProcess; lines: string[] }> {
  const child = spawn(command, args, { cwd: root, env: { ...process.env, LOG_LEVEL: 'warn', ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  children.push(child);
  const lines: string[] = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${command} ${args.join(' ')}: not ready in 30 s\n${lines.join('\n')}`)), 30_000);
    const onLine = (line: string) => {
      lines.push(line);
      if (ready.test(line)) {
        clearTimeout(timer);
        resolve({ child, lines });
      }
    };
    createInterface({ input: child.stdout! }).on('line', onLine);
    createInterface({ input: child.stderr! }).on('line', onLine);
    child.once('exit', (code) => reject(new Error(`${command} exited with ${code}\n${lines.join('\n')}`)));
  });
}

interface Run {
  rps: number;
  p99: number;
  non2xx: number;
  /** Gateway CPU µs per request. */
  cpuUs: number;
}

async function load(url: string, query: string, seconds: number, gatewayPid: number): Promise<Run> {
  const cpuBefore = cpuSeconds(gatewayPid);
  const result = await autocannon({
    url,
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json' },
    body: JSON.stringify({ query }),
    connections,
    duration: seconds,
    timeout: 10,
  });
  const cpuUs = ((cpuSeconds(gatewayPid) - cpuBefore) * 1e6) / Math.max(1, result.requests.total);
  return { rps: result.requests.total / result.duration, p99: result.latency.p99, non2xx: result.non2xx + result.errors, cpuUs };
}

/** CPU µs per decision and decisions per second of `store`, 32 in flight. */
async function decisionCost(store: RateLimitStore, decisions: number): Promise<{ cpuUs: number; perSecond: number }> {
  const buckets: Bucket[] = [
    { key: 'global', limit: 1e12, windowMs: 60_000 },
    { key: 'anonymous:192.0.2.1', limit: 1e12, windowMs: 60_000 },
  ];
  for (let i = 0; i < decisions / 10; i++) await store.consume(buckets, 1);
  const cpu = process.cpuUsage();
  const started = performance.now();
  let sent = 0;
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      while (sent < decisions) {
        sent++;
        await store.consume(buckets, 1);
      }
    }),
  );
  const used = process.cpuUsage(cpu);
  return { cpuUs: (used.user + used.system) / decisions, perSecond: decisions / ((performance.now() - started) / 1000) };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

async function main() {
  const redisPort = await freePort();
  await start('redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], /Ready to accept connections/);
  const users = await start(process.execPath, ['--import', 'tsx', 'subgraphs/run.ts', 'users', '--port', '0', '--exit-with-stdin'], /^READY users (\S+)/);
  const usersUrl = /^READY users (\S+)/.exec(users.lines.at(-1)!)![1]!;
  const gateway = await start(
    process.execPath,
    ['--import', 'tsx', 'src/main.ts', 'start', '--config', 'bench/rate-limit/portico.config.ts'],
    /^bench-redis\s+\S+/,
    { BENCH_REDIS_URL: `redis://127.0.0.1:${redisPort}`, USERS_URL: usersUrl },
  );
  const urlOf = (name: string) => new RegExp(`^${name}\\s+(\\S+)`).exec(gateway.lines.find((line) => line.startsWith(name))!)![1]!;
  const arms = { memory: urlOf('bench-memory'), redis: urlOf('bench-redis') };

  const queries = { gatewayOnly: '{ ping { ok } }', withSource: '{ user(id: "u1") { name } }' };
  const report: Record<
    string,
    { memoryRps: number; redisRps: number; ratio: number; memoryCpuUs: number; redisCpuUs: number; cpuRatio: number; memoryP99: number; redisP99: number; failures: number }
  > = {};
  const pid = gateway.child.pid!;
  for (const [name, query] of Object.entries(queries)) {
    for (const url of Object.values(arms)) await load(url, query, 2, pid); // warm-up: JIT, pools, script cache
    const runs: Record<'memory' | 'redis', Run[]> = { memory: [], redis: [] };
    for (let round = 0; round < rounds; round++) {
      // Alternate which goes first, so a trend in the machine's load does not favour either.
      const order = round % 2 === 0 ? (['memory', 'redis'] as const) : (['redis', 'memory'] as const);
      for (const arm of order) runs[arm].push(await load(arms[arm], query, durationSeconds, pid));
    }
    const memoryRps = median(runs.memory.map((run) => run.rps));
    const redisRps = median(runs.redis.map((run) => run.rps));
    const memoryCpuUs = median(runs.memory.map((run) => run.cpuUs));
    const redisCpuUs = median(runs.redis.map((run) => run.cpuUs));
    report[name] = {
      memoryRps: Math.round(memoryRps),
      redisRps: Math.round(redisRps),
      ratio: Number((redisRps / memoryRps).toFixed(3)),
      memoryCpuUs: Math.round(memoryCpuUs),
      redisCpuUs: Math.round(redisCpuUs),
      cpuRatio: Number((memoryCpuUs / redisCpuUs).toFixed(3)),
      memoryP99: median(runs.memory.map((run) => run.p99)),
      redisP99: median(runs.redis.map((run) => run.p99)),
      failures: [...runs.memory, ...runs.redis].reduce((sum, run) => sum + run.non2xx, 0),
    };
  }

  console.log(`\nrate limiter: Redis vs memory (${connections} connections, ${rounds} × ${durationSeconds} s per arm, medians)`);
  console.log('query          memory req/s   redis req/s   throughput ratio   gateway CPU µs/req (mem/redis)   cpu ratio   p99 ms (mem/redis)   non-2xx');
  for (const [name, row] of Object.entries(report)) {
    console.log(
      `${name.padEnd(14)} ${String(row.memoryRps).padStart(12)} ${String(row.redisRps).padStart(13)}   ${row.ratio.toFixed(3).padStart(16)}   ${`${row.memoryCpuUs}/${row.redisCpuUs}`.padStart(30)}   ${row.cpuRatio.toFixed(3).padStart(9)}   ${`${row.memoryP99}/${row.redisP99}`.padStart(18)}   ${row.failures}`,
    );
  }
  const client = new Redis(redisPort, '127.0.0.1', { enableAutoPipelining: true, enableOfflineQueue: false });
  await new Promise((resolve) => client.once('ready', resolve));
  const micro = { memory: [] as { cpuUs: number; perSecond: number }[], redis: [] as { cpuUs: number; perSecond: number }[] };
  for (let round = 0; round < 3; round++) {
    micro.memory.push(await decisionCost(createMemoryRateLimitStore(), 30_000));
    micro.redis.push(await decisionCost(createRedisRateLimitStore({ client, namespace: 'bench-micro' }), 30_000));
  }
  client.disconnect();
  const limiterAlone = {
    memoryCpuUs: Number(median(micro.memory.map((run) => run.cpuUs)).toFixed(1)),
    redisCpuUs: Number(median(micro.redis.map((run) => run.cpuUs)).toFixed(1)),
    redisDecisionsPerSecond: Math.round(median(micro.redis.map((run) => run.perSecond))),
  };
  console.log(
    `limiter alone   memory ${limiterAlone.memoryCpuUs} µs CPU/decision, Redis ${limiterAlone.redisCpuUs} µs CPU/decision (${limiterAlone.redisDecisionsPerSecond} decisions/s from one client)\n`,
  );

  const worst = (key: 'ratio' | 'cpuRatio') => Math.min(...Object.values(report).map((row) => row[key]));
  for (const [label, key] of [['throughput', 'ratio'], ['cpu', 'cpuRatio']] as const) {
    console.log(`worst ${label} ratio ${worst(key).toFixed(3)}: ${worst(key) >= TARGET_RATIO ? 'meets' : 'MISSES'} the ${TARGET_RATIO * 100} % target`);
  }
  console.log(`(load average during the run: ${(await import('node:os')).loadavg().map((n) => n.toFixed(1)).join(' ')})`);
  mkdirSync(path.join(root, '.bench-results'), { recursive: true });
  writeFileSync(path.join(root, '.bench-results', 'rate-limit.json'), `${JSON.stringify({ connections, durationSeconds, rounds, target: TARGET_RATIO, report, limiterAlone }, null, 2)}\n`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
