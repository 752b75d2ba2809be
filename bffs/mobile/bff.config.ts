import { defineBff } from '../../src/config/defineConfig.js';

// The mobile app gets a slimmer graph: no contact details, shorter names, a compact card type.
export default defineBff((env) => ({
  name: 'mobile',
  port: Number(env.MOBILE_PORT ?? 4001),
  sources: ['users', 'orders', 'products', 'inventory'],
  resolvers: './resolvers.ts',
  hide: ['User.email', 'User.phone', 'User.createdAt', 'Query.users', 'Product.description', 'Product.sku'],
  rename: { 'Product.name': 'title', 'Order.createdAt': 'placedAt' },
}));
