import { z } from 'zod';

/** Root `subscriptions`: what one gateway process holds open, across its BFFs (docs/subscription-policies.md). */
export const processSubscriptionsSchema = z
  .strictObject({
    /**
     * Subscriptions open at once in this process; the next is refused with 503
     * SUBSCRIPTIONS_AT_CAPACITY and `Retry-After`, so a load balancer's retry lands elsewhere.
     * @default 10000: about 10 KB of heap each (a stream, a buffer, a timer), ~100 MB in all,
     * well inside a 512 MB container next to the request path.
     */
    maxPerProcess: z.number().int().positive().default(10_000),
    /** `Retry-After` of that refusal, in seconds. @default 5: long enough for others to end, short for a client. */
    retryAfterSeconds: z.number().int().positive().default(5),
  })
  .prefault({});

/** Per BFF `subscriptions`: the limits one caller and one stream live under. */
export const bffSubscriptionsSchema = z
  .strictObject({
    /**
     * Subscriptions one principal (subject, tenant and credential kind) holds open on this BFF;
     * the next is refused with 429 SUBSCRIPTION_LIMIT_REACHED. Anonymous callers count only
     * against the process cap.
     * @default 20: a few screens in a few tabs, far below what a leaking client opens.
     */
    maxPerPrincipal: z.number().int().positive().default(20),
    /**
     * Events held for a client that does not read them (its socket is full); one more and the
     * subscription is ended with SLOW_CONSUMER, so memory per subscription stays bounded.
     * @default 64: a burst of events in a second or two for a client on a slow network.
     */
    maxBufferedEvents: z.number().int().positive().default(64),
  })
  .prefault({});

export type ProcessSubscriptionsConfig = z.infer<typeof processSubscriptionsSchema>;
export type BffSubscriptionsConfig = z.infer<typeof bffSubscriptionsSchema>;

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
  /**
   * Client subscriptions whose upstream request is identical (same document, variables and
   * headers, the identity headers included, so two users never share) share one upstream stream,
   * closed when the last of them leaves. Turn it off for a source whose events depend on
   * something it learns per connection beyond those headers (docs/subscriptions.md).
   * @default true: a thousand viewers of one order, or anonymous viewers of one feed, cost the
   * source and the gateway one stream instead of a thousand connections.
   */
  share: z.boolean().default(true),
});

export type UpstreamSubscriptionsConfig = z.infer<typeof upstreamSubscriptionsSchema>;
