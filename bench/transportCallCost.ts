/**
 * What the transport chain costs per upstream call, in CPU, and what a request leaves on the heap
 * after it ended: one commit's chain against another's, in one process:
 *   node --expose-gc --import tsx bench/transportCallCost.ts --base <commit> [--new <commit>]
 *     [--requests 400] [--blocks 12] [--width 16] [--heap-requests 2000] [--rounds 6]
 *     [--timeout-ms 5000] [--workloads distinct,same,layers,leases] [--variants base,base-noshare,new,noshare]
 *
 * The `src/` of `--base` and of `--new` (default: HEAD; `worktree`: this checkout's `src/` as it
 * is) are taken with `git archive` into temporary folders, with package.json and tsconfig.json so
 * tsx compiles both alike, and their chains are built side by side over their own pools, against
 * one tiny upstream process on CPU 1 (bench/mirror/upstream.ts); this process is pinned to CPU 0. Each simulated request has
 * its own AbortSignal and budget, as the server gives it, and makes 8 calls in three plan steps
 * (1, then 4 at once, then 3 at once), as a federated query does. Variants:
 * - `base`, `new`: the two chains with shared calls on (the default);
 * - `base-noshare`, `noshare`: the same with shared calls off, i.e. what a call cost before
 *   they existed.
 * Workloads: `distinct` (every request's calls differ from every other's: nothing to share, as in
 * bench (d)), `same` (`--width` requests at once ask the same 8 things: calls join passes; 8×
 * the requests per block, each call being that much cheaper), and `layers`: `distinct` with the
 * pool replaced by an answer ready at once, so the figure is the chain's own CPU, without the
 * pool's and the sockets' (and their noise); `leases`: the deadline leases alone, as the deadline
 * layer takes and releases them, each answer a turn of the event loop later (variants `base` and
 * `new` only).
 *
 * Work a call leaves for later (a deadline timer firing `--timeout-ms` after it, the old
 * generation's collection of what that kept alive) lands in whichever block runs then: to charge
 * it to its own variant, make blocks longer than the timeout, or the timeout shorter than a block.
 *
 * CPU: blocks of `--requests` requests per variant, the variants' order rotated per block; the
 * figure is CPU µs of this process per call (process.cpuUsage), the median over blocks, and
 * medians of per-block ratios (paired, so a neighbour's load hits both sides alike): each variant
 * to the first one chosen (`base` by default), and what shared calls cost each chain (`base`/`base-noshare`, `new`/`noshare`).
 *
 * Heap (needs --expose-gc): per round, each variant in turn, `gc()`, `--heap-requests`
 * requests, wait until all have settled, `gc()` again: heap still used per request that has
 * ended. The source timeout is 60 s there, so no deadline timer of an earlier round fires during a
 * later one (which would credit its freed bytes to another variant); what a timer holds is the
 * same for any timeout.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, realpathSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { Registry } from 'prom-client';
import type * as ComposeModule from '../src/transport/composeTransport.js';
import type * as DeadlineModule from '../src/transport/deadlineSignals.js';
import type * as HttpModule from '../src/transport/httpClient.js';
import type * as MetricsModule from '../src/transport/transportMetrics.js';
import type { RequestScope } from '../src/context/requestScope.js';
import type { HttpCall } from '../src/transport/upstreamCall.js';
import { ANONYMOUS } from '../src/context/principal.js';
import { positive } from './lib/loadOptions.js';
import { ProcessGroup, waitForLine } from './lib/processes.js';
import { median } from './lib/report.js';

const root = path.resolve(import.meta.dirname, '..');
const { values } = parseArgs({
  options: {
    base: { type: 'string' },
    new: { type: 'string' },
    requests: { type: 'string', default: '400' },
    blocks: { type: 'string', default: '12' },
    width: { type: 'string', default: '16' },
    'heap-requests': { type: 'string', default: '2000' },
    rounds: { type: 'string', default: '6' },
    /** Source timeout of the CPU part: a short one makes each block's timers fire within it. */
    'timeout-ms': { type: 'string', default: '5000' },
    workloads: { type: 'string', default: 'distinct,same,layers' },
    variants: { type: 'string', default: 'base,base-noshare,new,noshare' },
  },
});
if (!values.base) throw new Error('--base <commit> is required: the chain to compare with');
const requests = positive(values.requests, '--requests');
const blocks = positive(values.blocks, '--blocks');
const width = positive(values.width, '--width');
const heapRequests = positive(values['heap-requests'], '--heap-requests');
const rounds = positive(values.rounds, '--rounds');
const timeoutMs = positive(values['timeout-ms'], '--timeout-ms');
const chosenWorkloads = new Set(values.workloads.split(','));
const chosenVariants = new Set(values.variants.split(','));
/** Calls per request, in steps made at once: a federated query's plan. */
const STEPS = [1, 4, 3];
const CALLS_PER_REQUEST = STEPS.reduce((a, b) => a + b, 0);

interface Modules {
  compose: typeof ComposeModule;
  deadline: typeof DeadlineModule;
  http: typeof HttpModule;
  metrics: typeof MetricsModule;
}

/** The `src/` of `commit`, importable: its own folder, this checkout's node_modules beside it. */
async function modulesAt(commit: string): Promise<Modules> {
  // `worktree`: this checkout's src/ as it is, uncommitted changes included.
  const sha = commit === 'worktree' ? '' : execFileSync('git', ['rev-parse', '--short=12', commit], { cwd: root, encoding: 'utf8' }).trim();
  const dir = sha === '' ? root : path.join(os.tmpdir(), `portico-transport-${sha}`);
  if (!existsSync(path.join(dir, 'src'))) {
    mkdirSync(dir, { recursive: true });
    execFileSync('sh', ['-c', `git archive ${sha} src package.json tsconfig.json | tar -x -C ${JSON.stringify(dir)}`], { cwd: root });
    symlinkSync(realpathSync(path.join(root, 'node_modules')), path.join(dir, 'node_modules'));
  }
  const at = (file: string) => pathToFileURL(path.join(dir, 'src', file)).href;
  return {
    compose: (await import(at('transport/composeTransport.ts'))) as typeof ComposeModule,
    deadline: (await import(at('transport/deadlineSignals.ts'))) as typeof DeadlineModule,
    http: (await import(at('transport/httpClient.ts'))) as typeof HttpModule,
    metrics: (await import(at('transport/transportMetrics.ts'))) as typeof MetricsModule,
  };
}

interface Variant {
  name: string;
  call: HttpCall;
  close(): Promise<void>;
}

const ANSWER = { status: 200, headers: { 'content-type': 'application/json' }, body: '{"data":{"user":{"id":"u1","name":"Ada Lovelace"}}}' };

function variant(name: string, modules: Modules, timeoutMs: number, shareCalls: boolean, pool = true): Variant {
  const http = modules.http.createHttpClient();
  const transport = modules.compose.createSourceTransport({
    source: 'users',
    http: pool ? http.call : () => Promise.resolve(ANSWER),
    metrics: modules.metrics.transportMetrics(new Registry()),
    resilience: {
      timeoutMs,
      breaker: { errorThresholdPercentage: 50, volumeThreshold: 20, resetTimeoutMs: 30_000, rollingCountTimeoutMs: 10_000, rollingCountBuckets: 10 },
      retry: { maxRetries: 2, baseDelayMs: 50, maxDelayMs: 500, budgetRatio: 0.1, budgetMin: 10, budgetWindowMs: 10_000 },
      fallback: { enabled: false, ttlMs: 60_000 },
    },
    // One per gateway in `portico serve` (createSourceTransports.ts): here one per variant.
    deadlineSignals: modules.deadline.createDeadlineSignals(),
    shareCalls,
  });
  return {
    name,
    call: transport.call,
    close: async () => {
      transport.breaker.shutdown();
      await http.close();
    },
  };
}

/**
 * Deadline leases alone: each call takes its request's lease (deadlineSignals.ts) as the deadline
 * layer does, its answer arrives in a later turn of the event loop (setImmediate), as a socket's
 * would, and it releases the lease then.
 */
function leaseVariant(name: string, modules: Modules, timeoutMs: number): Variant {
  const signals = modules.deadline.createDeadlineSignals();
  return {
    name,
    call: async (request) => {
      const now = Date.now();
      const deadline = Math.min(now + timeoutMs, request.scope?.deadline ?? Infinity);
      const lease = signals.acquire(request.signal, deadline, deadline - now, timeoutMs / 20);
      await new Promise((resolve) => setImmediate(resolve));
      lease.release();
      return ANSWER;
    },
    close: () => Promise.resolve(),
  };
}

const group = new ProcessGroup();
try {
  execFileSync('taskset', ['-a', '-p', '-c', '0', String(process.pid)], { stdio: 'ignore' });
  const started = group.start({ name: 'upstream', cpu: 1, command: process.execPath, args: ['--import', 'tsx', 'bench/mirror/upstream.ts'], cwd: root, stdin: 'pipe' });
  const url = await waitForLine(started, 'READY ', 60_000);
  const base = await modulesAt(values.base);
  const current = await modulesAt(values.new ?? 'HEAD');
  if (values.new === undefined && execFileSync('git', ['status', '--porcelain', 'src'], { cwd: root, encoding: 'utf8' }).trim() !== '') {
    console.log('note: src/ has uncommitted changes; `new` is HEAD, without them');
  }

  let sequence = 0;
  /** Calls that failed, by error code, over the whole run. */
  const failures = new Map<string, number>();
  /** One request: its own signal and budget, 8 calls in three steps. `same`: every request's calls are equal. */
  const request = async (call: HttpCall, same: boolean, timeoutMs: number) => {
    const id = String(sequence++);
    const controller = new AbortController();
    const scope: RequestScope = { requestId: id, principal: ANONYMOUS, upstreamHeaders: {}, signal: controller.signal, deadline: Date.now() + timeoutMs };
    let n = 0;
    for (const parallel of STEPS) {
      await Promise.all(
        Array.from({ length: parallel }, async () => {
          const body = `{"query":"{ user(id: \\"u${n++}\\") { id name } }"}`;
          const headers: Record<string, string> = { 'content-type': 'application/json', 'x-request-id': id };
          // Another caller's identity: equal calls of different requests never share.
          if (!same) headers['x-portico-subject'] = id;
          // A failed call is counted, not fatal: a neighbour starving this process past a deadline
          // should cost one figure its precision, not the whole run.
          const response = await call({ method: 'POST', url, headers, body, source: 'users', idempotent: true, scope, signal: controller.signal }).catch((error: unknown) => {
            const code = String((error as { extensions?: { code?: unknown } }).extensions?.code ?? error);
            failures.set(code, (failures.get(code) ?? 0) + 1);
            return undefined;
          });
          if (response !== undefined && response.status !== 200) throw new Error(`answered ${response.status}`);
        }),
      );
    }
  };
  /** `count` requests, `width` at a time. */
  const run = async (call: HttpCall, same: boolean, count: number, timeoutMs: number) => {
    let next = 0;
    await Promise.all(
      Array.from({ length: width }, async () => {
        while (next++ < count) await request(call, same, timeoutMs);
      }),
    );
  };
  const cpuPerCall = async (call: HttpCall, same: boolean, count: number) => {
    const before = process.cpuUsage();
    await run(call, same, count, timeoutMs);
    const used = process.cpuUsage(before);
    return (used.user + used.system) / (count * CALLS_PER_REQUEST);
  };

  const chains = (pool: boolean) =>
    [
      variant('base', base, timeoutMs, true, pool),
      variant('base-noshare', base, timeoutMs, false, pool),
      variant('new', current, timeoutMs, true, pool),
      variant('noshare', current, timeoutMs, false, pool),
    ].filter((v) => chosenVariants.has(v.name));
  const workloads = [
    { name: 'distinct', same: false, count: requests, pool: true },
    { name: 'same', same: true, count: requests * 8, pool: true },
    { name: 'layers', same: false, count: requests * 8, pool: false },
    { name: 'leases', same: false, count: requests * 8, pool: false },
  ]
    .filter((w) => chosenWorkloads.has(w.name))
    .map((w) => ({
      ...w,
      variants: w.name === 'leases' ? [leaseVariant('base', base, timeoutMs), leaseVariant('new', current, timeoutMs)].filter((v) => chosenVariants.has(v.name)) : chains(w.pool),
    }));
  console.log(`transport call cost: base ${values.base}, new ${values.new ?? 'HEAD'}, ${blocks} blocks of ${requests} requests (${CALLS_PER_REQUEST} calls each), ${width} requests at a time`);
  console.log('CPU µs of this process per call, median over blocks; ×: median of per-block ratios (min … max)');
  for (const { name, same, count, variants } of workloads) {
    for (const v of variants) await cpuPerCall(v.call, same, count);
    const cpu = new Map<string, number[]>(variants.map((v) => [v.name, []]));
    for (let i = 0; i < blocks; i++) {
      for (let j = 0; j < variants.length; j++) {
        const v = variants[(i + j) % variants.length]!;
        cpu.get(v.name)!.push(await cpuPerCall(v.call, same, count));
      }
    }
    const ratio = (a: string, b: string) => {
      const over = cpu.get(b);
      if (over === undefined || !cpu.has(a)) return '–';
      const ratios = cpu.get(a)!.map((value, i) => value / over[i]!).sort((x, y) => x - y);
      return `×${median(ratios).toFixed(3)} (${ratios[0]!.toFixed(3)} … ${ratios.at(-1)!.toFixed(3)})`;
    };
    console.log(`${name}:`);
    const reference = variants[0]!.name;
    for (const v of variants) console.log(`  ${v.name.padEnd(13)} ${median(cpu.get(v.name)!).toFixed(1).padStart(7)} µs   to ${reference} ${ratio(v.name, reference)}`);
    console.log(`  shared calls cost: base/base-noshare ${ratio('base', 'base-noshare')}   new/noshare ${ratio('new', 'noshare')}`);
    for (const v of variants) await v.close();
  }

  if (failures.size > 0) console.log(`failed calls: ${[...failures].map(([code, n]) => `${code} ${n}`).join(', ')}`);
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) {
    console.log('heap: skipped (run with node --expose-gc)');
  } else {
    const slow = [variant('base', base, 60_000, true), variant('base-noshare', base, 60_000, false), variant('new', current, 60_000, true), variant('noshare', current, 60_000, false)].filter((v) =>
      chosenVariants.has(v.name),
    );
    for (const v of slow) await run(v.call, false, requests, 60_000);
    const kept = new Map<string, number[]>(slow.map((v) => [v.name, []]));
    const settled = () => {
      gc();
      gc();
      return process.memoryUsage().heapUsed;
    };
    for (let i = 0; i < rounds; i++) {
      for (let j = 0; j < slow.length; j++) {
        const v = slow[(i + j) % slow.length]!;
        const before = settled();
        await run(v.call, false, heapRequests, 60_000);
        kept.get(v.name)!.push((settled() - before) / heapRequests);
      }
    }
    console.log(`heap kept per ended request (distinct, ${rounds} rounds of ${heapRequests}, interleaved):`);
    for (const v of slow) console.log(`  ${v.name.padEnd(13)} ${median(kept.get(v.name)!).toFixed(0).padStart(6)} B   (${kept.get(v.name)!.map((b) => b.toFixed(0)).join(', ')})`);
    for (const v of slow) await v.close();
  }
} finally {
  await group.stopAll();
}
