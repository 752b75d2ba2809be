import type { Readable } from 'node:stream';
import type { CallSignal } from '../context/cancelSignal.js';
import type { RequestScope } from '../context/requestScope.js';

/** One call to a source, as every transport decorator sees it (composeTransport.ts). */
export interface UpstreamRequest {
  method: 'GET' | 'POST';
  url: string;
  headers?: Record<string, string>;
  body?: string;
  /**
   * A body streamed as it is produced (a multipart request carrying file uploads,
   * src/sources/graphql/multipartBody.ts), sent instead of `body`. It can be read once: such a
   * call must not be `idempotent`, so it is never retried, shared or answered from a cache.
   */
  streamedBody?: Readable;
  /** Aborts the call: the request's client left, or its deadline passed. */
  signal?: CallSignal | undefined;
  /** Name of the source, for errors and logs (never shown to clients with the URL). */
  source: string;
  /**
   * The call only reads (a GraphQL query, a REST GET): only such calls are retried and answered
   * from the fallback cache. Absent means a write, which is sent exactly once.
   */
  idempotent?: boolean;
  /** The request this call serves: its deadline, its caller (fallback cache key), its stale marks. */
  scope?: RequestScope | undefined;
  /** Epoch ms by which this call must be answered; set by the deadline decorator. */
  deadline?: number;
  /** The source's version this call went to, when the source has versions (src/transport/). */
  version?: string;
}

export interface UpstreamResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /**
   * Set on an answer the fallback cache served instead of the source's (withFallbackCache.ts):
   * its age in ms. Every request that shares the call marks itself stale with it.
   */
  fallbackAgeMs?: number;
}

export type HttpCall = (request: UpstreamRequest) => Promise<UpstreamResponse>;

/**
 * `request` with its deadline, signal and headers replaced. Spelt out rather than spread: V8
 * (Node 20) builds `{ ...request, deadline }` on a slow path when the source lacks a property
 * being added, ~1 µs against ~20 ns, and every call passes here once and every attempt again.
 * (withDeadlineHeader copies its headers with `Object.assign`, not a spread, for the same reason.)
 * Every layer that hands a changed request down (the deadline layers, a shared pass) uses it.
 */
export function copyRequest(
  request: UpstreamRequest,
  deadline: number | undefined,
  signal: CallSignal | undefined,
  headers: Record<string, string> | undefined,
): UpstreamRequest {
  // `satisfies` fails to compile when UpstreamRequest gains a field this copy would drop.
  return {
    method: request.method,
    url: request.url,
    headers,
    body: request.body,
    streamedBody: request.streamedBody,
    signal,
    source: request.source,
    idempotent: request.idempotent,
    scope: request.scope,
    deadline,
    version: request.version,
  } satisfies Record<keyof UpstreamRequest, unknown>;
}
