import { z } from 'zod';

// Per-source resilience (src/transport/composeTransport.ts applies it), the BFF's request budget,
// the fallback store and the admin listener. Every default says why it is that number; docs/resilience.md
// explains how the pieces interact.

const positiveMs = z.number().int().positive();

export const breakerSchema = z.strictObject({
  /**
   * Wrap the source's calls in the breaker. Off, every call goes to the source however often it
   * fails (the breaker's state stays `closed` on /readyz and /metrics).
   * @default true: a failing source is refused fast instead of holding every request for its timeout
   */
  enabled: z.boolean().default(true),
  /**
   * Share of failed calls in the rolling window above which the breaker opens.
   * @default 50: a source failing every other call is down for a user's purposes; lower values
   * open on ordinary noise during deploys.
   */
  errorThresholdPercentage: z.number().min(1).max(100).default(50),
  /**
   * Calls the window must hold before the breaker may open at all.
   * @default 20: in a quiet period two failures out of three calls say nothing about the source.
   */
  volumeThreshold: z.number().int().min(0).default(20),
  /**
   * How long the breaker stays open before one half-open probe call is let through (opossum lets
   * exactly one through; its success closes the breaker, its failure reopens it).
   * @default 10000: long enough for a restarting service to come back, short enough that users see
   * recovered data within seconds of it.
   */
  resetTimeoutMs: positiveMs.default(10_000),
  /**
   * Length of the rolling window the error rate is computed over.
   * @default 10000: opossum's default; reacts within seconds, forgets an old blip within seconds.
   */
  rollingCountTimeoutMs: positiveMs.default(10_000),
  /**
   * Buckets the window is split into (one bucket ages out at a time).
   * @default 10: one-second granularity with the default window.
   */
  rollingCountBuckets: z.number().int().min(1).max(100).default(10),
});

export const retrySchema = z.strictObject({
  /**
   * Retries of one read after its first attempt. Mutations are never retried.
   * @default 2: recovers from a dropped connection or a single bad instance; more only adds load.
   */
  maxRetries: z.number().int().min(0).max(10).default(2),
  /**
   * Backoff cap of the first retry; each further retry doubles it. The delay is drawn uniformly
   * from [0, cap] ("full jitter"), so retries of many requests spread out instead of arriving together.
   * @default 25
   */
  baseDelayMs: z.number().int().min(0).default(25),
  /** Largest backoff cap. @default 250: beyond that a user is better served by the fallback. */
  maxDelayMs: z.number().int().min(0).default(250),
  /**
   * Retries allowed, as a share of the source's requests in the window (on top of `budgetMin`).
   * @default 0.1: during an outage retries add at most 10 % to the load instead of multiplying it.
   */
  budgetRatio: z.number().min(0).max(1).default(0.1),
  /**
   * Retries always allowed per window, so a quiet source can still ride out a dropped connection.
   * @default 10
   */
  budgetMin: z.number().int().min(0).default(10),
  /** Window the budget counts requests and retries over. @default 10000 */
  budgetWindowMs: positiveMs.default(10_000),
});

export const fallbackSchema = z.strictObject({
  /**
   * Keep successful read responses and serve them, marked stale, when the source fails.
   * Turn off for a source whose responses vary on anything but the URL, the body and the caller
   * (the cache key holds exactly those).
   * @default true
   */
  enabled: z.boolean().default(true),
  /**
   * How long a response may be served as a fallback after it was stored.
   * @default 300000: five minutes of a catalogue or a profile is better than an error; older than
   * that, stale data starts to mislead.
   */
  ttlMs: positiveMs.default(300_000),
  /**
   * Memory store only: bytes of response bodies kept for this source (least recently used go first).
   * @default 8388608 (8 MiB): thousands of typical responses, a bounded share of the heap.
   */
  maxBytes: z.number().int().positive().default(8 * 1024 * 1024),
});

export const healthCheckSchema = z.strictObject({
  /** Probe interval. A failed probe opens the breaker before user traffic has to find out. */
  intervalMs: z.number().int().min(50),
  /**
   * REST sources: path probed with GET (2xx/4xx count as up). GraphQL sources are probed with
   * `{ __typename }` and need no path.
   */
  path: z.string().startsWith('/').optional(),
});

export const sourceResilienceSchema = z
  .strictObject({
    /**
     * Longest the gateway waits for this source on one call, retries included. The request's own
     * budget (the BFF's `resilience.requestBudgetMs`) can only shorten it.
     * @default 5000: an interactive page that waits longer for one source has already failed its
     * user; it also leaves half the default request budget for a dependent second hop.
     */
    timeoutMs: positiveMs.default(5_000),
    breaker: breakerSchema.prefault({}),
    retry: retrySchema.prefault({}),
    fallback: fallbackSchema.prefault({}),
    /** Optional active health check. @default none: user traffic is the health check. */
    healthCheck: healthCheckSchema.optional(),
  })
  .prefault({});

export const bffResilienceSchema = z
  .strictObject({
    /**
     * Budget of one request: no upstream call starts after it is spent, and each call's timeout
     * is cut to what is left. Sent upstream as `x-portico-deadline-ms`.
     * @default 10000: above any sane page load, below the 30 s+ idle timeouts of load balancers.
     */
    requestBudgetMs: positiveMs.default(10_000),
  })
  .prefault({});

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/;

export const adminSchema = z
  .strictObject({
    /** @default '127.0.0.1': metrics are for the operator's scraper, not the internet. */
    host: z.string().default('127.0.0.1'),
    port: z.number().int().min(0).max(65_535),
    /**
     * Where the bearer token for `/admin/*` (reload, revocations) is read at start-up: an
     * environment variable or a file (relative to the root config; a mounted Secret). At least
     * 32 characters. Without one, every `/admin/*` request is refused 401 and the listener may
     * only bind to loopback. `/metrics` and `/sources` stay readable without it.
     * @example { env: 'PORTICO_ADMIN_TOKEN' }
     */
    token: z.union([z.strictObject({ env: z.string().regex(/^[A-Z_][A-Z0-9_]*$/) }), z.strictObject({ file: z.string().min(1) })]).optional(),
  })
  .refine((admin) => admin.token !== undefined || LOOPBACK.test(admin.host), {
    error: 'an admin listener on a non-loopback address needs a token ({ env: NAME } or { file: PATH }): /admin/* can reload the config and revoke tokens',
    path: ['token'],
  });

export const fallbackCacheSchema = z
  .strictObject({
    /**
     * Where fallback answers live. `redis` shares them across a fleet through the root config's
     * `redis` (or REDIS_URL), under `<keyPrefix>fallback:`; bound its memory with Redis' own
     * `maxmemory` + `allkeys-lru`. A Redis that is down or slow only turns lookups into misses.
     * @default 'memory': one bounded LRU per source, nothing to run
     */
    store: z.enum(['memory', 'redis']).default('memory'),
  })
  .prefault({});

export type SourceResilience = z.infer<typeof sourceResilienceSchema>;
export type BffResilience = z.infer<typeof bffResilienceSchema>;
export type AdminConfig = z.infer<typeof adminSchema>;
export type FallbackCacheConfig = z.infer<typeof fallbackCacheSchema>;
