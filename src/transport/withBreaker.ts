import type { EventEmitter } from 'node:events';
import CircuitBreaker from 'opossum';
import type { Logger } from 'pino';
import { porticoError } from '../errors/index.js';
import type { HttpCall, UpstreamRequest, UpstreamResponse } from './httpClient.js';
import type { ConsoleFeed } from '../observability/console/consoleFeed.js';
import type { TransportMetrics } from './transportMetrics.js';
import {
  UpstreamStatusError,
  callerGaveUp,
  codeOf,
  isServerFailureStatus,
  markNotSent,
  type HttpDecorator,
} from './upstreamFailure.js';

export type BreakerState = 'closed' | 'open' | 'half_open';

export interface BreakerOptions {
  /** Source (or `source/subgraph`) name: the breaker's name in logs, metrics and /readyz. */
  source: string;
  /** Error percentage in the rolling window above which the breaker opens. */
  errorThresholdPercentage: number;
  /** Calls the window must hold before the breaker may open. */
  volumeThreshold: number;
  /** Time open before the single half-open probe is let through. */
  resetTimeoutMs: number;
  /** Rolling window length. */
  rollingCountTimeoutMs: number;
  /** Buckets of the rolling window. */
  rollingCountBuckets: number;
  /**
   * Emits `rotate` to age every breaker's window at once; one timer for all breakers instead of
   * two per breaker. Must tick every `rollingCountTimeoutMs / rollingCountBuckets` ms.
   * @default none: opossum keeps its own interval
   */
  rotateBucketController?: EventEmitter;
  logger?: Logger;
  metrics?: TransportMetrics;
  /** The operator console's ring buffer: the same attempts as `metrics`, and every transition. */
  feed?: ConsoleFeed;
}

export interface SourceBreaker {
  readonly source: string;
  decorate: HttpDecorator;
  state(): BreakerState;
  /** Opens the breaker now (a failed active health check); the reset timer then runs as usual. */
  trip(): void;
  /** Subscribes to a state change; returns the unsubscribe function. */
  onStateChange(listener: (state: BreakerState) => void): () => void;
  /** Clears the breaker's timers and listeners; every later call is refused. */
  shutdown(): void;
}

type Action = (request: UpstreamRequest, next: HttpCall) => Promise<UpstreamResponse>;

const STATES: readonly BreakerState[] = ['closed', 'open', 'half_open'];

// Which breaker currently reports each source's state, per set of metrics (metric bookkeeping,
// not request state).
const ownersByMetrics = new WeakMap<TransportMetrics, Map<string, symbol>>();
function gaugeOwners(metrics: TransportMetrics): Map<string, symbol> {
  let owners = ownersByMetrics.get(metrics);
  if (!owners) {
    owners = new Map();
    ownersByMetrics.set(metrics, owners);
  }
  return owners;
}

/**
 * The source's circuit breaker (opossum), counting every attempt that reaches it, retries
 * included. Decisions taken here, on purpose:
 *
 * - A 5xx answer is a failure (thrown as `UpstreamStatusError`); 4xx answers and GraphQL errors
 *   inside a 200 are answers and never trip it: the caller asked for something wrong, the source
 *   is fine. `errorFilter` also ignores calls the caller abandoned (client gone).
 * - opossum's `timeout` is off: the deadline decorator owns the call's one timer, and its abort
 *   arrives here as a `SUBGRAPH_TIMEOUT` failure.
 * - A refused call (open breaker) becomes `SUBGRAPH_UNAVAILABLE`, marked "not sent" so the retry
 *   layer does not retry it; opossum's ETIMEDOUT would become `SUBGRAPH_TIMEOUT`.
 * - Half-open lets exactly one probe through (opossum's behaviour); its success closes the
 *   breaker, its failure reopens it for another `resetTimeoutMs`.
 */
export function withBreaker(options: BreakerOptions): SourceBreaker {
  const { source, logger, metrics, feed } = options;
  const action: Action = async (request, next) => {
    const response = await next(request);
    if (isServerFailureStatus(response.status)) throw new UpstreamStatusError(response, source);
    return response;
  };
  const circuit = new CircuitBreaker<Parameters<Action>, UpstreamResponse>(action, {
    name: source,
    timeout: false,
    errorThresholdPercentage: options.errorThresholdPercentage,
    volumeThreshold: options.volumeThreshold,
    resetTimeout: options.resetTimeoutMs,
    rollingCountTimeout: options.rollingCountTimeoutMs,
    rollingCountBuckets: options.rollingCountBuckets,
    // Percentiles are sorted arrays per window; prom-client's histogram already has latency.
    rollingPercentilesEnabled: false,
    enableSnapshots: false,
    ...(options.rotateBucketController ? { rotateBucketController: options.rotateBucketController } : {}),
    // opossum passes the fired arguments after the error; its typings only declare the error.
    // A filtered error counts as a success, which would close a half-open breaker: an abandoned
    // probe proves nothing about the upstream, so while half-open it counts as a failure.
    errorFilter: ((_error: unknown, request: UpstreamRequest) => callerGaveUp(request) && !circuit.halfOpen) as (err: unknown) => boolean,
  });

  let state: BreakerState = 'closed';
  const listeners = new Set<(state: BreakerState) => void>();
  // A config reload builds a new breaker for a source while the old one drains; the state gauge
  // belongs to the newest, so the old one neither overwrites nor removes its series.
  const owner = Symbol(source);
  const owners = metrics ? gaugeOwners(metrics) : undefined;
  owners?.set(source, owner);
  const showState = (current: BreakerState) => {
    if (!metrics || owners?.get(source) !== owner) return;
    for (const s of STATES) metrics.breakerState.set({ source, state: s }, s === current ? 1 : 0);
  };
  const enter = (next: BreakerState) => {
    state = next;
    showState(next);
    metrics?.breakerTransitions.inc({ source, to: next });
    feed?.breaker(source, next);
    for (const listener of listeners) listener(next);
  };
  showState('closed');

  circuit.on('open', () => {
    const { fires, failures } = circuit.stats;
    logger?.warn({ source, breaker: 'open', fires, failures, resetTimeoutMs: options.resetTimeoutMs }, 'circuit breaker opened: calls to the source fail fast');
    enter('open');
  });
  circuit.on('halfOpen', () => {
    logger?.info({ source, breaker: 'half_open' }, 'circuit breaker half-open: one probe call goes through');
    enter('half_open');
  });
  circuit.on('close', () => {
    logger?.info({ source, breaker: 'closed' }, 'circuit breaker closed: the source answers again');
    enter('closed');
  });
  // Each failed attempt is one warn line (with the request id, to find the request): bounded,
  // because once failures pass the threshold the breaker opens and attempts stop.
  circuit.on('failure', (error: unknown, latencyMs: number, args: unknown[]) => {
    const request = args[0] as UpstreamRequest | undefined;
    const code = error instanceof UpstreamStatusError ? `HTTP_${error.response.status}` : (codeOf(error) ?? 'ERROR');
    logger?.warn(
      { source, requestId: request?.scope?.requestId, failure: code === 'SUBGRAPH_TIMEOUT' ? 'timeout' : 'error', code, latencyMs },
      code === 'SUBGRAPH_TIMEOUT' ? 'upstream call timed out' : 'upstream call failed',
    );
  });
  if (metrics) {
    // Every call of every request lands here: label children resolved once, not a label hash
    // per call.
    const succeeded = { calls: metrics.calls.labels({ source, outcome: 'success' }), duration: metrics.callDuration.labels({ source, outcome: 'success' }) };
    circuit.on('success', (result: unknown, latencyMs: number) => {
      // A filtered error (caller gone) is reported by opossum as a success carrying the error.
      if (result instanceof Error) {
        metrics.calls.inc({ source, outcome: 'cancelled' });
        metrics.callDuration.observe({ source, outcome: 'cancelled' }, latencyMs / 1000);
        return;
      }
      succeeded.calls.inc();
      succeeded.duration.observe(latencyMs / 1000);
    });
    circuit.on('failure', (error: unknown, latencyMs: number) => {
      const outcome = codeOf(error) === 'SUBGRAPH_TIMEOUT' ? 'timeout' : 'error';
      metrics.calls.inc({ source, outcome });
      metrics.failures.inc({ source, kind: outcome });
      metrics.callDuration.observe({ source, outcome }, latencyMs / 1000);
    });
    circuit.on('reject', () => metrics.calls.inc({ source, outcome: 'rejected' }));
  }
  if (feed) {
    // A cancelled call (caller gone) says nothing about the source: left out, as from the breaker.
    circuit.on('success', (result: unknown, latencyMs: number) => {
      if (!(result instanceof Error)) feed.sourceCall(source, latencyMs, false);
    });
    circuit.on('failure', (_error: unknown, latencyMs: number) => feed.sourceCall(source, latencyMs, true));
    circuit.on('reject', () => feed.sourceRejected(source));
  }

  return {
    source,
    decorate: (next) => async (request) => {
      try {
        return await circuit.fire(request, next);
      } catch (error) {
        if (error instanceof Error && CircuitBreaker.isOurError(error)) {
          const code = (error as Error & { code?: string }).code === 'ETIMEDOUT' ? 'SUBGRAPH_TIMEOUT' : 'SUBGRAPH_UNAVAILABLE';
          throw markNotSent(porticoError(code, { details: { source }, originalError: error }));
        }
        throw error;
      }
    },
    state: () => state,
    trip() {
      if (state !== 'open') circuit.open();
    },
    onStateChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    shutdown() {
      listeners.clear();
      circuit.shutdown();
      if (metrics && owners?.get(source) === owner) {
        owners.delete(source);
        for (const s of STATES) metrics.breakerState.remove({ source, state: s });
      }
    },
  };
}
