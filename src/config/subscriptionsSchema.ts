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
