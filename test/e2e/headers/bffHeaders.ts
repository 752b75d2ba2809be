import type { BffConfigInput } from '../../../src/config/schema.js';

export const SECRET = 'headers-test-jwt-secret-0123456789abcdef';
export const IDENTITY_SECRET = 'headers-test-identity-secret-0123456789';
export const ISSUER = 'headers-test';

/** One BFF of the scenario: the same rules on both engines. */
export function headersBff(name: string, engine: 'plan' | 'stitch'): BffConfigInput {
  return {
    name,
    port: 0,
    engine,
    sources: ['users', 'orders', 'products', 'inventory'],
    auth: {
      jwt: { keys: [{ alg: 'HS256', secret: SECRET }], algorithms: ['HS256'], issuer: ISSUER, audience: 'portico-headers' },
      identityHeaders: { secret: IDENTITY_SECRET },
    },
    headers: {
      request: [
        { propagate: 'accept-language', rename: 'x-locale', default: 'en' },
        { propagate: { matching: '^x-feature-' } },
        { set: 'x-bff', value: name },
      ],
      response: [{ propagate: { matching: '^x-shared-' } }],
      cacheControl: { merge: true },
    },
  };
}
