/**
 * An open-loop load generator over several targets at once, interleaved (bench/mirror.ts): its
 * own process (pinned by the bench to the core the gateway does not use), one job at a time over
 * the IPC channel, exits when the channel closes.
 *
 * Why not autocannon: a p99 comparison between targets must not depend on *when* each target was
 * loaded. Here every target is under load at the same time, requests follow one fixed schedule
 * (`rate` per second over all targets) with the targets shuffled per cycle, so a pause of the
 * process under test (a GC, a neighbour's burst) lands on every target alike; and each latency is
 * measured from the request's *scheduled* send time, so a stall of the server or of this process
 * is counted in full instead of silently sending fewer requests (coordinated omission).
 */
import { Pool } from 'undici';
import { LatencyHistogram } from './latencyHistogram.js';
import { blockOf, createSchedule, type Slot } from './mixedSchedule.js';
import { createBodyVerifier } from './verify.js';

export interface MixedLoadJob {
  targets: { name: string; url: string }[];
  /** The POST body (a GraphQL-over-HTTP request), the same for every target. */
  body: string;
  headers: Record<string, string>;
  /** The `data` every response must carry. */
  expectedData: unknown;
  /** Requests per second, over all targets together. */
  rate: number;
  /** Connections per target (one undici Pool each). */
  connections: number;
  /** Requests scheduled in the first this many seconds are checked but not measured. */
  warmupSeconds: number;
  /** Measured seconds after the warm-up. */
  durationSeconds: number;
  /** Measured latencies are kept per target per time block of this many seconds (by scheduled time). */
  blockSeconds: number;
  /** Seeds the order of targets in each cycle. */
  seed: number;
}

export interface MixedTargetResult {
  /** Requests sent, warm-up included. */
  sent: number;
  /** Answers that were 2xx with exactly the expected data, warm-up included. */
  ok: number;
  /** Non-2xx, transport errors, timeouts and changed answers. */
  failures: number;
  firstFailure?: string;
  /** One histogram (as `LatencyHistogram.bins()`) per measured time block, latency from the scheduled send time. */
  blocks: [number, number][][];
}

export interface MixedLoadResult {
  targets: Record<string, MixedTargetResult>;
  /** How late this process sent requests against the schedule: its own stalls, counted in every latency. */
  sendLag: { p50: number; p99: number; max: number };
  /**
   * Seconds from the last scheduled send to the last answer: more than a request's latency means
   * the server (or this process) could not keep up with the rate, and the latencies measure a
   * queue, not the server.
   */
  behindSeconds: number;
}

// Pools live as long as this process, so a job's connections are already open when the next
// job (the same targets alone, or again) starts.
const pools = new Map<string, Pool>();
function poolFor(origin: string, connections: number): Pool {
  const key = `${origin} ${connections}`;
  let pool = pools.get(key);
  if (!pool) {
    // A request slower than 10 s is a failure, not a data point: far above any healthy p99.
    pool = new Pool(origin, { connections, pipelining: 1, headersTimeout: 10_000, bodyTimeout: 10_000, keepAliveTimeout: 30_000 });
    pools.set(key, pool);
  }
  return pool;
}

export async function runMixedLoad(job: MixedLoadJob): Promise<MixedLoadResult> {
  const verify = createBodyVerifier(job.expectedData);
  const warmupMs = job.warmupSeconds * 1000;
  const blockMs = job.blockSeconds * 1000;
  const blocks = Math.ceil((job.durationSeconds * 1000) / blockMs);
  const total = Math.round(job.rate * (job.warmupSeconds + job.durationSeconds));
  const targets = job.targets.map((target) => {
    const url = new URL(target.url);
    return {
      name: target.name,
      pool: poolFor(url.origin, job.connections),
      path: url.pathname + url.search,
      result: { sent: 0, ok: 0, failures: 0, blocks: [] } as MixedTargetResult,
      histograms: Array.from({ length: blocks }, () => new LatencyHistogram()),
    };
  });
  const lag = new LatencyHistogram();
  const next = createSchedule(targets.length, job.rate, job.seed);
  const fail = (result: MixedTargetResult, why: string) => {
    result.failures += 1;
    result.firstFailure ??= why.slice(0, 300);
  };

  let outstanding = 0;
  let sentAll = false;
  let lastAnswer = 0;
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  const settle = () => {
    outstanding -= 1;
    lastAnswer = performance.now();
    if (sentAll && outstanding === 0) done();
  };

  const send = (slot: Slot, start: number) => {
    const target = targets[slot.target]!;
    const scheduled = start + slot.at;
    const block = blockOf(slot.at, warmupMs, blockMs);
    lag.add(performance.now() - scheduled);
    target.result.sent += 1;
    outstanding += 1;
    void target.pool.request({ path: target.path, method: 'POST', headers: job.headers, body: job.body }).then(
      async ({ statusCode, body }) => {
        const text = await body.text();
        const latency = performance.now() - scheduled;
        if (statusCode < 200 || statusCode >= 300) fail(target.result, `${statusCode} ${text}`);
        else if (!verify(text)) fail(target.result, text);
        else {
          target.result.ok += 1;
          if (block >= 0 && block < blocks) target.histograms[block]!.add(latency);
        }
      },
      (error: unknown) => fail(target.result, error instanceof Error ? `${error.name}: ${error.message}` : String(error)),
    ).finally(settle);
  };

  // Timers fire at 1 ms resolution at best: each tick sends every request that is due, and its
  // lateness is part of that request's latency (and shows in `sendLag`).
  const start = performance.now() + 20;
  let pending = next();
  let lastAt = 0;
  let sentCount = 0;
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = performance.now();
      while (sentCount < total && start + pending.at <= now) {
        send(pending, start);
        lastAt = pending.at;
        sentCount += 1;
        pending = next();
      }
      if (sentCount < total) setTimeout(tick, Math.max(0, start + pending.at - performance.now()));
      else resolve();
    };
    setTimeout(tick, 20);
  });
  sentAll = true;
  if (outstanding > 0) await finished;

  for (const target of targets) target.result.blocks = target.histograms.map((histogram) => histogram.bins());
  return {
    targets: Object.fromEntries(targets.map((target) => [target.name, target.result])),
    sendLag: { p50: lag.percentile(0.5), p99: lag.percentile(0.99), max: lag.percentile(1) },
    behindSeconds: Math.max(0, lastAnswer - (start + lastAt)) / 1000,
  };
}

if (process.send) {
  process.on('message', (job: MixedLoadJob) => {
    runMixedLoad(job).then(
      (result) => process.send!({ ok: true, result }),
      (error: unknown) => process.send!({ ok: false, error: error instanceof Error ? error.message : String(error) }),
    );
  });
  process.on('disconnect', () => {
    for (const pool of pools.values()) void pool.destroy();
    process.exit(0);
  });
}
