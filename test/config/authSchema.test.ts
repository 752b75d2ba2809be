import { generateKeyPairSync } from 'node:crypto';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { authSchema } from '../../src/config/authSchema.js';
import { loadConfig } from '../../src/config/loadConfig.js';
import { repoRoot } from '../support/portico.js';

const jwt = { jwksUrl: 'https://idp.example/.well-known/jwks.json', issuer: 'https://idp.example', audience: 'api' };
const firstIssue = (value: unknown) => {
  const result = authSchema.safeParse(value);
  return result.success ? undefined : `${result.error.issues[0]!.path.join('.')}: ${result.error.issues[0]!.message}`;
};

describe('the auth config', () => {
  it('fills safe defaults, each documented with its reason in authSchema.ts', () => {
    expect(authSchema.parse({ jwt })).toEqual({
      jwt: {
        ...jwt,
        algorithms: ['RS256', 'ES256'],
        clockSkewSeconds: 30,
        maxTokenBytes: 8192,
        requireJti: false,
        claims: { subject: 'sub', tenant: 'tenant', plan: 'plan', scopes: 'scope', roles: 'roles' },
        cache: { maxEntries: 10_000 },
        jwks: { refreshIntervalSeconds: 300, cooldownSeconds: 10, timeoutMs: 3000 },
      },
      apiKeys: { enabled: false, header: 'x-api-key', keys: [] },
      revocations: { onStoreError: 'deny' },
      identityHeaders: {},
      anonymous: 'allow',
      partnerCredentials: 'apiKey',
    });
    expect(authSchema.parse(undefined)).toMatchObject({ anonymous: 'allow', apiKeys: { enabled: false } });
  });

  it('can never allow alg "none"', () => {
    expect(firstIssue({ jwt: { ...jwt, algorithms: ['none'] } })).toMatch(/^jwt.algorithms.0: /);
  });

  it('refuses HMAC algorithms with a JWKS (no RS/HS confusion by configuration)', () => {
    expect(firstIssue({ jwt: { ...jwt, algorithms: ['RS256', 'HS256'] } })).toMatch(/HS\* algorithms need a shared secret/);
  });

  it('wants exactly one key source', () => {
    expect(firstIssue({ jwt: { issuer: 'i', audience: 'a' } })).toMatch(/exactly one of "jwksUrl" or "keys"/);
  });

  it('checks static keys at start-up: parseable, public, and able to verify their algorithm', () => {
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const keys = (key: Record<string, unknown>) => ({ jwt: { issuer: 'i', audience: 'a', algorithms: ['RS256', 'ES256'], keys: [key] } });
    expect(firstIssue(keys({ alg: 'ES256', pem }))).toBeUndefined();
    expect(firstIssue(keys({ alg: 'RS256', pem }))).toBe('jwt.keys.0.alg: a ec prime256v1 key cannot verify RS256');
    expect(firstIssue(keys({ alg: 'ES256', jwk: privateKey.export({ format: 'jwk' }) }))).toMatch(/^jwt.keys.0.jwk: expected a public key/);
    expect(firstIssue(keys({ alg: 'ES256', pem: '-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----' }))).toMatch(/does not parse/);
    expect(firstIssue({ jwt: { issuer: 'i', audience: 'a', algorithms: ['HS256'], keys: [{ alg: 'HS256', secret: 'short' }] } })).toMatch(/secret/);
  });

  it('stores API keys only as SHA-256 hex', () => {
    const apiKeys = (hash: string) => ({ apiKeys: { enabled: true, keys: [{ id: 'k', hash, tenant: 't', plan: 'p' }] } });
    expect(firstIssue(apiKeys('pk_live_plaintext'))).toMatch(/SHA-256/);
    expect(firstIssue(apiKeys('a'.repeat(64)))).toBeUndefined();
  });

  it('takes only an Ed25519 private key for signing identity headers with a published key', () => {
    const pem = (type: 'ed25519' | 'ec') =>
      (type === 'ec' ? generateKeyPairSync('ec', { namedCurve: 'P-256' }) : generateKeyPairSync('ed25519')).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const signing = (privateKey: string) => ({ identityHeaders: { signingKey: { keyId: 'k1', privateKey } } });
    expect(firstIssue(signing(pem('ed25519')))).toBeUndefined();
    expect(firstIssue(signing(pem('ec')))).toBe('identityHeaders.signingKey.privateKey: expected an Ed25519 key, got ec');
    expect(firstIssue(signing('not a key'))).toMatch(/^identityHeaders.signingKey.privateKey: expected a PKCS#8 PEM private key/);
  });

  it('refuses a Redis revocation store when the deployment has no Redis, naming file and key', async () => {
    await expect(loadConfig(path.join(repoRoot, 'test/e2e/auth/order/portico.config.ts'), { IDP_URL: 'http://127.0.0.1:9' })).resolves.toBeDefined();
    const withRedisStore = path.join(repoRoot, 'test/config/fixtures/redis-revocations/portico.config.ts');
    await expect(loadConfig(withRedisStore, {})).rejects.toThrow(/bff\.config\.ts: auth\.revocations\.store: "redis" needs the root config's "redis" key or REDIS_URL/);
  });
});
