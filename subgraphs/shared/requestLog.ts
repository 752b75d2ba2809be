import type { IncomingHttpHeaders } from 'node:http';

/** One counted request, as `GET /__admin/requests` lists it. */
export interface RecordedRequest {
  method: string;
  /** Path and query string as the client sent them, e.g. `/products?ids=p1,p2`. */
  path: string;
  /** The route key the request was counted under in `byRoute`. */
  route: string;
  /** All request headers, lower-cased by node. */
  headers: IncomingHttpHeaders;
  /** GraphQL services only: `{ operationName, query }` of the request (an array for a batch). */
  body?: unknown;
}

/** `GET /__admin/stats`. */
export interface SubgraphStats {
  requests: number;
  byRoute: Record<string, number>;
  inFlight: number;
  maxInFlight: number;
  lastHeaders: IncomingHttpHeaders;
  /**
   * Event streams (subscriptions over SSE) answering right now: counted once their headers are
   * sent, when the subscription is registered, so a test can publish knowing it will be seen.
   */
  openStreams: number;
}

/**
 * Keeps enough requests for a test to find the ones its scenario sent, while a long benchmark
 * run against the same process cannot grow memory without bound.
 */
export const RECORDED_REQUESTS_LIMIT = 200;

/** Counters and the ring of recent requests for one subgraph process. */
export class RequestLog {
  private requests = 0;
  private byRoute = new Map<string, number>();
  private inFlight = 0;
  private maxInFlight = 0;
  private recent: RecordedRequest[] = [];

  /** Counts a request and marks it in flight; call the returned function once it is answered or dropped. */
  begin(entry: RecordedRequest): () => void {
    this.requests += 1;
    this.byRoute.set(entry.route, (this.byRoute.get(entry.route) ?? 0) + 1);
    this.recent.push(entry);
    if (this.recent.length > RECORDED_REQUESTS_LIMIT) this.recent.shift();
    this.inFlight += 1;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      this.inFlight -= 1;
    };
  }

  /**
   * Zeroes the counters. `inFlight` is a gauge of requests still open, not a counter, so it keeps
   * its value (zeroing it would let it go negative as those requests finish), and `maxInFlight`
   * restarts from it.
   */
  reset(): void {
    this.requests = 0;
    this.byRoute.clear();
    this.recent = [];
    this.maxInFlight = this.inFlight;
  }

  /** See `SubgraphStats.openStreams`; serveSubgraph counts them. */
  openStreams = 0;

  stats(): SubgraphStats {
    return {
      requests: this.requests,
      byRoute: Object.fromEntries(this.byRoute),
      inFlight: this.inFlight,
      maxInFlight: this.maxInFlight,
      lastHeaders: this.recent.at(-1)?.headers ?? {},
      openStreams: this.openStreams,
    };
  }

  recentRequests(): RecordedRequest[] {
    return [...this.recent];
  }
}
