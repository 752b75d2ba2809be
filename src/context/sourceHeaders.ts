/**
 * A per-request party to every source call (src/transport/withSourceHeaders.ts applies them all):
 * it may add headers to the call and hear the answer's headers. Header rules (client headers to
 * sources, source headers and Cache-Control back) and the per-source signed claims register one
 * each on the request scope; transport code knows neither.
 */
export interface SourceHeaderContributor {
  /**
   * Headers for a call to `source` (a source name, or `source/subgraph` for a federation
   * subgraph), or undefined for none. Called once per call, before retries and the fallback cache.
   */
  request(source: string): Readonly<Record<string, string>> | undefined;
  /**
   * The answer's headers once the call is over; `undefined` when it failed without one (a
   * timeout, an open breaker). An answer from the fallback cache carries only its content type
   * (and the request scope's `stale` names the source).
   */
  response?(source: string, headers: Readonly<Record<string, string | string[] | undefined>> | undefined): void;
}

/** The source name a contributor's rules are keyed by: `orders/orders` is the `orders` source. */
export function sourceOf(name: string): string {
  const slash = name.indexOf('/');
  return slash < 0 ? name : name.slice(0, slash);
}
