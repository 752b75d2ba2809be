import { policyDirectiveDefinitions } from '../../src/plugins/authz/policyDirectives.js';

export const typeDefs = /* GraphQL */ `
  ${policyDirectiveDefinitions}

  "The compact product card the mobile list screens render."
  type ProductCard @public {
    id: ID!
    title: String!
    priceCents: Int!
    inStock: Boolean!
  }

  extend type Product {
    """
    Built from Product.stock (see selectionSet below), so it requires what stock requires: a
    field computed from others must never be more open than they are (docs/authorization.md).
    """
    card: ProductCard! @requiresScopes(scopes: [["inventory:read"], ["orders:read"]])
  }
`;

interface CardSource {
  id: string;
  title: string;
  priceCents: number;
  stock: { available: number } | null;
}

export const resolvers = {
  Product: {
    card: {
      // Stitching fetches these from products and inventory before this resolver runs.
      selectionSet: '{ id title priceCents stock { available } }',
      resolve: (product: CardSource) => ({
        id: product.id,
        title: product.title,
        priceCents: product.priceCents,
        inStock: (product.stock?.available ?? 0) > 0,
      }),
    },
  },
};
