import type { UpstreamAttempt, UpstreamOutcome, UpstreamWatch } from '../context/upstreamObserver.js';
import type { UpstreamRequest } from './upstreamCall.js';

export interface AttemptWatch {
  /** Headers the observers add (merged over nothing the caller set: observers own theirs). */
  headers: Record<string, string> | undefined;
  end(outcome: Omit<UpstreamOutcome, 'durationMs'>): void;
}

/**
 * Tells the request's observers (src/context/upstreamObserver.ts) that one attempt starts, and
 * returns what ends it. Only called when the request has observers, so a request nobody watches
 * allocates nothing here. `joined`: the request waits for a call another request made
 * (withSharedCalls.ts); its observers hear of it as one attempt marked `joined`.
 */
export function watchAttempt(request: UpstreamRequest, joined = false, now: () => number = performance.now.bind(performance)): AttemptWatch | undefined {
  const observers = request.scope?.upstreamObservers;
  if (!observers || observers.length === 0) return undefined;
  const attempt: UpstreamAttempt = { source: request.source, method: request.method, url: request.url, ...(request.version ? { version: request.version } : {}) };
  if (joined) attempt.joined = true;
  const watches: UpstreamWatch[] = [];
  let headers: Record<string, string> | undefined;
  for (const observe of observers) {
    const watch = observe(attempt);
    if (!watch) continue;
    watches.push(watch);
    if (watch.headers) headers = { ...headers, ...watch.headers };
  }
  const startedAt = now();
  let ended = false;
  return {
    headers,
    end(outcome) {
      if (ended) return;
      ended = true;
      const durationMs = Math.round((now() - startedAt) * 100) / 100;
      for (const watch of watches) watch.end({ ...outcome, durationMs });
    },
  };
}
