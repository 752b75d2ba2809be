import { defineBff } from '../../src/config/defineConfig.js';
import { demoRateLimit } from '../demoRateLimit.js';
import { partnerRoutes } from './routes.js';

// Partners see orders and the catalogue; no user personal data is part of this schema at all.
export default defineBff((env) => ({
  name: 'partner',
  // Loopback unless told otherwise; containers set BFF_HOST=0.0.0.0 (deploy/).
  host: env.BFF_HOST ?? '127.0.0.1',
  port: Number(env.PARTNER_PORT ?? 4002),
  production: true,
  sources: ['orders', 'products', 'inventory'],
  hide: ['User'],
  // Partners authenticate with a token from the demo IdP or with an API key (partner BFF only).
  // Behind its own TLS (`tls`), the partner BFF can also take client certificates: `tls.clientCaFile`
  // plus `auth.clientCertificates` and `auth.partnerCredentials` (docs/security.md, "Partner mTLS").
  // The demo plan: 200 cost points a minute per anonymous IP and per tenant (bffs/demoRateLimit.ts).
  rateLimit: demoRateLimit(env),
  auth: {
    jwt: { jwksUrl: `${env.IDP_URL ?? 'http://127.0.0.1:4105'}/.well-known/jwks.json`, issuer: env.IDP_ISSUER ?? 'portico-demo-idp', audience: 'portico-partner' },
    apiKeys: {
      enabled: true,
      keys: [
        // Demo only: the key is pk_demo_acme_7Qm2xVb9Lr4Tz8Kw (docs/identity.md). Real keys are
        // generated, handed to the partner once, and only their SHA-256 is committed here.
        { id: 'acme-demo', hash: 'd083c0de5784ac8ddcb5508c51633aa00aeafa936f5829893070796edd8c181f', tenant: 't1', plan: 'pro', scopes: ['orders:read', 'products:read'] },
      ],
    },
    identityHeaders: env.PORTICO_IDENTITY_SECRET ? { secret: env.PORTICO_IDENTITY_SECRET } : {},
  },
  // Partners are businesses reading orders under their contract (the orders:read scope), not end
  // users: the orders' owner rules (@owner in schemas/orders.graphql, made for the web and mobile
  // apps' users) do not apply to them. docs/authorization.md, "Ownership".
  authz: { ownerBypass: { scopes: ['orders:read'] } },
  // REST routes over stored operations, with OpenAPI at /v1/openapi.json (routes.ts).
  routes: partnerRoutes,
}));
