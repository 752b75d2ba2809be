import { readFileSync } from 'node:fs';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { GraphQLError, parse } from 'graphql';
import { createPubSub, filter, pipe } from 'graphql-yoga';
import { graphqlApp } from '../shared/graphqlApp.js';
import { serveSubgraph, type RunningSubgraph, type SubgraphOptions } from '../shared/serveSubgraph.js';
import { createOrderStore, dollars, type Order, type OrderItem, type OrderStore } from './data.js';

/** The SDL file is the schema: reading it here keeps the file and the served schema identical. */
export const ORDERS_SDL = readFileSync(new URL('../../schemas/orders.graphql', import.meta.url), 'utf8');

function checkPage(first: number, offset: number): void {
  if (first < 0 || offset < 0) {
    throw new GraphQLError('first and offset must not be negative', { extensions: { code: 'BAD_USER_INPUT' } });
  }
}

/** The order when userId is absent or its owner, else undefined: the service's own ownership filter. */
function ownedBy(order: Order | undefined, userId: string | null | undefined): Order | undefined {
  return order && (userId == null || order.userId === userId) ? order : undefined;
}

/** Status changes, per order id: what `Subscription.orderStatusChanged` streams. */
export type OrderEvents = ReturnType<typeof createOrderEvents>;

export function createOrderEvents() {
  return createPubSub<{ orderStatusChanged: [orderId: string, order: Order] }>();
}

export function createOrdersSchema(store: OrderStore, events: OrderEvents = createOrderEvents()) {
  return buildSubgraphSchema({
    typeDefs: parse(ORDERS_SDL),
    resolvers: {
      Query: {
        order: (_: unknown, { id, userId }: { id: string; userId?: string | null }) => ownedBy(store.find(id), userId) ?? null,
        orders: (_: unknown, args: { first: number; offset: number; userId?: string | null }) => {
          checkPage(args.first, args.offset);
          return store.list(args);
        },
      },
      Mutation: {
        // Another user's order is left as it is: as if it did not exist, so ids cannot be probed.
        cancelOrder: (_: unknown, { id, userId }: { id: string; userId?: string | null }) => {
          if (!ownedBy(store.find(id), userId)) return null;
          const cancelled = store.cancel(id);
          if (cancelled) events.publish('orderStatusChanged', id, cancelled);
          return cancelled ?? null;
        },
      },
      Subscription: {
        orderStatusChanged: {
          // Another user's order yields no events, as if it did not exist (like Query.order).
          subscribe: (_: unknown, { orderId, userId }: { orderId: string; userId?: string | null }) =>
            pipe(listening(events.subscribe('orderStatusChanged', orderId)), filter((order) => ownedBy(order, userId) !== undefined)),
          resolve: (order: Order) => order,
        },
      },
      Order: {
        __resolveReference: (ref: { id: string }) => store.find(ref.id) ?? null,
        total: (order: Order) => dollars(order.totalCents),
        user: (order: Order) => ({ id: order.userId }),
      },
      OrderItem: {
        product: (item: OrderItem) => ({ id: item.productId }),
        unitPrice: (item: OrderItem) => dollars(item.unitPriceCents),
      },
      User: {
        // This subgraph only contributes `orders` to User; any id is a valid reference, and a
        // user unknown here simply has no orders.
        __resolveReference: (ref: { id: string }) => ({ id: ref.id }),
        orders: (user: { id: string }, { first }: { first: number }) => {
          checkPage(first, 0);
          return store.list({ first, offset: 0, userId: user.id });
        },
      },
    },
  });
}

export function startOrdersSubgraph(options: SubgraphOptions = {}): Promise<RunningSubgraph> {
  const store = createOrderStore();
  const events = createOrderEvents();
  // A reset puts orders back to their seed status: a status change like any other, so it is
  // published (a test can drive CANCELLED → PENDING → CANCELLED).
  const reset = () => {
    const before = new Map(store.list({ first: Number.MAX_SAFE_INTEGER, offset: 0 }).map((order) => [order.id, order.status]));
    store.reset();
    for (const order of store.list({ first: Number.MAX_SAFE_INTEGER, offset: 0 })) {
      if (before.get(order.id) !== order.status) events.publish('orderStatusChanged', order.id, order);
    }
  };
  return serveSubgraph('orders', graphqlApp(createOrdersSchema(store, events), reset), options);
}

/**
 * A pub/sub subscription listening from now on: yoga's pub/sub registers a listener only on the
 * first `next()`, after the response has started, and an event published in between is lost.
 */
function listening<T>(events: AsyncIterable<T>): AsyncIterableIterator<T> {
  const iterator = events[Symbol.asyncIterator]();
  let first: Promise<IteratorResult<T>> | undefined = iterator.next();
  return {
    next() {
      const pending = first;
      first = undefined;
      return pending ?? iterator.next();
    },
    return: async () => (await iterator.return?.()) ?? { done: true, value: undefined },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}
