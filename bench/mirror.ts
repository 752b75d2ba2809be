/**
 * What a shadow in trouble costs the client (docs/traffic.md, bench/README.md):
 *   npm run bench:mirror [-- --seconds 180] [--rate 1200] [--block 2] [--connections 8] [--modes off,hanging]
 *                        [--warmup 20] [--alone-rounds 4] [--alone-slice 2] [--seed 1] [--nice -10] [--cpu-prof]
 *
 * One gateway process (`portico start`, config bench/mirror/) serves six BFFs over the same users
 * service, identical but for their source:
 *   - plain     no `traffic` block at all;
 *   - off       versions `stable` and `shadow`, mirror percent 0: the judged baseline, so the
 *               figure is what the shadow costs, not what having versions costs;
 *   - healthy   the same, copying every read (100 %) to a users process that answers;
 *   - hanging   … to a shadow that holds every copy: copies end by their own 2 s timeout;
 *   - failing   … to a shadow that answers 500 to everything;
 *   - down      … to a shadow that resets every connection, as a crashed process does.
 * Each mirrored BFF has a shadow process of its own, so a mode is only a URL.
 *
 * Two parts, measuring two different things:
 *
 * 1. **Mixed** (the judged part): every mode under load at the same time, in the same gateway
 *    process, requests interleaved at millisecond scale (bench/lib/mixedLoad.ts: open loop, one
 *    fixed schedule of `--rate` requests per second over all modes, modes shuffled per cycle,
 *    latency from the scheduled send time). A GC pause, a neighbour's burst or a timer lands on
 *    every mode alike, so per-mode p99s differ only by what a mode does to *its own* requests.
 *    Latencies are kept per mode per `--block` seconds; a paired bootstrap over blocks (the pairs
 *    are the same time block) gives a 95 % interval for each p99 ratio.
 * 2. **Alone** (reported, not judged): each mode by itself at the same rate, in short runs rotated
 *    over `--alone-rounds` rounds, for the gateway's CPU per request (/proc): the *indirect* cost
 *    a shadow's work puts on every request of the process, which the mixed part spreads over all
 *    modes and so cannot attribute.
 *
 * Placement: the gateway alone on CPU 0 (taskset); the users service, the shadows (nice 19) and
 * the load generator on CPU 1. The gateway, the users service and the load generator each run in
 * a session of their own at `--nice` (-10, as root), so a shared machine's other sessions do not
 * starve them into a queue. If the gateway still falls behind the rate, the run is UNRESOLVED.
 * Every answer of both parts is checked against the expected data.
 *
 * Target: a hanging, failing or down shadow moves the client's p99 by less than 5 % against `off`
 * (the whole 95 % interval below +5 %), and changes no answer.
 *
 * Bounded: warm-up + `--seconds` of mixed load (20 + 180 s by default), plus the alone runs
 * (6 modes × 4 rounds × 2.5 s), plus start-up: about 5 minutes. Results are printed and written
 * to .bench-results/mirror.json; `--cpu-prof` also profiles the gateway over the whole run and
 * prints where its time went.
 */
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { startJobProcess } from './lib/loadgenProcess.js';
import { positive } from './lib/loadOptions.js';
import type { MixedLoadJob, MixedLoadResult } from './lib/mixedLoad.js';
import { prioritise, ProcessGroup, reniceAll, waitForLine } from './lib/processes.js';
import { cpuSeconds } from './lib/procStats.js';
import { median } from './lib/report.js';
import { LatencyHistogram } from './lib/latencyHistogram.js';
import { pairedBootstrap, type RatioEstimate } from './lib/pairedBootstrap.js';
import { boundVerdict, readBound, startedBehind } from './lib/boundVerdict.js';
import { summariseProfile, type CpuProfile } from './lib/cpuProfile.js';

const root = path.resolve(import.meta.dirname, '..');
const TARGET = 0.05;
const GATEWAY_CPU = 0;
const REST_CPU = 1;
const ALONE_WARMUP_SECONDS = 0.5;
/** Past this, the gateway did not keep up with the rate (bench/lib/mixedLoad.ts `behindSeconds`). */
const MAX_BEHIND_SECONDS = 1;
const QUERY = '{ user(id: "u1") { id name } }';

const MODES = ['plain', 'off', 'healthy', 'hanging', 'failing', 'down'] as const;
type Mode = (typeof MODES)[number];
/** The modes the target is about: a shadow in trouble. */
const JUDGED: readonly Mode[] = ['hanging', 'failing', 'down'];
/** The shadows in trouble are bench/mirror/upstream.ts in a fixed mode; the healthy one is the users service. */
const TROUBLE: Partial<Record<Mode, string>> = { hanging: 'hang', failing: 'fail', down: 'reset' };

function options() {
  const { values } = parseArgs({
    options: {
      seconds: { type: 'string', default: '180' },
      warmup: { type: 'string', default: '20' },
      block: { type: 'string', default: '2' },
      rate: { type: 'string', default: '1200' },
      connections: { type: 'string', default: '8' },
      modes: { type: 'string', default: MODES.join(',') },
      'alone-rounds': { type: 'string', default: '4' },
      'alone-slice': { type: 'string', default: '2' },
      resamples: { type: 'string', default: '500' },
      seed: { type: 'string', default: '1' },
      nice: { type: 'string', default: '-10' },
      'cpu-prof': { type: 'boolean', default: false },
    },
  });
  const modes = values.modes.split(',').map((mode) => mode.trim());
  const unknown = modes.filter((mode) => !(MODES as readonly string[]).includes(mode));
  if (unknown.length > 0) throw new Error(`--modes: unknown ${unknown.join(', ')} (known: ${MODES.join(', ')})`);
  // plain and off are every ratio's denominators.
  const chosen = MODES.filter((mode) => mode === 'plain' || mode === 'off' || modes.includes(mode));
  const aloneRounds = Number(values['alone-rounds']);
  if (!Number.isInteger(aloneRounds) || aloneRounds < 0) throw new Error(`--alone-rounds: expected a whole number, got ${values['alone-rounds']}`);
  return {
    seconds: positive(values.seconds, '--seconds'),
    warmupSeconds: positive(values.warmup, '--warmup'),
    blockSeconds: positive(values.block, '--block'),
    rate: positive(values.rate, '--rate'),
    connections: positive(values.connections, '--connections'),
    aloneRounds,
    aloneSlice: positive(values['alone-slice'], '--alone-slice'),
    resamples: positive(values.resamples, '--resamples'),
    seed: positive(values.seed, '--seed'),
    nice: niceness(values.nice),
    modes: chosen,
    cpuProf: values['cpu-prof'],
  };
}

/** portico_mirror_requests_total from a Prometheus text page, by source and result. */
function mirrorCounts(page: string): Map<string, Record<string, number>> {
  const counts = new Map<string, Record<string, number>>();
  for (const match of page.matchAll(/^portico_mirror_requests_total\{([^}]*)\} (\S+)$/gm)) {
    const labels = Object.fromEntries([...match[1]!.matchAll(/(\w+)="([^"]*)"/g)].map((label) => [label[1]!, label[2]!]));
    if (!labels['source'] || !labels['result']) continue;
    const bySource = counts.get(labels['source']) ?? {};
    bySource[labels['result']] = Number(match[2]);
    counts.set(labels['source'], bySource);
  }
  return counts;
}

function niceness(raw: string): number {
  const value = Number(raw);
  if (!Number.isInteger(value) || value < -20 || value > 19) throw new Error(`--nice: expected a whole number from -20 to 19, got ${raw}`);
  return value;
}

const loadAverage = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).map(Number) as [number, number, number];

async function main(): Promise<void> {
  const { seconds, warmupSeconds, blockSeconds, rate, connections, aloneRounds, aloneSlice, resamples, seed, nice, modes, cpuProf } = options();
  const profileDir = path.join(root, '.bench-results', `mirror-profile-${new Date().toISOString().replace(/[:.]/g, '-')}`);
  const group = new ProcessGroup();
  process.once('SIGINT', () => void group.stopAll().then(() => process.exit(130)));
  let result: { ok: boolean } | undefined;
  // The 1-minute load average, sampled through the run: the machine is shared.
  const loads: number[] = [loadAverage()[0]];
  const sampler = setInterval(() => loads.push(loadAverage()[0]), 10_000);
  try {
    const users = ['--import', 'tsx', 'subgraphs/run.ts', 'users', '--port', '0', '--exit-with-stdin'];
    // The processes measured (users, gateway, load generator) each in a session of their own, so
    // that `prioritise` can raise their share against the machine's other sessions.
    const stable = group.start({ name: 'users', cpu: REST_CPU, command: process.execPath, args: users, cwd: root, stdin: 'pipe', ownSession: true });
    const healthy = group.start({ name: 'shadow-healthy', cpu: REST_CPU, command: process.execPath, args: users, cwd: root, stdin: 'pipe', ownSession: true });
    const trouble = Object.fromEntries(
      Object.keys(TROUBLE).map((mode) => [mode, group.start({ name: `shadow-${mode}`, cpu: REST_CPU, command: process.execPath, args: ['--import', 'tsx', 'bench/mirror/upstream.ts'], cwd: root, stdin: 'pipe' })]),
    );
    const [stableUrl, healthyUrl, ...troubleUrls] = await Promise.all([
      waitForLine(stable, 'READY users ', 120_000),
      waitForLine(healthy, 'READY users ', 120_000),
      ...Object.values(trouble).map((started) => waitForLine(started, 'READY ', 120_000)),
    ]);
    const shadowUrls = Object.fromEntries(Object.keys(trouble).map((mode, i) => [mode, troubleUrls[i]!]));
    for (const [mode, url] of Object.entries(shadowUrls)) await fetch(new URL('/__mode', url), { method: 'POST', body: TROUBLE[mode as Mode]! });
    // In production a shadow is a deployment of its own; here they share CPU 1 with the users
    // service and the load generator, so once started the troubled ones run at the lowest
    // priority (every thread: Linux nice is per thread): answering copies must not slow the
    // service that answers the client. Not from the start: at nice 19 on a busy machine they would
    // take minutes to boot. Not the healthy one: it answers 200 copies a second, and at nice 19
    // on a shared machine it fell behind, its copies timed out, and copying paused, so `healthy`
    // measured a mostly paused mirror. It has a session of its own at the default priority.
    for (const shadow of Object.values(trouble)) reniceAll(shadow.pid, 19);
    if (cpuProf) mkdirSync(profileDir, { recursive: true });
    const gateway = group.start({
      name: 'gateway',
      cpu: GATEWAY_CPU,
      command: process.execPath,
      args: [...(cpuProf ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : []), '--import', 'tsx', 'src/main.ts', 'start', '--config', 'bench/mirror/portico.config.ts'],
      cwd: root,
      ownSession: true,
      env: {
        LOG_LEVEL: 'warn',
        NODE_ENV: 'production',
        PORTICO_DEMO: '1',
        USERS_URL: stableUrl,
        SHADOW_HEALTHY_URL: healthyUrl,
        SHADOW_HANGING_URL: shadowUrls['hanging'],
        SHADOW_FAILING_URL: shadowUrls['failing'],
        SHADOW_DOWN_URL: shadowUrls['down'],
      },
    });
    const loadgen = startJobProcess<MixedLoadJob, MixedLoadResult>(group, 'mixed-load', REST_CPU, root, 'bench/lib/mixedLoad.ts', { ownSession: true });
    // The gateway prints one `<bff> <url>` line per BFF, in config order, then its metrics URL.
    const urls = new Map<string, string>();
    const lines = createInterface({ input: gateway.child.stdout! });
    lines.on('line', (line) => {
      const match = /^bench-(\S+)\s+(\S+)/.exec(line);
      if (match) urls.set(match[1]!, match[2]!);
    });
    const metricsUrl = (await waitForLine(gateway, 'metrics', 60_000)).trim();
    lines.close();
    // The processes measured run above the machine's other work (-10 by default, as root): on a
    // shared machine a neighbour's burst then preempts them less, and the gateway is not starved
    // into a queue at the set rate. A neighbour delays every mode alike either way (the modes are
    // interleaved); this keeps the delay small against what a mode does itself.
    const reniced = nice === 0 || [gateway.pid, stable.pid, loadgen.pid].every((pid) => prioritise(pid, nice));
    if (!reniced) process.stderr.write(`could not renice to ${nice} (not root?): the measured processes run at the machine's default priority\n`);
    const urlOf = (mode: Mode) => urls.get(mode)!;
    const expected = (await (await fetch(urlOf('plain'), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: QUERY }) })).json()) as { data: unknown };
    const job = (targets: readonly Mode[], warmup: number, duration: number, jobSeed: number): MixedLoadJob => ({
      targets: targets.map((mode) => ({ name: mode, url: urlOf(mode) })),
      body: JSON.stringify({ query: QUERY }),
      headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json' },
      expectedData: expected.data,
      rate,
      connections,
      warmupSeconds: warmup,
      durationSeconds: duration,
      blockSeconds,
      seed: jobSeed,
    });

    // 1. Mixed: every mode at once. The warm-up (JIT, pools, each mirror's first failures and
    // pause) is checked, not measured.
    process.stderr.write(`mixed: ${modes.length} modes interleaved at ${rate} req/s for ${warmupSeconds} + ${seconds} s\n`);
    const mixedCpuBefore = cpuSeconds(gateway.pid);
    const mixed = await loadgen.run(job(modes, warmupSeconds, seconds, seed));
    const mixedCpu = cpuSeconds(gateway.pid) - mixedCpuBefore;
    const blocksOf = (mode: Mode) => mixed.targets[mode]!.blocks.map((bins) => LatencyHistogram.ofBins(bins));
    const histograms = Object.fromEntries(modes.map((mode) => [mode, blocksOf(mode)])) as Record<Mode, LatencyHistogram[]>;
    const pooled = (list: readonly LatencyHistogram[]) => list.reduce((sum, histogram) => sum.merge(histogram), new LatencyHistogram());
    const estimate = (mode: Mode, reference: Mode, q = 0.99): RatioEstimate => pairedBootstrap(histograms[mode], histograms[reference], q, resamples, seed);
    const perBlock = (mode: Mode, reference: Mode) => histograms[mode].map((histogram, i) => histogram.percentile(0.99) / histograms[reference][i]!.percentile(0.99));

    // 2. Alone: each mode by itself at the same rate, for the gateway's CPU per request.
    const alone = Object.fromEntries(modes.map((mode) => [mode, [] as { cpuSeconds: number; requests: number; failures: number; histogram: LatencyHistogram }[]])) as Record<
      Mode,
      { cpuSeconds: number; requests: number; failures: number; histogram: LatencyHistogram }[]
    >;
    for (let round = 0; round < aloneRounds; round++) {
      // Rotated, so no mode always runs first in a round, or right after the same other mode.
      const order = modes.map((_, i) => modes[(i + round) % modes.length]!);
      for (const mode of order) {
        const before = cpuSeconds(gateway.pid);
        const run = await loadgen.run({ ...job([mode], ALONE_WARMUP_SECONDS, aloneSlice, seed + round), blockSeconds: aloneSlice });
        const target = run.targets[mode]!;
        alone[mode].push({ cpuSeconds: cpuSeconds(gateway.pid) - before, requests: target.sent, failures: target.failures, histogram: pooled(target.blocks.map((bins) => LatencyHistogram.ofBins(bins))) });
      }
      process.stderr.write(`alone: round ${round + 1}/${aloneRounds}\n`);
    }
    const cpuPerRequest = (runs: readonly { cpuSeconds: number; requests: number }[]) => (runs.reduce((n, run) => n + run.cpuSeconds, 0) * 1e6) / runs.reduce((n, run) => n + run.requests, 0);

    const summary = Object.fromEntries(
      modes.map((mode) => {
        const all = pooled(histograms[mode]);
        const target = mixed.targets[mode]!;
        return [
          mode,
          {
            sent: target.sent,
            measured: all.total,
            p50: all.percentile(0.5),
            p99: all.percentile(0.99),
            p999: all.percentile(0.999),
            vsOff: mode === 'off' ? undefined : estimate(mode, 'off'),
            // The median's ratio shows what a mode does to its own requests when no pause decides
            // the figure: the resolution the p99's interval does not show.
            p50VsOff: mode === 'off' ? undefined : estimate(mode, 'off', 0.5),
            vsPlain: mode === 'plain' ? undefined : estimate(mode, 'plain'),
            perBlockVsOff: mode === 'off' ? undefined : perBlock(mode, 'off'),
            failures: target.failures + alone[mode].reduce((n, run) => n + run.failures, 0),
            firstFailure: target.firstFailure,
            alone:
              aloneRounds === 0
                ? undefined
                : {
                    requests: alone[mode].reduce((n, run) => n + run.requests, 0),
                    cpuUsPerRequest: cpuPerRequest(alone[mode]),
                    perRoundCpuVsOff: alone[mode].map((run, i) => run.cpuSeconds / run.requests / (alone.off[i]!.cpuSeconds / alone.off[i]!.requests)),
                    p99: pooled(alone[mode].map((run) => run.histogram)).percentile(0.99),
                  },
          },
        ];
      }),
    ) as Record<
      Mode,
      {
        sent: number;
        measured: number;
        p50: number;
        p99: number;
        p999: number;
        vsOff?: RatioEstimate;
        p50VsOff?: RatioEstimate;
        vsPlain?: RatioEstimate;
        perBlockVsOff?: number[];
        failures: number;
        firstFailure?: string;
        alone?: { requests: number; cpuUsPerRequest: number; perRoundCpuVsOff: number[]; p99: number };
      }
    >;

    // What the copies did over the whole run, from the gateway's own counters: a mirror that
    // paused shows here (a "healthy" shadow that cannot keep up would be a paused one).
    const copies = mirrorCounts(await (await fetch(metricsUrl)).text());

    const percent = (ratio: number) => `${ratio >= 1 ? '+' : ''}${((ratio - 1) * 100).toFixed(1)} %`;
    const interval = (e: RatioEstimate | undefined) => (e ? `${percent(e.ratio)} [${percent(e.low)}, ${percent(e.high)}]` : '—');
    const blocks = histograms.off.length;
    const [load1, load5, load15] = loadAverage();
    loads.push(load1);
    console.log(
      `mirroring, mixed: ${modes.length} modes interleaved in one gateway, ${rate} req/s in all (open loop, latency from the scheduled send), ${connections} connections per BFF, ` +
        `${warmupSeconds} s warm-up + ${seconds} s measured in ${blocks} blocks of ${blockSeconds} s; query ${QUERY}`,
    );
    console.log(
      `load average: 1-min ${Math.min(...loads).toFixed(2)}-${Math.max(...loads).toFixed(2)} during the run, ${load1.toFixed(2)} ${load5.toFixed(2)} ${load15.toFixed(2)} at the end; ` +
        `${nice === 0 ? '' : `gateway, users service and load generator at nice ${nice}; `}load generator's send lag p50 ${mixed.sendLag.p50.toFixed(2)} ms, p99 ${mixed.sendLag.p99.toFixed(2)} ms, max ${mixed.sendLag.max.toFixed(2)} ms; gateway CPU ${((mixedCpu * 1e6) / modes.reduce((n, mode) => n + summary[mode].sent, 0)).toFixed(0)} µs/request over the mixed part`,
    );
    console.log('p99 ratios pooled over all blocks, with a 95 % paired-bootstrap interval over blocks (pairs: the same time block)');
    console.log('mode      measured   p50 ms   p99 ms  p99.9 ms   p99 vs off [95 %]          p99 vs plain [95 %]        p50 vs off [95 %]          failures');
    for (const mode of modes) {
      const s = summary[mode];
      console.log(
        `${mode.padEnd(8)} ${String(s.measured).padStart(9)}  ${s.p50.toFixed(2).padStart(7)}  ${s.p99.toFixed(2).padStart(7)}  ${s.p999.toFixed(2).padStart(8)}   ${interval(s.vsOff).padEnd(26)} ${interval(s.vsPlain).padEnd(26)} ${interval(s.p50VsOff).padEnd(26)} ${String(s.failures).padStart(8)}`,
      );
    }
    console.log(`p99 vs off, per ${blockSeconds} s block (each from a few hundred samples per mode: the noise pooling averages out):`);
    for (const mode of modes.filter((m) => m !== 'off')) {
      const list = summary[mode].perBlockVsOff!.filter((ratio) => Number.isFinite(ratio));
      const sorted = [...list].sort((a, b) => a - b);
      console.log(`  ${mode.padEnd(8)} median ${percent(median(list))}, middle 80 % ${percent(sorted[Math.floor(sorted.length * 0.1)]!)} … ${percent(sorted[Math.floor(sorted.length * 0.9)]!)}`);
    }
    // The run's weather: a block where every mode is slow is a pause of the machine or the gateway.
    const offBlocks = histograms.off.map((histogram) => histogram.percentile(0.99));
    console.log(`off's p99 per block, ms: ${offBlocks.map((p99) => p99.toFixed(1)).join(' ')}`);
    // A backlog left by a cold gateway drains into the first blocks and can be the whole pooled
    // tail, which every mode waited in alike.
    const behindAtStart = startedBehind(offBlocks);
    if (behindAtStart) console.log(`the first block's p99 is over twice the second half's largest: a backlog was still draining, the warm-up (--warmup ${warmupSeconds}) was too short for this machine`);
    if (aloneRounds > 0) {
      console.log(`alone (not judged): each mode by itself at ${rate} req/s, ${aloneRounds} rounds × ${ALONE_WARMUP_SECONDS} + ${aloneSlice} s, rotated; the gateway's CPU per request (/proc), and its indirect cost`);
      console.log('mode      requests   CPU µs/req   vs off   per-round vs off (median, range)');
      for (const mode of modes) {
        const a = summary[mode].alone!;
        const rounds = [...a.perRoundCpuVsOff].sort((x, y) => x - y);
        console.log(
          `${mode.padEnd(8)} ${String(a.requests).padStart(9)}  ${a.cpuUsPerRequest.toFixed(0).padStart(11)}  ${(mode === 'off' ? '—' : percent(a.cpuUsPerRequest / summary.off.alone!.cpuUsPerRequest)).padStart(7)}   ${mode === 'off' ? '—' : `${percent(median(rounds))} (${percent(rounds[0]!)} … ${percent(rounds.at(-1)!)})`}`,
        );
      }
      // Printed to show why the p99 is judged on the mixed part: each of these is a few seconds
      // of one mode, and says mostly whether a GC pause landed in them.
      console.log(`p99 ms alone (sequential, ${aloneRounds} × ${aloneSlice} s per mode; not comparable, see above): ${modes.map((mode) => `${mode} ${summary[mode].alone!.p99.toFixed(1)}`).join(', ')}`);
    }
    console.log(
      `what the copies did (portico_mirror_requests_total, whole run): ${modes
        .filter((mode) => mode !== 'plain' && mode !== 'off')
        .map((mode) => `${mode}: ${Object.entries(copies.get(`users-${mode}`) ?? {}).map(([outcome, n]) => `${outcome} ${n}`).join(', ') || 'none'}`)
        .join('; ')}`,
    );
    const judged = JUDGED.filter((mode) => modes.includes(mode));
    const failures = modes.reduce((n, mode) => n + summary[mode].failures, 0);
    for (const mode of modes) if (summary[mode].firstFailure) console.log(`${mode}: first failure: ${summary[mode].firstFailure}`);
    const readings = Object.fromEntries(judged.map((mode) => [mode, readBound(summary[mode].vsOff!, TARGET)]));
    const keptUp = mixed.behindSeconds <= MAX_BEHIND_SECONDS && !behindAtStart;
    if (!keptUp) console.log(`the gateway fell behind the schedule (last answer ${mixed.behindSeconds.toFixed(1)} s after the last send): the latencies are a queue's; lower --rate`);
    const verdict = boundVerdict(Object.values(readings), failures, keptUp);
    const ok = verdict === 'PASS';
    console.log(judged.map((mode) => `${mode}: ${readings[mode]} (p99 vs off ${interval(summary[mode].vsOff)})`).join('; '));
    console.log(
      `${verdict}: a ${judged.join(', ')} shadow moves the client's p99 by less than ${TARGET * 100} % against mirroring off (mixed, 95 % interval below the bound) and changes no answer (${failures} failures)` +
        (verdict === 'UNRESOLVED' ? '; an interval straddles the bound: a longer run (--seconds) narrows it' : ''),
    );
    mkdirSync(path.join(root, '.bench-results'), { recursive: true });
    result = { ok };
    writeFileSync(
      path.join(root, '.bench-results', 'mirror.json'),
      JSON.stringify({ at: new Date().toISOString(), rate, connections, warmupSeconds, seconds, blockSeconds, aloneRounds, aloneSlice, seed, loadAverage: { during: loads, end: [load1, load5, load15] }, sendLag: mixed.sendLag, behindSeconds: mixed.behindSeconds, nice, summary, copies: Object.fromEntries(copies), verdict, ok }, null, 2),
    );
    process.exitCode = ok ? 0 : 1;
  } finally {
    clearInterval(sampler);
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
