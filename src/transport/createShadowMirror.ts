import { Agent, type Dispatcher } from 'undici';
import type { Logger } from 'pino';
import type { MirrorConfig } from '../config/trafficSchema.js';
import type { UpstreamTlsMaterial } from '../config/upstreamTlsSchema.js';
import type { UpstreamRequest, UpstreamResponse } from './upstreamCall.js';
import { firstBodyDifference } from './firstDifference.js';
import { tlsAgentOptions } from './sourceAgents.js';
import { createUrlTargets } from './urlTargets.js';
import type { VersionMetrics } from './versionMetrics.js';

export interface ShadowMirrorOptions {
  /** The source's name (the `source` label). */
  source: string;
  config: MirrorConfig;
  /** The source's upstream TLS, which the shadow's connections use too. */
  tls?: UpstreamTlsMaterial | undefined;
  /** The shadow's URL for a served call's URL; called when the copy is sent, off the served path. */
  addressOf(url: string): string;
  logger: Logger;
  metrics?: VersionMetrics | undefined;
  /** Clock for pauses. @default Date.now */
  now?: () => number;
  /** Random source for the copied share and log sampling. @default Math.random */
  random?: () => number;
}

/** What the served call tells its copy when its own answer is in. */
export interface MirrorTicket {
  /** The served answer, or undefined when the served call failed (nothing to compare). */
  served(response: UpstreamResponse | undefined): void;
}

export interface ShadowMirror {
  /**
   * Takes a copy of a read when the share and the limits allow it; undefined when not. Does no
   * I/O: the copy is sent after the served call's turn.
   */
  offer(request: UpstreamRequest, servedVersion: string): MirrorTicket | undefined;
  /** Copies accepted and not yet finished (queued or in flight). */
  inFlight(): number;
  /** Drops the shadow's connections and what is in flight on them. */
  close(): Promise<void>;
}

/**
 * Copies of reads to a shadow version, built so that a copy costs the served call next to
 * nothing, whatever the shadow does (docs/traffic.md, bench/mirror.ts):
 *
 * - the served path only decides and queues (a random draw, two comparisons, one small object);
 *   the copies of one turn of the event loop are sent together after it (`setImmediate`), once
 *   the served calls of that turn are on the wire;
 * - a copy goes through an undici Agent of its own, straight to `dispatch` with a bare handler:
 *   no body stream, no parsed headers, no AbortSignal or timer per copy (the Agent's header and
 *   body timeouts end it), no error objects of ours, no log line; its own sockets, so a hanging
 *   shadow never holds a socket the served calls need, even on the same origin, and a failing one
 *   keeps its connections alive;
 * - a failed copy (5xx, timeout, reset) is a counter and nothing else; after
 *   `pauseAfterFailures` failures in a row the mirror pauses for `pauseMs` (counted `paused`,
 *   one warning per pause), then one copy probes: a shadow that fails everything costs a copy
 *   per pause, not one per read;
 * - at most `maxConcurrent` copies are queued or in flight; beyond it a read is not copied;
 * - a body is kept only when it will be compared, and the comparison runs when both answers are
 *   in, never on the served call's turn.
 */
export function createShadowMirror(options: ShadowMirrorOptions): ShadowMirror {
  const { source, config, logger, metrics } = options;
  const now = options.now ?? Date.now;
  const random = options.random ?? Math.random;
  const shadow = config.version;
  const count = (result: 'equal' | 'different' | 'failed' | 'skipped' | 'paused') => metrics?.mirrorRequests.labels({ source, version: shadow, result });
  const counted = { equal: count('equal'), different: count('different'), failed: count('failed'), skipped: count('skipped'), paused: count('paused') };
  const diffs = metrics?.mirrorDiffs.labels({ source, version: shadow });
  const agent = new Agent({
    ...(options.tls ? tlsAgentOptions(options.tls) : {}),
    connections: config.maxConcurrent,
    keepAliveTimeout: 4_000,
    headersTimeout: config.timeoutMs,
    bodyTimeout: config.timeoutMs,
    connectTimeout: config.timeoutMs,
  });
  const targetOf = createUrlTargets(1_000);

  let inFlight = 0;
  let failuresInRow = 0;
  // 0: copying. Else copies pause until then; the first read after it is the one probe.
  let pausedUntil = 0;
  let probing = false;
  let closed = false;
  let queue: Copy[] = [];
  let comparisons: Copy[] = [];

  const flush = () => {
    const batch = queue;
    queue = [];
    for (const copy of batch) {
      if (closed) {
        copy.finish();
        continue;
      }
      const { origin, path } = targetOf(options.addressOf(copy.url));
      agent.dispatch({ origin, path, method: copy.method, headers: copy.headers ?? null, body: copy.body ?? null }, copy);
    }
  };
  const compareAll = () => {
    const batch = comparisons;
    comparisons = [];
    for (const copy of batch) compare(copy);
  };

  function compare(copy: Copy): void {
    const served = copy.servedResponse!;
    const path = copy.status === served.status ? firstBodyDifference(served.body, copy.text()) : '$';
    if (path === undefined) {
      counted.equal?.inc();
      return;
    }
    counted.different?.inc();
    diffs?.inc();
    // The path only: both answers hold user data.
    if (random() < config.logSampleRate) logger.info({ source, version: shadow, primary: copy.servedVersion, path }, 'mirrored answer differs');
  }

  /** A copy, and its own undici handler (the legacy callbacks: no parsed headers, no controller). */
  class Copy implements MirrorTicket, Dispatcher.DispatchHandler {
    readonly method: UpstreamRequest['method'];
    readonly headers: Record<string, string> | undefined;
    readonly body: string | undefined;
    /** undefined: not in yet; null: failed or not worth comparing. */
    servedResponse: UpstreamResponse | null | undefined = undefined;
    status = 0;
    /** undefined: not done; true: an answer worth comparing is in; false: failed. */
    answered: boolean | undefined = undefined;
    chunks: Buffer[] | undefined = undefined;
    done = false;

    readonly url: string;

    constructor(
      request: UpstreamRequest,
      readonly servedVersion: string,
    ) {
      this.url = request.url;
      this.method = request.method;
      this.headers = request.headers;
      this.body = request.body;
    }

    served(response: UpstreamResponse | undefined): void {
      // Only a served success is worth comparing: a failed primary has no answer to differ from.
      this.servedResponse = response && response.status < 300 ? response : null;
      this.chunks = this.servedResponse ? this.chunks : undefined;
      if (this.answered === true && this.servedResponse) {
        if (comparisons.length === 0) setImmediate(compareAll);
        comparisons.push(this);
      }
    }

    text(): string {
      const chunks = this.chunks ?? [];
      return chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8');
    }

    finish(): void {
      if (this.done) return;
      this.done = true;
      inFlight -= 1;
    }

    // undici's handler callbacks.
    onConnect(): void {}
    onHeaders(statusCode: number): boolean {
      this.status = statusCode;
      if (statusCode < 500 && this.servedResponse !== null) this.chunks = [];
      return true;
    }
    onData(chunk: Buffer): boolean {
      this.chunks?.push(chunk);
      return true;
    }
    onComplete(): void {
      this.finish();
      if (this.status >= 500) {
        failed();
        return;
      }
      failuresInRow = 0;
      pausedUntil = 0;
      probing = false;
      this.answered = true;
      if (this.servedResponse) compare(this);
    }
    onError(): void {
      this.finish();
      this.chunks = undefined;
      if (!closed) failed();
    }
  }

  function failed(): void {
    counted.failed?.inc();
    failuresInRow += 1;
    if (failuresInRow < config.pauseAfterFailures || closed) return;
    const wasPaused = pausedUntil !== 0;
    probing = false;
    pausedUntil = now() + config.pauseMs;
    if (!wasPaused) logger.warn({ source, version: shadow, failuresInRow, pauseMs: config.pauseMs }, 'mirror paused: the shadow keeps failing; one copy probes it after each pause');
  }

  return {
    offer(request, servedVersion) {
      if (random() * 100 >= config.percent) return undefined;
      if (pausedUntil !== 0) {
        if (probing || now() < pausedUntil) {
          counted.paused?.inc();
          return undefined;
        }
        // This copy probes: an answer resumes copying, a failure starts another pause.
        probing = true;
      }
      if (inFlight >= config.maxConcurrent || closed) {
        counted.skipped?.inc();
        return undefined;
      }
      inFlight += 1;
      const copy = new Copy(request, servedVersion);
      if (queue.length === 0) setImmediate(flush);
      queue.push(copy);
      return copy;
    },
    inFlight: () => inFlight,
    async close() {
      closed = true;
      await agent.destroy().catch(() => undefined);
    },
  };
}
