import { print, type ExecutionResult } from 'graphql';
import type { ExecutionRequest } from '@graphql-tools/utils';
import { createClient as createSseClient } from 'graphql-sse';
import { createClient as createWsClient } from 'graphql-ws';
import WebSocket from 'ws';
import { porticoError } from '../../errors/index.js';
import { scopeOf } from '../../context/requestScope.js';
import type { UpstreamSubscriptionsConfig } from '../../config/subscriptionsSchema.js';

export interface SubscriptionExecutorOptions extends UpstreamSubscriptionsConfig {
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
 * Each subscription gets its own connection, carrying that request's verified identity headers
 * (SSE: as headers; WebSocket: as the `connection_init` payload) and its request id: the source
 * sees who is subscribing exactly as it does for a query. Sharing one WebSocket between
 * subscriptions would mix callers on one authenticated connection.
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

  return (request) => {
    const scope = scopeOf(request.context);
    const headers: Record<string, string> = { ...scope?.upstreamHeaders };
    if (scope) headers['x-request-id'] = scope.requestId;
    const payload = {
      query: print(request.document),
      ...(request.variables ? { variables: request.variables as Record<string, unknown> } : {}),
      ...(request.operationName ? { operationName: request.operationName } : {}),
    };
    if (options.protocol === 'ws') {
      const client = createWsClient({
        url,
        webSocketImpl: WebSocket,
        connectionParams: headers,
        lazy: true,
        retryAttempts: 0,
        connectionAckWaitTimeout: connectTimeoutMs,
      });
      return endOnce(client.iterate(payload) as AsyncIterableIterator<ExecutionResult>, () => void client.dispose(), upstreamError, scope?.signal);
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
      scope?.signal,
    );
  };
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
