import { defineBff } from '../../../../../src/config/defineConfig.js';

export default defineBff((env) => ({
  name: 'web',
  port: 0,
  sources: ['users', 'orders', 'products', 'inventory'],
  // A window so long that nothing refills during the test: the remaining budget counts charges.
  rateLimit: { tiers: [{ kind: 'global', limit: 1_000, windowSeconds: 1_000_000_000 }] },
  auth: {
    jwt: { jwksUrl: `${env.IDP_URL}/.well-known/jwks.json`, issuer: 'portico-demo-idp', audience: 'portico-web' },
  },
}));
