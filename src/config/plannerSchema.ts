import { z } from 'zod';

// The query planner's bounds per BFF (docs/query-planner.md, "Limits"): its cache and what one
// operation may cost to plan. They apply to whichever planner the BFF runs: the federation
// planner (a BFF over one supergraph, and `portico serve`) or the BFF planner (several sources,
// resolvers). The defaults are the planners' own (defaultPlanCacheLimits, defaultPlanBudget in
// src/sources/federation/planner/; a test keeps the two equal).

const count = z.number().int().positive();

export const planCacheSchema = z
  .strictObject({
    /**
     * Plans (and the BFF planner's decisions and resolver delegation plans) kept, across every
     * document and operation; the least recently used go first.
     * @default 2000: a BFF's clients send a few hundred operation shapes; the rest is churn.
     */
    maxEntries: count.default(2000),
    /**
     * The estimated heap the kept plans may take, in bytes (about 16 bytes per character a plan's
     * fetch documents print to, measured).
     * @default 33554432 (32 MiB): some 1 600 plans of the shop fixture's 8-fetch query (20 KiB
     * each), and far more of the usual smaller ones.
     */
    maxBytes: count.default(32 * 1024 * 1024),
    /**
     * Plans one document may put in the cache (operations × @skip/@include combinations ×
     * progressive override labels drawn); beyond it, its plans are made per request.
     * @default 32: a document with many condition variables could otherwise crowd every other
     * document out, one request at a time.
     */
    maxPerDocument: count.default(32),
  })
  .prefault({});

export const planBudgetSchema = z
  .strictObject({
    /**
     * Fields once every fragment is expanded where it is spread. An operation over it is refused
     * with QUERY_PLAN_TOO_LARGE before any source is called.
     * @default 20000: the demo BFFs' largest operation expands to under 100 fields, and 20 000
     * plan in well under one subgraph round trip; a fragment fan-out of 2 KB reaches millions.
     */
    maxFields: count.default(20_000),
    /**
     * Selection sets nested in one another, fields and fragments alike (the planner recurses once
     * per level). Over it: QUERY_PLAN_TOO_LARGE.
     * @default 200: far above any real query; the depth limit (`limits.maxDepth`) counts fields only.
     */
    maxDepth: count.default(200),
  })
  .prefault({});

export const plannerSchema = z
  .strictObject({
    /** Bounds of the plan cache. */
    planCache: planCacheSchema,
    /** What one operation may cost to plan before it is refused (QUERY_PLAN_TOO_LARGE). */
    planBudget: planBudgetSchema,
  })
  .prefault({});

export type PlannerConfig = z.infer<typeof plannerSchema>;
