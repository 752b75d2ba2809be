/**
 * Identical upstream reads that are in flight at the same moment share one network exchange.
 *
 * "Identical" means the whole request: method, URL, body and every header the caller set,
 * including the identity headers the auth stage writes (`x-portico-subject`, `-tenant`,
 * `-scopes`, their signature, ...). Two callers who differ in anything a subgraph could answer
 * differently on never share an exchange; two requests of one caller (or two anonymous callers)
 * for the same data do. Only the headers in `PER_ATTEMPT_HEADERS` are left out of the key: they
 * correlate or time one attempt and, by contract, never change the answer.
 *
 * What is shared is the exchange only (status, headers, body text), never parsed objects: each
 * caller parses its own copy, so no request can see another's mutations. Everything above the
 * pool (deadline, retry, breaker, fallback, tracing) still runs once per caller. Each caller also
 * keeps its own cancellation: it stops waiting when its own signal aborts, and the exchange itself
 * is aborted only when every caller waiting on it has gone.
 *
 * A caller that joins is answered within the leader's `x-portico-deadline-ms`, which may be
 * shorter than its own; its own deadline still applies on its side.
 */

/** Correlation and timing headers of one attempt; everything else is part of the key. */
export const PER_ATTEMPT_HEADERS: ReadonlySet<string> = new Set([
  'x-request-id',
  'x-portico-deadline-ms',
  'traceparent',
  'tracestate',
]);

/**
 * The key of a read: method, URL, body and the sorted, lower-cased headers. The parts are
 * length-prefixed, so no choice of values can make two different requests collide.
 */
export function inFlightKey(
  method: string,
  url: string,
  headers: Readonly<Record<string, string>> | undefined,
  body: string | undefined,
): string {
  const pairs: string[] = [];
  for (const name in headers) {
    const lower = name.toLowerCase();
    if (PER_ATTEMPT_HEADERS.has(lower)) continue;
    const value = headers[name]!;
    pairs.push(`${lower.length}:${lower}${value.length}:${value}`);
  }
  pairs.sort();
  const text = body ?? '';
  return `${method} ${url.length}:${url}${pairs.length}:${pairs.join('')}${text.length}:${text}`;
}

export interface InFlight<T> {
  /**
   * Joins the exchange in flight under `key`, or starts one with `start`. The promise settles
   * with the exchange, or rejects with `signal.reason` as soon as this caller's signal aborts.
   */
  run(key: string, signal: AbortSignal | undefined, start: (signal: AbortSignal) => Promise<T>): Promise<T>;
  /** Exchanges in flight now (for tests and metrics). */
  readonly size: number;
}

interface Flight<T> {
  promise: Promise<T>;
  controller: AbortController;
  /** Callers still waiting; the exchange is aborted when this drops to zero before it settles. */
  waiting: number;
  settled: boolean;
}

export function createInFlight<T>(): InFlight<T> {
  const flights = new Map<string, Flight<T>>();

  function join(key: string, flight: Flight<T>, signal: AbortSignal | undefined): Promise<T> {
    flight.waiting++;
    if (!signal) return flight.promise;
    if (signal.aborted) {
      leave(key, flight, signal.reason);
      return Promise.reject(signal.reason);
    }
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => {
        leave(key, flight, signal.reason);
        reject(signal.reason);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      flight.promise.then(
        (value) => {
          signal.removeEventListener('abort', onAbort);
          resolve(value);
        },
        (error: unknown) => {
          signal.removeEventListener('abort', onAbort);
          reject(error);
        },
      );
    });
  }

  function leave(key: string, flight: Flight<T>, reason: unknown): void {
    flight.waiting--;
    if (flight.waiting > 0 || flight.settled) return;
    // Nobody wants the answer any more: free the socket, and let the next caller start afresh.
    if (flights.get(key) === flight) flights.delete(key);
    flight.controller.abort(reason);
  }

  return {
    run(key, signal, start) {
      let flight = flights.get(key);
      if (!flight) {
        const controller = new AbortController();
        const created: Flight<T> = { promise: undefined as never, controller, waiting: 0, settled: false };
        const done = () => {
          created.settled = true;
          if (flights.get(key) === created) flights.delete(key);
        };
        created.promise = start(controller.signal);
        created.promise.then(done, done);
        flights.set(key, created);
        flight = created;
      }
      return join(key, flight, signal);
    },
    get size() {
      return flights.size;
    },
  };
}
