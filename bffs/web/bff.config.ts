import { defineBff } from '../../src/config/defineConfig.js';

// The web app sees the whole graph, plus a dashboard that fans out to several sources at once.
export default defineBff((env) => ({
  name: 'web',
  port: Number(env.WEB_PORT ?? 4000),
  sources: ['users', 'orders', 'products', 'inventory'],
  resolvers: './resolvers.ts',
}));
