import { defineBff } from '../../src/config/defineConfig.js';

// Partners see orders and the catalogue; no user personal data is part of this schema at all.
export default defineBff((env) => ({
  name: 'partner',
  port: Number(env.PARTNER_PORT ?? 4002),
  production: true,
  sources: ['orders', 'products', 'inventory'],
  hide: ['User'],
}));
