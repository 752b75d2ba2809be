import type { Logger } from 'pino';
import { porticoError } from '../errors/index.js';
import { createDeadlineSignals, type DeadlineSignals } from './deadlineSignals.js';
import type { UpstreamRequest } from './httpClient.js';
import type { TransportMetrics } from './transportMetrics.js';
import { copyRequest } from './upstreamCall.js';
import { markNotSent, type HttpDecorator } from './upstreamFailure.js';

/** Header telling the upstream how many ms the gateway will still wait for this call. */
export const DEADLINE_HEADER = 'x-portico-deadline-ms';

export interface DeadlineOptions {
  source: string;
  /**
   * Longest wait for one call of this source, retries included; the request's own deadline
   * (`scope.deadline`, from the BFF's request budget) can only shorten it.
   */
  timeoutMs: number;
  /** Clock (ms). @default Date.now */
  now?: () => number;
  /**
   * Where calls find the deadline signal their request already holds; one per gateway, so calls
   * to different sources share too. @default one for this source alone
   */
  signals?: DeadlineSignals;
  logger?: Logger;
  metrics?: TransportMetrics;
}

/**
 * Share of `timeoutMs` by which a call may be cut off early so that it can reuse a deadline
 * signal its request already holds (src/transport/deadlineSignals.ts). 1/20: a 5 s timeout loses
 * at most 250 ms, within which a federated request's calls, a few milliseconds apart, share one
 * signal instead of paying ~20 µs of timer and signal bookkeeping each.
 */
export const DEADLINE_SHARE_FRACTION = 1 / 20;

/**
 * Gives each call one deadline: `min(now + timeoutMs, request deadline)`. A call whose request
 * has no time left is refused before anything is sent (`SUBGRAPH_TIMEOUT`, never counted by the
 * breaker: the upstream did nothing wrong). Otherwise the call gets one AbortSignal that fires at
 * the deadline or when the caller's own signal aborts; that single timer owns the timing of the
 * call and all its retries (opossum's own timeout is off, so there are never two clocks).
 *
 * The signal may be one an earlier call of the same request (the same caller signal) already
 * holds, to this source or another sharing `signals`, when it fires no later than this call's
 * deadline and at most `timeoutMs × DEADLINE_SHARE_FRACTION` earlier. `request.deadline` below
 * this layer is the signal's, so the deadline header and the retry layer agree with the timer.
 */
export function withDeadline(options: DeadlineOptions): HttpDecorator {
  const { source, timeoutMs, logger, metrics } = options;
  const now = options.now ?? Date.now;
  const signals = options.signals ?? createDeadlineSignals();
  const slackMs = timeoutMs * DEADLINE_SHARE_FRACTION;
  return (next) => (request) => {
    const start = now();
    // A shared call (src/transport/withSharedCalls.ts) comes with its first caller's lease of
    // `signals`, taken as here, and that lease's deadline, by which the callers who joined it were
    // admitted: taken as they are.
    const shared = request.deadline !== undefined;
    const deadline = shared ? request.deadline! : callDeadline(request, start, timeoutMs);
    const remaining = deadline - start;
    if (remaining <= 0) {
      metrics?.deadlineExceeded.inc({ source });
      logger?.info({ source, requestId: request.scope?.requestId }, 'request budget spent: upstream call not started');
      return Promise.reject(markNotSent(porticoError('SUBGRAPH_TIMEOUT', { details: { source } })));
    }
    if (shared) return next(request);
    const lease = signals.acquire(request.signal, deadline, remaining, slackMs);
    const settled = next(copyRequest(request, lease.deadline, lease.signal, request.headers));
    settled.then(lease.release, lease.release);
    return settled;
  };
}

/** The deadline of a call made at `start`: `min(start + timeoutMs, request deadline)`. */
export function callDeadline(request: UpstreamRequest, start: number, timeoutMs: number): number {
  const budgetEnd = request.scope?.deadline;
  if (budgetEnd === undefined) return start + timeoutMs;
  // A call streaming the client's files lasts as long as the client's upload does: only the
  // request's budget (uploads.timeoutMs) bounds it, not the source's timeout.
  return request.streamedBody !== undefined ? budgetEnd : Math.min(start + timeoutMs, budgetEnd);
}

/**
 * Innermost layer: stamps each attempt with the time left (`x-portico-deadline-ms`), measured as
 * it is sent, so an upstream can stop work the gateway will no longer wait for, and a retry
 * carries less time than the first attempt did.
 */
export function withDeadlineHeader(options: { now?: () => number } = {}): HttpDecorator {
  const now = options.now ?? Date.now;
  return (next) => (request) => {
    if (request.deadline === undefined) return next(request);
    const left = Math.max(0, Math.floor(request.deadline - now()));
    const headers: Record<string, string> = Object.assign({}, request.headers);
    headers[DEADLINE_HEADER] = String(left);
    return next(copyRequest(request, request.deadline, request.signal, headers));
  };
}
