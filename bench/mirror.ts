/**
 * What mirroring costs a client, in one run (docs/traffic.md):
 *   node --import tsx bench/mirror.ts [--duration 5] [--connections 16] [--rounds 3]
 *
 * One gateway process (`portico start`, config bench/mirror/) serves two BFFs over the same users
 * service: `bench-plain` calls it plainly, `bench-mirrored` copies every read (100 %) to a second
 * users process, the shadow. Each round loads, in turn:
 *   - plain                the baseline;
 *   - mirrored, healthy    the shadow answers (copies compared, all equal);
 *   - mirrored, hanging    the shadow holds every copy (fault knob `hang`): copies end by their
 *                          own 2 s timeout, at most 32 at once, the rest skipped;
 *   - mirrored, failing    the shadow answers 500 to everything (fault knob `errorRate: 1`).
 * Every answer of every run is checked against the expected data (a changed answer is a
 * mismatch), and each mirrored run's p99 is compared with the plain run's of the same round; the
 * figures are medians over rounds. Target: a hanging or failing shadow moves the client's p99 by
 * at most 5 % and changes no answer.
 *
 * Bounded: duration × 4 × rounds seconds of load (60 s by default), plus start-up. Results are
 * printed and written to .bench-results/mirror.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { parseLoadOptions } from './lib/loadOptions.js';
import { runLoad, type LoadResult } from './lib/loadgen.js';
import { ProcessGroup, waitForLine } from './lib/processes.js';
import { median } from './lib/report.js';

const root = path.resolve(import.meta.dirname, '..');
const TARGET = 0.05;
const { durationSeconds, connections, rounds } = parseLoadOptions({ durationSeconds: 5, connections: 16, rounds: 3 });
const QUERY = '{ user(id: "u1") { id name } }';

type Mode = 'plain' | 'healthy' | 'hanging' | 'failing';
const MODES: readonly Mode[] = ['plain', 'healthy', 'hanging', 'failing'];

async function main(): Promise<void> {
  const group = new ProcessGroup();
  try {
    const subgraph = (name: string) =>
      group.start({ name, cpu: 1, command: process.execPath, args: ['--import', 'tsx', 'subgraphs/run.ts', 'users', '--port', '0', '--exit-with-stdin'], cwd: root, stdin: 'pipe' });
    const stable = subgraph('users');
    const shadow = subgraph('shadow');
    const [stableUrl, shadowUrl] = await Promise.all([waitForLine(stable, 'READY users ', 60_000), waitForLine(shadow, 'READY users ', 60_000)]);
    const gateway = group.start({
      name: 'gateway',
      cpu: 0,
      command: process.execPath,
      args: ['--import', 'tsx', 'src/main.ts', 'start', '--config', 'bench/mirror/portico.config.ts'],
      cwd: root,
      env: { LOG_LEVEL: 'warn', PORTICO_DEMO: '1', USERS_URL: stableUrl, SHADOW_URL: shadowUrl },
    });
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
      runLoad({ url, body: JSON.stringify({ query: QUERY }), headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json' }, connections, durationSeconds: seconds, expectedData: expected.data });

    // Warm-up: both BFFs, so the first measured run does not pay for JIT and pool set-up.
    await load(plainUrl, 2);
    await load(mirroredUrl, 2);
    const runs: Record<Mode, LoadResult[]> = { plain: [], healthy: [], hanging: [], failing: [] };
    for (let round = 0; round < rounds; round++) {
      for (const mode of MODES) {
        await faults({});
        if (mode === 'hanging') await faults({ hang: true });
        if (mode === 'failing') await faults({ errorRate: 1 });
        runs[mode].push(await load(mode === 'plain' ? plainUrl : mirroredUrl, durationSeconds));
      }
    }
    await faults({});

    const summary = Object.fromEntries(
      MODES.map((mode) => {
        const list = runs[mode];
        return [mode, { rps: median(list.map((r) => r.rps)), p50: median(list.map((r) => r.p50)), p99: median(list.map((r) => r.p99)), failures: list.reduce((n, r) => n + r.non2xx + r.errors + r.timeouts, 0), mismatches: list.reduce((n, r) => n + r.mismatches, 0) }];
      }),
    ) as Record<Mode, { rps: number; p50: number; p99: number; failures: number; mismatches: number }>;
    // Per round, mirrored p99 over the same round's plain p99; the median of those ratios.
    const ratio = (mode: Mode) => median(runs[mode].map((run, i) => run.p99 / runs.plain[i]!.p99));
    const ratios = { healthy: ratio('healthy'), hanging: ratio('hanging'), failing: ratio('failing') };

    console.log(`mirroring: ${rounds} round(s) of ${durationSeconds} s per mode, ${connections} connections, query ${QUERY}`);
    console.log('mode      req/s    p50 ms   p99 ms   p99 vs plain   failures  changed answers');
    for (const mode of MODES) {
      const s = summary[mode];
      const vs = mode === 'plain' ? '—' : `${((ratios[mode] - 1) * 100).toFixed(1)} %`;
      console.log(`${mode.padEnd(9)} ${s.rps.toFixed(0).padStart(6)}  ${s.p50.toFixed(2).padStart(7)}  ${s.p99.toFixed(2).padStart(7)}  ${vs.padStart(13)}  ${String(s.failures).padStart(8)}  ${String(s.mismatches).padStart(15)}`);
    }
    const ok = (['hanging', 'failing'] as const).every((mode) => ratios[mode] - 1 <= TARGET && summary[mode].mismatches === 0 && summary[mode].failures === 0);
    console.log(`${ok ? 'PASS' : 'FAIL'}: a hanging or failing shadow moves the client's p99 by at most ${TARGET * 100} % and changes no answer`);
    mkdirSync(path.join(root, '.bench-results'), { recursive: true });
    writeFileSync(path.join(root, '.bench-results', 'mirror.json'), JSON.stringify({ durationSeconds, connections, rounds, summary, ratios, ok }, null, 2));
    process.exitCode = ok ? 0 : 1;
  } finally {
    await group.stopAll();
  }
}

await main();
