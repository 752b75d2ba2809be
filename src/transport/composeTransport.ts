/**
 * One source's transport: the shared keep-alive pool wrapped in that source's policies. The
 * order of the layers is decided here and only here, because it changes behaviour:
 *
 *   source (graphql executor / REST loader)
 *    (a source with versions: the version router picks one first, each version has this chain)
 *    └─ source headers    the request's per-source headers (header rules, signed claims) added
 *                         once per call; the final answer's headers reported back
 *                         (src/transport/withSourceHeaders.ts). Above the sharing, because the
 *                         headers it adds can change the answer (they are in its key) and the
 *                         headers reported back go to each caller.
 *    └─ shared calls      identical concurrent reads (whole request but the per-attempt
 *                         headers, and the caller's fallback scope) share ONE pass through
 *                         everything below; each caller keeps its own cancellation and deadline,
 *                         stale marks and error copy (src/transport/withSharedCalls.ts). So the
 *                         breaker, the retry budget and the fallback cache count one call per
 *                         pass, however many requests wait on it.
 *    └─ unwrap            5xx errors become plain responses again: sources map statuses themselves
 *       └─ fallback cache reads only. Outermost policy, so it sees every way a call can fail:
 *                         open breaker, timeout, retries spent, request budget spent, 5xx. It
 *                         stores only answers that really came back (2xx), after any retries;
 *                         an answer equal to the stored one only once that is ttlMs/10 old.
 *          └─ deadline    one deadline per call: min(now + source timeoutMs, request deadline).
 *                         Refuses to start a call with no time left (no breaker failure: the
 *                         source did nothing wrong). One AbortSignal timer covers the call and all
 *                         its retries, so `timeoutMs` is what the source may cost a request. Calls
 *                         of one request share a signal when that cuts them short by at most
 *                         timeoutMs/20 (src/transport/deadlineSignals.ts).
 *             └─ retry    reads only, budgeted per source, backoff with jitter, never past the
 *                         deadline. Outside the breaker, so the breaker sees every attempt (an
 *                         outage opens it after volumeThreshold attempts, not requests) and a
 *                         retry is never sent through an open breaker (refusals are not retried).
 *                └─ breaker    opossum, per source (per subgraph for federation), shared by every
 *                              BFF. No timer of its own. 5xx and transport failures count; 4xx,
 *                              GraphQL errors in a 200 and calls the client abandoned do not.
 *                              `breaker.enabled: false` (`portico serve --no-breaker`) leaves
 *                              only its 5xx-to-failure step here.
 *                   └─ deadline header   x-portico-deadline-ms = time left when this attempt is sent
 *                      └─ http          undici pool, one per origin. Its own in-flight dedup
 *                                       (inFlightDedup.ts) still shares equal wire requests
 *                                       whose chains differ: callers of other fallback scopes
 *                                       sending the same headers, one whose deadline did not
 *                                       fit the shared pass, a retry meeting a first attempt.
 */
import type { CallSignal } from '../context/cancelSignal.js';
import type { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { FallbackStore } from '../stores/fallback/fallbackStore.js';
import type { HttpCall } from './httpClient.js';
import { createDeadlineSignals, type DeadlineSignals } from './deadlineSignals.js';
import { createRetryBudget } from './retryBudget.js';
import type { ConsoleFeed } from '../observability/console/consoleFeed.js';
import type { TransportMetrics } from './transportMetrics.js';
import { isServerFailureStatus, UpstreamStatusError, type HttpDecorator } from './upstreamFailure.js';
import { withBreaker, type SourceBreaker } from './withBreaker.js';
import { withDeadline, withDeadlineHeader } from './withDeadline.js';
import { withFallbackCache } from './withFallbackCache.js';
import { withRetry } from './withRetry.js';
import { withSharedCalls } from './withSharedCalls.js';
import { withSourceHeaders } from './withSourceHeaders.js';

/** A source's resilience settings; `src/config/resilienceSchema.ts` documents each default. */
export interface SourceResilienceOptions {
  timeoutMs: number;
  breaker: {
    /** @default true */
    enabled?: boolean;
    errorThresholdPercentage: number;
    volumeThreshold: number;
    resetTimeoutMs: number;
    rollingCountTimeoutMs: number;
    rollingCountBuckets: number;
  };
  retry: {
    maxRetries: number;
    baseDelayMs: number;
    maxDelayMs: number;
    budgetRatio: number;
    budgetMin: number;
    budgetWindowMs: number;
  };
  fallback: { enabled: boolean; ttlMs: number };
}

export interface SourceTransportOptions {
  /** Breaker, metric and log name: the source, or `source/subgraph`. */
  source: string;
  resilience: SourceResilienceOptions;
  /** The shared pool's call. */
  http: HttpCall;
  /** Where this source's fallback answers live; required when the fallback is enabled. */
  store?: FallbackStore;
  logger?: Logger;
  metrics?: TransportMetrics;
  /** The operator console's ring buffer, fed where the metrics are. @default none */
  feed?: ConsoleFeed;
  rotateBucketController?: EventEmitter;
  /** Deadline signals shared by the calls of one request across sources. @default one for this source alone */
  deadlineSignals?: DeadlineSignals;
  /** Clock for deadlines, retry decisions and answer ages. @default Date.now */
  now?: () => number;
  /** Jitter source. @default Math.random */
  random?: () => number;
  /** Backoff wait. @default a setTimeout that the call's signal cancels */
  sleep?: (ms: number, signal: CallSignal | undefined) => Promise<void>;
  /**
   * Identical concurrent reads share one pass through the chain (withSharedCalls.ts).
   * @default true; `portico serve --no-dedup` turns it off with the pool's dedup
   */
  shareCalls?: boolean;
}

export interface SourceTransport {
  readonly source: string;
  readonly call: HttpCall;
  readonly breaker: SourceBreaker;
}

/** Applies `layers` around `http`, the first one outermost. */
export function composeTransport(http: HttpCall, layers: readonly (HttpDecorator | false)[]): HttpCall {
  let call = http;
  for (let i = layers.length - 1; i >= 0; i--) {
    const layer = layers[i];
    if (layer === false || layer === undefined) continue;
    if (typeof layer !== 'function') throw new TypeError(`transport layer ${i} is not a function`);
    call = layer(call);
  }
  return call;
}

/** The source's HTTP call with every policy applied, in the order documented above. */
export function createSourceTransport(options: SourceTransportOptions): SourceTransport {
  const { source, resilience, logger, metrics, feed } = options;
  const now = options.now ?? Date.now;
  const { breaker: b, retry: r, fallback: f } = resilience;
  if (f.enabled && !options.store) throw new Error(`${source}: the fallback cache is enabled but no store was given`);
  const breaker = withBreaker({
    source,
    errorThresholdPercentage: b.errorThresholdPercentage,
    volumeThreshold: b.volumeThreshold,
    resetTimeoutMs: b.resetTimeoutMs,
    rollingCountTimeoutMs: b.rollingCountTimeoutMs,
    rollingCountBuckets: b.rollingCountBuckets,
    ...(options.rotateBucketController ? { rotateBucketController: options.rotateBucketController } : {}),
    ...(logger ? { logger } : {}),
    ...(metrics ? { metrics } : {}),
    ...(feed ? { feed } : {}),
  });
  const common = { source, now, ...(logger ? { logger } : {}), ...(metrics ? { metrics } : {}) };
  // One for both layers that take leases: a shared pass runs on its first caller's.
  const signals = options.deadlineSignals ?? createDeadlineSignals();
  const call = composeTransport(options.http, [
    withSourceHeaders,
    options.shareCalls !== false && withSharedCalls({ source, timeoutMs: resilience.timeoutMs, now, signals }),
    unwrapStatusErrors,
    f.enabled && withFallbackCache({ ...common, ...(feed ? { feed } : {}), store: options.store!, ttlMs: f.ttlMs }),
    withDeadline({ ...common, timeoutMs: resilience.timeoutMs, signals }),
    withRetry({
      ...common,
      maxRetries: r.maxRetries,
      baseDelayMs: r.baseDelayMs,
      maxDelayMs: r.maxDelayMs,
      budget: createRetryBudget({ ratio: r.budgetRatio, min: r.budgetMin, windowMs: r.budgetWindowMs, now }),
      ...(options.random ? { random: options.random } : {}),
      ...(options.sleep ? { sleep: options.sleep } : {}),
    }),
    // Off, the breaker's other job stays: a 5xx still travels up as a failure, to be retried or answered from the fallback.
    b.enabled === false ? raiseServerFailures(source) : breaker.decorate,
    withDeadlineHeader({ now }),
  ]);
  return { source, call, breaker };
}

/** What the breaker layer does to a 5xx, without the breaker: throws it as `UpstreamStatusError`. */
const raiseServerFailures =
  (source: string): HttpDecorator =>
  (next) =>
  async (request) => {
    const response = await next(request);
    if (isServerFailureStatus(response.status)) throw new UpstreamStatusError(response, source);
    return response;
  };

/** A 5xx that nothing below could turn into an answer goes back to the source as the response it was. */
const unwrapStatusErrors: HttpDecorator = (next) => async (request) => {
  try {
    return await next(request);
  } catch (error) {
    if (error instanceof UpstreamStatusError) return error.response;
    throw error;
  }
};
