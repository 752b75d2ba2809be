import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWTPayload } from 'jose';
import { createSchema, createYoga } from 'graphql-yoga';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { authSchema, type AuthConfig } from '../../../src/config/authSchema.js';
import { ANONYMOUS } from '../../../src/context/principal.js';
import type { RequestScope } from '../../../src/context/requestScope.js';
import { useAuth, type AuthOptions, type AuthPlugin } from '../../../src/plugins/auth/useAuth.js';
import { createMemoryRevocationStore } from '../../../src/stores/revocations/memoryRevocationStore.js';
import { createRevocationStores } from '../../../src/stores/revocations/createRevocationStores.js';
import type { RevocationStore } from '../../../src/stores/revocations/revocationStore.js';
import { redisConfig, startRedis } from '../../support/redis.js';

// The plugin in a small yoga app, with static keys generated here and a clock the test moves.
// Requests go through yoga's fetch handler with the request scope the server would create.

const ISSUER = 'https://issuer.test';
const AUDIENCE = 'portico-test';
let privateKey: CryptoKey;
let publicJwk: Record<string, unknown>;
let clock: number;
let revocations: RevocationStore;

beforeAll(async () => {
  const pair = await generateKeyPair('RS256', { extractable: true });
  privateKey = pair.privateKey;
  publicJwk = { ...(await exportJWK(pair.publicKey)) };
});
beforeEach(() => {
  clock = Date.UTC(2030, 0, 1);
  revocations = createMemoryRevocationStore({ now: () => clock });
});

const nowSeconds = () => Math.floor(clock / 1000);

function config(overrides: Record<string, unknown> = {}, jwt: Record<string, unknown> = {}): AuthConfig {
  return authSchema.parse({
    jwt: { keys: [{ kid: 'k1', alg: 'RS256', jwk: publicJwk }], issuer: ISSUER, audience: AUDIENCE, ...jwt },
    ...overrides,
  });
}

function app(options: AuthConfig, extra: Partial<AuthOptions> = {}) {
  const plugin: AuthPlugin = useAuth({ ...options, realm: 'test', revocationStore: revocations, now: () => clock, ...extra });
  const yoga = createYoga<{ portico: RequestScope }>({
    schema: createSchema<{ portico: RequestScope }>({
      typeDefs: 'type Query { me: String, tenant: String, scopes: [String!]!, roles: [String!]! }',
      resolvers: {
        Query: {
          me: (_: unknown, __: unknown, context) => context.portico.principal.subject,
          tenant: (_: unknown, __: unknown, context) => context.portico.principal.tenant ?? null,
          scopes: (_: unknown, __: unknown, context) => context.portico.principal.scopes,
          roles: (_: unknown, __: unknown, context) => context.portico.principal.roles,
        },
      },
    }),
    plugins: [plugin],
    logging: false,
  });
  const request = async (headers: Record<string, string>, query = '{ me }') => {
    const portico: RequestScope = { requestId: 'r1', principal: ANONYMOUS, upstreamHeaders: {} };
    const response = await yoga.fetch(
      'http://gateway.test/graphql',
      { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', ...headers }, body: JSON.stringify({ query }) },
      { portico },
    );
    return { status: response.status, headers: response.headers, body: (await response.json()) as any, scope: portico };
  };
  return { plugin, request, bearer: (token: string, query?: string) => request({ authorization: `Bearer ${token}` }, query) };
}

function sign(claims: JWTPayload, header: Record<string, unknown> = {}) {
  return new SignJWT({ iss: ISSUER, aud: AUDIENCE, sub: 'u1', exp: nowSeconds() + 600, jti: 'jti-1', ...claims })
    .setProtectedHeader({ alg: 'RS256', kid: 'k1', ...header })
    .sign(privateKey);
}

describe('the verified-token cache', () => {
  it('verifies a token once and answers repeats from the cache', async () => {
    const { plugin, bearer } = app(config());
    const token = await sign({});
    for (let i = 0; i < 10; i += 1) expect((await bearer(token)).body).toEqual({ data: { me: 'u1' } });
    expect(plugin.authenticator.stats).toEqual({ verifications: 1, cacheHits: 9 });
  });

  it('verifies concurrent first presentations of one token once', async () => {
    const { plugin, bearer } = app(config());
    const token = await sign({});
    const responses = await Promise.all(Array.from({ length: 10 }, () => bearer(token)));
    expect(responses.map((response) => response.status)).toEqual(responses.map(() => 200));
    expect(plugin.authenticator.stats.verifications).toBe(1);
  });

  it('answers a cache hit without a promise when the revocation store is in memory', async () => {
    const { plugin, bearer } = app(config());
    const token = await sign({});
    await bearer(token);
    const result = plugin.authenticator.authenticate(`Bearer ${token}`, null);
    expect(result).not.toBeInstanceOf(Promise);
    expect(result).toMatchObject({ kind: 'jwt', subject: 'u1' });
  });

  it('keeps a verification no longer than the token\'s exp', async () => {
    const { plugin, bearer } = app(config());
    const exp = nowSeconds() + 60;
    const token = await sign({ exp });
    await bearer(token);
    clock = exp * 1000 - 1;
    await bearer(token);
    expect(plugin.authenticator.stats).toEqual({ verifications: 1, cacheHits: 1 });
    clock = exp * 1000; // the entry is gone; full verification still allows the 30 s skew
    expect((await bearer(token)).status).toBe(200);
    expect(plugin.authenticator.stats.verifications).toBe(2);
    clock = (exp + 31) * 1000;
    expect((await bearer(token)).body.errors[0].extensions).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'expired' });
  });

  it('checks the revocation list on every request, cache hits included', async () => {
    const { plugin, bearer } = app(config());
    const token = await sign({ jti: 'to-revoke' });
    expect((await bearer(token)).status).toBe(200);
    await revocations.revoke('to-revoke', nowSeconds() + 600);
    const refused = await bearer(token);
    expect(refused.status).toBe(401);
    expect(refused.body.errors[0].extensions).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'revoked' });
    expect(plugin.authenticator.stats).toEqual({ verifications: 1, cacheHits: 1 });
  });

  it('can be turned off (maxEntries 0): every request is verified', async () => {
    const { plugin, bearer } = app(config({}, { cache: { maxEntries: 0 } }));
    const token = await sign({});
    for (let i = 0; i < 3; i += 1) await bearer(token);
    expect(plugin.authenticator.stats).toEqual({ verifications: 3, cacheHits: 0 });
  });
});

describe('claims', () => {
  it('refuses a token without exp', async () => {
    const { bearer } = app(config());
    const token = await new SignJWT({ iss: ISSUER, aud: AUDIENCE, sub: 'u1' }).setProtectedHeader({ alg: 'RS256', kid: 'k1' }).sign(privateKey);
    expect((await bearer(token)).body.errors[0].extensions).toMatchObject({ reason: 'missing_claim' });
  });

  it('refuses a token without jti when requireJti is set', async () => {
    const { bearer } = app(config({}, { requireJti: true }));
    const token = await new SignJWT({ iss: ISSUER, aud: AUDIENCE, sub: 'u1', exp: nowSeconds() + 60 }).setProtectedHeader({ alg: 'RS256', kid: 'k1' }).sign(privateKey);
    expect((await bearer(token)).body.errors[0].extensions).toMatchObject({ reason: 'missing_claim' });
  });

  it('reads namespaced and nested claims as configured', async () => {
    const { bearer } = app(config({}, { claims: { tenant: 'https://portico.example/tenant', roles: 'realm_access.roles', scopes: 'scp' } }));
    const token = await sign({ 'https://portico.example/tenant': 't9', realm_access: { roles: ['admin', 'ops'] }, scp: ['a:read', 'b:write'] });
    expect((await bearer(token, '{ me tenant scopes roles }')).body).toEqual({
      data: { me: 'u1', tenant: 't9', scopes: ['a:read', 'b:write'], roles: ['admin', 'ops'] },
    });
  });

  it('refuses a claim of the wrong type rather than ignoring it', async () => {
    const { bearer } = app(config());
    expect((await bearer(await sign({ tenant: 42 }))).body.errors[0].extensions).toMatchObject({ reason: 'invalid_claims' });
    expect((await bearer(await sign({ scope: { admin: true } }))).body.errors[0].extensions).toMatchObject({ reason: 'invalid_claims' });
  });
});

describe('credentials and challenges', () => {
  it('refuses requests without credentials when anonymous is "deny", with a bare challenge', async () => {
    const response = await app(config({ anonymous: 'deny' })).request({});
    expect(response.status).toBe(401);
    expect(response.body.errors[0].extensions).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'credentials_required' });
    expect(response.headers.get('www-authenticate')).toBe('Bearer realm="test"');
  });

  it('accepts the bearer scheme in any letter case', async () => {
    const token = await sign({});
    expect((await app(config()).request({ authorization: `bEaReR ${token}` })).status).toBe(200);
  });

  it('binds a static key to its algorithm: an HS256 token naming the RSA key finds nothing', async () => {
    const secret = 'a-shared-secret-of-at-least-32-bytes!';
    const { bearer } = app(config({}, {
      algorithms: ['RS256', 'HS256'],
      keys: [{ kid: 'k1', alg: 'RS256', jwk: publicJwk }, { kid: 'h1', alg: 'HS256', secret }],
    }));
    const hs = (kid: string) =>
      new SignJWT({ iss: ISSUER, aud: AUDIENCE, sub: 'u1', exp: nowSeconds() + 60 }).setProtectedHeader({ alg: 'HS256', kid }).sign(new TextEncoder().encode(secret));
    expect((await bearer(await hs('h1'))).status).toBe(200);
    expect((await bearer(await hs('k1'))).body.errors[0].extensions).toMatchObject({ reason: 'unknown_key' });
  });

  it('sets the principal and the identity headers on the request scope', async () => {
    const response = await app(config({ identityHeaders: { secret: 's'.repeat(32) } })).bearer(await sign({ tenant: 't1', scope: 'a b' }));
    expect(response.scope.principal).toMatchObject({ kind: 'jwt', subject: 'u1', tenant: 't1', scopes: ['a', 'b'], jti: 'jti-1' });
    expect(response.scope.upstreamHeaders).toMatchObject({
      'x-portico-auth': 'jwt',
      'x-portico-subject': 'u1',
      'x-portico-tenant': 't1',
      'x-portico-scopes': 'a b',
      'x-portico-identity-ts': String(nowSeconds()),
    });
    expect(response.scope.upstreamHeaders['x-portico-identity-signature']).toMatch(/^v1=[A-Za-z0-9_-]{43}$/);
  });
});

describe('a revocation store that cannot answer (real Redis, stopped)', () => {
  let stores: ReturnType<typeof createRevocationStores>;
  let redis: Awaited<ReturnType<typeof startRedis>>;
  beforeAll(async () => {
    redis = await startRedis();
    // A generous timeout: this machine may be busy, and only the outage should fail the check.
    stores = createRevocationStores({ redis: redisConfig({ url: redis.url, keyPrefix: 'portico:', commandTimeoutMs: 500 }) });
  });
  afterAll(async () => {
    await stores?.close();
    await redis?.stop();
  });

  it('refuses with 503 AUTH_UNAVAILABLE and Retry-After by default, lets the token through with onStoreError "allow"', async () => {
    const store = stores.get('redis');
    await stores.ready();
    const deny = app(config({ revocations: { store: 'redis' } }), { revocationStore: store });
    const allow = app(config({ revocations: { store: 'redis', onStoreError: 'allow' } }), { revocationStore: store });
    const token = await sign({});
    expect((await deny.bearer(token)).status).toBe(200);
    await redis.kill();
    const refused = await deny.bearer(token);
    expect(refused.status).toBe(503);
    expect(refused.body.errors[0].extensions).toMatchObject({ code: 'AUTH_UNAVAILABLE' });
    expect(refused.headers.get('retry-after')).toBe('10');
    expect((await allow.bearer(token)).status).toBe(200);
  });
});
