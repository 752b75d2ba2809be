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

/** Orders are the one mutable data set (cancelOrder); a store owns them so reset can restore the seed. */
export function createOrderStore(): OrderStore {
  let orders = new Map<string, Order>();
  const reset = () => {
    orders = new Map(Array.from({ length: ORDER_COUNT }, (_, i) => seedOrder(i + 1)).map((o) => [o.id, o]));
  };
  reset();
  return {
    find: (id) => orders.get(id),
    list({ first, offset, userId }) {
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
