/**
 * Soak: does the gateway hold its memory and latency over a long run of mixed traffic?
 *   npm run bench:soak                      10 minutes (the target run)
 *   npm run bench:soak -- --minutes 2       a smoke run
 *   npm run bench:soak -- --concurrency 8   clients in flight (default 6)
 *
 * Starts the demo (`portico demo`: the four demo subgraphs, the demo IdP, the three BFFs) with a
 * real redis-server on a free port (REDIS_URL), every listener on a free port, and drives the web
 * BFF with a fixed number of clients in a closed loop (pacing is the round trip, so the load
 * follows the machine instead of overrunning it):
 *   - valid queries, each client cycling over 50 users' tokens from the demo IdP (their own data);
 *   - bad inputs, one request in five: malformed JSON, an unknown field, a too-deep query, a bad
 *     token, no query at all, a query with too many aliases;
 *   - a config reload (`POST /admin/reload`) every minute.
 * Each minute it samples the gateway process's RSS (/proc VmRSS) and the p99 of the valid
 * queries answered in that minute, and counts unexpected answers: a 5xx anywhere, or a valid query
 * not answered 200 (429s from rate limiting are counted apart). At the end it prints whether RSS is
 * within 10% of the sample at minute 2 (the heap has warmed up by then; with fewer than 3 minutes,
 * minute 1 stands in, and the verdict means little). Results go to .bench-results/soak.json.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { positive } from './lib/loadOptions.js';
import { rssMiB } from './lib/procStats.js';
import { startRedis } from '../test/support/redis.js';

const root = path.resolve(import.meta.dirname, '..');
const { values } = parseArgs({ options: { minutes: { type: 'string', default: '10' }, concurrency: { type: 'string', default: '6' } } });
const minutes = positive(values.minutes, '--minutes');
const concurrency = positive(values.concurrency, '--concurrency');
const MINUTE_MS = 60_000;
const USERS = 50;
const GROWTH_LIMIT = 0.1;

interface Minute {
  minute: number;
  valid: number;
  bad: number;
  limited: number;
  unexpected: number;
  /** What the unexpected answers were: `status code` (or the transport error) → count. */
  unexpectedBy: Record<string, number>;
  p99Ms: number;
  rssMiB: number;
  reload: string;
}

const SOAK_ADMIN_TOKEN = 'soak-admin-token-0123456789abcdef0123456789';
const redis = await startRedis();
// Not pinned to a CPU: the demo's subgraphs are its children and would share the pin.
const demo = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', 'demo'], {
  cwd: root,
  env: {
    ...process.env,
    REDIS_URL: redis.url,
    LOG_LEVEL: 'warn',
    // The soak measures memory and latency under steady traffic, not the demo plan's 429s, and its
    // reloads go through /admin/*, which needs the admin token.
    DEMO_RATE_LIMIT_POINTS: '100000000',
    PORTICO_ADMIN_TOKEN: SOAK_ADMIN_TOKEN,
    ...Object.fromEntries(['WEB', 'MOBILE', 'PARTNER', 'ADMIN', 'USERS', 'ORDERS', 'PRODUCTS', 'INVENTORY', 'IDP'].map((name) => [`${name}_PORT`, '0'])),
  },
  stdio: ['ignore', 'pipe', 'inherit'],
});
process.once('exit', () => demo.kill('SIGKILL'));
try {
  const { idp, web, admin } = await demoUrls();
  console.log(`soak: ${minutes} min, ${concurrency} clients, web BFF ${web}, redis ${redis.url}, gateway pid ${demo.pid}`);

  const tokens = await Promise.all(
    Array.from({ length: USERS }, async (_, i) => {
      const response = await fetch(`${idp}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ sub: `u${(i % 20) + 1}`, scopes: ['users:read', 'orders:read'], tenant: 't1', aud: 'portico-web', expiresIn: (minutes + 5) * 60 }),
      });
      if (!response.ok) throw new Error(`IdP refused a token: ${response.status} ${await response.text()}`);
      return { sub: `u${(i % 20) + 1}`, bearer: ((await response.json()) as { access_token: string }).access_token };
    }),
  );

  const badInputs: { body: string; headers?: Record<string, string> }[] = [
    { body: '{"query": "{ user(id: \\"u1\\") { id } "' },
    { body: JSON.stringify({ query: '{ nope }' }) },
    { body: JSON.stringify({ query: `{ user(id: "u1") { ${'orders { user { '.repeat(20)}id${' } }'.repeat(20)} } }` }) },
    { body: JSON.stringify({ query: '{ user(id: "u1") { id } }' }), headers: { authorization: 'Bearer not.a.token' } },
    { body: JSON.stringify({}) },
    { body: JSON.stringify({ query: `{ ${Array.from({ length: 300 }, (_, i) => `a${i}: __typename`).join(' ')} }` }) },
  ];

  const started = Date.now();
  const end = started + minutes * MINUTE_MS;
  let current = fresh();
  const samples: Minute[] = [];
  let sent = 0;

  const client = async (n: number) => {
    for (let i = n; Date.now() < end; i += concurrency) {
      const bad = i % 5 === 4 ? badInputs[i % badInputs.length]! : undefined;
      const token = tokens[i % tokens.length]!;
      const body = bad?.body ?? JSON.stringify({ query: `{ user(id: "${token.sub}") { id name } }` });
      const headers = { 'content-type': 'application/json', accept: 'application/graphql-response+json', ...(bad ? bad.headers : { authorization: `Bearer ${token.bearer}` }) };
      const at = performance.now();
      sent += 1;
      const bucket = current;
      const unexpected = (what: string) => {
        bucket.unexpected += 1;
        bucket.unexpectedBy[what] = (bucket.unexpectedBy[what] ?? 0) + 1;
      };
      try {
        const response = await fetch(web, { method: 'POST', headers, body });
        const text = await response.text();
        if (response.status === 429) bucket.limited += 1;
        else if (response.status < 500 && bad) bucket.bad += 1;
        else if (response.status === 200 && !text.includes('"errors"')) {
          bucket.valid += 1;
          bucket.latencies.push(performance.now() - at);
        } else unexpected(`${response.status} ${/"code":"(\w+)"/.exec(text)?.[1] ?? ''}`.trim());
      } catch (error) {
        unexpected(error instanceof Error ? error.message : String(error));
      }
    }
  };

  const sampler = (async () => {
    for (let minute = 1; minute <= minutes; minute += 1) {
      await new Promise((resolve) => setTimeout(resolve, started + minute * MINUTE_MS - Date.now()));
      const done = current;
      current = fresh();
      const reload = minute < minutes ? await fetch(`${admin}/admin/reload`, { method: 'POST', headers: { authorization: `Bearer ${SOAK_ADMIN_TOKEN}` } }).then((r) => String(r.status), (e: Error) => e.message) : '-';
      const sample: Minute = {
        minute,
        valid: done.valid,
        bad: done.bad,
        limited: done.limited,
        unexpected: done.unexpected,
        unexpectedBy: done.unexpectedBy,
        p99Ms: round(percentile(done.latencies, 0.99)),
        rssMiB: round(rssMiB(demo.pid!)),
        reload,
      };
      samples.push(sample);
      console.log(
        `minute ${String(minute).padStart(2)}: valid ${sample.valid}, bad ${sample.bad}, 429 ${sample.limited}, unexpected ${sample.unexpected}${sample.unexpected ? ` ${JSON.stringify(sample.unexpectedBy)}` : ''}, p99 ${sample.p99Ms} ms, RSS ${sample.rssMiB} MiB, reload ${reload}`,
      );
    }
  })();
  await Promise.all([...Array.from({ length: concurrency }, (_, n) => client(n)), sampler]);

  const baseline = samples[minutes >= 3 ? 1 : 0]!;
  const last = samples.at(-1)!;
  const growth = (last.rssMiB - baseline.rssMiB) / baseline.rssMiB;
  const unexpected = samples.reduce((sum, sample) => sum + sample.unexpected, 0);
  const held = growth <= GROWTH_LIMIT;
  const verdict = `soak: ${sent} requests in ${minutes} min; RSS at the end ${last.rssMiB} MiB vs minute ${baseline.minute} ${baseline.rssMiB} MiB: ${growth >= 0 ? '+' : ''}${round(growth * 100)}% — ${held ? 'within' : 'NOT within'} 10%; p99 minute ${baseline.minute} ${baseline.p99Ms} ms, last ${last.p99Ms} ms; unexpected answers ${unexpected}${minutes < 3 ? ' (under 3 minutes: minute 1 stands in for minute 2, a smoke run only)' : ''}`;
  console.log(verdict);
  mkdirSync(path.join(root, '.bench-results'), { recursive: true });
  writeFileSync(path.join(root, '.bench-results', 'soak.json'), JSON.stringify({ minutes, concurrency, samples, growth, held, unexpected, verdict }, null, 2));
  process.exitCode = held && unexpected === 0 ? 0 : 1;
} finally {
  await new Promise((resolve) => {
    demo.once('exit', resolve);
    demo.kill('SIGTERM');
  });
  await redis.stop();
}

/** The URLs `portico demo` prints once it serves (its stdout read by one reader, so no line is missed). */
function demoUrls(): Promise<{ idp: string; web: string; admin: string }> {
  const found: Record<string, string> = {};
  const patterns = { idp: /^subgraph idp\s+(\S+)/, web: /^bff\s+web\s+(\S+)/, admin: /^admin\s+metrics\s+(\S+)\/metrics/ };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`portico demo did not start within 300 s (seen: ${JSON.stringify(found)})`)), 300_000);
    demo.once('exit', (code) => reject(new Error(`portico demo exited with ${code} before it served`)));
    createInterface({ input: demo.stdout! }).on('line', (line) => {
      for (const [name, pattern] of Object.entries(patterns)) {
        const match = pattern.exec(line);
        if (match) found[name] = match[1]!;
      }
      if (found.idp && found.web && found.admin) {
        clearTimeout(timer);
        resolve(found as { idp: string; web: string; admin: string });
      }
    });
  });
}

function fresh() {
  return { latencies: [] as number[], valid: 0, bad: 0, limited: 0, unexpected: 0, unexpectedBy: {} as Record<string, number> };
}

function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]!;
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}
