import { hasPorticoCode, porticoError, type ErrorCode } from '../errors/index.js';
import { fallbackScopeKey } from './fallbackKey.js';
import { toUpstreamError, type UpstreamRequest, type UpstreamResponse } from './httpClient.js';
import { createInFlight, inFlightHeadKey } from './inFlightDedup.js';
import { codeOf, type HttpDecorator } from './upstreamFailure.js';
import { watchAttempt } from './watchAttempt.js';
import { callDeadline, DEADLINE_SHARE_FRACTION } from './withDeadline.js';
import { markStale } from './withFallbackCache.js';
import { copyRequest } from './upstreamCall.js';

export interface SharedCallsOptions {
  source: string;
  /** The source's timeout, as the deadline layer below applies it (withDeadline.ts). */
  timeoutMs: number;
  /** Clock (ms), the deadline layer's. @default Date.now */
  now?: () => number;
}

/**
 * Identical reads in flight at the same moment share ONE pass through the source's whole chain:
 * fallback cache, deadline, retries, breaker, the attempt watch and the pool. Under load many
 * requests ask a subgraph the same thing at once; in-flight dedup at the pool alone
 * (inFlightDedup.ts, still there below) shared their exchange but let each of them pay for every
 * layer above it, ~8 passes per client request for under one real exchange (bench/README.md,
 * "Speed work").
 *
 * What makes two calls identical: method, URL, body, every header but the per-attempt ones
 * (`PER_ATTEMPT_HEADERS`: request id, deadline header, trace context), so identity headers and
 * those header rules add (withSourceHeaders.ts runs above this layer) are in; and the caller's
 * fallback scope (`fallbackScopeKey`: principal and forwarded client headers), so no caller is
 * served a stored answer kept for another. The map belongs to one transport, i.e. one source, or
 * one version of a source with versions: routing (createVersionRouter.ts) happens above, so calls
 * routed to different versions never share. Writes (`idempotent` false, streamed bodies
 * included) are never shared.
 *
 * The pass is the first caller's request with a signal of its own, which also fires at the first
 * caller's deadline (`min(now + timeoutMs, request budget)`): one AbortController and one timer
 * per pass, which the deadline layer below takes as they are. A later caller joins only a pass that ends
 * within `[its deadline - timeoutMs × DEADLINE_SHARE_FRACTION, its deadline]`: it is never held
 * past its own deadline, and cut short by at most what the deadline layer already allows for
 * shared signals (deadlineSignals.ts). Otherwise it goes its own way: a pass ending later than
 * its deadline is left alone (this caller runs the chain by itself, where the pool may still
 * share the exchange), one ending too early is replaced for it and the callers after it. Each
 * caller keeps its own cancellation: one whose signal aborts (its client left) stops waiting with
 * `SUBGRAPH_UNAVAILABLE`, as before; the pass is aborted only when the last caller has gone.
 *
 * Per caller, as if each had made the call: the answer's headers reported back (withSourceHeaders
 * is above), `extensions.stale` when the answer came from the fallback cache (`fallbackAgeMs`),
 * its own copy of a failure with the same code, and an upstream watch (access log, trace span)
 * marked `joined`: the attempts themselves, with the `traceparent` sent upstream, belong to the
 * request that made the pass. Per pass, on purpose: the breaker and the retry budget count one
 * call, and retries happen once for everyone.
 */
export function withSharedCalls(options: SharedCallsOptions): HttpDecorator {
  const { source, timeoutMs } = options;
  const now = options.now ?? Date.now;
  const slackMs = timeoutMs * DEADLINE_SHARE_FRACTION;
  // A caller whose own signal aborted (its client left) hears what the pool would have said.
  const inFlight = createInFlight<UpstreamResponse>({ left: (reason) => toUpstreamError(reason, source) });

  return (next) => (request) => {
    if (!request.idempotent || request.streamedBody !== undefined) return next(request);
    const start = now();
    const deadline = callDeadline(request, start, timeoutMs);
    // No time left: the deadline layer refuses it (and the fallback cache may answer), as before.
    if (deadline <= start) return next(request);
    const head = `${inFlightHeadKey(request.method, request.url, request.headers)}\0${fallbackScopeKey(request)}`;
    let led = false;
    const shared = inFlight.runBy(request.body ?? '', head, deadline, deadline - start, slackMs, request.signal ?? undefined, (signal) => {
      led = true;
      // The pass's request: the first caller's, with the pass's own signal and deadline.
      return next(copyRequest(request, deadline, signal, request.headers));
    });
    if (shared === undefined) return next(request);
    // The first caller's pass ran with its own request: what it did, it did for that caller.
    return led ? shared : join(request, shared, source);
  };
}

/** A later caller: what the pass did for the first one, done again for this one. */
async function join(request: UpstreamRequest, shared: Promise<UpstreamResponse>, source: string): Promise<UpstreamResponse> {
  const watch = watchAttempt(request, true);
  let response: UpstreamResponse;
  try {
    response = await shared;
  } catch (error) {
    const own = ownCopy(error);
    watch?.end({ errorCode: codeOf(own) ?? 'ERROR' });
    throw own;
  }
  if (response.fallbackAgeMs !== undefined) markStale(request, source, response.fallbackAgeMs);
  watch?.end({ status: response.status });
  return response;
}

/**
 * A failure of the pass (or of this caller's own wait), as this caller's own error: same code,
 * details and status, a new object, so nothing one request does to its errors (paths,
 * relocation) reaches another's.
 */
function ownCopy(error: unknown): unknown {
  if (!hasPorticoCode(error)) return error;
  const { extensions, originalError } = error as { extensions: Record<string, unknown> & { code: string; http?: { status?: number; headers?: Record<string, string> } }; originalError: Error | undefined };
  const { code, http, ...details } = extensions;
  return porticoError(code as ErrorCode, {
    details,
    ...(http?.status === undefined ? {} : { status: http.status }),
    ...(http?.headers ? { headers: http.headers } : {}),
    ...(originalError ? { originalError } : {}),
  });
}
