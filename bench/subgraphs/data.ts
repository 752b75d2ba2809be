// The data of the federation benchmark shape (the accounts/inventory/products/reviews demo the
// gateway field benchmarks with), shared by the four bench subgraphs and by the reference schema
// that computes the expected answers.

export interface User {
  id: string;
  name: string;
  username: string;
}
export interface Product {
  upc: string;
  name: string;
  price: number;
  weight: number;
}
export interface Review {
  id: string;
  authorId: string;
  productUpc: string;
  body: string;
}

export const users: readonly User[] = [
  { id: '1', name: 'Ada Lovelace', username: '@ada' },
  { id: '2', name: 'Alan Turing', username: '@complete' },
];

export const products: readonly Product[] = [
  { upc: '1', name: 'Table', price: 899, weight: 100 },
  { upc: '2', name: 'Couch', price: 1299, weight: 1000 },
  { upc: '3', name: 'Chair', price: 54, weight: 50 },
];

export const inStock: Readonly<Record<string, boolean>> = { '1': true, '2': false, '3': true };

export const reviews: readonly Review[] = [
  { id: '1', authorId: '1', productUpc: '1', body: 'Love it!' },
  { id: '2', authorId: '1', productUpc: '2', body: 'Too expensive.' },
  { id: '3', authorId: '2', productUpc: '3', body: 'Could be better.' },
  { id: '4', authorId: '2', productUpc: '1', body: 'Prefer something else.' },
];

/** Free shipping above 1000, else half the weight: needs price and weight from products (@requires). */
export function shippingEstimate(product: { price: number; weight: number }): number {
  return product.price > 1000 ? 0 : Math.round(product.weight * 0.5);
}
