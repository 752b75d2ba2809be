import { defineBff } from '../../src/config/defineConfig.js';
import { demoRateLimit } from '../demoRateLimit.js';

// The web app sees the whole graph, plus a dashboard that fans out to several sources at once.
export default defineBff((env) => ({
  name: 'web',
  // Loopback unless told otherwise; containers set BFF_HOST=0.0.0.0 (deploy/).
  host: env.BFF_HOST ?? '127.0.0.1',
  port: Number(env.WEB_PORT ?? 4000),
  sources: ['users', 'orders', 'products', 'inventory'],
  resolvers: './resolvers.ts',
  // The one page origin allowed to read this BFF from a browser: a local dev server (Vite's default
  // port). Every other origin gets no CORS grant (docs/security.md).
  cors: { origins: ['http://localhost:5173'] },
  // The demo plan: 200 cost points a minute per anonymous IP and per tenant (bffs/demoRateLimit.ts).
  rateLimit: demoRateLimit(env),
  // Avatars (users' uploadAvatar), streamed to the users service, one at a time. The cap is
  // 64 MiB, far above an avatar's needs, so the streaming bound (a 50 MB file through with the
  // gateway's RSS growing under 20 MiB, docs/uploads.md) can be tried on the demo itself.
  uploads: { enabled: true, maxFileBytes: 64 * 1024 * 1024, maxFiles: 1 },
  // Tokens from the demo IdP (subgraphs/idp, IDP_URL), for this app's audience only.
  auth: {
    jwt: { jwksUrl: `${env.IDP_URL ?? 'http://127.0.0.1:4105'}/.well-known/jwks.json`, issuer: env.IDP_ISSUER ?? 'portico-demo-idp', audience: 'portico-web' },
    identityHeaders: env.PORTICO_IDENTITY_SECRET ? { secret: env.PORTICO_IDENTITY_SECRET } : {},
  },
}));
