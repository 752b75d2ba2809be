import { readFileSync } from 'node:fs';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { buildSchema, parse, type GraphQLFieldResolver, type GraphQLSchema } from 'graphql';
import { inStock, products, reviews, shippingEstimate, users, type Review } from './data.js';

export const BENCH_SUBGRAPHS = ['accounts', 'inventory', 'products', 'reviews'] as const;
export type BenchSubgraph = (typeof BENCH_SUBGRAPHS)[number];

/** The Federation v2 SDL of one bench subgraph, as composed into the bench supergraph. */
export function benchSubgraphSdl(name: BenchSubgraph): string {
  return readFileSync(new URL(`./${name}.graphql`, import.meta.url), 'utf8');
}

const userById = (id: unknown) => users.find((user) => user.id === id) ?? null;
const productByUpc = (upc: unknown) => products.find((product) => product.upc === upc) ?? null;

type Resolvers = Record<string, Record<string, GraphQLFieldResolver<any, unknown> | ((reference: any) => unknown)>>;

const resolvers: Record<BenchSubgraph, Resolvers> = {
  accounts: {
    Query: {
      me: () => users[0],
      user: (_: unknown, args: { id: string }) => userById(args.id),
      users: () => users,
    },
    User: { __resolveReference: (reference: { id: string }) => userById(reference.id) },
  },
  products: {
    Query: { topProducts: (_: unknown, args: { first: number }) => products.slice(0, args.first) },
    Product: { __resolveReference: (reference: { upc: string }) => productByUpc(reference.upc) },
  },
  inventory: {
    Product: {
      __resolveReference: (reference: { upc: string; price?: number; weight?: number }) => ({
        ...reference,
        inStock: inStock[reference.upc] ?? null,
      }),
      shippingEstimate: (product: { price?: number; weight?: number }) =>
        product.price === undefined || product.weight === undefined
          ? null
          : shippingEstimate({ price: product.price, weight: product.weight }),
    },
  },
  reviews: {
    Review: {
      __resolveReference: (reference: { id: string }) => reviews.find((review) => review.id === reference.id) ?? null,
      author: (review: Review) => ({ __typename: 'User', id: review.authorId, username: userById(review.authorId)?.username }),
      product: (review: Review) => ({ __typename: 'Product', upc: review.productUpc }),
    },
    User: {
      __resolveReference: (reference: { id: string }) => ({ id: reference.id }),
      username: (user: { id: string }) => userById(user.id)?.username ?? null,
      reviews: (user: { id: string }) => reviews.filter((review) => review.authorId === user.id),
    },
    Product: {
      __resolveReference: (reference: { upc: string }) => ({ upc: reference.upc }),
      reviews: (product: { upc: string }) => reviews.filter((review) => review.productUpc === product.upc),
    },
  },
};

/** The executable subgraph schema the bench subgraph process serves. */
export function benchSubgraphSchema(name: BenchSubgraph): GraphQLSchema {
  return buildSubgraphSchema({ typeDefs: parse(benchSubgraphSdl(name)), resolvers: resolvers[name] as never });
}

/**
 * The same graph as one plain schema, not federated: what the composed supergraph must answer.
 * The expected result of every bench query is computed here, independently of any gateway.
 */
export function referenceSchema(): GraphQLSchema {
  const schema = buildSchema(`
    type Query { me: User user(id: ID!): User users: [User] topProducts(first: Int = 5): [Product] }
    type User { id: ID! name: String username: String reviews: [Review] }
    type Product { upc: String! name: String price: Int weight: Int inStock: Boolean shippingEstimate: Int reviews: [Review] }
    type Review { id: ID! body: String author: User product: Product }
  `);
  const fields = (type: string) => {
    const found = schema.getType(type);
    if (!found || !('getFields' in found)) throw new Error(`reference schema lacks ${type}`);
    return found.getFields() as Record<string, { resolve?: (...args: any[]) => unknown }>;
  };
  const query = fields('Query');
  query.me!.resolve = () => users[0];
  query.user!.resolve = (_: unknown, args: { id: string }) => userById(args.id);
  query.users!.resolve = () => users;
  query.topProducts!.resolve = (_: unknown, args: { first: number }) => products.slice(0, args.first);
  fields('User').reviews!.resolve = (user: { id: string }) => reviews.filter((review) => review.authorId === user.id);
  const product = fields('Product');
  product.inStock!.resolve = (p: { upc: string }) => inStock[p.upc] ?? null;
  product.shippingEstimate!.resolve = (p: { price: number; weight: number }) => shippingEstimate(p);
  product.reviews!.resolve = (p: { upc: string }) => reviews.filter((review) => review.productUpc === p.upc);
  const review = fields('Review');
  review.author!.resolve = (r: Review) => userById(r.authorId);
  review.product!.resolve = (r: Review) => productByUpc(r.productUpc);
  return schema;
}
