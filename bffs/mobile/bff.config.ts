import { defineBff } from '../../src/config/defineConfig.js';
import { demoRateLimit } from '../demoRateLimit.js';

// The mobile app gets a slimmer graph: no contact details, shorter names, a compact card type.
export default defineBff((env) => ({
  name: 'mobile',
  // Loopback unless told otherwise; containers set BFF_HOST=0.0.0.0 (deploy/).
  host: env.BFF_HOST ?? '127.0.0.1',
  port: Number(env.MOBILE_PORT ?? 4001),
  sources: ['users', 'orders', 'products', 'inventory'],
  resolvers: './resolvers.ts',
  hide: ['User.email', 'User.phone', 'User.createdAt', 'Query.users', 'Product.description', 'Product.sku', 'Mutation.uploadAvatar', 'AvatarReceipt'],
  rename: { 'Product.name': 'title', 'Order.createdAt': 'placedAt' },
  // Tokens from the demo IdP (subgraphs/idp, IDP_URL), for this app's audience only.
  // The demo plan: 200 cost points a minute per anonymous IP and per tenant (bffs/demoRateLimit.ts).
  rateLimit: demoRateLimit(env),
  auth: {
    jwt: { jwksUrl: `${env.IDP_URL ?? 'http://127.0.0.1:4105'}/.well-known/jwks.json`, issuer: env.IDP_ISSUER ?? 'portico-demo-idp', audience: 'portico-mobile' },
    identityHeaders: env.PORTICO_IDENTITY_SECRET ? { secret: env.PORTICO_IDENTITY_SECRET } : {},
  },
  // A screen shows what the caller may see: fields it may not read come back null with an
  // error at their path instead of failing the whole screen (docs/authorization.md).
  authz: { onDenied: 'null' },
}));
