import type { UpstreamAttempt, UpstreamObserver, UpstreamOutcome, UpstreamWatch } from '../context/upstreamObserver.js';
import type { UpstreamRequest } from './upstreamCall.js';

export interface AttemptWatch {
  /** Headers the observers add (merged over nothing the caller set: observers own theirs). */
  headers: Record<string, string> | undefined;
  end(outcome: Omit<UpstreamOutcome, 'durationMs'>): void;
}

const performanceNow = (): number => performance.now();

/**
 * Tells the request's observers (src/context/upstreamObserver.ts) that one attempt starts, and
 * returns what ends it. Only called when the request has observers, so a request nobody watches
 * allocates nothing here. `joined`: the request waits for a call another request made
 * (withSharedCalls.ts); its observers hear of it as one attempt marked `joined`.
 *
 * Every call of every watched request comes through here (eight per request in the bench's
 * federated query), so a watch is one object: no closure, no list for the usual single observer,
 * and one outcome object shared by all observers.
 */
export function watchAttempt(request: UpstreamRequest, joined = false, now: () => number = performanceNow): AttemptWatch | undefined {
  const observers = request.scope?.upstreamObservers;
  if (!observers || observers.length === 0) return undefined;
  const attempt: UpstreamAttempt = request.version
    ? { source: request.source, method: request.method, url: request.url, version: request.version }
    : { source: request.source, method: request.method, url: request.url };
  if (joined) attempt.joined = true;
  return new Watch(attempt, observers, now);
}

class Watch implements AttemptWatch {
  headers: Record<string, string> | undefined = undefined;
  private readonly watches: UpstreamWatch | UpstreamWatch[] | undefined;
  private readonly startedAt: number;
  private ended = false;

  constructor(
    private readonly attempt: UpstreamAttempt,
    observers: readonly UpstreamObserver[],
    private readonly now: () => number,
  ) {
    let watches: UpstreamWatch | UpstreamWatch[] | undefined;
    for (const observe of observers) {
      const watch = observe(attempt);
      if (!watch) continue;
      watches = watches === undefined ? watch : Array.isArray(watches) ? [...watches, watch] : [watches, watch];
      if (watch.headers) this.headers = { ...this.headers, ...watch.headers };
    }
    this.watches = watches;
    this.startedAt = now();
  }

  end(outcome: Omit<UpstreamOutcome, 'durationMs'>): void {
    if (this.ended) return;
    this.ended = true;
    const { watches } = this;
    if (watches === undefined) return;
    const durationMs = Math.round((this.now() - this.startedAt) * 100) / 100;
    const full: UpstreamOutcome = outcome.errorCode === undefined ? { status: outcome.status, durationMs } : { status: outcome.status, errorCode: outcome.errorCode, durationMs };
    if (Array.isArray(watches)) for (const watch of watches) watch.end(full, this.attempt);
    else watches.end(full, this.attempt);
  }
}
