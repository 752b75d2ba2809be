/**
 * What a source needs to know about the client request it is serving. The server creates one
 * per request (src/server/createContext.ts) and every executor reads it from `context.portico`,
 * so the context object keeps one shape on every request.
 */
export interface RequestScope {
  /** Propagated to every upstream call as `x-request-id`. */
  requestId: string;
  /**
   * Headers added to every upstream call of this request: the verified identity, the deadline.
   * Built by the pipeline, never copied from the client.
   */
  upstreamHeaders: Record<string, string>;
  /** Aborts upstream calls when the client goes away or the request's budget is spent. */
  signal?: AbortSignal;
}

export interface ScopedContext {
  portico?: RequestScope;
}

export function scopeOf(context: unknown): RequestScope | undefined {
  return (context as ScopedContext | undefined)?.portico;
}
