/**
 * Where `portico serve`'s memory goes: RSS at idle after start, after warm-up and at its peak
 * under load, with the V8 heap spaces at those moments, for one or more variants of the gateway
 * (node flags, environment) alternated run by run so a noisy neighbour slows each alike.
 *
 *   npm run bench:memory                                       3 runs of the default serve
 *   npm run bench:memory -- --runs 1 --warmup 2 --duration 3   a smoke run
 *   npm run bench:memory -- --variant 'default=' --variant 'semi16=--max-semi-space-size=16'
 *   npm run bench:memory -- --variant 'off=env:PORTICO_V8_MEMORY_FLAGS=off'
 *   npm run bench:memory -- --snapshots                        heap snapshots at idle and under load
 *   npm run bench:memory -- --query single                     (b)'s query instead of (a)'s
 *
 * A variant is `NAME=ARGS`: ARGS are node flags put before `dist/main.js`, separated by spaces;
 * `env:K=V` among them sets an environment variable instead. Each run starts a fresh gateway
 * on CPU 0 (the bench subgraphs and the load generator on CPU 1, as `npm run bench` places them),
 * waits until it answers, then:
 *
 * - **idle**: VmRSS 3 s after the first answer, and VmHWM so far (start-up's peak);
 * - **warm**: VmRSS 3 s after `--warmup` seconds of load;
 * - **peak**: VmHWM reset to the warm RSS (/proc/PID/clear_refs 5), `--duration` seconds of load
 *   (req/s from it), then VmHWM: the exact peak under load;
 * - the V8 heap spaces (prom-client's `nodejs_heap_space_size_total_bytes` on the admin port):
 *   at idle, and the largest seen while the load ran (sampled every 250 ms).
 *
 * `--snapshots` also writes a heap snapshot (`--heapsnapshot-signal`) at idle and one under load
 * into .bench-results/memory-<time>/; writing one costs memory itself, so those runs' peaks are
 * not figures. `--gateway-stdout` keeps each gateway's stdout there too (with a variant that adds
 * `--trace-gc`, the heap after every collection). Results in .bench-results/memory.json. Linux
 * only (/proc).
 */
import { execFileSync } from 'node:child_process';
import { openSync, writeFileSync } from 'node:fs';
import { mkdir, readdir, rename, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { graphql } from 'graphql';
import { positive } from './lib/loadOptions.js';
import { startGuardedRun } from './lib/guardedRun.js';
import { freePort, waitForLine, waitUntil, type ProcessGroup, type Started } from './lib/processes.js';
import { cpuSeconds, peakRssMiB, rssMiB } from './lib/procStats.js';
import { startLoadgen, type LoadgenProcess } from './lib/loadgenProcess.js';
import { writeBenchSupergraph } from './lib/supergraph.js';
import { FEDERATION_QUERY, SINGLE_SUBGRAPH_QUERY } from './queries.js';
import { referenceSchema } from './subgraphs/schemas.js';
import { BENCH_MAX_COST } from './config/benchPolicies.js';

const repoRoot = path.resolve(import.meta.dirname, '..');
const GATEWAY_CPU = 0;
const OTHER_CPU = 1;
const SETTLE_MS = 3_000;

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    warmup: { type: 'string', default: '5' },
    duration: { type: 'string', default: '8' },
    connections: { type: 'string', default: '50' },
    query: { type: 'string', default: 'federation' },
    variant: { type: 'string', multiple: true },
    snapshots: { type: 'boolean', default: false },
    'gateway-stdout': { type: 'boolean', default: false },
    'no-build': { type: 'boolean', default: false },
  },
});
const runs = positive(values.runs!, '--runs');
const warmupSeconds = positive(values.warmup!, '--warmup');
const durationSeconds = positive(values.duration!, '--duration');
const connections = positive(values.connections!, '--connections');
if (values.query !== 'federation' && values.query !== 'single') throw new Error(`--query: federation or single, got ${values.query}`);
const query = values.query === 'federation' ? FEDERATION_QUERY : SINGLE_SUBGRAPH_QUERY;

interface Variant {
  name: string;
  nodeArgs: string[];
  env: Record<string, string>;
}

const variants: Variant[] = (values.variant?.length ? values.variant : ['default=']).map((spec) => {
  const eq = spec.indexOf('=');
  if (eq <= 0) throw new Error(`--variant: expected NAME=ARGS, got ${spec}`);
  const words = spec.slice(eq + 1).split(' ').filter(Boolean);
  const env: Record<string, string> = {};
  const nodeArgs: string[] = [];
  for (const word of words) {
    if (word.startsWith('env:')) {
      const [key, ...rest] = word.slice(4).split('=');
      env[key!] = rest.join('=');
    } else nodeArgs.push(word);
  }
  return { name: spec.slice(0, eq), nodeArgs, env };
});

interface RunResult {
  variant: string;
  idleMiB: number;
  startPeakMiB: number;
  warmMiB: number;
  peakMiB: number;
  rps: number;
  cpuMsPerRequest: number;
  failed: number;
  /** MiB per V8 heap space, at idle and the largest seen under load. */
  spacesIdle: Record<string, number>;
  spacesLoad: Record<string, number>;
}

const log = (line: string) => process.stderr.write(`${line}\n`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const guarded = await startGuardedRun({ tmpPrefix: 'portico-memory-', limitMs: 30 * 60_000, log });
const { group, tmp } = guarded;
const results: RunResult[] = [];
const snapshotDir = path.join(repoRoot, '.bench-results', `memory-${new Date().toISOString().replace(/[:.]/g, '-')}`);
try {
  if (!values['no-build']) {
    log('memory: building Portico (npm run build) to run it from dist/');
    execFileSync(process.execPath, ['--import', 'tsx', 'scripts/build.ts'], { cwd: repoRoot, stdio: ['ignore', 'ignore', 'inherit'] });
  }
  if (values.snapshots || values['gateway-stdout']) await mkdir(snapshotDir, { recursive: true });
  const subgraphs = group.start({ name: 'subgraphs', cpu: OTHER_CPU, command: process.execPath, args: ['--import', 'tsx', 'bench/subgraphs/server.ts'], cwd: repoRoot, stdin: 'pipe' });
  const urls = JSON.parse(await waitForLine(subgraphs, 'READY ', 120_000)) as Record<string, string>;
  const supergraph = await writeBenchSupergraph(tmp, urls);
  const reference = await graphql({ schema: referenceSchema(), source: query });
  const expectedData: unknown = JSON.parse(JSON.stringify(reference.data));
  const loadgen = startLoadgen(group, OTHER_CPU, repoRoot);
  for (let run = 1; run <= runs; run++) {
    // Rotated per run, so no variant always goes first.
    for (let i = 0; i < variants.length; i++) {
      const variant = variants[(i + run - 1) % variants.length]!;
      const result = await measure(group, loadgen, variant, supergraph, expectedData);
      results.push(result);
      log(
        `memory: run ${run} ${variant.name}: idle ${result.idleMiB.toFixed(0)} MiB (start-up peak ${result.startPeakMiB.toFixed(0)}), warm ${result.warmMiB.toFixed(0)}, peak ${result.peakMiB.toFixed(0)}; ${result.rps.toFixed(0)} req/s, ${result.cpuMsPerRequest.toFixed(2)} CPU ms/req${result.failed ? `, ${result.failed} FAILED` : ''}`,
      );
    }
  }
  loadgen.close();
} finally {
  await guarded.finish();
}
if (values.snapshots) log(`memory: heap snapshots in ${path.relative(repoRoot, snapshotDir)}: ${(await readdir(snapshotDir)).join(', ')}`);

const median = (xs: number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
const lines: string[] = [];
lines.push(`| variant | idle RSS MiB | start-up peak | after warm-up | peak under load | req/s | CPU ms/req | failed |`);
lines.push(`|---|---|---|---|---|---|---|---|`);
for (const variant of variants) {
  const mine = results.filter((result) => result.variant === variant.name);
  const m = (pick: (result: RunResult) => number, digits = 0) => median(mine.map(pick)).toFixed(digits);
  lines.push(
    `| ${variant.name} | ${m((r) => r.idleMiB)} | ${m((r) => r.startPeakMiB)} | ${m((r) => r.warmMiB)} | ${m((r) => r.peakMiB)} | ${m((r) => r.rps)} | ${m((r) => r.cpuMsPerRequest, 2)} | ${mine.reduce((n, r) => n + r.failed, 0)} |`,
  );
}
lines.push('');
lines.push('V8 heap spaces, MiB (median over runs): at idle / largest under load');
lines.push('');
const spaces = [...new Set(results.flatMap((result) => Object.keys(result.spacesLoad)))].sort();
lines.push(`| variant | ${spaces.join(' | ')} |`);
lines.push(`|---|${spaces.map(() => '---').join('|')}|`);
for (const variant of variants) {
  const mine = results.filter((result) => result.variant === variant.name);
  const cell = (space: string) => `${median(mine.map((r) => r.spacesIdle[space] ?? 0)).toFixed(1)} / ${median(mine.map((r) => r.spacesLoad[space] ?? 0)).toFixed(1)}`;
  lines.push(`| ${variant.name} | ${spaces.map(cell).join(' | ')} |`);
}
process.stdout.write(`\n${lines.join('\n')}\n`);
await mkdir(path.join(repoRoot, '.bench-results'), { recursive: true });
await writeFile(path.join(repoRoot, '.bench-results', 'memory.json'), JSON.stringify({ at: new Date().toISOString(), query: values.query, warmupSeconds, durationSeconds, connections, variants, results }, null, 2));
process.exit(results.some((result) => result.failed > 0) ? 1 : 0);

async function measure(group: ProcessGroup, loadgen: LoadgenProcess, variant: Variant, supergraph: string, expectedData: unknown): Promise<RunResult> {
  const port = await freePort();
  const adminPort = await freePort();
  const snapshotArgs = values.snapshots ? ['--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${snapshotDir}`] : [];
  const started = group.start({
    name: `portico ${variant.name}`,
    cpu: GATEWAY_CPU,
    command: process.execPath,
    args: [...variant.nodeArgs, ...snapshotArgs, 'dist/main.js', 'serve', '--supergraph', supergraph, '--port', String(port), '--host', '127.0.0.1', '--admin-port', String(adminPort), '--max-cost', String(BENCH_MAX_COST)],
    cwd: repoRoot,
    env: { LOG_LEVEL: 'warn', NODE_ENV: 'production', ...variant.env },
    stdout: values['gateway-stdout'] ? openSync(path.join(snapshotDir, `stdout-${variant.name}-${Date.now()}.log`), 'w') : 'ignore',
  });
  const url = `http://127.0.0.1:${port}/graphql`;
  const adminUrl = `http://127.0.0.1:${adminPort}/metrics`;
  await waitUntil(`portico ${variant.name}`, async () => (await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query }) })).status === 200, 240_000, started);
  await sleep(SETTLE_MS);
  const pid = started.pid;
  const idleMiB = rssMiB(pid);
  const startPeakMiB = peakRssMiB(pid);
  const spacesIdle = await heapSpaces(adminUrl);
  if (values.snapshots) await snapshot(started, 'idle');
  const job = (seconds: number) => ({ url, body: JSON.stringify({ query }), headers: { 'content-type': 'application/json' }, connections, durationSeconds: seconds, expectedData });
  const warm = await loadgen.load(job(warmupSeconds));
  await sleep(SETTLE_MS);
  const warmMiB = rssMiB(pid);
  writeFileSync(`/proc/${pid}/clear_refs`, '5');
  const spacesLoad: Record<string, number> = {};
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      for (const [space, mib] of Object.entries(await heapSpaces(adminUrl).catch(() => ({}) as Record<string, number>))) spacesLoad[space] = Math.max(spacesLoad[space] ?? 0, mib);
      await sleep(250);
    }
  })();
  const cpuBefore = cpuSeconds(pid);
  const loading = loadgen.load(job(durationSeconds));
  if (values.snapshots) {
    await sleep((durationSeconds * 1000) / 2);
    await snapshot(started, 'load');
  }
  const load = await loading;
  const cpu = cpuSeconds(pid) - cpuBefore;
  sampling = false;
  await sampler;
  const peakMiB = peakRssMiB(pid);
  started.child.kill('SIGTERM');
  await new Promise((resolve) => started.child.once('exit', resolve));
  const failedOf = (r: typeof load) => r.non2xx + r.errors + r.timeouts + r.mismatches;
  return {
    variant: variant.name,
    idleMiB,
    startPeakMiB,
    warmMiB,
    peakMiB,
    rps: load.rps,
    cpuMsPerRequest: load.requests ? (cpu * 1000) / load.requests : NaN,
    failed: failedOf(warm) + failedOf(load),
    spacesIdle,
    spacesLoad,
  };
}

/** MiB per V8 heap space, from the gateway's own /metrics. */
async function heapSpaces(adminUrl: string): Promise<Record<string, number>> {
  const text = await (await fetch(adminUrl)).text();
  const spaces: Record<string, number> = {};
  for (const match of text.matchAll(/^nodejs_heap_space_size_total_bytes\{space="([^"]+)"\} (\d+)/gm)) spaces[match[1]!] = Number(match[2]) / 1024 / 1024;
  return spaces;
}

/** Asks the gateway for a heap snapshot and waits until the file is complete. */
async function snapshot(started: Started, label: string): Promise<void> {
  const before = new Set(await readdir(snapshotDir));
  started.child.kill('SIGUSR2');
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    await sleep(500);
    const added = (await readdir(snapshotDir)).filter((file) => !before.has(file) && file.endsWith('.heapsnapshot'));
    if (added.length) {
      // V8 writes the file in one go; a size that stops changing means it is done.
      const file = path.join(snapshotDir, added[0]!);
      let size = -1;
      for (;;) {
        const { size: now } = await stat(file);
        if (now === size && now > 0) break;
        size = now;
        await sleep(500);
      }
      await rename(file, path.join(snapshotDir, `${label}-${started.name.replace(/\W+/g, '-')}-${Date.now()}.heapsnapshot`));
      return;
    }
  }
  throw new Error(`no heap snapshot from ${started.name} within 120 s`);
}
