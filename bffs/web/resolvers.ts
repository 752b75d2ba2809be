import type { ResolverKit } from '../../src/compose/resolverKit.js';
import { policyDirectiveDefinitions } from '../../src/plugins/authz/policyDirectives.js';

export const typeDefs = /* GraphQL */ `
  ${policyDirectiveDefinitions}

  "What the web app's home page shows, fetched from three sources in parallel."
  type Dashboard {
    user: User
    "The user's five most recent orders (the resolver asks for five)."
    recentOrders: [Order!]! @listSize(assumedSize: 5)
    "Four products (the resolver asks for a page of four)."
    featuredProducts: ProductPage @listSize(assumedSize: 4, sizedFields: ["items"])
  }

  extend type Query {
    "The caller's own dashboard only (userId is the token's sub), or any for an admin."
    dashboard(userId: ID!): Dashboard @owner(arg: "userId", claim: "sub", bypassRoles: ["admin"])
  }
`;

export const resolvers = (kit: ResolverKit) => ({
  Query: {
    dashboard: (_: unknown, args: { userId: string }) => ({ userId: args.userId }),
  },
  // Sibling fields resolve concurrently, so the three sources are called at the same time.
  Dashboard: {
    user: (parent: { userId: string }, _: unknown, context: unknown, info: never) =>
      kit.delegate('users', 'user', { id: parent.userId }, context, info),
    recentOrders: (parent: { userId: string }, _: unknown, context: unknown, info: never) =>
      kit.delegate('orders', 'orders', { userId: parent.userId, first: 5 }, context, info),
    featuredProducts: (_parent: unknown, _: unknown, context: unknown, info: never) =>
      kit.delegate('products', 'products', { page: 1, pageSize: 4 }, context, info),
  },
});
