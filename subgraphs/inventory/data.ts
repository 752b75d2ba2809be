/** Seed data for the inventory REST subgraph: derived from indexes only. */

export interface StockLevel {
  productId: string;
  available: number;
  warehouse: string;
  updatedAt: string;
}

const PRODUCT_COUNT = 30;
const WAREHOUSES = ['AMS-1', 'FRA-2', 'IAD-3'] as const;
const UPDATED_FROM = Date.UTC(2024, 3, 1);
const MINUTE_MS = 60_000;

/** Stock of product pj. (j*7)%25 is 0 for p25, so "out of stock" has a fixed example. */
export function stockOf(j: number): StockLevel {
  return {
    productId: `p${j}`,
    available: (j * 7) % 25,
    warehouse: WAREHOUSES[(j - 1) % WAREHOUSES.length] ?? 'AMS-1',
    updatedAt: new Date(UPDATED_FROM + j * MINUTE_MS).toISOString(),
  };
}

export const STOCK: ReadonlyMap<string, StockLevel> = new Map(
  Array.from({ length: PRODUCT_COUNT }, (_, i) => stockOf(i + 1)).map((s) => [s.productId, s]),
);
