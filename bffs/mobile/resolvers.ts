export const typeDefs = /* GraphQL */ `
  "The compact product card the mobile list screens render."
  type ProductCard {
    id: ID!
    title: String!
    priceCents: Int!
    inStock: Boolean!
  }

  extend type Product {
    card: ProductCard!
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
