import { z } from 'zod';

// Cost-based rate limiting per BFF (src/plugins/rate-limit/useRateLimit.ts applies it). Every tier
// is a token bucket holding `limit` cost points that refills completely in `windowSeconds`; a
// request is admitted only when every tier that applies to it can pay the operation's cost, and
// then all of them pay. docs/cost-and-rate-limits.md has the tiers, headers and failure modes.

const positiveInt = z.number().int().positive();

/** A bucket's size and refill: `limit` points, refilled evenly over `windowSeconds`. */
export const quotaSchema = z.strictObject({
  /** Cost points the bucket holds when full: the largest burst, and the budget per window. */
  limit: positiveInt,
  /**
   * Seconds an empty bucket takes to fill again (`w` of the RateLimit-Policy header). The refill
   * is continuous: after a tenth of the window a tenth of the limit is back.
   */
  windowSeconds: positiveInt,
});

const planQuota = z.union([quotaSchema, z.literal('unlimited')]);

// Policy names appear in headers (as structured-field strings) and in Redis keys.
const policyName = z.string().regex(/^[a-z][a-z0-9._:-]*$/, { error: 'expected lower-case letters, digits, ".", "_", ":" or "-"' });
const fieldCoordinate = z.string().regex(/^[_A-Za-z][_0-9A-Za-z]*\.[_A-Za-z][_0-9A-Za-z]*$/, {
  error: 'expected "Type.field"',
});

export const rateLimitTierSchema = z.discriminatedUnion('kind', [
  /** One bucket for the whole BFF (the whole fleet, with Redis): protects the sources. */
  z.strictObject({ kind: z.literal('global'), name: policyName.default('global'), ...quotaSchema.shape }),
  /**
   * One bucket per tenant, sized by the tenant's plan (`principal.plan`). A caller whose
   * credential names no tenant is its own tenant (keyed by subject). Anonymous callers skip it.
   */
  z.strictObject({
    kind: z.literal('tenant'),
    name: policyName.default('tenant'),
    /** Plan name → quota, e.g. `{ free: { limit: 100, windowSeconds: 60 }, pro: 'unlimited' }`. */
    plans: z.record(z.string().min(1), planQuota),
    /**
     * For a plan not listed above (or no plan at all).
     * @default none: such callers are limited by the other tiers only
     */
    otherPlans: planQuota.optional(),
  }),
  /** One bucket per client IP (IPv6 per /64), for anonymous callers only. */
  z.strictObject({ kind: z.literal('anonymous'), name: policyName.default('anonymous'), ...quotaSchema.shape }),
  /**
   * One bucket per caller for operations selecting an expensive field; the operation's whole cost
   * is charged to it. @example { kind: 'field', field: 'Query.users', limit: 50, windowSeconds: 60 }
   */
  z.strictObject({
    kind: z.literal('field'),
    /** @default `field:<Type.field>` */
    name: policyName.optional(),
    field: fieldCoordinate,
    ...quotaSchema.shape,
  }),
]);

export const rateLimitSchema = z
  .strictObject({
    /** Checked together, in one store round trip, for every operation. */
    tiers: z.array(rateLimitTierSchema).min(1),
    /**
     * Where buckets live. `auto`: Redis when the root config has `redis` (or REDIS_URL is set), so
     * a fleet shares one set of limits; this process's memory otherwise.
     * @default 'auto'
     */
    store: z.enum(['auto', 'memory', 'redis']).default('auto'),
    /**
     * What happens while Redis cannot answer (down, or slower than `redis.commandTimeoutMs`):
     * `open` admits against a local in-memory limiter with the same tiers (each instance then
     * enforces the limits on its own), `closed` refuses with 503 RATE_LIMIT_UNAVAILABLE.
     * @default 'open': an outage of the limiter's store should not become an outage of the API;
     * the local buckets still stop a single client from flooding one instance.
     */
    failMode: z.enum(['open', 'closed']).default('open'),
    /**
     * Send `RateLimit` and `RateLimit-Policy` on admitted responses too (429s always carry them).
     * @default true: clients can pace themselves before they hit the limit.
     */
    headers: z.boolean().default(true),
    /**
     * Charge every event a subscription delivers, not only the subscribe: each event costs the
     * subscription's cost (the figure charged at subscribe, from the same selection) to the same
     * buckets. When they cannot pay, the subscription ends with RATE_LIMITED (its `retryAfter`
     * says when to resubscribe) instead of that event (docs/subscription-policies.md).
     * @default false: a subscription is charged once, when it opens, as a query is; its events
     * are bounded by the source's rate and the per-principal subscription cap instead.
     */
    chargeSubscriptionEvents: z.boolean().default(false),
  })
  .superRefine((config, ctx) => {
    const seen = new Set<string>();
    config.tiers.forEach((tier, i) => {
      const name = tier.name ?? `field:${tier.kind === 'field' ? tier.field : ''}`;
      if (seen.has(name)) ctx.addIssue({ code: 'custom', path: ['tiers', i, 'name'], message: `another tier is already named "${name}"` });
      seen.add(name);
    });
  });

export type Quota = z.infer<typeof quotaSchema>;
export type RateLimitTier = z.infer<typeof rateLimitTierSchema>;
export type RateLimitConfig = z.infer<typeof rateLimitSchema>;
export type RateLimitConfigInput = z.input<typeof rateLimitSchema>;
