/**
 * CPU profile of Portico under the federation scenario (a):
 *   node --import tsx bench/profile.ts [--seconds 15] [--connections 50] [--query federation|single] [--out DIR] [--from-source] [--heap]
 * (`--heap`: a sampling heap profile of what the gateway allocates instead of a CPU profile)
 * Builds Portico (dist/, as `npm run bench` runs it: tsx's transform adds a `__name` call to every
 * function it creates, which shows up in a profile as our own cost), runs `portico serve --cpu-prof` pinned to CPU 0 against the bench subgraphs, drives it with the
 * bench load generator, stops it, and prints where the time went: the top functions by self time
 * and the self time per package. The .cpuprofile file (open it in Chrome DevTools or speedscope
 * for a flame graph) is kept in DIR (default .bench-results/profile-<time>/).
 */
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { graphql } from 'graphql';
import { FEDERATION_QUERY, SINGLE_SUBGRAPH_QUERY } from './queries.js';
import { referenceSchema } from './subgraphs/schemas.js';
import { writeBenchSupergraph } from './lib/supergraph.js';
import { freePort, ProcessGroup, waitForLine, waitUntil } from './lib/processes.js';
import type { LoadJob, LoadResult } from './lib/loadgen.js';
import { BENCH_MAX_COST } from './config/benchPolicies.js';
import { summariseProfile, type CpuProfile } from './lib/cpuProfile.js';

const repoRoot = path.resolve(import.meta.dirname, '..');

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      seconds: { type: 'string', default: '15' },
      connections: { type: 'string', default: '50' },
      query: { type: 'string', default: 'federation' },
      out: { type: 'string' },
      'from-source': { type: 'boolean', default: false },
      heap: { type: 'boolean', default: false },
    },
  });
  const query = values.query === 'single' ? SINGLE_SUBGRAPH_QUERY : FEDERATION_QUERY;
  const group = new ProcessGroup();
  const tmp = await mkdtemp(path.join(tmpdir(), 'portico-profile-'));
  const out = path.resolve(values.out ?? path.join(repoRoot, '.bench-results', `profile-${new Date().toISOString().replace(/[:.]/g, '-')}`));
  await mkdir(out, { recursive: true });
  const entry = values['from-source'] ? ['--import', 'tsx', 'src/main.ts'] : ['dist/main.js'];
  if (!values['from-source']) execFileSync(process.execPath, ['--import', 'tsx', 'scripts/build.ts'], { cwd: repoRoot, stdio: ['ignore', 'ignore', 'inherit'] });
  process.once('SIGINT', () => void group.stopAll().then(() => process.exit(130)));
  try {
    const subgraphs = group.start({
      name: 'subgraphs',
      cpu: 1,
      command: process.execPath,
      args: ['--import', 'tsx', 'bench/subgraphs/server.ts'],
      cwd: repoRoot,
      stdin: 'pipe',
    });
    const urls = JSON.parse(await waitForLine(subgraphs, 'READY ', 30_000)) as Record<string, string>;
    const supergraph = await writeBenchSupergraph(tmp, urls);
    const port = await freePort();
    const portico = group.start({
      name: 'portico',
      cpu: 0,
      command: process.execPath,
      args: [
        ...(values.heap ? ['--heap-prof', '--heap-prof-interval', '65536', '--heap-prof-dir', out] : ['--cpu-prof', '--cpu-prof-dir', out]),
        ...entry,
        'serve',
        '--supergraph',
        supergraph,
        '--port',
        String(port),
        '--max-cost',
        String(BENCH_MAX_COST),
      ],
      cwd: repoRoot,
      env: { LOG_LEVEL: 'warn', NODE_ENV: 'production' },
    });
    const url = `http://127.0.0.1:${port}/graphql`;
    const expected = JSON.parse(JSON.stringify((await graphql({ schema: referenceSchema(), source: query })).data));
    await waitUntil('portico', async () => (await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query }) })).ok, 60_000, portico);

    const loadgen = group.start({ name: 'loadgen', cpu: 1, command: process.execPath, args: ['--import', 'tsx', 'bench/lib/loadgen.ts'], cwd: repoRoot, ipc: true });
    const job: LoadJob = {
      url,
      body: JSON.stringify({ query }),
      headers: { 'content-type': 'application/json' },
      connections: Number(values.connections),
      durationSeconds: Number(values.seconds),
      expectedData: expected,
    };
    const result = await new Promise<LoadResult>((resolve, reject) => {
      loadgen.child.once('message', (message: { ok: boolean; result?: LoadResult; error?: string }) =>
        message.ok ? resolve(message.result!) : reject(new Error(message.error)),
      );
      loadgen.child.send(job);
    });
    loadgen.child.disconnect();
    process.stdout.write(`load: ${result.rps.toFixed(0)} req/s, p50 ${result.p50.toFixed(1)} ms, p99 ${result.p99.toFixed(1)} ms, ${result.mismatches + result.non2xx + result.errors} failed\n`);
  } finally {
    // SIGTERM lets Portico drain and exit normally, which is when V8 writes the profile.
    await group.stopAll(15_000);
    await rm(tmp, { recursive: true, force: true });
  }
  if (values.heap) {
    process.stdout.write(`heap profile (sampled allocations) in ${path.relative(repoRoot, out)}: open it in Chrome DevTools' Memory tab\n`);
    return;
  }
  // One profile per thread (tsx's loader hooks run in a worker): the main thread's is the largest.
  const files = await Promise.all(
    (await readdir(out)).filter((name) => name.endsWith('.cpuprofile')).map(async (name) => ({ name, size: (await stat(path.join(out, name))).size })),
  );
  if (files.length === 0) throw new Error(`no .cpuprofile written to ${out}`);
  const file = path.join(out, files.sort((a, b) => b.size - a.size)[0]!.name);
  const profile = JSON.parse(await readFile(file, 'utf8')) as CpuProfile;
  process.stdout.write(`${summariseProfile(profile, repoRoot)}\nprofile: ${path.relative(repoRoot, file)} (Chrome DevTools or speedscope.app show it as a flame graph)\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`profile: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
