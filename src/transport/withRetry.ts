import type { CallSignal } from '../context/cancelSignal.js';
import type { Logger } from 'pino';
import type { UpstreamRequest } from './httpClient.js';
import { backoffDelay, type RetryBudget } from './retryBudget.js';
import type { TransportMetrics } from './transportMetrics.js';
import { UpstreamStatusError, callerGaveUp, codeOf, wasNotSent, type HttpDecorator } from './upstreamFailure.js';

export interface RetryOptions {
  source: string;
  /** Retries after the first attempt of a read. */
  maxRetries: number;
  /** Backoff cap of the first retry, doubled per retry. */
  baseDelayMs: number;
  /** Largest backoff cap. */
  maxDelayMs: number;
  /** The source's budget, shared by every request to it. */
  budget: RetryBudget;
  /** Uniform in [0, 1). @default Math.random */
  random?: () => number;
  /** Clock (ms), compared with the call's deadline. @default Date.now */
  now?: () => number;
  /** Waits `ms`, or rejects when `signal` aborts. @default a setTimeout */
  sleep?: (ms: number, signal: CallSignal | undefined) => Promise<void>;
  logger?: Logger;
  metrics?: TransportMetrics;
}

/** Statuses worth another attempt: the next one may reach a healthy instance. */
const RETRYABLE_STATUS = new Set([500, 502, 503, 504]);

/**
 * Retries idempotent reads (GraphQL queries, REST GETs; `request.idempotent`), never writes: a
 * mutation whose answer was lost may still have happened. A retry is sent only when
 *  - the failure says nothing reached a healthy upstream (connection refused or reset, 500/502/503/504),
 *    not a timeout (the deadline is spent) and not a refusal by the open breaker (it would refuse again);
 *  - the backoff (full jitter) ends before the call's deadline;
 *  - the source's retry budget has room, so during an outage retries add at most the budget's
 *    share of load instead of multiplying it.
 */
export function withRetry(options: RetryOptions): HttpDecorator {
  const { source, maxRetries, baseDelayMs, maxDelayMs, budget, logger, metrics } = options;
  const random = options.random ?? Math.random;
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? abortableSleep;
  return (next) => async (request) => {
    if (!request.idempotent || maxRetries === 0) return next(request);
    budget.recordRequest();
    for (let retry = 1; ; retry++) {
      try {
        return await next(request);
      } catch (error) {
        if (retry > maxRetries || !isRetryable(error, request)) throw error;
        const delayMs = backoffDelay(retry, baseDelayMs, maxDelayMs, random);
        if (request.deadline !== undefined && now() + delayMs >= request.deadline) {
          metrics?.retriesDenied.inc({ source, reason: 'deadline' });
          throw error;
        }
        if (!budget.tryAcquire()) {
          metrics?.retriesDenied.inc({ source, reason: 'budget' });
          logger?.info({ source, requestId: request.scope?.requestId }, 'retry budget spent: read not retried');
          throw error;
        }
        metrics?.retries.inc({ source });
        logger?.info(
          { source, requestId: request.scope?.requestId, retry, delayMs, reason: describe(error) },
          'retrying read',
        );
        try {
          await sleep(delayMs, request.signal ?? undefined);
        } catch {
          // The caller left or the deadline fired during the backoff: the last failure stands.
          throw error;
        }
      }
    }
  };
}

function isRetryable(error: unknown, request: UpstreamRequest): boolean {
  if (callerGaveUp(request) || wasNotSent(error)) return false;
  if (error instanceof UpstreamStatusError) return RETRYABLE_STATUS.has(error.response.status);
  return codeOf(error) === 'SUBGRAPH_UNAVAILABLE';
}

function describe(error: unknown): string {
  if (error instanceof UpstreamStatusError) return `HTTP ${error.response.status}`;
  return codeOf(error) ?? 'error';
}

function abortableSleep(ms: number, signal: CallSignal | undefined): Promise<void> {
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason as Error);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason as Error);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
