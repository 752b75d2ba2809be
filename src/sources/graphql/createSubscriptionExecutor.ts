import { print, type ExecutionResult } from 'graphql';
import type { ExecutionRequest } from '@graphql-tools/utils';
import { createClient as createSseClient } from 'graphql-sse';
import { createClient as createWsClient } from 'graphql-ws';
import WebSocket from 'ws';
import { porticoError } from '../../errors/index.js';
import { scopeOf } from '../../context/requestScope.js';
import type { UpstreamSubscriptionsConfig } from '../../config/subscriptionsSchema.js';
import { inFlightHeadKey, PER_ATTEMPT_HEADERS } from '../../transport/inFlightDedup.js';
import { createSubscriptionHub } from './createSubscriptionHub.js';

export interface SubscriptionExecutorOptions extends Omit<UpstreamSubscriptionsConfig, 'share'> {
  /** Identical client subscriptions share one upstream stream (see below). @default true, as in the config */
  share?: boolean;
  /** Source name: goes to `extensions.source`, never the URL. */
  source: string;
  /** The source's GraphQL URL; subscriptions go to `url` of the config when that is given. */
  sourceUrl: string;
}

/** Opens one subscription at a source: its events, ended by the source or by `return()`. */
export type SubscriptionExecutor = (request: ExecutionRequest) => AsyncIterableIterator<ExecutionResult>;

/**
 * Subscriptions to one source, over GraphQL-over-SSE (distinct connections) or a
 * `graphql-transport-ws` WebSocket, through the protocols' own client libraries (graphql-sse,
 * graphql-ws): their framing, keep-alives and completion rules are the spec's, not ours.
 *
 * Each upstream stream gets its own connection, carrying the verified identity headers of its
 * request and the request's per-source headers (SSE: as headers; WebSocket: as the
 * `connection_init` payload) and a request id: the source sees who is subscribing exactly as it
 * does for a query. No connection carries two identities.
 *
 * With `share` (the default), client subscriptions whose upstream request would be identical
 * share one upstream stream (createSubscriptionHub.ts): same source, same document and variables,
 * and the same headers, identity headers included. Only what times or correlates one call is
 * left out of that key (`x-request-id`, the identity signature and its timestamp, which change
 * every second for one and the same identity): two callers a source could tell apart never
 * share, two requests of one caller (or anonymous callers) do. The stream carries the first
 * subscriber's request id and signature time. Everything per client (expiry, revocation, field
 * authorization per event, the slow-consumer bound, caps) runs above this, per client.
 *
 * Nothing is retried: a subscription that lost its source would silently miss the events sent in
 * between, so the client is told instead (SUBGRAPH_UNAVAILABLE, SUBGRAPH_TIMEOUT) and resubscribes.
 */
export function createSubscriptionExecutor(options: SubscriptionExecutorOptions): SubscriptionExecutor {
  const url = options.url ?? (options.protocol === 'ws' ? options.sourceUrl.replace(/^http/, 'ws') : options.sourceUrl);
  const { source, connectTimeoutMs } = options;
  const upstreamError = (error: unknown) => {
    if (error instanceof Error && 'extensions' in error) return error;
    const timedOut = (error as { code?: number } | undefined)?.code === 4504 || error === TIMED_OUT;
    return porticoError(timedOut ? 'SUBGRAPH_TIMEOUT' : 'SUBGRAPH_UNAVAILABLE', { details: { source } });
  };

  const open = (payload: SubscriptionPayload, headers: Record<string, string>, signal: AbortSignal | undefined): AsyncIterableIterator<ExecutionResult> => {
    if (options.protocol === 'ws') {
      const client = createWsClient({
        url,
        webSocketImpl: WebSocket,
        connectionParams: headers,
        lazy: true,
        retryAttempts: 0,
        connectionAckWaitTimeout: connectTimeoutMs,
      });
      return endOnce(client.iterate(payload) as AsyncIterableIterator<ExecutionResult>, () => void client.dispose(), upstreamError, signal);
    }
    const client = createSseClient({ url, headers, retryAttempts: 0 });
    let connected = false;
    let fail: ((error: unknown) => void) | undefined;
    const timeout = new Promise<never>((_resolve, reject) => (fail = reject));
    timeout.catch(() => undefined);
    const timer = setTimeout(() => {
      if (!connected) fail?.(TIMED_OUT);
    }, connectTimeoutMs);
    timer.unref();
    const events = client.iterate(payload, { connected: () => { connected = true; clearTimeout(timer); } }) as AsyncIterableIterator<ExecutionResult>;
    return endOnce(
      { next: () => Promise.race([events.next(), timeout]), return: () => events.return?.() ?? Promise.resolve({ done: true, value: undefined }), [Symbol.asyncIterator]() { return this; } },
      () => {
        clearTimeout(timer);
        client.dispose();
      },
      upstreamError,
      signal,
    );
  };

  const hub = options.share === false ? undefined : createSubscriptionHub<ExecutionResult>({ copy: copyJson });

  return (request) => {
    const scope = scopeOf(request.context);
    const headers: Record<string, string> = { ...scope?.upstreamHeaders };
    // Header rules and signed claims for this source, as every query call gets them (withSourceHeaders.ts).
    for (const contributor of scope?.sourceHeaders ?? []) Object.assign(headers, contributor.request(source));
    if (scope) headers['x-request-id'] = scope.requestId;
    const payload: SubscriptionPayload = {
      query: print(request.document),
      ...(request.variables ? { variables: request.variables as Record<string, unknown> } : {}),
      ...(request.operationName ? { operationName: request.operationName } : {}),
    };
    if (!hub) return open(payload, headers, scope?.signal);
    // The stream outlives any one subscriber: only the hub closes it, when the last one leaves.
    const key = inFlightHeadKey('SUBSCRIBE', url, headers, SHARE_KEY_EXCLUDED) + JSON.stringify(payload);
    return hub.join(key, () => open(payload, headers, undefined), scope?.signal);
  };
}

interface SubscriptionPayload {
  query: string;
  variables?: Record<string, unknown>;
  operationName?: string;
}

/**
 * Headers that differ between two calls of one identity and never change what a source answers:
 * the per-call ones of the in-flight dedup, and the identity signature's time and the signatures
 * over it (docs/identity.md; a test keeps this list in step with IDENTITY_HEADERS). The signed
 * values themselves (`x-portico-subject`, `-tenant`, `-scopes`, `-claims`, ...) stay in the key.
 */
export const SHARE_KEY_EXCLUDED: ReadonlySet<string> = new Set([
  ...PER_ATTEMPT_HEADERS,
  'x-portico-identity-ts',
  'x-portico-identity-signature',
  'x-portico-identity-key-signature',
]);

/** A deep copy of a JSON value (an event as parsed from the wire), for one more subscriber. */
function copyJson<T>(value: T): T {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map(copyJson) as T;
  const out: Record<string, unknown> = {};
  for (const name in value) {
    const copied = copyJson((value as Record<string, unknown>)[name]);
    // A source's `"__proto__"` key stays a key (assigning it would set the copy's prototype).
    if (name === '__proto__') Object.defineProperty(out, name, { value: copied, enumerable: true, writable: true, configurable: true });
    else out[name] = copied;
  }
  return out as T;
}

const TIMED_OUT = Symbol('connect timeout');

/**
 * The source's iterator with its connection released exactly once: when the source ends it,
 * fails, the consumer calls `return()`, or the request's signal aborts. `return()` goes straight
 * to the inner iterator, so an unsubscribe does not wait for the source's next event.
 */
function endOnce(
  inner: AsyncIterableIterator<ExecutionResult>,
  release: () => void,
  mapError: (error: unknown) => unknown,
  signal: AbortSignal | undefined,
): AsyncIterableIterator<ExecutionResult> {
  let ended = false;
  const end = () => {
    if (ended) return;
    ended = true;
    signal?.removeEventListener('abort', onAbort);
    void Promise.resolve(inner.return?.()).catch(() => undefined).finally(release);
  };
  const onAbort = () => end();
  signal?.addEventListener('abort', onAbort, { once: true });
  return {
    async next() {
      if (ended) return { done: true, value: undefined };
      try {
        const step = await inner.next();
        if (step.done) end();
        return step;
      } catch (error) {
        end();
        throw mapError(error);
      }
    },
    async return() {
      end();
      return { done: true, value: undefined };
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}
