import { generateKeyPairSync } from 'node:crypto';
import type { BffConfigInput } from '../../../src/config/schema.js';

export const SECRET = 'headers-test-jwt-secret-0123456789abcdef';
export const IDENTITY_SECRET = 'headers-test-identity-secret-0123456789';
export const ISSUER = 'headers-test';
/** Signs the identity headers beside the HMAC; sources verify with its published public half. */
export const SIGNING_KEY = {
  keyId: 'identity-test-1',
  privateKey: generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
};

/** One BFF of the scenario: the same rules on both engines. */
export function headersBff(name: string, engine: 'plan' | 'stitch'): BffConfigInput {
  return {
    name,
    port: 0,
    engine,
    sources: ['users', 'orders', 'products', 'inventory'],
    auth: {
      jwt: { keys: [{ alg: 'HS256', secret: SECRET }], algorithms: ['HS256'], issuer: ISSUER, audience: 'portico-headers' },
      identityHeaders: { secret: IDENTITY_SECRET, signingKey: SIGNING_KEY },
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
