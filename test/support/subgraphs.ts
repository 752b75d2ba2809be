import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { FaultKnobs, RecordedRequest, ServiceName, SubgraphName, SubgraphStats } from '../../subgraphs/index.js';

export type { FaultKnobs, RecordedRequest, ServiceName, SubgraphName, SubgraphStats };

/** A demo subgraph (or the demo IdP) running as its own process (subgraphs/run.ts). */
export interface SubgraphHandle {
  name: ServiceName;
  /** The GraphQL endpoint (`…/graphql`) for users and orders, the base URL for products and inventory. */
  url: string;
  /** `http://127.0.0.1:port`; the admin API lives under `/__admin/`. */
  baseUrl: string;
  port: number;
  pid: number;
  stats(): Promise<SubgraphStats>;
  /**
   * Polls stats until `predicate` holds, e.g. until a hanging request has arrived
   * (`s => s.inFlight === 1`), so tests order events without sleeping. Rejects with the last
   * stats after `timeoutMs`. @default timeoutMs 5_000
   */
  waitForStats(predicate: (stats: SubgraphStats) => boolean, timeoutMs?: number): Promise<SubgraphStats>;
  /** The last 200 counted requests, oldest first, with all their headers. */
  requests(): Promise<RecordedRequest[]>;
  /** Merges knobs into the current ones; returns the knobs now in force. */
  setFaults(knobs: Partial<FaultKnobs>): Promise<FaultKnobs>;
  /** Knobs back to their start values, counters to zero, data to seed; releases hanging requests. */
  reset(): Promise<FaultKnobs>;
  /** Headers added to every answer from now on (replacing the previous set; reset clears them). */
  setResponseHeaders(headers: Record<string, string>): Promise<Record<string, string>>;
  /** SIGTERM, then SIGKILL if the process has not exited within 5 s. Safe to call twice. */
  stop(): Promise<void>;
  /**
   * Done with it for this file: the process stays up, idle in this worker, and the next
   * `startSubgraph` of the same name and environment takes it after a reset (seed data, start
   * knobs, counters zero) instead of spawning and compiling a new one. Stopped instead if it has
   * exited or cannot be reset. Tests that need the process gone call `stop`.
   */
  release(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

export type SubgraphSet = Record<SubgraphName, SubgraphHandle> & AsyncDisposable;

export interface StartSubgraphOptions {
  /** How long to wait for the READY line. @default 60_000 (tsx compiles on start; CI has 2 cores, and the suite starts several at once) */
  readyTimeoutMs?: number;
}

const repoRoot = path.resolve(import.meta.dirname, '../..');
const RUN_SCRIPT = path.join(repoRoot, 'subgraphs', 'run.ts');
const STOP_GRACE_MS = 5_000;
const STDERR_TAIL_CHARS = 8_000;

// Children still running; killed if the test process exits without stopping them.
const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const child of live) child.kill('SIGKILL');
  });
}

// Released subgraphs, per name and environment, waiting for the next file in this worker (files
// share workers: vitest.config.ts isolate false). Starting one costs seconds of a loaded core
// (node, tsx, graphql); a reset costs one loopback round trip.
const idle = new Map<string, SubgraphHandle[]>();
const poolKey = (name: ServiceName, env: Record<string, string>) =>
  `${name} ${JSON.stringify(Object.entries(env).sort(([a], [b]) => a.localeCompare(b)))}`;

/** An idle subgraph of this key, reset to its start state, or undefined if none can be. */
async function takeIdle(key: string): Promise<SubgraphHandle | undefined> {
  const waiting = idle.get(key);
  for (let handle = waiting?.pop(); handle; handle = waiting?.pop()) {
    try {
      await handle.reset();
      // A request or stream of an earlier file still open would count in this file's stats.
      const { inFlight, openStreams } = await handle.stats();
      if (inFlight === 0 && openStreams === 0) return handle;
    } catch {
      // Exited or unreachable: start a fresh one instead.
    }
    await handle.stop();
  }
  return undefined;
}

/**
 * One demo subgraph on a free port: an idle one released by an earlier file in this worker (reset
 * to its start state), else a new process (`spawnSubgraph`).
 */
export async function startSubgraph(
  name: ServiceName,
  /** Extra environment for the child, e.g. `{ FAULT_LATENCY_MS: '50' }`. */
  env: Record<string, string> = {},
  options: StartSubgraphOptions = {},
): Promise<SubgraphHandle> {
  return (await takeIdle(poolKey(name, env))) ?? spawnSubgraph(name, env, options);
}

/**
 * Spawns one demo subgraph on a free port and resolves once it prints `READY <name> <url>`.
 * Rejects with the child's stderr if it exits or stays silent first.
 */
async function spawnSubgraph(name: ServiceName, env: Record<string, string>, options: StartSubgraphOptions): Promise<SubgraphHandle> {
  installExitHook();
  // tsx as a loader keeps `process.execPath` as the binary, so the child is this exact node.
  // The stdin pipe is for --exit-with-stdin: if this process dies by SIGKILL, the exit hook never
  // runs, but the pipe still closes and the child follows.
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', RUN_SCRIPT, name, '--port', '0', '--exit-with-stdin'],
    { cwd: repoRoot, env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] },
  );
  live.add(child);
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => {
      live.delete(child);
      resolve();
    });
  });

  let stderr = '';
  child.stderr?.setEncoding('utf8');
  // Always drain stderr: a full pipe would block the child's writes and freeze it.
  child.stderr?.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-STDERR_TAIL_CHARS);
  });

  const url = await new Promise<string>((resolve, reject) => {
    const timeoutMs = options.readyTimeoutMs ?? 60_000;
    const fail = (why: string) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`subgraph ${name} ${why}\n--- stderr ---\n${stderr || '(empty)'}`));
    };
    const onEarlyExit = (code: number | null, signal: NodeJS.Signals | null) =>
      fail(`exited before READY (code ${code}, signal ${signal})`);
    const onSpawnError = (error: Error) => fail(`could not be spawned: ${error.message}`);
    const timer = setTimeout(() => fail(`printed no READY line within ${timeoutMs} ms`), timeoutMs);
    child.once('exit', onEarlyExit);
    child.once('error', onSpawnError);
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      const match = /^READY (\S+) (\S+)$/.exec(line);
      if (!match || match[1] !== name || match[2] === undefined) return;
      clearTimeout(timer);
      child.off('exit', onEarlyExit);
      child.off('error', onSpawnError);
      resolve(match[2]);
    });
  });

  // The child must not keep the test process alive on its own; tests stop it explicitly.
  child.unref();
  for (const stream of [child.stdin, child.stdout, child.stderr]) {
    (stream as unknown as { unref?: () => void } | null)?.unref?.();
  }

  const base = new URL(url);
  const baseUrl = base.origin;
  const admin = async <T>(method: 'GET' | 'POST', route: string, body?: unknown): Promise<T> => {
    const response = await fetch(`${baseUrl}/__admin/${route}`, {
      method,
      ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${name} ${method} /__admin/${route}: ${response.status} ${text}`);
    return JSON.parse(text) as T;
  };

  const stats = () => admin<SubgraphStats>('GET', 'stats');
  const waitForStats = async (predicate: (stats: SubgraphStats) => boolean, timeoutMs = 5_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      // Each poll is one loopback round trip, so this paces itself without a timer.
      const current = await stats();
      if (predicate(current)) return current;
      if (Date.now() > deadline) {
        throw new Error(`${name}: stats did not match within ${timeoutMs} ms; last: ${JSON.stringify(current)}`);
      }
    }
  };

  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
      await exited;
      clearTimeout(killer);
    })();
    return stopping;
  };

  const handle: SubgraphHandle = {
    name,
    url,
    baseUrl,
    port: Number(base.port),
    pid: child.pid ?? -1,
    stats,
    waitForStats,
    requests: () => admin<RecordedRequest[]>('GET', 'requests'),
    setFaults: (knobs) => admin<FaultKnobs>('POST', 'faults', knobs),
    reset: () => admin<FaultKnobs>('POST', 'reset'),
    setResponseHeaders: (headers) => admin<Record<string, string>>('POST', 'response-headers', headers),
    stop,
    async release() {
      if (stopping || child.exitCode !== null || child.signalCode !== null) return stop();
      const key = poolKey(name, env);
      const waiting = idle.get(key) ?? [];
      if (!waiting.includes(handle)) waiting.push(handle);
      idle.set(key, waiting);
    },
    [Symbol.asyncDispose]: stop,
  };
  return handle;
}

/** Starts all four demo subgraphs in parallel; if one fails to start, the others are stopped. */
export async function startAllSubgraphs(
  env: Record<string, string> = {},
  options: StartSubgraphOptions = {},
): Promise<SubgraphSet> {
  const names: SubgraphName[] = ['users', 'orders', 'products', 'inventory'];
  const results = await Promise.allSettled(names.map((name) => startSubgraph(name, env, options)));
  const started = results.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  const failure = results.find((result) => result.status === 'rejected');
  if (failure) {
    await Promise.all(started.map((handle) => handle.stop()));
    throw failure.reason;
  }
  const [users, orders, products, inventory] = started as [SubgraphHandle, SubgraphHandle, SubgraphHandle, SubgraphHandle];
  return {
    users,
    orders,
    products,
    inventory,
    // A symbol key, so Object.values(set) still lists only the four handles. Released, not
    // stopped: the next file's set takes them (a handle a test stopped is not taken back).
    [Symbol.asyncDispose]: async () => {
      await Promise.all(started.map((handle) => handle.release()));
    },
  };
}
