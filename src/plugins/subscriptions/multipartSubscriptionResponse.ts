import type { ExecutionResult, GraphQLFormattedError } from 'graphql';

/** The boundary Apollo's router and client use; any token would do, this one reads well in a capture. */
export const BOUNDARY = 'graphql';
export const MULTIPART_SUBSCRIPTION_TYPE = `multipart/mixed;boundary="${BOUNDARY}";subscriptionSpec="1.0"`;

export interface MultipartSubscriptionOptions {
  /** Interval of the `{}` heartbeat part, in ms. */
  heartbeatMs: number;
  /** The client-safe form of an error that ended the stream (the pipeline's masking rule). */
  formatError(error: unknown): GraphQLFormattedError;
}

/**
 * A subscription's events as the multipart HTTP subscription protocol Apollo Client and Apollo's
 * router speak (`subscriptionSpec="1.0"`): each event one `application/json` part
 * `{"payload": <result>}`, a `{}` part every `heartbeatMs` so proxies and the client see the
 * connection alive, an error that ends the stream as `{"payload": null, "errors": [...]}`, and
 * the closing boundary when the stream ends. The client going away cancels the stream, which
 * returns the event iterator (and so ends the subscription at its source).
 */
export function multipartSubscriptionResponse(events: AsyncIterable<ExecutionResult>, options: MultipartSubscriptionOptions): Response {
  const encoder = new TextEncoder();
  // Each part is followed by its delimiter at once: a reader (Apollo Client's) hands a part on
  // when it sees the next delimiter, so a delimiter written before the part would hold each
  // event back until the one after it.
  const part = (value: unknown) => encoder.encode(`\r\ncontent-type: application/json; charset=utf-8\r\n\r\n${JSON.stringify(value)}\r\n--${BOUNDARY}`);
  const close = encoder.encode('--\r\n');
  const iterator = events[Symbol.asyncIterator]();
  let heartbeat: NodeJS.Timeout | undefined;
  const stop = () => {
    if (heartbeat) clearInterval(heartbeat);
    heartbeat = undefined;
  };
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      // A first heartbeat flushes the headers at once: the client knows it is subscribed.
      controller.enqueue(encoder.encode(`\r\n--${BOUNDARY}`));
      controller.enqueue(part({}));
      heartbeat = setInterval(() => {
        if (controller.desiredSize !== null && controller.desiredSize > 0) controller.enqueue(part({}));
      }, options.heartbeatMs);
      heartbeat.unref();
    },
    async pull(controller) {
      let step: IteratorResult<ExecutionResult>;
      try {
        step = await iterator.next();
      } catch (error) {
        stop();
        controller.enqueue(part({ payload: null, errors: [options.formatError(error)] }));
        controller.enqueue(close);
        controller.close();
        return;
      }
      if (step.done) {
        stop();
        controller.enqueue(close);
        controller.close();
        return;
      }
      controller.enqueue(part({ payload: withoutInternals(step.value) }));
    },
    async cancel() {
      stop();
      await iterator.return?.();
    },
  });
  return new Response(body, {
    status: 200,
    headers: { 'content-type': MULTIPART_SUBSCRIPTION_TYPE, 'cache-control': 'no-cache', connection: 'keep-alive' },
  });
}

/** The `http` extension of an error is the gateway's own (its status and headers), not the client's. */
function withoutInternals(result: ExecutionResult): ExecutionResult {
  if (!result.errors?.length) return result;
  return {
    ...result,
    errors: result.errors.map((error) => {
      const json = typeof error.toJSON === 'function' ? error.toJSON() : (error as GraphQLFormattedError);
      if (!json.extensions || !('http' in json.extensions)) return json;
      const { http: _http, ...extensions } = json.extensions;
      return { ...json, extensions };
    }) as never,
  };
}

/** Whether an Accept header asks for multipart subscriptions (any `multipart/mixed` with `subscriptionSpec`). */
export function acceptsMultipartSubscriptions(accept: string | null): boolean {
  if (!accept) return false;
  return accept.split(',').some((range) => {
    const [type, ...params] = range.split(';').map((piece) => piece.trim().toLowerCase());
    return type === 'multipart/mixed' && params.some((param) => param.startsWith('subscriptionspec='));
  });
}
