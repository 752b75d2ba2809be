import type { Principal } from './principal.js';
import type { UpstreamObserver } from './upstreamObserver.js';

/**
 * Per-request state shared along the pipeline. The server creates one per request
 * (src/server/createBffServer.ts) at `context.portico`, with every field present, so the context
 * object keeps one shape on every request. Plugins fill in what they own (auth: `principal` and
 * the identity headers); sources read it for upstream calls.
 */
export interface RequestScope {
  /** Propagated to every upstream call as `x-request-id`. */
  requestId: string;
  /** The verified caller; ANONYMOUS until the auth stage says otherwise. */
  principal: Principal;
  /**
   * Headers added to every upstream call of this request: the verified identity, the deadline.
   * Built by the pipeline, never copied from the client.
   */
  upstreamHeaders: Record<string, string>;
  /** Aborts upstream calls when the client goes away or the request's budget is spent. */
  signal?: AbortSignal;
  /** Epoch ms by which the whole request must be answered; undefined means no budget. */
  deadline?: number;
  /**
   * Sources whose answer in this request came from the fallback cache, with the age of that
   * answer; the response carries them as `extensions.stale`. Created on first use, since almost
   * no request has one.
   */
  stale?: StaleSource[];
  /**
   * Told about every upstream attempt of this request (src/context/upstreamObserver.ts): the
   * access log and tracing register here in onRequest. Absent when nobody watches.
   */
  upstreamObservers?: UpstreamObserver[];
  /** The W3C trace id of this request, when tracing is on; the access log prints it. */
  traceId?: string;
}

export interface StaleSource {
  source: string;
  /** How old the served answer was, in ms. */
  ageMs: number;
}

export interface ScopedContext {
  portico?: RequestScope;
}

export function scopeOf(context: unknown): RequestScope | undefined {
  return (context as ScopedContext | undefined)?.portico;
}
