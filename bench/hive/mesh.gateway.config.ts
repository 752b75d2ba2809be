// Hive Gateway for scenario (e): it serves the supergraph GraphQL Mesh composed from the four demo
// sources (bench/mesh/composeDemoSupergraph.ts). The only code is the web BFF's one resolver that
// is not a call to a source: `Query.dashboard` hands its argument (and the page sizes) to the Dashboard fields, which
// the supergraph resolves from users, orders and products (@resolveTo), as bffs/web/resolvers.ts
// does with `kit.delegate`.
import { defineConfig } from '@graphql-hive/gateway';

export const gatewayConfig = defineConfig({
  additionalResolvers: {
    Query: {
      // The same page sizes the web BFF's resolver asks for (five orders, a page of four products).
      dashboard: (_root: unknown, args: { userId: string }) => ({ userId: args.userId, recentOrdersFirst: 5, featuredPage: 1, featuredPageSize: 4 }),
    },
  },
});
