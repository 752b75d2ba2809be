import { priceCentsOf, PRODUCT_COUNT } from '../products/data.js';

/** Seed data and in-memory state for the orders subgraph: derived from indexes only. */

export type OrderStatus = 'PENDING' | 'PAID' | 'SHIPPED' | 'CANCELLED';

export interface OrderItem {
  productId: string;
  quantity: number;
  unitPriceCents: number;
}

export interface Order {
  id: string;
  userId: string;
  status: OrderStatus;
  createdAt: string;
  items: OrderItem[];
  /** Kept in cents so the dollar total is exact; see `dollars`. */
  totalCents: number;
}

export const ORDER_COUNT = 100;
const USER_COUNT = 20;
const STATUSES: readonly OrderStatus[] = ['PENDING', 'PAID', 'SHIPPED', 'CANCELLED'];
const SIX_HOURS_MS = 6 * 60 * 60 * 1000;
const FIRST_ORDER_AT = Date.UTC(2024, 1, 1, 8);

/** Order k (1-based). */
export function seedOrder(k: number): Order {
  // 1 to 3 items; product steps of 11 (mod 30) keep the products of one order distinct.
  const items = Array.from({ length: ((k - 1) % 3) + 1 }, (_, m): OrderItem => {
    const j = ((k * 7 + m * 11) % PRODUCT_COUNT) + 1;
    return { productId: `p${j}`, quantity: ((k + m) % 4) + 1, unitPriceCents: priceCentsOf(j) };
  });
  return {
    id: `o${k}`,
    userId: `u${((k - 1) % USER_COUNT) + 1}`,
    status: STATUSES[(k - 1) % STATUSES.length] ?? 'PENDING',
    createdAt: new Date(FIRST_ORDER_AT + (k - 1) * SIX_HOURS_MS).toISOString(),
    items,
    totalCents: items.reduce((sum, item) => sum + item.quantity * item.unitPriceCents, 0),
  };
}

export function dollars(cents: number): number {
  return Math.round(cents) / 100;
}

export interface OrderStore {
  find(id: string): Order | undefined;
  /** Oldest first. */
  list(filter: { first: number; offset: number; userId?: string | null }): Order[];
  cancel(id: string): Order | undefined;
  reset(): void;
}

/** Subjects of the bench's callers (subgraphs/users/data.ts): each has orders of its own. */
const BENCH_USER_PREFIX = 'bench-user-';
const BENCH_ORDERS_PER_USER = 3;
/** Bench users' orders by id, made on first listing (bounded by the users a run has). */
const benchOrders = new Map<string, Order>();

/**
 * `bench-user-<i>`'s three orders, `o-bench-<i>-<m>`: copies of seed orders (items, totals,
 * status) under their own ids, owned by that user, so a bench with a subject per connection
 * reads real orders without touching the demo's 100.
 */
function ordersOfBenchUser(userId: string): Order[] {
  const i = Number(userId.slice(BENCH_USER_PREFIX.length));
  if (!Number.isInteger(i) || i < 1 || i > 10_000) return [];
  return Array.from({ length: BENCH_ORDERS_PER_USER }, (_, m) => {
    const id = `o-bench-${i}-${m + 1}`;
    let order = benchOrders.get(id);
    if (!order) {
      order = { ...seedOrder((((i - 1) * BENCH_ORDERS_PER_USER + m) % ORDER_COUNT) + 1), id, userId };
      benchOrders.set(id, order);
    }
    return order;
  });
}

/** Orders are the one mutable data set (cancelOrder); a store owns them so reset can restore the seed. */
export function createOrderStore(): OrderStore {
  let orders = new Map<string, Order>();
  const reset = () => {
    orders = new Map(Array.from({ length: ORDER_COUNT }, (_, i) => seedOrder(i + 1)).map((o) => [o.id, o]));
  };
  reset();
  return {
    find: (id) => orders.get(id) ?? benchOrders.get(id),
    list({ first, offset, userId }) {
      if (userId?.startsWith(BENCH_USER_PREFIX)) return ordersOfBenchUser(userId).slice(offset, offset + first);
      const all = [...orders.values()];
      const matching = userId == null ? all : all.filter((order) => order.userId === userId);
      return matching.slice(offset, offset + first);
    },
    cancel(id) {
      const order = orders.get(id);
      if (!order) return undefined;
      const cancelled: Order = { ...order, status: 'CANCELLED' };
      orders.set(id, cancelled);
      return cancelled;
    },
    reset,
  };
}
