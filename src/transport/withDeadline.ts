import type { Logger } from 'pino';
import { porticoError } from '../errors/index.js';
import type { TransportMetrics } from './transportMetrics.js';
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
  logger?: Logger;
  metrics?: TransportMetrics;
}

/**
 * Gives each call one deadline: `min(now + timeoutMs, request deadline)`. A call whose request
 * has no time left is refused before anything is sent (`SUBGRAPH_TIMEOUT`, never counted by the
 * breaker: the upstream did nothing wrong). Otherwise the call gets one AbortSignal that fires at
 * the deadline, combined with the caller's own signal; that single timer owns the timing of the
 * call and all its retries (opossum's own timeout is off, so there are never two clocks).
 */
export function withDeadline(options: DeadlineOptions): HttpDecorator {
  const { source, timeoutMs, logger, metrics } = options;
  const now = options.now ?? Date.now;
  return (next) => async (request) => {
    const start = now();
    const budgetEnd = request.scope?.deadline;
    const deadline = budgetEnd === undefined ? start + timeoutMs : Math.min(start + timeoutMs, budgetEnd);
    const remaining = deadline - start;
    if (remaining <= 0) {
      metrics?.deadlineExceeded.inc({ source });
      logger?.info({ source, requestId: request.scope?.requestId }, 'request budget spent: upstream call not started');
      throw markNotSent(porticoError('SUBGRAPH_TIMEOUT', { details: { source } }));
    }
    const timer = AbortSignal.timeout(remaining);
    const signal = request.signal ? AbortSignal.any([request.signal, timer]) : timer;
    return next({ ...request, deadline, signal });
  };
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
    return next({ ...request, headers: { ...request.headers, [DEADLINE_HEADER]: String(left) } });
  };
}
