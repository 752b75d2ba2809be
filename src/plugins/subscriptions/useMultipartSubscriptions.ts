import type { Plugin } from 'graphql-yoga';
import { GraphQLError, type ExecutionResult, type GraphQLFormattedError } from 'graphql';
import { acceptsMultipartSubscriptions, multipartSubscriptionResponse } from './multipartSubscriptionResponse.js';

export interface MultipartSubscriptionsOptions {
  /**
   * Interval of the heartbeat part (`{}`) while a subscription is open, in ms.
   * @default 5000: what Apollo's router sends; Apollo Client ignores the part, and a proxy with a
   * 30–60 s idle timeout never sees the connection idle.
   */
  heartbeatMs?: number;
}

/**
 * HTTP multipart subscriptions as Apollo Client speaks them: a subscription whose request accepts
 * `multipart/mixed;subscriptionSpec=1.0` is answered as `multipartSubscriptionResponse` writes it.
 * Everything before the answer (authentication, limits, cost, authorization) is the pipeline's as
 * for any request; a subscription refused before it starts is a plain JSON error response, which
 * Apollo Client reads as it reads any. Other multipart answers (`@defer`/`@stream` incremental
 * delivery) are not this plugin's: it only takes subscriptions.
 */
export function useMultipartSubscriptions(options: MultipartSubscriptionsOptions = {}): Plugin {
  const heartbeatMs = options.heartbeatMs ?? 5000;
  const subscriptions = new WeakSet<Request>();
  return {
    onSubscribe({ args }) {
      const request = (args.contextValue as { request?: Request }).request;
      if (request) subscriptions.add(request);
    },
    onResultProcess({ request, result, setResultProcessor }) {
      if (!subscriptions.has(request) || !isAsyncIterable(result) || !acceptsMultipartSubscriptions(request.headers.get('accept'))) return;
      setResultProcessor(
        (events) => multipartSubscriptionResponse(events as AsyncIterable<ExecutionResult>, { heartbeatMs, formatError }),
        'multipart/mixed',
      );
    },
  };
}

/** Coded errors keep their code and message; anything else is masked, as the pipeline masks. */
function formatError(error: unknown): GraphQLFormattedError {
  if (error instanceof GraphQLError && typeof error.extensions?.code === 'string') {
    const { http: _http, ...extensions } = error.extensions;
    return { message: error.message, extensions };
  }
  return { message: 'Unexpected error.', extensions: { code: 'INTERNAL_SERVER_ERROR' } };
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof value === 'object' && value !== null && Symbol.asyncIterator in value;
}
