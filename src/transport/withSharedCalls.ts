import { hasPorticoCode, porticoError, type ErrorCode } from '../errors/index.js';
import type { CallSignal } from '../context/cancelSignal.js';
import { fallbackScopeKey } from './fallbackKey.js';
import { toUpstreamError, type UpstreamRequest, type UpstreamResponse } from './httpClient.js';
import { createDeadlineSignals, type DeadlineLease, type DeadlineSignals } from './deadlineSignals.js';
import { inFlightHeadKey, sameHead, waitOrLeave } from './inFlightDedup.js';
import { codeOf, type HttpDecorator } from './upstreamFailure.js';
import { watchAttempt } from './watchAttempt.js';
import { callDeadline, DEADLINE_SHARE_FRACTION } from './withDeadline.js';
import { markStale } from './withFallbackCache.js';
import { copyRequest, type HttpCall } from './upstreamCall.js';

export interface SharedCallsOptions {
  source: string;
  /** The source's timeout, as the deadline layer below applies it (withDeadline.ts). */
  timeoutMs: number;
  /** Clock (ms), the deadline layer's. @default Date.now */
  now?: () => number;
  /**
   * The deadline layer's signals (withDeadline.ts), on which a pass runs: give the same, so a
   * pass shares its signal with the other calls of its first caller's request.
   * @default one for this layer alone
   */
  signals?: DeadlineSignals;
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
 * The pass is the first caller's request on the first caller's deadline lease
 * (deadlineSignals.ts): the very signal the deadline layer below would have given the call
 * without sharing, usually one the request's other calls hold already, firing at the first
 * caller's deadline (`min(now + timeoutMs, request budget)`) or up to `timeoutMs ×
 * DEADLINE_SHARE_FRACTION` before it. The deadline layer takes it as it is. So a call nobody joins
 * costs about what it did before this layer existed: no AbortController, timer or abort listener
 * of its own (an own controller per pass cost +12-15 % CPU per call, bench/README.md). A later
 * caller joins only a pass that ends within `[its deadline - timeoutMs × DEADLINE_SHARE_FRACTION,
 * its deadline]`: it is never held past its own deadline, and cut short by at most what the
 * deadline layer already allows for shared signals. Otherwise it goes its own way: a pass ending
 * later than its deadline is left alone (this caller runs the chain by itself, where the pool may
 * still share the exchange), one ending too early is replaced for it and the callers after it.
 *
 * Each caller keeps its own cancellation: one whose signal aborts (its client left) stops waiting
 * with `SUBGRAPH_UNAVAILABLE`, as before; the pass is aborted only when the last caller has gone.
 * Until someone joins, the first caller leaving aborts its lease, hence the pass: that is the
 * last caller gone. The first joiner pins the lease: the first caller leaving then only ends its
 * own wait, and the lease is aborted once the pass lets go of it (settled, or every caller gone).
 * The price, paid only by a request whose client left while one of its passes was joined: its
 * other calls on the same lease stop then too, not at once (at the latest at that deadline). The
 * other way, a controller made only when someone joins, cannot work: the pass's signal is in the
 * pool's hands from the start, and restarting the pass for the joiners when its first caller
 * leaves would send the call twice.
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
  const passes = new Passes(options.signals ?? createDeadlineSignals(), source);

  return (next) => (request) => {
    if (!request.idempotent || request.streamedBody !== undefined) return next(request);
    const start = now();
    const deadline = callDeadline(request, start, timeoutMs);
    // No time left: the deadline layer refuses it (and the fallback cache may answer), as before.
    if (deadline <= start) return next(request);
    const body = request.body ?? '';
    const scope = fallbackScopeKey(request);
    const pass = passes.find(body, request, scope);
    if (pass !== undefined) {
      // Ends after this caller's deadline: it goes alone.
      if (pass.deadline > deadline) return next(request);
      // Not too early for it, and its first caller did not leave before anyone joined (aborting its lease).
      if (pass.deadline >= deadline - slackMs && !pass.lease.signal.aborted) return join(request, passes.join(pass, request.signal ?? undefined), source);
    }
    return passes.lead(request, next, pass, body, scope, deadline, deadline - start, slackMs);
  };
}

/**
 * The passes in flight of one transport. Found by body first (V8 keeps a string's hash on it, so
 * the long part is hashed once per call, see inFlightHeadKey), then by the rest of the call and
 * the caller's scope: compared in place with the one pass sending that body, the common case, or
 * looked up by a key made of both once several send it (one per caller scope or identity): no
 * Map and no key string made for a body only one pass sends.
 */
class Passes {
  private readonly byBody = new Map<string, Pass | Map<string, Pass>>();

  constructor(
    private readonly signals: DeadlineSignals,
    private readonly source: string,
  ) {}

  find(body: string, request: UpstreamRequest, scope: string): Pass | undefined {
    const found = this.byBody.get(body);
    if (found === undefined) return undefined;
    if (found instanceof Pass) return found.scope === scope && found.sameHead(request) ? found : undefined;
    return found.get(passKey(inFlightHeadKey(request.method, request.url, request.headers), scope));
  }

  /** A new pass, with this caller as its first; `replaced`, one ending too early for it, keeps its callers but is found no more. */
  lead(
    request: UpstreamRequest,
    next: HttpCall,
    replaced: Pass | undefined,
    body: string,
    scope: string,
    deadline: number,
    ms: number,
    slackMs: number,
  ): Promise<UpstreamResponse> {
    const lease = this.signals.acquire(request.signal ?? undefined, deadline, ms, slackMs);
    const pass = new Pass(this, body, request, scope, lease);
    this.add(pass, replaced);
    const first = new Promise<UpstreamResponse>((resolve, reject) => {
      pass.resolveFirst = resolve;
      pass.rejectFirst = reject;
    });
    // The pass's request: the first caller's, with the lease's signal and deadline.
    pass.promise = next(copyRequest(request, lease.deadline, lease.signal, request.headers));
    pass.promise.then(
      (response) => {
        this.settle(pass);
        pass.resolveFirst(response);
      },
      (error: unknown) => {
        this.settle(pass);
        pass.rejectFirst(error);
      },
    );
    return first;
  }

  /** A later caller's wait on `pass`. */
  join(pass: Pass, signal: CallSignal | undefined): Promise<UpstreamResponse> {
    // Counted first: a first caller found gone below must not leave the pass with nobody.
    const shared = pass.wait(signal);
    if (!pass.pinned) {
      pass.pinned = true;
      this.signals.pin(pass.lease);
      // The first caller's wait becomes its own from here: its leaving no longer aborts the pass.
      // Gone already: its lease outlived it, pinned by another of its passes.
      if (pass.firstSignal?.aborted) pass.handleEvent();
      else pass.firstSignal?.addEventListener('abort', pass, { once: true });
    }
    return shared;
  }

  /** One caller fewer; the last one gone takes the pass with it. */
  leave(pass: Pass): void {
    pass.waiting--;
    if (pass.waiting > 0 || pass.settled) return;
    this.forget(pass);
    // Every caller gone, the first one too: the lease aborts now (or when its last pin goes).
    this.unpin(pass);
  }

  /** What a caller whose own signal aborted (its client left) hears: what the pool would have said. */
  left(reason: unknown): unknown {
    return toUpstreamError(reason, this.source);
  }

  private settle(pass: Pass): void {
    pass.settled = true;
    this.forget(pass);
    pass.lease.release();
    this.unpin(pass);
  }

  /** The pass no longer needs its lease: let go of the pin (and of the first caller's listener). */
  private unpin(pass: Pass): void {
    if (!pass.pinned) return;
    pass.pinned = false;
    pass.firstSignal?.removeEventListener('abort', pass);
    this.signals.unpin(pass.lease);
  }

  private add(pass: Pass, replaced: Pass | undefined): void {
    const found = this.byBody.get(pass.body);
    if (found === undefined || found === replaced) {
      this.byBody.set(pass.body, pass);
    } else if (found instanceof Pass) {
      this.byBody.set(
        pass.body,
        new Map([
          [found.key(), found],
          [pass.key(), pass],
        ]),
      );
    } else {
      found.set(pass.key(), pass);
    }
  }

  private forget(pass: Pass): void {
    const found = this.byBody.get(pass.body);
    if (found === pass) {
      this.byBody.delete(pass.body);
    } else if (found instanceof Map && found.get(pass.key()) === pass) {
      if (found.size === 1) this.byBody.delete(pass.body);
      else found.delete(pass.key());
    }
  }
}

function passKey(head: string, scope: string): string {
  return `${head}\0${scope}`;
}

/**
 * One pass in flight. It is the first caller's abort listener itself (`handleEvent`), added only
 * once someone joins: a listener object, not a closure, so a pass nobody joins allocates none.
 */
class Pass {
  promise!: Promise<UpstreamResponse>;
  resolveFirst!: (response: UpstreamResponse) => void;
  rejectFirst!: (error: unknown) => void;
  /** Callers still waiting, the first included. */
  waiting = 1;
  settled = false;
  /** Someone joined: the lease is pinned, and the first caller's leaving is listened for. */
  pinned = false;
  /** When the pass's signal fires: its lease's deadline. */
  readonly deadline: number;
  /** The first caller's own signal: its leaving, once someone joined, is listened for. */
  readonly firstSignal: CallSignal | undefined;

  constructor(
    private readonly passes: Passes,
    readonly body: string,
    /** The first caller's request: its method, URL and headers are the pass's head. */
    private readonly first: UpstreamRequest,
    readonly scope: string,
    readonly lease: DeadlineLease,
  ) {
    this.deadline = lease.deadline;
    this.firstSignal = first.signal ?? undefined;
  }

  private madeKey: string | undefined;

  /** Head and scope in one string, made only when another pass sends the same body. */
  key(): string {
    return (this.madeKey ??= passKey(inFlightHeadKey(this.first.method, this.first.url, this.first.headers), this.scope));
  }

  /** Whether `request` has this pass's head, compared in place (no key built for the common case). */
  sameHead(request: UpstreamRequest): boolean {
    return sameHead(request.method, request.url, request.headers, this.first.method, this.first.url, this.first.headers);
  }

  /** The first caller left, after someone joined. */
  handleEvent(): void {
    this.rejectFirst(this.passes.left(this.firstSignal!.reason));
    this.passes.leave(this);
  }

  /** A joiner's wait: the pass's outcome, or its own leaving as soon as `signal` aborts. */
  wait(signal: CallSignal | undefined): Promise<UpstreamResponse> {
    this.waiting++;
    return waitOrLeave(
      this.promise,
      signal,
      () => this.passes.leave(this),
      (reason) => this.passes.left(reason),
    );
  }
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
