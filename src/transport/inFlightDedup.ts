import { CancelSignal, type CallSignal } from '../context/cancelSignal.js';

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
 * caller parses its own copy, so no request can see another's mutations. Each caller also keeps
 * its own cancellation: it stops waiting when its own signal aborts, and the exchange itself is
 * aborted only when every caller waiting on it has gone.
 *
 * Used at the pool (src/transport/httpClient.ts), for equal wire requests. Above it, identical
 * calls share the whole pass through fallback cache, deadline, retries and breaker
 * (src/transport/withSharedCalls.ts, keyed the same way). What reaches the pool is what that could
 * not share: calls of other fallback scopes with equal headers, a caller whose deadline did not
 * fit the pass in flight, retries.
 *
 * A caller that joins at the pool is answered within the leader's `x-portico-deadline-ms`, which
 * may be shorter than its own; its own deadline still applies on its side.
 */

/** Correlation and timing headers of one attempt; everything else is part of the key. */
export const PER_ATTEMPT_HEADERS: ReadonlySet<string> = new Set([
  'x-request-id',
  'x-portico-deadline-ms',
  'traceparent',
  'tracestate',
]);

/**
 * A read is identified by its body and this key: method, URL and the sorted, lower-cased
 * headers. The parts are length-prefixed, so no choice of values can make two different requests
 * collide. The map of flights is keyed by the body string itself, then by this key: V8 keeps a
 * string's hash on the string, so the body (the long part) is hashed once per call for this map
 * and the fallback cache's (src/transport/withFallbackCache.ts) together.
 */
export function inFlightHeadKey(
  method: string,
  url: string,
  headers: Readonly<Record<string, string>> | undefined,
  /** Headers left out of the key; a shared subscription leaves out the signature's time too. */
  excluded: ReadonlySet<string> = PER_ATTEMPT_HEADERS,
): string {
  // Sorted by insertion as they are read: a dozen headers, so this beats building a string per
  // header and sorting those (~0.7 µs against ~1.6 µs, once per upstream call).
  const names: string[] = [];
  const values: string[] = [];
  for (const name in headers) {
    const lower = name.toLowerCase();
    if (excluded.has(lower)) continue;
    const value = headers[name]!;
    let i = names.length;
    names.push(lower);
    values.push(value);
    while (i > 0 && (names[i - 1]! > lower || (names[i - 1] === lower && values[i - 1]! > value))) {
      names[i] = names[i - 1]!;
      values[i] = values[i - 1]!;
      i--;
    }
    names[i] = lower;
    values[i] = value;
  }
  let key = `${method} ${url.length}:${url}${names.length}:`;
  for (let i = 0; i < names.length; i++) key += `${names[i]!.length}:${names[i]}${values[i]!.length}:${values[i]}`;
  return key;
}

/**
 * True only when two calls' heads are certainly equal, without building either key: same method,
 * URL, and the same header names (exactly, case included) with the same values, per-attempt
 * headers aside. Headers that differ only in case make it false though their keys are equal: a
 * caller then goes its own way, which costs a shared call, never a wrong answer.
 */
export function sameHead(
  method: string,
  url: string,
  headers: Readonly<Record<string, string>> | undefined,
  otherMethod: string,
  otherUrl: string,
  otherHeaders: Readonly<Record<string, string>> | undefined,
  excluded: ReadonlySet<string> = PER_ATTEMPT_HEADERS,
): boolean {
  if (method !== otherMethod || url !== otherUrl) return false;
  if (headers === otherHeaders) return true;
  let count = 0;
  for (const name in headers) {
    if (excluded.has(name.toLowerCase())) continue;
    if (otherHeaders === undefined || !Object.hasOwn(otherHeaders, name) || otherHeaders[name] !== headers[name]) return false;
    count++;
  }
  for (const name in otherHeaders) if (!excluded.has(name.toLowerCase())) count--;
  return count === 0;
}

export interface InFlight<T> {
  /**
   * Joins the exchange in flight for `body` and `head` (`inFlightHeadKey`), or starts one with
   * `start`. The promise settles with the exchange, or rejects as soon as this caller's signal
   * aborts (with `signal.reason`, or what `InFlightOptions.left` makes of it).
   */
  run(body: string, head: string, signal: CallSignal | undefined, start: (signal: CallSignal) => Promise<T>): Promise<T>;
  /** Exchanges in flight now (for tests and metrics). */
  readonly size: number;
}

interface Flight<T> {
  promise: Promise<T>;
  /** The exchange's signal, fired when its last caller leaves. */
  signal: CancelSignal;
  /** Callers still waiting; the exchange is aborted when this drops to zero before it settles. */
  waiting: number;
  settled: boolean;
}

export interface InFlightOptions {
  /**
   * What a caller whose own signal aborted is rejected with, given the signal's reason.
   * @default the reason itself
   */
  left?: (reason: unknown) => unknown;
}

export function createInFlight<T>(options: InFlightOptions = {}): InFlight<T> {
  const left = options.left ?? ((reason: unknown) => reason);
  const flights = new Map<string, Map<string, Flight<T>>>();
  let size = 0;

  function forget(body: string, head: string, flight: Flight<T>): void {
    const sameBody = flights.get(body);
    if (sameBody?.get(head) !== flight) return;
    size--;
    if (sameBody.size === 1) flights.delete(body);
    else sameBody.delete(head);
  }

  function join(body: string, head: string, flight: Flight<T>, signal: CallSignal | undefined): Promise<T> {
    flight.waiting++;
    return waitOrLeave(flight.promise, signal, (reason) => leave(body, head, flight, reason), left);
  }

  function leave(body: string, head: string, flight: Flight<T>, reason: unknown): void {
    flight.waiting--;
    if (flight.waiting > 0 || flight.settled) return;
    // Nobody wants the answer any more: free the socket, and let the next caller start afresh.
    forget(body, head, flight);
    flight.signal.abort(reason);
  }

  function begin(body: string, head: string, start: (signal: CallSignal) => Promise<T>): Flight<T> {
    // A CancelSignal, not an AbortController: src/context/cancelSignal.ts says why.
    const signal = new CancelSignal();
    const created: Flight<T> = { promise: undefined as never, signal, waiting: 0, settled: false };
    const done = () => {
      created.settled = true;
      forget(body, head, created);
    };
    created.promise = start(signal);
    created.promise.then(done, done);
    let sameBody = flights.get(body);
    if (!sameBody) {
      sameBody = new Map();
      flights.set(body, sameBody);
    }
    size++;
    sameBody.set(head, created);
    return created;
  }

  return {
    run(body, head, signal, start) {
      const flight = flights.get(body)?.get(head) ?? begin(body, head, start);
      return join(body, head, flight, signal);
    },
    // eslint-disable-next-line no-restricted-syntax -- one table per HTTP client, made at start-up
    get size() {
      return size;
    },
  };
}

/**
 * A joiner's wait on a shared `promise` (a flight here, a pass in withSharedCalls.ts): its
 * outcome, or, as soon as `signal` aborts (at once if it has), `leave(reason)` and a rejection
 * with `left(reason)`. The others waiting on the promise are not affected.
 */
export function waitOrLeave<T>(promise: Promise<T>, signal: CallSignal | undefined, leave: (reason: unknown) => void, left: (reason: unknown) => unknown): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) {
    leave(signal.reason);
    return Promise.reject(left(signal.reason));
  }
  return new Promise<T>((resolve, reject) => {
    // A listener object, not a named arrow: under tsx every named closure costs a
    // defineProperty (keepNames), and this one is made for every call that joins another.
    const onAbort = {
      handleEvent() {
        leave(signal.reason);
        reject(left(signal.reason));
      },
    };
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
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
