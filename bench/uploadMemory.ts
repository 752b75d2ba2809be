/**
 * Upload memory: how much does a fresh gateway's RSS grow while one large file streams through?
 *   npm run bench:uploads                                  10 fresh gateways, one 50 MiB upload each
 *   npm run bench:uploads -- --runs 1                      a smoke run
 *   npm run bench:uploads -- --queries 0                   the upload is the gateway's first request
 *   npm run bench:uploads -- --gc-every-bytes 4194304,0    the default against no forced collections, interleaved
 *
 * Each run starts a fresh `portico start` (one BFF taking uploads over the real users subgraph,
 * as test/e2e/uploads does), sends `--queries` ordinary queries, reads the gateway's VmRSS, resets
 * its VmHWM to it (/proc/PID/clear_refs 5) and streams one `--mib` file through; VmHWM is then the
 * exact peak. Growth = peak - baseline. Also the gateway's CPU time (utime + stime) during the
 * upload. Settings of `uploads.gcEveryBytes` given as a list alternate run by run, so a noisy
 * neighbour slows both. Prints median and max per setting; exit code 1 when a run with
 * collections on (the first setting other than 0) grows by 20 MiB or more (issue 22). Results in
 * .bench-results/upload-memory.json. Linux only (/proc).
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { SignJWT } from 'jose';
import { positive } from './lib/loadOptions.js';
import { cpuSeconds, peakRssMiB, rssMiB } from './lib/procStats.js';
import { runPortico } from '../test/support/cli.js';
import { uploadFile } from '../test/support/multipartUpload.js';
import { startSubgraph } from '../test/support/subgraphs.js';

const root = path.resolve(import.meta.dirname, '..');
const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '10' },
    mib: { type: 'string', default: '50' },
    queries: { type: 'string', default: '1' },
    'gc-every-bytes': { type: 'string', default: String(4 * 1024 * 1024) },
  },
});
const runs = positive(values.runs, '--runs');
const mib = positive(values.mib, '--mib');
const queries = Number(values.queries);
if (!Number.isInteger(queries) || queries < 0) throw new Error(`--queries: expected a whole number, got ${values.queries}`);
const settings = values['gc-every-bytes'].split(',').map((raw) => {
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) throw new Error(`--gc-every-bytes: expected whole numbers, got ${raw}`);
  return value;
});
const LIMIT_MIB = 20;
const SECRET = 'upload-memory-bench-secret-0123456789abcdef';

interface Run {
  gcEveryBytes: number;
  baselineMiB: number;
  peakMiB: number;
  growthMiB: number;
  cpuMs: number;
  seconds: number;
}

const users = await startSubgraph('users');
const dir = await mkdtemp(path.join(tmpdir(), 'portico-upload-memory-'));
const auth = { jwt: { keys: [{ alg: 'HS256', secret: SECRET }], algorithms: ['HS256'], issuer: 'bench', audience: 'app' } };
const configs = new Map<number, string>();
for (const gcEveryBytes of new Set(settings)) {
  const bffDir = path.join(dir, `gc-${gcEveryBytes}`);
  await mkdir(path.join(bffDir, 'uploads'), { recursive: true });
  const bff = { name: 'uploads', port: 0, sources: ['users'], auth, uploads: { enabled: true, maxFileBytes: (mib + 1) * 1024 * 1024, maxFiles: 1, gcEveryBytes } };
  await writeFile(path.join(bffDir, 'uploads', 'bff.config.ts'), `export default ${JSON.stringify(bff)};\n`);
  await writeFile(path.join(bffDir, 'portico.config.ts'), `export default ${JSON.stringify({ sources: path.join(root, 'schemas/sources.ts'), bffs: ['./uploads'] })};\n`);
  configs.set(gcEveryBytes, path.join(bffDir, 'portico.config.ts'));
}
const bearer = await new SignJWT({})
  .setProtectedHeader({ alg: 'HS256' })
  .setIssuer('bench')
  .setAudience('app')
  .setSubject('u1')
  .setJti(randomUUID())
  .setExpirationTime('2h')
  .sign(new TextEncoder().encode(SECRET));

const results: Run[] = [];
try {
  for (let round = 0; round < runs; round++) {
    for (const gcEveryBytes of settings) {
      const gateway = runPortico(['start', '--config', configs.get(gcEveryBytes)!], { USERS_URL: users.url });
      try {
        const url = (await gateway.waitForLine(/^uploads\s+(http:\S+)$/, 120_000))[1]!;
        const pid = gateway.child.pid!;
        for (let q = 0; q < queries; q++) {
          const response = await fetch(url, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${bearer}` },
            body: JSON.stringify({ query: '{ user(id: "u1") { id } }' }),
          });
          if (response.status !== 200) throw new Error(`query answered ${response.status}: ${await response.text()}`);
          await response.arrayBuffer();
        }
        const baselineMiB = rssMiB(pid);
        writeFileSync(`/proc/${pid}/clear_refs`, '5');
        const cpuBefore = cpuSeconds(pid);
        const started = performance.now();
        const answer = await uploadFile(url, mib * 1024 * 1024, { bearer });
        const seconds = (performance.now() - started) / 1000;
        const peakMiB = peakRssMiB(pid);
        const cpuMs = (cpuSeconds(pid) - cpuBefore) * 1000;
        if (answer.body.data?.uploadAvatar?.bytes !== mib * 1024 * 1024) throw new Error(`upload answered ${answer.status}: ${JSON.stringify(answer.body).slice(0, 300)}`);
        const run = { gcEveryBytes, baselineMiB, peakMiB, growthMiB: peakMiB - baselineMiB, cpuMs, seconds };
        results.push(run);
        console.log(`run ${round + 1}, gcEveryBytes ${gcEveryBytes}: baseline ${baselineMiB.toFixed(1)} MiB, peak ${peakMiB.toFixed(1)} MiB, growth ${run.growthMiB.toFixed(1)} MiB; gateway CPU ${cpuMs.toFixed(0)} ms, ${seconds.toFixed(1)} s`);
      } finally {
        await gateway.stop();
      }
    }
  }
} finally {
  await users.stop();
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
console.log(`\n${mib} MiB upload after ${queries} quer${queries === 1 ? 'y' : 'ies'}, ${runs} fresh gateway(s) per setting:`);
console.log('| gcEveryBytes | growth median | growth max | gateway CPU median | time median |');
console.log('| ---: | ---: | ---: | ---: | ---: |');
const summary = [...new Set(settings)].map((gcEveryBytes) => {
  const mine = results.filter((run) => run.gcEveryBytes === gcEveryBytes);
  const row = {
    gcEveryBytes,
    growthMedianMiB: median(mine.map((run) => run.growthMiB)),
    growthMaxMiB: Math.max(...mine.map((run) => run.growthMiB)),
    cpuMedianMs: median(mine.map((run) => run.cpuMs)),
    secondsMedian: median(mine.map((run) => run.seconds)),
  };
  console.log(`| ${gcEveryBytes} | ${row.growthMedianMiB.toFixed(1)} MiB | ${row.growthMaxMiB.toFixed(1)} MiB | ${row.cpuMedianMs.toFixed(0)} ms | ${row.secondsMedian.toFixed(1)} s |`);
  return row;
});
const judged = summary.find((row) => row.gcEveryBytes > 0);
const ok = judged === undefined || judged.growthMaxMiB < LIMIT_MIB;
console.log(judged ? `bench uploads: max growth ${judged.growthMaxMiB.toFixed(1)} MiB with gcEveryBytes ${judged.gcEveryBytes}, ${ok ? 'ok' : 'FAILED'} (limit ${LIMIT_MIB} MiB)` : 'bench uploads: no setting with collections on to judge');
mkdirSync(path.join(root, '.bench-results'), { recursive: true });
writeFileSync(path.join(root, '.bench-results', 'upload-memory.json'), JSON.stringify({ mib, queries, runs, results, summary, ok }, null, 2));
process.exitCode = ok ? 0 : 1;
