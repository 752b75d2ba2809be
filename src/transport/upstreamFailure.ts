import { GraphQLError } from 'graphql';
import type { HttpCall, UpstreamRequest, UpstreamResponse } from './httpClient.js';

/** One layer of a source's transport: takes the call below it, returns the call above it. */
export type HttpDecorator = (next: HttpCall) => HttpCall;

/**
 * A 5xx answer travelling up the decorator chain as an error, so the breaker counts it, the retry
 * layer may retry it and the fallback cache may answer instead of it. `composeTransport` turns it
 * back into the plain response at the top, so the sources keep mapping statuses themselves.
 */
export class UpstreamStatusError extends Error {
  override readonly name = 'UpstreamStatusError';
  constructor(
    readonly response: UpstreamResponse,
    readonly source: string,
  ) {
    super(`${source} answered HTTP ${response.status}`);
  }
}

/** Answers that say "this upstream is not healthy right now", as opposed to "your request is wrong". */
export function isServerFailureStatus(status: number): boolean {
  return status >= 500;
}

/** The extension code of a coded error (`porticoError`), if any. */
export function codeOf(error: unknown): string | undefined {
  return error instanceof GraphQLError && typeof error.extensions.code === 'string' ? error.extensions.code : undefined;
}

/**
 * True when the call was abandoned because the caller went away (the client disconnected),
 * not because the upstream was slow or broken. Such a failure says nothing about the upstream:
 * the breaker ignores it, and nothing is retried or served for a caller that is gone.
 */
export function callerGaveUp(request: UpstreamRequest): boolean {
  const signal = request.signal;
  if (!signal?.aborted) return false;
  const reason: unknown = signal.reason;
  return !(reason instanceof Error && reason.name === 'TimeoutError');
}

const shortCircuits = new WeakSet<object>();

/** Marks an error as "refused without calling the upstream" (open breaker, spent budget). */
export function markNotSent<E extends object>(error: E): E {
  shortCircuits.add(error);
  return error;
}

/** True when no call reached the upstream: retrying it would only be refused again. */
export function wasNotSent(error: unknown): boolean {
  return typeof error === 'object' && error !== null && shortCircuits.has(error);
}
