/** Seed data for the products REST subgraph: derived from indexes only. */

export interface Product {
  id: string;
  name: string;
  description: string;
  priceCents: number;
  category: string;
  sku: string;
}

export const PRODUCT_COUNT = 30;

export const CATEGORIES = ['audio', 'books', 'garden', 'kitchen', 'toys'] as const;

// One noun per category, so a product's name agrees with its category.
const NOUNS: Record<(typeof CATEGORIES)[number], string> = {
  audio: 'Headphones',
  books: 'Notebook',
  garden: 'Planter',
  kitchen: 'Kettle',
  toys: 'Kite',
};
const ADJECTIVES = ['Classic', 'Compact', 'Deluxe', 'Eco', 'Pro', 'Vintage'] as const;

/**
 * Price of product pj. The orders subgraph prices its items with this too, so an order's
 * unitPrice always equals the product's price, as a stitched query will show side by side.
 */
export function priceCentsOf(j: number): number {
  return j * 100 + 99;
}

export const PRODUCTS: readonly Product[] = Array.from({ length: PRODUCT_COUNT }, (_, k) => {
  const j = k + 1;
  const category = CATEGORIES[k % CATEGORIES.length] ?? 'audio';
  // 6 adjectives x 5 categories = 30 distinct names.
  const name = `${ADJECTIVES[Math.floor(k / CATEGORIES.length)] ?? 'Plain'} ${NOUNS[category]}`;
  return {
    id: `p${j}`,
    name,
    description: `${name}, item ${j} of the ${category} range.`,
    priceCents: priceCentsOf(j),
    category,
    sku: `SKU-${String(j).padStart(4, '0')}`,
  };
});

const productsById = new Map(PRODUCTS.map((product) => [product.id, product]));

export function findProduct(id: string): Product | undefined {
  return productsById.get(id);
}
