/**
 * What authentication costs, with and without the verified-token cache, in one run:
 *   node --import tsx bench/auth.ts [--duration 3] [--connections 16] [--rounds 3]
 *
 * 1. In process, CPU per call of the auth core: a verified-token cache hit (what nearly every
 *    request pays), the same plus the signed identity headers (what the plugin does per request),
 *    and a full RS256 / ES256 verification (the cache off).
 * 2. The web BFF's real schema and pipeline in a child process (bench/authTarget.ts), in four
 *    variants: no auth plugin (anonymous); the principal set by one line (what later plugins cost
 *    for an authenticated caller, the floor for measuring the plugin itself); the auth plugin with
 *    the cache; the auth plugin without it. A `{ __typename }` query, so nothing but the gateway is
 *    measured and auth's share is as large as it can be.
 *    a. in process (yoga's fetch handler, no sockets): CPU per request, the best of interleaved
 *       rounds. The steadiest figure, and the one the <5 % target is judged on (the throughput
 *       of a CPU-bound server is the inverse of its CPU per request).
 *    b. over HTTP with autocannon, the child pinned to one core and the load to the other:
 *       throughput, p99 and the child's CPU per request.
 *
 * Bounded: ~20 s in process, then 8 s of warm-up plus duration × 4 × rounds seconds of load
 * (36 s by default), plus ~5 s of start-up and micro runs. Figures are medians over the rounds.
 * Run it on a quiet machine: other load on the two cores moves the HTTP figures far more than
 * auth does. Results are printed and written to .bench-results/auth.json.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import autocannon from 'autocannon';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { authSchema } from '../src/config/authSchema.js';
import type { Principal } from '../src/context/principal.js';
import { createIdentityHeaderWriter } from '../src/plugins/auth/identityHeaders.js';
import { useAuth } from '../src/plugins/auth/useAuth.js';
import { parseLoadOptions } from './lib/loadOptions.js';

const root = path.resolve(import.meta.dirname, '..');
const TARGETS = { cacheHitCpuUs: 50, cachedThroughputLossPercent: 5 };

const { durationSeconds, connections, rounds } = parseLoadOptions({ durationSeconds: 3, connections: 16, rounds: 3 });

const cpuMicros = () => {
  const usage = process.cpuUsage();
  return usage.user + usage.system;
};

/** CPU µs per call of `fn` over `n` calls (after a warm-up of n/10). */
function cpuPerCall(n: number, fn: () => unknown): number {
  for (let i = 0; i < n / 10; i += 1) fn();
  const before = cpuMicros();
  for (let i = 0; i < n; i += 1) fn();
  return (cpuMicros() - before) / n;
}

async function cpuPerAsyncCall(n: number, fn: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < n / 10; i += 1) await fn();
  const before = cpuMicros();
  for (let i = 0; i < n; i += 1) await fn();
  return (cpuMicros() - before) / n;
}

async function micro() {
  const results: Record<string, number> = {};
  for (const alg of ['RS256', 'ES256'] as const) {
    const { privateKey, publicKey } = await generateKeyPair(alg);
    const jwk = { ...(await exportJWK(publicKey)) };
    const config = (maxEntries: number) =>
      authSchema.parse({ jwt: { keys: [{ kid: 'k', alg, jwk }], issuer: 'i', audience: 'a', cache: { maxEntries } } });
    const token = await new SignJWT({ iss: 'i', aud: 'a', sub: 'u1', tenant: 't1', scope: 'orders:read products:read', jti: 'j1', exp: Math.floor(Date.now() / 1000) + 3600 })
      .setProtectedHeader({ alg, kid: 'k', typ: 'JWT' })
      .sign(privateKey);
    const header = `Bearer ${token}`;
    const cached = useAuth({ ...config(10_000), realm: 'bench' }).authenticator;
    const uncached = useAuth({ ...config(0), realm: 'bench' }).authenticator;
    await cached.authenticate(header, null);

    if (alg === 'RS256') {
      results['cacheHitUs'] = cpuPerCall(300_000, () => cached.authenticate(header, null));
      const writer = createIdentityHeaderWriter({ secret: 'bench-identity-secret-0123456789abcdef' });
      const principal = cached.authenticate(header, null);
      if (principal instanceof Promise) throw new Error('a cache hit with the memory store should not return a promise');
      results['cacheHitWithHeadersUs'] = cpuPerCall(300_000, () => {
        const upstreamHeaders: Record<string, string> = {};
        writer.write(cached.authenticate(header, null) as Principal, upstreamHeaders);
        return upstreamHeaders;
      });
      results['anonymousWithHeadersUs'] = cpuPerCall(300_000, () => {
        const upstreamHeaders: Record<string, string> = {};
        writer.write(cached.authenticate(null, null) as Principal, upstreamHeaders);
        return upstreamHeaders;
      });
    }
    results[`fullVerify${alg}Us`] = await cpuPerAsyncCall(3_000, () => Promise.resolve(uncached.authenticate(header, null)));
  }
  return results;
}

// ── HTTP ──────────────────────────────────────────────────────────────────────────────────────

const hasTaskset = (() => {
  try {
    execFileSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

async function startTarget(): Promise<{ child: ChildProcess; urls: Record<string, string>; tokens: string[] }> {
  const args = ['--import', 'tsx', path.join(root, 'bench/authTarget.ts'), String(connections)];
  const child = hasTaskset
    ? spawn('taskset', ['-c', '0', process.execPath, ...args], { cwd: root, stdio: ['ignore', 'pipe', 'inherit', 'ipc'] })
    : spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
  process.once('exit', () => child.kill('SIGKILL'));
  if (hasTaskset) execFileSync('taskset', ['-cp', '1', String(process.pid)], { stdio: 'ignore' });
  const ready = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (line.startsWith('READY ')) resolve(line.slice(6));
    });
    child.once('exit', (code) => reject(new Error(`bench/authTarget.ts exited with ${code}`)));
  });
  return { child, ...(JSON.parse(ready) as { urls: Record<string, string>; tokens: string[] }) };
}

function childCpu(child: ChildProcess): Promise<number> {
  return new Promise((resolve) => {
    child.once('message', (usage) => resolve((usage as NodeJS.CpuUsage).user + (usage as NodeJS.CpuUsage).system));
    child.send('cpu');
  });
}

interface LoadRun {
  rps: number;
  requests: number;
  cpuUsPerRequest: number;
  p99Ms: number;
  failures: number;
}

async function load(child: ChildProcess, url: string, tokens: readonly string[], seconds: number): Promise<LoadRun> {
  const before = await childCpu(child);
  const headers = { 'content-type': 'application/json', accept: 'application/graphql-response+json' };
  let next = 0;
  const result = await autocannon({
    url,
    method: 'POST',
    headers,
    body: JSON.stringify({ query: '{ __typename }' }),
    connections,
    duration: seconds,
    // Each connection its own caller (token), as real clients are.
    setupClient: (client) => client.setHeaders({ ...headers, authorization: `Bearer ${tokens[next++ % tokens.length]}` }),
  });
  const cpu = (await childCpu(child)) - before;
  const requests = result.requests.total;
  return {
    rps: requests / result.duration,
    requests,
    cpuUsPerRequest: cpu / Math.max(1, requests),
    p99Ms: result.latency.p99,
    failures: result.non2xx + result.errors + result.timeouts,
  };
}

const VARIANTS = ['bare', 'principalOnly', 'cached', 'uncached'] as const;
type Variant = (typeof VARIANTS)[number];
const LABELS: Record<Variant, string> = {
  bare: 'no auth plugin (anonymous)',
  principalOnly: 'principal set, no auth plugin',
  cached: 'auth plugin, cache on',
  uncached: 'auth plugin, cache off',
};

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

const IN_PROCESS = { rounds: 15, perRound: 1_000 };

/**
 * CPU per request of each variant: the minimum over interleaved rounds. Other processes on the
 * machine only ever add to a round's cost (cache pollution, frequency), never take from it, so
 * the cleanest round is the best estimate of the intrinsic cost; the median is kept alongside.
 */
function inProcess(child: ChildProcess): Promise<{ min: Record<Variant, number>; median: Record<Variant, number> }> {
  return new Promise((resolve, reject) => {
    child.once('message', (message) => {
      const answer = message as { samples?: Record<Variant, number[]>; error?: string };
      if (answer.error !== undefined || !answer.samples) return reject(new Error(answer.error));
      const by = (pick: (values: number[]) => number) =>
        Object.fromEntries(VARIANTS.map((name) => [name, pick(answer.samples![name])])) as Record<Variant, number>;
      resolve({ min: by((values) => Math.min(...values)), median: by(median) });
    });
    child.send({ inProcess: IN_PROCESS });
  });
}

interface HttpFigures {
  rps: number;
  cpuUsPerRequest: number;
  p99Ms: number;
  failures: number;
}

async function gateway(): Promise<{ pipeline: { min: Record<Variant, number>; median: Record<Variant, number> }; overHttp: Record<Variant, HttpFigures> }> {
  const { child, urls, tokens } = await startTarget();
  const runs = Object.fromEntries(VARIANTS.map((name) => [name, [] as LoadRun[]])) as Record<Variant, LoadRun[]>;
  let pipeline: { min: Record<Variant, number>; median: Record<Variant, number> };
  try {
    pipeline = await inProcess(child);
    // Warm every variant before measuring any: the first one run must not pay the JIT for all.
    for (const name of VARIANTS) await load(child, urls[name]!, tokens, 2);
    for (let round = 0; round < rounds; round += 1) {
      // Rotate the order between rounds so drift (JIT, GC, a noisy neighbour) does not favour one.
      for (let i = 0; i < VARIANTS.length; i += 1) {
        const name = VARIANTS[(i + round) % VARIANTS.length]!;
        runs[name].push(await load(child, urls[name]!, tokens, durationSeconds));
      }
    }
  } finally {
    child.kill('SIGTERM');
  }
  const of = (list: LoadRun[], key: keyof LoadRun) => median(list.map((run) => run[key]));
  const overHttp = Object.fromEntries(
    VARIANTS.map((name) => [
      name,
      {
        rps: of(runs[name], 'rps'),
        cpuUsPerRequest: of(runs[name], 'cpuUsPerRequest'),
        p99Ms: of(runs[name], 'p99Ms'),
        failures: runs[name].reduce((sum, run) => sum + run.failures, 0),
      },
    ]),
  ) as Record<Variant, HttpFigures>;
  return { pipeline, overHttp };
}

async function main() {
  const m = await micro();
  const { pipeline, overHttp: h } = await gateway();
  const p = pipeline.min;
  /** Throughput lost going from `from` to `to`, in %, for a CPU-bound server (throughput = 1 / CPU). */
  const loss = (from: number, to: number) => (1 - from / to) * 100;
  const derived = {
    cacheHitVsFullVerify: m['fullVerifyRS256Us']! / m['cacheHitUs']!,
    // The auth plugin itself: against the same pipeline with the same principal set for free.
    pluginCpuUsCached: p.cached - p.principalOnly,
    pluginCpuUsUncached: p.uncached - p.principalOnly,
    pluginThroughputLossCachedPercent: loss(p.principalOnly, p.cached),
    pluginThroughputLossUncachedPercent: loss(p.principalOnly, p.uncached),
    // End to end: an authenticated request against an anonymous one with no auth plugin at all.
    authenticatedVsBareLossCachedPercent: loss(p.bare, p.cached),
    authenticatedVsBareLossUncachedPercent: loss(p.bare, p.uncached),
    // Below ~1 µs the cache-on cost is lost in the noise of a ~150 µs pipeline; the ratio then
    // uses the in-process cache-hit figure, which is what the plugin adds on a hit.
    pluginCpuUncachedOverCached: (p.uncached - p.principalOnly) / Math.max(p.cached - p.principalOnly, m['cacheHitWithHeadersUs']!),
    httpThroughputCachedOverUncached: h.cached.rps / h.uncached.rps,
    httpThroughputLossCachedPercent: (1 - h.cached.rps / h.principalOnly.rps) * 100,
  };
  const summary = {
    micro: m,
    pipelineCpuUsPerRequest: pipeline,
    http: h,
    derived,
    settings: { durationSeconds, connections, rounds, inProcess: IN_PROCESS, pinned: hasTaskset, node: process.version },
  };

  const f = (value: number, digits = 1) => value.toFixed(digits);
  const verdict = (ok: boolean) => (ok ? 'meets' : 'MISSES');
  const lines = [
    'auth benchmark (bench/auth.ts)',
    '',
    'CPU per call, in process:',
    `  verified-token cache hit            ${f(m['cacheHitUs']!, 2)} µs   (target < ${TARGETS.cacheHitCpuUs} µs: ${verdict(m['cacheHitUs']! < TARGETS.cacheHitCpuUs)})`,
    `  cache hit + signed identity headers ${f(m['cacheHitWithHeadersUs']!, 2)} µs`,
    `  anonymous + signed identity headers ${f(m['anonymousWithHeadersUs']!, 2)} µs`,
    `  full verification RS256 (no cache)  ${f(m['fullVerifyRS256Us']!, 1)} µs`,
    `  full verification ES256 (no cache)  ${f(m['fullVerifyES256Us']!, 1)} µs`,
    `  full verification / cache hit       ${f(derived.cacheHitVsFullVerify, 0)}x`,
    '',
    `Web BFF pipeline in process (no sockets), { __typename }, best (median) of ${IN_PROCESS.rounds} × ${IN_PROCESS.perRound} requests:`,
    ...VARIANTS.map((name) => `  ${LABELS[name].padEnd(32)} ${f(p[name]).padStart(6)} µs CPU/req (${f(pipeline.median[name])})`),
    `  auth plugin, cache on:  ${derived.pluginCpuUsCached < 1 ? '< 1 µs/req (below the noise floor)' : `+${f(derived.pluginCpuUsCached)} µs/req`}, ${f(derived.pluginThroughputLossCachedPercent)}% of throughput (target < ${TARGETS.cachedThroughputLossPercent}%: ${verdict(derived.pluginThroughputLossCachedPercent < TARGETS.cachedThroughputLossPercent)})`,
    `  auth plugin, cache off: +${f(derived.pluginCpuUsUncached)} µs/req, ${f(derived.pluginThroughputLossUncachedPercent)}% of throughput`,
    `  cache off / cache on:   ${f(derived.pluginCpuUncachedOverCached)}x the auth plugin's CPU`,
    `  authenticated (cache on) vs anonymous without auth: ${f(derived.authenticatedVsBareLossCachedPercent)}% of throughput (includes later plugins' work for a known caller)`,
    '',
    `HTTP, { __typename }, ${connections} connections, median of ${rounds} × ${durationSeconds} s${hasTaskset ? ', gateway and load on separate cores' : ''}:`,
    ...VARIANTS.map(
      (name) =>
        `  ${LABELS[name].padEnd(32)} ${f(h[name].rps, 0).padStart(7)} req/s  ${f(h[name].cpuUsPerRequest).padStart(6)} µs CPU/req  p99 ${f(h[name].p99Ms, 2)} ms`,
    ),
    `  throughput, cache on / cache off: ${f(derived.httpThroughputCachedOverUncached, 2)}x; auth plugin (cache on) vs principal set: ${f(derived.httpThroughputLossCachedPercent)}% of throughput`,
  ];
  const failures = VARIANTS.reduce((sum, name) => sum + h[name].failures, 0);
  if (failures > 0) lines.push(`  WARNING: ${failures} failed responses; figures are not comparable`);
  process.stdout.write(`${lines.join('\n')}\n`);
  mkdirSync(path.join(root, '.bench-results'), { recursive: true });
  writeFileSync(path.join(root, '.bench-results/auth.json'), `${JSON.stringify(summary, null, 2)}\n`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
