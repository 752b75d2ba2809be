import type { Logger } from 'pino';
import type { FallbackStore } from '../stores/fallbackStore.js';
import { fallbackKey } from './fallbackKey.js';
import type { UpstreamRequest, UpstreamResponse } from './httpClient.js';
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
}

/**
 * Remembers the last successful (2xx) answer to each read, per caller scope (see `fallbackKey`),
 * and serves it when the call fails for any reason below this layer: an open breaker, a
 * timeout, retries spent, the request budget spent, a 5xx. A served answer is recorded in the
 * request scope (`scope.stale`), which the response carries as `extensions.stale`, so the client
 * knows it got old data and how old. Writes (`idempotent` false) pass straight through, and a
 * caller that has gone away gets nothing.
 */
export function withFallbackCache(options: FallbackCacheOptions): HttpDecorator {
  const { source, store, ttlMs, logger, metrics } = options;
  const now = options.now ?? Date.now;
  return (next) => async (request) => {
    if (!request.idempotent) return next(request);
    const key = fallbackKey(request);
    let response: UpstreamResponse;
    try {
      response = await next(request);
    } catch (error) {
      if (callerGaveUp(request)) throw error;
      const cached = await store.get(key);
      const ageMs = cached ? Math.max(0, now() - cached.storedAt) : 0;
      if (!cached || ageMs > ttlMs) {
        metrics?.fallbacks.inc({ source, result: 'miss' });
        throw error;
      }
      metrics?.fallbacks.inc({ source, result: 'served' });
      logger?.info({ source, requestId: request.scope?.requestId, ageMs }, 'upstream call failed: served the cached answer, marked stale');
      markStale(request, source, ageMs);
      return {
        status: cached.status,
        headers: cached.contentType === undefined ? {} : { 'content-type': cached.contentType },
        body: cached.body,
      };
    }
    if (response.status >= 200 && response.status < 300) {
      const contentType = response.headers['content-type'];
      void store.set(
        key,
        { status: response.status, body: response.body, storedAt: now(), ...(typeof contentType === 'string' ? { contentType } : {}) },
        ttlMs,
      );
    }
    return response;
  };
}

function markStale(request: UpstreamRequest, source: string, ageMs: number): void {
  const scope = request.scope;
  if (!scope) return;
  const stale = (scope.stale ??= []);
  const seen = stale.find((entry) => entry.source === source);
  // One entry per source, with its oldest answer: that is the bound the client cares about.
  if (seen) seen.ageMs = Math.max(seen.ageMs, ageMs);
  else stale.push({ source, ageMs });
}
