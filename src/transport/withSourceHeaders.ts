import type { SourceHeaderContributor } from '../context/sourceHeaders.js';
import type { HttpCall, UpstreamRequest, UpstreamResponse } from './httpClient.js';
import type { HttpDecorator } from './upstreamFailure.js';

/**
 * The one place a source call meets the request's per-source headers (header rules, signed
 * claims: `scope.sourceHeaders`, src/context/sourceHeaders.ts), for every source kind and both
 * engines, since every call of every executor goes through its source's transport.
 *
 * Outermost in composeTransport.ts: the headers are added once per call, so the fallback-cache
 * key, every retry and the in-flight dedup key (which covers all headers) see them; and the
 * answer reported back is the one the source finally got, after retries or from the fallback.
 * The caller's header object is never changed: REST loaders share one per request.
 *
 * A request with no contributor (no header rules, no claims: `portico serve`, most BFFs) passes
 * straight through, with no async frame of this layer around the call: it is every upstream
 * call's outermost layer, and an async function that returns the call's promise costs a promise
 * of its own and two more microtask turns before the caller sees the answer.
 */
export const withSourceHeaders: HttpDecorator = (next) => (request) => {
  const contributors = request.scope?.sourceHeaders;
  if (contributors !== undefined && contributors.length > 0) return withContributors(next, request, contributors);
  // A layer below that throws instead of rejecting still reaches the caller as a rejection, as
  // it did through an async frame.
  try {
    return next(request);
  } catch (error) {
    return Promise.reject(error);
  }
};

async function withContributors(next: HttpCall, request: UpstreamRequest, contributors: readonly SourceHeaderContributor[]): Promise<UpstreamResponse> {
  let headers: Record<string, string> | undefined;
  for (const contributor of contributors) {
    const added = contributor.request(request.source);
    if (added === undefined) continue;
    headers ??= { ...request.headers };
    Object.assign(headers, added);
  }
  let response;
  try {
    response = await next(headers === undefined ? request : { ...request, headers });
  } catch (error) {
    for (const contributor of contributors) contributor.response?.(request.source, undefined);
    throw error;
  }
  for (const contributor of contributors) contributor.response?.(request.source, response.headers);
  return response;
}
