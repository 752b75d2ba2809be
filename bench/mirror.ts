/**
 * What mirroring costs a client, in one run (docs/traffic.md, bench/README.md):
 *   npm run bench:mirror [-- --duration 5] [--connections 16] [--rounds 9] [--modes plain,failing] [--cpu-prof]
 *
 * One gateway process (`portico start`, config bench/mirror/) serves two BFFs over the same users
 * service: `bench-plain` calls it plainly, `bench-mirrored` copies every read (100 %) to a second
 * users process, the shadow. Each round loads, in an order rotated from round to round:
 *   - plain                the baseline;
 *   - mirrored, healthy    the shadow answers (copies compared, all equal);
 *   - mirrored, hanging    the shadow holds every copy (fault knob `hang`): copies end by their
 *                          own 2 s timeout, at most 32 at once, the rest skipped;
 *   - mirrored, failing    the shadow answers 500 to everything (fault knob `errorRate: 1`);
 *   - mirrored, down       the shadow resets every connection (fault knob `down`), as a crashed
 *                          process does: each copy costs a new connection.
 *
 * Placement: the gateway alone on CPU 0 (taskset); the users service, the shadow (at nice 19)
 * and the load generator (its own process) on CPU 1, so the shadow's work and the load's never
 * take the gateway's core, and the shadow's never the users service's. Every answer of every run is checked against the expected data. Per round,
 * each mode's p99 is divided by the same round's plain p99, and the figure reported is the median
 * of those ratios: a neighbour who slows one round slows every mode of it. The gateway's CPU time
 * per request (from /proc, which a busy neighbour moves far less than latency) is reported beside
 * it. Target: a hanging, failing or down shadow moves the client's p99 by at most 5 % and changes
 * no answer.
 *
 * Bounded: duration × modes × rounds seconds of load (3 min by default), plus start-up. Results
 * are printed and written to .bench-results/mirror.json; `--cpu-prof` also profiles the gateway
 * over the whole run and prints where its time went.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { startLoadgen } from './lib/loadgenProcess.js';
import type { LoadResult } from './lib/loadgen.js';
import { positive } from './lib/loadOptions.js';
import { ProcessGroup, waitForLine } from './lib/processes.js';
import { cpuSeconds } from './lib/procStats.js';
import { failuresOf, median } from './lib/report.js';
import { summariseProfile, type CpuProfile } from './lib/cpuProfile.js';

const root = path.resolve(import.meta.dirname, '..');
const TARGET = 0.05;
const GATEWAY_CPU = 0;
const REST_CPU = 1;
const QUERY = '{ user(id: "u1") { id name } }';

const MODES = ['plain', 'healthy', 'hanging', 'failing', 'down'] as const;
type Mode = (typeof MODES)[number];
/** The modes the target is about: a shadow in trouble. */
const JUDGED: readonly Mode[] = ['hanging', 'failing', 'down'];
const KNOBS: Record<Mode, Record<string, unknown>> = { plain: {}, healthy: {}, hanging: { hang: true }, failing: { errorRate: 1 }, down: { down: true } };

interface Run {
  round: number;
  load: LoadResult;
  /** Gateway CPU microseconds per request served in this run. */
  cpuUsPerRequest: number;
}

function options() {
  const { values } = parseArgs({
    options: {
      duration: { type: 'string', default: '5' },
      connections: { type: 'string', default: '16' },
      rounds: { type: 'string', default: '9' },
      modes: { type: 'string', default: MODES.join(',') },
      'cpu-prof': { type: 'boolean', default: false },
    },
  });
  const modes = values.modes.split(',').map((mode) => mode.trim());
  const unknown = modes.filter((mode) => !(MODES as readonly string[]).includes(mode));
  if (unknown.length > 0) throw new Error(`--modes: unknown ${unknown.join(', ')} (known: ${MODES.join(', ')})`);
  // The plain run is every ratio's denominator.
  const chosen = MODES.filter((mode) => mode === 'plain' || modes.includes(mode));
  return {
    durationSeconds: positive(values.duration, '--duration'),
    connections: positive(values.connections, '--connections'),
    rounds: positive(values.rounds, '--rounds'),
    modes: chosen,
    cpuProf: values['cpu-prof'],
  };
}

async function main(): Promise<void> {
  const { durationSeconds, connections, rounds, modes, cpuProf } = options();
  const profileDir = path.join(root, '.bench-results', `mirror-profile-${new Date().toISOString().replace(/[:.]/g, '-')}`);
  const group = new ProcessGroup();
  process.once('SIGINT', () => void group.stopAll().then(() => process.exit(130)));
  let result: { summary: Record<string, unknown>; ok: boolean } | undefined;
  try {
    const users = ['--import', 'tsx', 'subgraphs/run.ts', 'users', '--port', '0', '--exit-with-stdin'];
    const stable = group.start({ name: 'users', cpu: REST_CPU, command: process.execPath, args: users, cwd: root, stdin: 'pipe' });
    const shadow = group.start({ name: 'shadow', cpu: REST_CPU, command: process.execPath, args: users, cwd: root, stdin: 'pipe' });
    const [stableUrl, shadowUrl] = await Promise.all([waitForLine(stable, 'READY users ', 120_000), waitForLine(shadow, 'READY users ', 120_000)]);
    // In production the shadow is a deployment of its own; here it shares CPU 1 with the users
    // service and the load generator, so once started it runs at the lowest priority (every
    // thread: Linux nice is per thread): answering copies must not slow the service that answers
    // the client. Not from the start: at nice 19 on a busy machine it would take minutes to boot.
    for (const thread of readdirSync(`/proc/${shadow.pid}/task`)) execFileSync('renice', ['-n', '19', '-p', thread], { stdio: 'ignore' });
    if (cpuProf) mkdirSync(profileDir, { recursive: true });
    const gateway = group.start({
      name: 'gateway',
      cpu: GATEWAY_CPU,
      command: process.execPath,
      args: [...(cpuProf ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : []), '--import', 'tsx', 'src/main.ts', 'start', '--config', 'bench/mirror/portico.config.ts'],
      cwd: root,
      env: { LOG_LEVEL: 'warn', NODE_ENV: 'production', PORTICO_DEMO: '1', USERS_URL: stableUrl, SHADOW_URL: shadowUrl },
    });
    const loadgen = startLoadgen(group, REST_CPU, root);
    // The gateway prints one `<bff> <url>` line per BFF, in config order: the mirrored one last.
    const urls = new Map<string, string>();
    const lines = createInterface({ input: gateway.child.stdout! });
    lines.on('line', (line) => {
      const match = /^(bench-\S+)\s+(\S+)/.exec(line);
      if (match) urls.set(match[1]!, match[2]!);
    });
    await waitForLine(gateway, 'bench-mirrored', 60_000);
    lines.close();
    const plainUrl = urls.get('bench-plain')!;
    const mirroredUrl = urls.get('bench-mirrored')!;
    const shadowAdmin = new URL('/__admin/', shadowUrl).href;
    const faults = async (knobs: Record<string, unknown>) => {
      const response = await fetch(`${shadowAdmin}${Object.keys(knobs).length ? 'faults' : 'reset'}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(knobs),
      });
      if (!response.ok) throw new Error(`shadow admin: ${response.status} ${await response.text()}`);
    };
    const expected = (await (await fetch(plainUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: QUERY }) })).json()) as { data: unknown };
    const load = (url: string, seconds: number) =>
      loadgen.load({ url, body: JSON.stringify({ query: QUERY }), headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json' }, connections, durationSeconds: seconds, expectedData: expected.data });

    // Warm-up: both BFFs, so the first measured run does not pay for JIT and pool set-up.
    const warmup = [await load(plainUrl, 3), await load(mirroredUrl, 3)];
    const runs = Object.fromEntries(modes.map((mode) => [mode, [] as Run[]])) as Record<Mode, Run[]>;
    for (let round = 0; round < rounds; round++) {
      // Rotated, so no mode always runs first after a reconfiguration, or last in a round.
      const order = modes.map((_, i) => modes[(i + round) % modes.length]!);
      for (const mode of order) {
        await faults({});
        if (Object.keys(KNOBS[mode]).length > 0) await faults(KNOBS[mode]);
        const cpuBefore = cpuSeconds(gateway.pid);
        const run = await load(mode === 'plain' ? plainUrl : mirroredUrl, durationSeconds);
        const cpu = cpuSeconds(gateway.pid) - cpuBefore;
        runs[mode].push({ round, load: run, cpuUsPerRequest: run.requests > 0 ? (cpu * 1e6) / run.requests : NaN });
        process.stderr.write(`round ${round + 1}/${rounds} ${mode.padEnd(8)} ${run.rps.toFixed(0)} req/s p99 ${run.p99.toFixed(2)} ms\n`);
      }
    }
    await faults({});

    // Per round, the mode's figure over the same round's plain figure.
    const ratios = (mode: Mode, pick: (run: Run) => number) => runs[mode].map((run, i) => pick(run) / pick(runs.plain[i]!));
    const summary = Object.fromEntries(
      modes.map((mode) => {
        const list = runs[mode];
        const p99Ratios = ratios(mode, (run) => run.load.p99);
        return [
          mode,
          {
            rps: median(list.map((r) => r.load.rps)),
            p50: median(list.map((r) => r.load.p50)),
            p99: median(list.map((r) => r.load.p99)),
            cpuUsPerRequest: median(list.map((r) => r.cpuUsPerRequest)),
            p99Ratio: median(p99Ratios),
            p99Ratios,
            cpuRatio: median(ratios(mode, (run) => run.cpuUsPerRequest)),
            cpuRatios: ratios(mode, (run) => run.cpuUsPerRequest),
            failures: list.reduce((n, r) => n + failuresOf(r.load), 0),
          },
        ];
      }),
    ) as Record<Mode, { rps: number; p50: number; p99: number; cpuUsPerRequest: number; p99Ratio: number; p99Ratios: number[]; cpuRatio: number; cpuRatios: number[]; failures: number }>;

    const percent = (ratio: number) => `${ratio >= 1 ? '+' : ''}${((ratio - 1) * 100).toFixed(1)} %`;
    console.log(`mirroring: ${rounds} round(s) of ${durationSeconds} s per mode, ${connections} connections, query ${QUERY}`);
    console.log(`warm-up failures: ${warmup.reduce((n, r) => n + failuresOf(r), 0)}`);
    console.log('mode      req/s    p50 ms   p99 ms   p99 vs plain   CPU µs/req  vs plain   failures');
    for (const mode of modes) {
      const s = summary[mode];
      const vs = (ratio: number) => (mode === 'plain' ? '—' : percent(ratio));
      console.log(
        `${mode.padEnd(9)} ${s.rps.toFixed(0).padStart(6)}  ${s.p50.toFixed(2).padStart(7)}  ${s.p99.toFixed(2).padStart(7)}  ${vs(s.p99Ratio).padStart(13)}  ${s.cpuUsPerRequest.toFixed(0).padStart(10)}  ${vs(s.cpuRatio).padStart(8)}  ${String(s.failures).padStart(8)}`,
      );
    }
    const perRound = (title: string, pick: (mode: Mode) => number[]) => {
      console.log(`${title} vs plain, per round:`);
      for (const mode of modes.filter((m) => m !== 'plain')) {
        const list = [...pick(mode)].sort((a, b) => a - b);
        console.log(`  ${mode.padEnd(8)} ${pick(mode).map(percent).join('  ')}   (spread ${percent(list[0]!)} … ${percent(list.at(-1)!)})`);
      }
    };
    perRound('p99', (mode) => summary[mode].p99Ratios);
    perRound('gateway CPU per request', (mode) => summary[mode].cpuRatios);
    console.log(`plain req/s per round: ${runs.plain.map((run) => run.load.rps.toFixed(0)).join('  ')}`);
    const judged = JUDGED.filter((mode) => modes.includes(mode));
    const ok = judged.every((mode) => summary[mode].p99Ratio - 1 <= TARGET && summary[mode].failures === 0) && summary.plain.failures === 0;
    console.log(`${ok ? 'PASS' : 'FAIL'}: a ${judged.join(', ')} shadow moves the client's p99 by at most ${TARGET * 100} % (median of per-round ratios) and changes no answer`);
    mkdirSync(path.join(root, '.bench-results'), { recursive: true });
    result = { summary, ok };
    writeFileSync(path.join(root, '.bench-results', 'mirror.json'), JSON.stringify({ at: new Date().toISOString(), durationSeconds, connections, rounds, summary, ok }, null, 2));
    process.exitCode = ok ? 0 : 1;
  } finally {
    // SIGTERM lets the gateway drain and exit normally, which is when V8 writes the profile.
    await group.stopAll(15_000);
  }
  if (cpuProf && result) {
    // One profile per thread (tsx's loader hooks run in a worker): the main thread's is the largest.
    const files = readdirSync(profileDir).filter((name) => name.endsWith('.cpuprofile'));
    const largest = files.map((name) => ({ name, size: statSync(path.join(profileDir, name)).size })).sort((a, b) => b.size - a.size)[0];
    if (!largest) throw new Error(`no .cpuprofile written to ${profileDir}`);
    const file = path.join(profileDir, largest.name);
    console.log(`${summariseProfile(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile, root)}\nprofile: ${path.relative(root, file)}`);
  }
}

await main();
