/**
 * What a mirrored copy costs the served call, in CPU, measured in one process (bench/README.md):
 *   npm run bench:mirror-cost [-- --calls 2000] [--blocks 10] [--connections 16]
 *
 * bench/mirror.ts measures the client's p99 through a whole gateway; on a machine shared with
 * others that latency moves by tens of percent from one five-second run to the next. This one
 * measures only the part mirroring adds, with a noise a neighbour cannot fake: CPU time of this
 * process per served call. This process plays the gateway's transport layer on CPU 0 (the real
 * `createSourceTransports` over the real pool): `users` plain, and `users-mirrored`, the same
 * source copying every read (100 %) to a shadow. Two tiny upstream processes on CPU 1
 * (bench/mirror/upstream.ts) answer: the source always, the shadow healthy, failing (500),
 * hanging, or resetting each connection. Per shadow mode, blocks of `--calls` calls alternate
 * plain and mirrored (order flipped each block); each block's CPU µs per call is taken, and the
 * figure is the median of the per-block differences. The mirror's own counters are printed, to
 * show what the copies did (compared, failed, paused, skipped).
 */
import { execFileSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import path from 'node:path';
import { pino } from 'pino';
import { register } from 'prom-client';
import { sourceSchema } from '../src/config/schema.js';
import type { LoadedSource } from '../src/config/loadConfig.js';
import { createHttpClient } from '../src/transport/httpClient.js';
import { createSourceTransports } from '../src/transport/createSourceTransports.js';
import type { HttpCall } from '../src/transport/upstreamCall.js';
import { positive } from './lib/loadOptions.js';
import { ProcessGroup, waitForLine } from './lib/processes.js';
import { median } from './lib/report.js';

const root = path.resolve(import.meta.dirname, '..');
const MODES = ['healthy', 'failing', 'hanging', 'down'] as const;
const VARIANTS = ['plain', 'versioned', 'mirrored'] as const;
type Variant = (typeof VARIANTS)[number];
const SHADOW_MODE: Record<(typeof MODES)[number], string> = { healthy: 'ok', failing: 'fail', hanging: 'hang', down: 'reset' };

const { values } = parseArgs({ options: { calls: { type: 'string', default: '2000' }, blocks: { type: 'string', default: '10' }, connections: { type: 'string', default: '16' } } });
const calls = positive(values.calls, '--calls');
const blocks = positive(values.blocks, '--blocks');
const width = positive(values.connections, '--connections');

// This process is the gateway here: every thread on CPU 0, the upstreams on CPU 1.
execFileSync('taskset', ['-a', '-p', '-c', '0', String(process.pid)], { stdio: 'ignore' });
const group = new ProcessGroup();
try {
  const upstream = (name: string) => group.start({ name, cpu: 1, command: process.execPath, args: ['--import', 'tsx', 'bench/mirror/upstream.ts'], cwd: root, stdin: 'pipe' });
  const [stableUrl, shadowUrl] = await Promise.all([waitForLine(upstream('stable'), 'READY ', 60_000), waitForLine(upstream('shadow'), 'READY ', 60_000)]);
  const source = (name: string, traffic?: unknown): LoadedSource => ({
    ...sourceSchema.parse({ kind: 'graphql', url: stableUrl, schema: 'users.graphql', resilience: { retry: { maxRetries: 0 }, fallback: { enabled: false } }, ...(traffic ? { traffic } : {}) }),
    name,
    file: 'bench/mirrorCost.ts',
  });
  const http = createHttpClient();
  const transports = createSourceTransports({
    sources: {
      users: source('users'),
      // The same versions with copying off: what the versioned path costs without a copy.
      'users-versioned': source('users-versioned', { versions: { stable: stableUrl, shadow: shadowUrl }, mirror: { version: 'shadow', percent: 0, logSampleRate: 0 } }),
      'users-mirrored': source('users-mirrored', { versions: { stable: stableUrl, shadow: shadowUrl }, mirror: { version: 'shadow', percent: 100, logSampleRate: 0 } }),
    },
    http: http.call,
    logger: pino({ level: 'silent' }),
  });
  const variants: Record<Variant, HttpCall> = { plain: transports.httpFor('users'), versioned: transports.httpFor('users-versioned'), mirrored: transports.httpFor('users-mirrored') };
  const body = '{"query":"{ user(id: \\"u1\\") { id name } }"}';
  let sequence = 0;
  /** `calls` calls, `width` at a time; CPU µs per call. */
  const block = async (call: HttpCall): Promise<number> => {
    const before = process.cpuUsage();
    let next = 0;
    await Promise.all(
      Array.from({ length: width }, async () => {
        while (next++ < calls) {
          // A distinct header per call: identical reads in flight would share one exchange.
          const response = await call({ method: 'POST', url: stableUrl, headers: { 'content-type': 'application/json', 'x-call': String(sequence++) }, body, source: 'users', idempotent: true });
          if (response.status !== 200) throw new Error(`served call answered ${response.status}`);
        }
      }),
    );
    const used = process.cpuUsage(before);
    return (used.user + used.system) / calls;
  };
  const counters = async () => {
    const metric = register.getSingleMetric('portico_mirror_requests_total');
    const values = metric ? (await metric.get()).values : [];
    return Object.fromEntries(values.filter((value) => value.labels['source'] === 'users-mirrored').map((value) => [String(value.labels['result']), value.value]));
  };
  const delta = (after: Record<string, number>, before: Record<string, number>) =>
    Object.entries(after).map(([result, n]) => [result, n - (before[result] ?? 0)] as const).filter(([, n]) => n > 0).map(([result, n]) => `${result} ${n}`).join(', ');

  await block(variants.plain);
  await block(variants.versioned);
  console.log(`mirror cost: ${blocks} blocks of ${calls} calls per variant and shadow mode, ${width} at a time; CPU of this process per served call`);
  console.log('plain: no traffic block; versioned: the same versions, mirror percent 0; mirrored: percent 100. Added: median of per-block differences (spread)');
  console.log('shadow     plain µs  versioned µs  mirrored µs  versioned-plain µs     mirrored-versioned µs   what the copies did');
  for (const mode of MODES) {
    await fetch(new URL('/__mode', shadowUrl), { method: 'POST', body: SHADOW_MODE[mode] });
    // Past the first failures, so the figure is the steady state (a pause, for a shadow in trouble).
    await block(variants.mirrored);
    const before = await counters();
    const cpu: Record<Variant, number[]> = { plain: [], versioned: [], mirrored: [] };
    for (let i = 0; i < blocks; i++) {
      // Rotated per block, so no variant always runs first or last.
      for (let j = 0; j < VARIANTS.length; j++) {
        const variant = VARIANTS[(i + j) % VARIANTS.length]!;
        cpu[variant].push(await block(variants[variant]));
      }
    }
    const added = (a: Variant, b: Variant) => {
      const list = cpu[a].map((value, i) => value - cpu[b][i]!).sort((x, y) => x - y);
      return `${median(list).toFixed(1).padStart(6)} (${list[0]!.toFixed(1)} … ${list.at(-1)!.toFixed(1)})`.padEnd(24);
    };
    console.log(
      `${mode.padEnd(9)} ${median(cpu.plain).toFixed(1).padStart(9)}  ${median(cpu.versioned).toFixed(1).padStart(12)}  ${median(cpu.mirrored).toFixed(1).padStart(11)}  ${added('versioned', 'plain')}  ${added('mirrored', 'versioned')}` +
        `  ${delta(await counters(), before)}`,
    );
  }
  await transports.close();
  await http.close();
} finally {
  await group.stopAll();
}
