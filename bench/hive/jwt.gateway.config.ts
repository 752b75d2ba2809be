// Hive Gateway for the honest-load run: it verifies each client's JWT (the same IdP, issuer and
// audience Portico checks) and forwards the token to the subgraphs, as Portico forwards the
// caller's identity. With the caller in every subgraph request, Hive's in-flight deduplication
// (keyed on the subgraph request's headers) can share answers only within one caller, exactly
// like any deduplication Portico may do. Started by bench/run.ts with BENCH_JWKS_URL set.
import { createRemoteJwksSigningKeyProvider, defineConfig } from '@graphql-hive/gateway';

const jwksUri = process.env.BENCH_JWKS_URL;
if (!jwksUri) throw new Error('BENCH_JWKS_URL is not set');

export const gatewayConfig = defineConfig({
  jwt: {
    signingKeyProviders: [createRemoteJwksSigningKeyProvider({ jwksUri })],
    tokenVerification: {
      issuer: process.env.BENCH_ISSUER ?? 'portico-demo-idp',
      audience: process.env.BENCH_AUDIENCE ?? 'portico-bench',
      algorithms: ['RS256', 'ES256'],
    },
    reject: { missingToken: true, invalidToken: true },
  },
  propagateHeaders: {
    fromClientToSubgraphs({ request }) {
      return { authorization: request.headers.get('authorization') ?? '' };
    },
  },
});
