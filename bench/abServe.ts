/**
 * Interleaved A/B of two `portico serve` variants on the bench supergraph:
 *   node --import tsx bench/abServe.ts --a 'PORTICO_NODE_ADAPTER=off' --b 'PORTICO_NODE_ADAPTER=on' [--a-args '--no-breaker'] [--query single|federation]
 *                                     [--b-hive] (B is Hive Gateway `--jit` instead)
 *                                     [--a-node=--max-semi-space-size=32] (node/V8 flags, which NODE_OPTIONS refuses)
 *                                     [--stdout-dir DIR] (each variant's stdout to DIR/A.log, DIR/B.log: --trace-gc output)
 *                                     [--rounds 6] [--seconds 10] [--connections 50] [--from-source]
 * Both gateways run at once, pinned to the same CPU, built as `npm run bench` runs them (dist/);
 * each round loads one then the other (the order alternating), and reads each gateway's CPU time
 * from /proc around its own window. CPU per request is the figure to compare on a shared machine:
 * a neighbour slows both variants' req/s alike, but barely moves what a request costs.
 */
import { execFileSync } from 'node:child_process';
import { openSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { graphql } from 'graphql';
import { FEDERATION_QUERY, SINGLE_SUBGRAPH_QUERY } from './queries.js';
import { referenceSchema } from './subgraphs/schemas.js';
import { writeBenchSupergraph } from './lib/supergraph.js';
import { freePort, ProcessGroup, waitForLine, waitUntil, type Started } from './lib/processes.js';
import { startLoadgen } from './lib/loadgenProcess.js';
import { cpuSeconds, peakRssMiB, waitForQuietProcesses } from './lib/procStats.js';
import { BENCH_MAX_COST } from './config/benchPolicies.js';

const repoRoot = path.resolve(import.meta.dirname, '..');

function envOf(spec: string | undefined): Record<string, string> {
  if (!spec) return {};
  return Object.fromEntries(
    spec
      .split(',')
      .filter(Boolean)
      .map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]),
  );
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      a: { type: 'string' },
      b: { type: 'string' },
      'a-args': { type: 'string' },
      'b-args': { type: 'string' },
      'a-node': { type: 'string' },
      'b-node': { type: 'string' },
      'stdout-dir': { type: 'string' },
      query: { type: 'string', default: 'single' },
      rounds: { type: 'string', default: '6' },
      seconds: { type: 'string', default: '10' },
      connections: { type: 'string', default: '50' },
      'from-source': { type: 'boolean', default: false },
      'b-hive': { type: 'boolean', default: false },
    },
  });
  const query = values.query === 'federation' ? FEDERATION_QUERY : SINGLE_SUBGRAPH_QUERY;
  const entry = values['from-source'] ? ['--import', 'tsx', 'src/main.ts'] : ['dist/main.js'];
  if (!values['from-source']) execFileSync(process.execPath, ['--import', 'tsx', 'scripts/build.ts'], { cwd: repoRoot, stdio: ['ignore', 'ignore', 'inherit'] });
  const group = new ProcessGroup();
  const tmp = await mkdtemp(path.join(tmpdir(), 'portico-ab-'));
  process.once('SIGINT', () => void group.stopAll().then(() => process.exit(130)));
  try {
    const subgraphs = group.start({ name: 'subgraphs', cpu: 1, command: process.execPath, args: ['--import', 'tsx', 'bench/subgraphs/server.ts'], cwd: repoRoot, stdin: 'pipe' });
    const urls = JSON.parse(await waitForLine(subgraphs, 'READY ', 30_000)) as Record<string, string>;
    const supergraph = await writeBenchSupergraph(tmp, urls);
    const expected = JSON.parse(JSON.stringify((await graphql({ schema: referenceSchema(), source: query })).data));
    const variants: { name: string; started: Started; url: string }[] = [];
    for (const [name, env, extra, nodeFlags] of [
      ['A', envOf(values.a), values['a-args'], values['a-node']],
      ['B', envOf(values.b), values['b-args'], values['b-node']],
    ] as const) {
      const port = await freePort();
      const hive = name === 'B' && values['b-hive'];
      const started = group.start({
        name,
        cpu: 0,
        command: process.execPath,
        args: hive
          ? [path.join(repoRoot, 'node_modules/@graphql-hive/gateway/dist/bin.js'), 'supergraph', supergraph, '--port', String(port), '--host', '127.0.0.1', '--fork', '1', '--jit']
          : [...(nodeFlags ? nodeFlags.split(' ') : []), ...entry, 'serve', '--supergraph', supergraph, '--port', String(port), '--max-cost', String(BENCH_MAX_COST), ...(extra ? extra.split(' ') : [])],
        cwd: repoRoot,
        env: { LOG_LEVEL: 'warn', NODE_ENV: 'production', ...env },
        ...(values['stdout-dir'] ? { stdout: openSync(path.join(values['stdout-dir'], `${name}.log`), 'w') } : hive ? { stdout: 'ignore' as const } : {}),
      });
      const url = `http://127.0.0.1:${port}/graphql`;
      await waitUntil(name, async () => (await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query }) })).ok, 60_000, started);
      variants.push({ name, started, url });
    }
    const loadgen = startLoadgen(group, 1, repoRoot);
    const figures = new Map(variants.map((variant) => [variant.name, { rps: [] as number[], cpuUs: [] as number[], p99: [] as number[] }]));
    const job = (url: string, seconds: number) => ({
      url,
      body: JSON.stringify({ query }),
      headers: { 'content-type': 'application/json' },
      connections: Number(values.connections),
      durationSeconds: seconds,
      expectedData: expected,
    });
    for (const variant of variants) await loadgen.load(job(variant.url, 3));
    for (let round = 0; round < Number(values.rounds); round++) {
      const order = round % 2 === 0 ? variants : [...variants].reverse();
      for (const variant of order) {
        await waitForQuietProcesses(variants.map((v) => v.started.pid));
        const before = cpuSeconds(variant.started.pid);
        const result = await loadgen.load(job(variant.url, Number(values.seconds)));
        const cpu = cpuSeconds(variant.started.pid) - before;
        const failed = result.mismatches + result.non2xx + result.errors;
        if (failed > 0) throw new Error(`${variant.name}: ${failed} failed responses`);
        const served = result.rps * Number(values.seconds);
        figures.get(variant.name)!.rps.push(result.rps);
        figures.get(variant.name)!.cpuUs.push((cpu * 1e6) / served);
        figures.get(variant.name)!.p99.push(result.p99);
        process.stdout.write(`round ${round + 1} ${variant.name}: ${result.rps.toFixed(0)} req/s, ${((cpu * 1e6) / served).toFixed(0)} µs CPU/request, p99 ${result.p99.toFixed(1)} ms\n`);
      }
    }
    loadgen.close();
    const a = figures.get('A')!;
    const b = figures.get('B')!;
    process.stdout.write(
      `A (${values.a ?? ''} ${values['a-args'] ?? ''}): median ${median(a.rps).toFixed(0)} req/s, ${median(a.cpuUs).toFixed(0)} µs/request, p99 ${median(a.p99).toFixed(1)} ms, peak RSS ${peakRssMiB(variants[0]!.started.pid).toFixed(0)} MiB\n` +
        `B (${values.b ?? ''} ${values['b-args'] ?? ''}): median ${median(b.rps).toFixed(0)} req/s, ${median(b.cpuUs).toFixed(0)} µs/request, p99 ${median(b.p99).toFixed(1)} ms, peak RSS ${peakRssMiB(variants[1]!.started.pid).toFixed(0)} MiB\n` +
        `B/A CPU per request: ×${(median(b.cpuUs) / median(a.cpuUs)).toFixed(2)} (per round: ${b.cpuUs.map((us, i) => (us / a.cpuUs[i]!).toFixed(2)).join(', ')})\n`,
    );
  } finally {
    await group.stopAll(15_000);
    await rm(tmp, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`abServe: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
