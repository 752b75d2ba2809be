import { z } from 'zod';

/**
 * How the gateway receives a source's subscription events (docs/subscriptions.md). Queries and
 * mutations keep going over the source's `url` as POSTs; only subscription operations use this.
 */
export const upstreamSubscriptionsSchema = z.strictObject({
  /**
   * `sse`: GraphQL over SSE, distinct-connections mode (a POST with `accept: text/event-stream`,
   * what yoga, Hive Gateway and graphql-sse servers answer). `ws`: a WebSocket speaking the
   * `graphql-transport-ws` subprotocol (graphql-ws servers, Apollo Server's subscriptions).
   * @default 'sse': it needs nothing from the source beyond its HTTP endpoint.
   */
  protocol: z.enum(['sse', 'ws']).default('sse'),
  /**
   * Where subscriptions go, when not the source's own `url` (a `ws://`/`wss://` URL for `ws`).
   * @default the source's `url`; with `ws`, the same URL with `http` turned into `ws`.
   */
  url: z.url({ protocol: /^(https?|wss?)$/ }).optional(),
  /**
   * How long the connection to the source may take to open (SSE: response headers; WebSocket:
   * `connection_ack`) before the client's subscription fails with SUBGRAPH_TIMEOUT.
   * @default 10000: a subscription is opened once, so a slow start is cheaper than a false failure.
   */
  connectTimeoutMs: z.number().int().positive().default(10_000),
});

export type UpstreamSubscriptionsConfig = z.infer<typeof upstreamSubscriptionsSchema>;
