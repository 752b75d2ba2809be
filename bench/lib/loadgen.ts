/**
 * The load generator: its own process (pinned by the bench to the core the gateway does not use),
 * so generating load never competes with the gateway's event loop. It runs one job at a time,
 * received over the IPC channel, and answers with a `LoadResult`; it exits when the channel closes.
 */
import type { EventEmitter } from 'node:events';
import autocannon from 'autocannon';
import { createBodyVerifier } from './verify.js';

export interface LoadJob {
  url: string;
  /** The POST body (a GraphQL-over-HTTP request). */
  body: string;
  headers: Record<string, string>;
  /**
   * Connection i adds `connectionHeaders[i % length]` to `headers`: one bearer token per
   * connection for the honest-load run.
   */
  connectionHeaders?: Record<string, string>[];
  /**
   * Connection i sends `connectionBodies[i % length].body` instead of `body`, and its answer must
   * be that entry's `expectedData`: each connection asks as its own user for that user's data
   * (scenario (e2)). Paired with `connectionHeaders` of the same length, entry i's token.
   */
  connectionBodies?: { body: string; expectedData: unknown }[];
  connections: number;
  durationSeconds: number;
  /** The `data` every response must carry. */
  expectedData: unknown;
  /**
   * Responses that arrive in the first this many seconds are checked but not measured: the
   * connections' set-up, not the steady state. @default 0
   */
  skipSeconds?: number;
  /** Return every measured latency (ms), for percentiles pooled over runs. @default false */
  keepLatencies?: boolean;
  /** Requests per second over all connections (autocannon's `overallRate`); unset: closed loop, as fast as answered. */
  overallRate?: number;
}

export interface LoadResult {
  requests: number;
  durationSeconds: number;
  rps: number;
  /** Latency percentiles in ms (measured per response, sub-millisecond resolution). */
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  /** Responses whose body was not the expected answer. */
  mismatches: number;
  firstMismatch?: string;
  /** With `keepLatencies`: each measured response's latency in ms, in arrival order. */
  latencies?: number[];
}

export async function runLoad(job: LoadJob): Promise<LoadResult> {
  const verify = createBodyVerifier(job.expectedData, ...(job.connectionBodies ?? []).map((entry) => entry.expectedData));
  const latencies: number[] = [];
  let connection = 0;
  const measureFrom = performance.now() + (job.skipSeconds ?? 0) * 1000;
  // Without a callback autocannon returns its tracker (an EventEmitter) made thenable.
  const instance = autocannon({
    url: job.url,
    method: 'POST',
    body: job.body,
    headers: job.headers,
    connections: job.connections,
    duration: job.durationSeconds,
    // A request slower than this is a failure, not a data point; 10 s is far above any healthy p99.
    timeout: 10,
    ...(job.overallRate ? { overallRate: job.overallRate } : {}),
    verifyBody: (body) => verify(typeof body === 'string' ? body : (body?.toString('utf8') ?? '')),
    ...(job.connectionHeaders?.length || job.connectionBodies?.length
      ? {
          setupClient: (client: { setHeaders(headers: Record<string, string>): void; setBody(body: string): void }) => {
            const index = connection++;
            const extra = job.connectionHeaders?.length ? job.connectionHeaders[index % job.connectionHeaders.length] : undefined;
            client.setHeaders({ ...job.headers, ...extra });
            if (job.connectionBodies?.length) client.setBody(job.connectionBodies[index % job.connectionBodies.length]!.body);
          },
        }
      : {}),
  }) as unknown as EventEmitter & PromiseLike<autocannon.Result>;
  instance.on('response', (_client: unknown, statusCode: number, _bytes: number, responseTime: number) => {
    if (statusCode >= 200 && statusCode < 300 && performance.now() >= measureFrom) latencies.push(responseTime);
  });
  const result = await instance;
  const kept = job.keepLatencies ? [...latencies] : undefined;
  latencies.sort((a, b) => a - b);
  const percentile = (p: number) =>
    latencies.length === 0 ? NaN : latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))]!;
  const requests = result.requests.total;
  const out: LoadResult = {
    requests,
    durationSeconds: result.duration,
    rps: requests / result.duration,
    p50: percentile(50),
    p99: percentile(99),
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    mismatches: result.mismatches,
  };
  if (kept) out.latencies = kept;
  const mismatch = verify.firstMismatch();
  if (mismatch !== undefined) out.firstMismatch = mismatch;
  return out;
}

if (process.send) {
  process.on('message', (job: LoadJob) => {
    runLoad(job).then(
      (result) => process.send!({ ok: true, result }),
      (error: unknown) => process.send!({ ok: false, error: error instanceof Error ? error.message : String(error) }),
    );
  });
  process.on('disconnect', () => process.exit(0));
}
