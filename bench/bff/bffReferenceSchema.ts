// The expected answer of scenario (e)'s query, computed independently of both gateways: a plain
// schema over the demo services' own seed data (no HTTP, no composition), with the web BFF's
// field semantics (a user's orders oldest first, the dashboard's five orders and page of four).
import { makeExecutableSchema } from '@graphql-tools/schema';
import type { GraphQLSchema } from 'graphql';
import { STOCK } from '../../subgraphs/inventory/data.js';
import { createOrderStore, dollars, type Order, type OrderItem } from '../../subgraphs/orders/data.js';
import { findProduct, PRODUCTS, type Product } from '../../subgraphs/products/data.js';
import { findTenant, findUser, type User } from '../../subgraphs/users/data.js';

const typeDefs = /* GraphQL */ `
  type Query {
    user(id: ID!): User
    dashboard(userId: ID!): Dashboard
  }
  type User {
    id: ID!
    name: String!
    plan: String!
    orders(first: Int = 10): [Order!]!
  }
  type Order {
    id: ID!
    status: String!
    total: Float!
    items: [OrderItem!]!
  }
  type OrderItem {
    quantity: Int!
    product: Product!
  }
  type Product {
    id: ID!
    name: String!
    priceCents: Int!
    stock: Stock
  }
  type Stock {
    available: Int!
    warehouse: String!
  }
  type ProductPage {
    items: [Product!]!
  }
  type Dashboard {
    user: User
    recentOrders: [Order!]!
    featuredProducts: ProductPage
  }
`;

export function bffReferenceSchema(): GraphQLSchema {
  const orders = createOrderStore();
  return makeExecutableSchema({
    typeDefs,
    resolvers: {
      Query: {
        user: (_: unknown, { id }: { id: string }) => findUser(id) ?? null,
        dashboard: (_: unknown, { userId }: { userId: string }) => ({ userId }),
      },
      User: {
        plan: (user: User) => findTenant(user.tenantId)?.plan,
        orders: (user: User, { first }: { first: number }) => orders.list({ first, offset: 0, userId: user.id }),
      },
      Order: { total: (order: Order) => dollars(order.totalCents) },
      OrderItem: { product: (item: OrderItem) => findProduct(item.productId) },
      Product: { stock: (product: Product) => STOCK.get(product.id) ?? null },
      Dashboard: {
        user: ({ userId }: { userId: string }) => findUser(userId) ?? null,
        recentOrders: ({ userId }: { userId: string }) => orders.list({ first: 5, offset: 0, userId }),
        featuredProducts: () => ({ items: PRODUCTS.slice(0, 4) }),
      },
    },
  });
}
