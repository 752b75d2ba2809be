import { z } from 'zod';

// Load shedding per BFF (`loadShedding` in bffs/<name>/bff.config.ts); the plugin
// src/plugins/load-shedding/useLoadShedding.ts takes this schema's output as its options, and
// docs/load-shedding.md explains how the limits, the queue and the priorities interact.

export const PRIORITIES = ['critical', 'normal', 'best-effort'] as const;
export type Priority = (typeof PRIORITIES)[number];

const priority = z.enum(PRIORITIES);
const operationName = z.string().regex(/^[_A-Za-z][_0-9A-Za-z]*$/, { error: 'expected a GraphQL operation name' });
const share = z.number().gt(0).max(1);

export const loadSheddingSchema = z
  .strictObject({
    /**
     * Admit operations against the limits below. @default true: without a limit an overloaded
     * gateway queues work in memory until every request is late, critical ones included.
     */
    enabled: z.boolean().default(true),
    /**
     * Operations this BFF executes at once (per gateway instance).
     * @default 512: a Node process runs a few thousand typical BFF operations a second; at
     * ~100 ms each that is ~500 in flight. Past that, more concurrency only adds latency and heap.
     */
    maxConcurrent: z.number().int().positive().default(512),
    /**
     * Share of `maxConcurrent` each lower priority may fill; critical operations may fill all of
     * it. Best-effort work is shed first, then normal work, and the top of the range is always
     * kept for critical operations.
     */
    shares: z
      .strictObject({
        /** @default 0.9: a tenth of the slots stays reserved for critical operations. */
        normal: share.default(0.9),
        /** @default 0.5: best-effort work stops once the BFF is half busy. */
        bestEffort: share.default(0.5),
      })
      .prefault({})
      .refine((shares) => shares.bestEffort <= shares.normal, {
        error: 'bestEffort must not exceed normal: best-effort work is shed before normal work',
        path: ['bestEffort'],
      }),
    /**
     * Critical and normal operations that wait for a slot (critical first); best-effort ones never
     * wait. When the queue is full a critical operation displaces the newest normal one.
     * @default 256: half a round of work. A deeper queue only holds requests whose clients
     * have given up by the time they run.
     */
    maxQueue: z.number().int().min(0).default(256),
    /**
     * Longest wait in the queue, cut to what is left of the request's budget.
     * @default 1000: a request that cannot start within a second is better retried (elsewhere).
     */
    queueTimeoutMs: z.number().int().positive().default(1000),
    /** `Retry-After` of a shed request, in seconds. @default 1: long enough for a burst to pass. */
    retryAfterSeconds: z.number().int().positive().default(1),
    /** Priority of an operation not listed in `operations`. @default 'normal' */
    defaultPriority: priority.default('normal'),
    /**
     * Priority by operation name, e.g. `{ Checkout: 'critical', Recommendations: 'best-effort' }`.
     * The name is chosen by the client: a client can raise its own priority by renaming its
     * operation, so the rate limits, not the priorities, bound what one caller can take.
     */
    operations: z.record(operationName, priority).default({}),
  })
  .prefault({});

export type LoadSheddingConfig = z.output<typeof loadSheddingSchema>;
