import type { Logger } from 'pino';
import type { FallbackStore } from '../stores/fallback/fallbackStore.js';
import { fallbackKey, fallbackKeyRest } from './fallbackKey.js';
import type { UpstreamRequest, UpstreamResponse } from './httpClient.js';
import type { ConsoleFeed } from '../observability/console/consoleFeed.js';
import type { TransportMetrics } from './transportMetrics.js';
import { callerGaveUp, type HttpDecorator } from './upstreamFailure.js';

export interface FallbackCacheOptions {
  source: string;
  store: FallbackStore;
  /** How long after it was stored a response may still be served. */
  ttlMs: number;
  /** Clock (ms). @default Date.now */
  now?: () => number;
  logger?: Logger;
  metrics?: TransportMetrics;
  /** The operator console's ring buffer: fallbacks served. */
  feed?: ConsoleFeed;
}

/**
 * An answer equal to the stored one is written again only once the stored copy is this share of
 * `ttlMs` old. 1/10: with the 5 min default a busy read costs one store write per 30 s instead of
 * one per call (a Redis round trip and a JSON copy of the body each), and a served fallback is
 * reported, and expires, at most 30 s older than the last time the upstream confirmed it.
 */
export const FALLBACK_REFRESH_FRACTION = 1 / 10;

/**
 * Characters (request and response bodies, key parts) of recent writes remembered per source.
 * With the memory store the response bodies are the stored strings themselves, not copies; with
 * Redis this bounds the copy.
 */
const WRITTEN_MAX_CHARS = 2 ** 21;

/** What this process last wrote for one read. */
interface Written {
  key: string;
  status: number;
  contentType: string | undefined;
  body: string;
  storedAt: number;
  size: number;
}

/** The reads sending one request body, by the rest of their key (`fallbackKeyRest`). */
interface SameBody {
  reads: Map<string, Written>;
  size: number;
}

/**
 * Remembers the last successful (2xx) answer to each read, per caller scope (see `fallbackKey`),
 * and serves it when the call fails for any reason below this layer: an open breaker, a
 * timeout, retries spent, the request budget spent, a 5xx. A served answer is recorded in the
 * request scope (`scope.stale`), which the response carries as `extensions.stale`, so the client
 * knows it got old data and how old. Writes (`idempotent` false) pass straight through, and a
 * caller that has gone away gets nothing.
 *
 * A changed answer is stored at once; an answer equal to what this process last stored for the
 * read is stored again only when that copy is `FALLBACK_REFRESH_FRACTION` of `ttlMs` old. Recent
 * writes are found by the request body string itself, then the rest of the key: by then the
 * in-flight dedup (src/transport/inFlightDedup.ts) has hashed that same string, and V8 keeps the
 * hash on it, so the hot path hashes no body and touches no store; the SHA-256 store key is
 * computed only for a write or a lookup after a failure. A copy a full memory store evicted in
 * between is written again at the next refresh, at most `ttlMs / 10` later.
 */
export function withFallbackCache(options: FallbackCacheOptions): HttpDecorator {
  const { source, store, ttlMs, logger, metrics } = options;
  const now = options.now ?? Date.now;
  const refreshMs = ttlMs * FALLBACK_REFRESH_FRACTION;
  // Insertion-ordered: when full, the oldest bodies go, and their next answers are written again.
  const written = new Map<string, SameBody>();
  let writtenChars = 0;

  function remember(request: UpstreamRequest, rest: string, response: UpstreamResponse): void {
    const storedAt = now();
    const header = response.headers['content-type'];
    const contentType = typeof header === 'string' ? header : undefined;
    const requestBody = request.body ?? '';
    let sameBody = written.get(requestBody);
    const last = sameBody?.reads.get(rest);
    if (
      last !== undefined &&
      storedAt - last.storedAt < refreshMs &&
      last.status === response.status &&
      last.contentType === contentType &&
      last.body === response.body
    ) {
      return;
    }
    const key = last?.key ?? fallbackKey(request);
    void store.set(key, { status: response.status, body: response.body, storedAt, ...(contentType === undefined ? {} : { contentType }) }, ttlMs);
    if (sameBody === undefined) {
      sameBody = { reads: new Map(), size: requestBody.length };
      written.set(requestBody, sameBody);
      writtenChars += requestBody.length;
    }
    const size = rest.length + response.body.length;
    if (last === undefined) {
      sameBody.reads.set(rest, { key, status: response.status, contentType, body: response.body, storedAt, size });
    } else {
      sameBody.size -= last.size;
      writtenChars -= last.size;
      Object.assign(last, { status: response.status, contentType, body: response.body, storedAt, size });
    }
    sameBody.size += size;
    writtenChars += size;
    for (const [oldest, entry] of written) {
      if (writtenChars <= WRITTEN_MAX_CHARS) break;
      written.delete(oldest);
      writtenChars -= entry.size;
    }
  }

  return (next) => async (request) => {
    if (!request.idempotent) return next(request);
    const rest = fallbackKeyRest(request);
    let response: UpstreamResponse;
    try {
      response = await next(request);
    } catch (error) {
      if (callerGaveUp(request)) throw error;
      const cached = await store.get(written.get(request.body ?? '')?.reads.get(rest)?.key ?? fallbackKey(request));
      const ageMs = cached ? Math.max(0, now() - cached.storedAt) : 0;
      if (!cached || ageMs > ttlMs) {
        metrics?.fallbacks.inc({ source, result: 'miss' });
        throw error;
      }
      metrics?.fallbacks.inc({ source, result: 'served' });
      options.feed?.fallbackServed(source);
      logger?.info({ source, requestId: request.scope?.requestId, ageMs }, 'upstream call failed: served the cached answer, marked stale');
      markStale(request, source, ageMs);
      return {
        status: cached.status,
        headers: cached.contentType === undefined ? {} : { 'content-type': cached.contentType },
        body: cached.body,
        fallbackAgeMs: ageMs,
      };
    }
    if (response.status >= 200 && response.status < 300) remember(request, rest, response);
    return response;
  };
}

/** Records in the request's scope that `source` answered it from the fallback cache, `ageMs` old. */
export function markStale(request: UpstreamRequest, source: string, ageMs: number): void {
  const scope = request.scope;
  if (!scope) return;
  const stale = (scope.stale ??= []);
  const seen = stale.find((entry) => entry.source === source);
  // One entry per source, with its oldest answer: that is the bound the client cares about.
  if (seen) seen.ageMs = Math.max(seen.ageMs, ageMs);
  else stale.push({ source, ageMs });
}
