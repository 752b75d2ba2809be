/**
 * Watching a request's upstream calls without the transport knowing who watches: the tracing
 * and access-log plugins each register an observer on the request scope
 * (`scope.upstreamObservers`), and the HTTP client (src/transport/httpClient.ts) tells every
 * observer about every attempt it sends. A request with no observers pays one property read.
 */

/** One attempt about to be sent upstream. */
export interface UpstreamAttempt {
  /** The source's name (`orders/orders` for a federation subgraph). */
  source: string;
  method: string;
  /** Never logged or shown to clients by the observers; tracing records host and path only. */
  url: string;
  /** The source's version the attempt goes to, when the source has versions (docs/traffic.md). */
  version?: string;
  /**
   * This request sends nothing: it waits for the identical call another request is making
   * (src/transport/withSharedCalls.ts), and the outcome is that call's. The attempts themselves,
   * retries and `traceparent` included, are watched by the request that makes the call.
   */
  joined?: true;
}

export interface UpstreamOutcome {
  /** HTTP status, when a response arrived. */
  status?: number;
  /** The catalogue code of the failure (`SUBGRAPH_TIMEOUT`, `SUBGRAPH_UNAVAILABLE`), when none did. */
  errorCode?: string;
  durationMs: number;
}

export interface UpstreamWatch {
  /** Headers this observer adds to the attempt (W3C `traceparent`). */
  headers?: Record<string, string>;
  /**
   * The attempt ended. `attempt` is the one the observer was given, so one watch object can serve
   * every attempt of a request (the access log's does); `outcome` is shared with the other
   * observers: read it, never change it.
   */
  end(outcome: UpstreamOutcome, attempt: UpstreamAttempt): void;
}

export type UpstreamObserver = (attempt: UpstreamAttempt) => UpstreamWatch | undefined;
