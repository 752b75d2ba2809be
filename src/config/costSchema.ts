import { z } from 'zod';

// Query-cost analysis per BFF (src/plugins/cost/useCostLimit.ts applies it). Weights come from
// `@cost` / `@listSize` in the sources' SDL and the BFF's typeDefs; these are the defaults and the
// ceiling. docs/cost-and-rate-limits.md works one query's cost through by hand.

export const costSchema = z
  .strictObject({
    /**
     * Operations costing more are refused with COST_LIMIT_EXCEEDED before any source is called.
     * @default 5000: the demo's biggest page (50 products with their stock) costs 200, and a
     * dashboard with ten users' order histories a few hundred; 5000 leaves an order of magnitude
     * for legitimate screens while refusing the nested `first: 1000` lists that take a source down.
     */
    maxCost: z.number().int().positive().default(5000),
    /**
     * Items assumed for a list field that has neither a slicing argument nor `@listSize(assumedSize:)`.
     * @default 10: the page size most list APIs default to (and the cost spec's own example).
     */
    defaultListSize: z.number().int().min(0).default(10),
    /**
     * Added once to every mutation, on top of what it selects: writes cost the sources more than
     * reads of the same shape.
     * @default 10: the GraphQL cost-analysis spec's (and Apollo's) mutation weight.
     */
    mutationCost: z.number().int().min(0).default(10),
    /**
     * Report `extensions.cost: { estimated, max }` on every response, so clients can see what a
     * query costs against their rate-limit budget.
     * @default false: the figure helps client teams while they build, but says something about
     * the gateway's policy to whoever calls a public endpoint.
     */
    exposeInExtensions: z.boolean().default(false),
  })
  .prefault({});

export type CostConfig = z.infer<typeof costSchema>;
