import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createRedisRevocationStore } from '../../../src/stores/revocations/redisRevocationStore.js';
import { gql, startTestPortico, type GraphQLResponse, type TestPortico } from '../../support/portico.js';
import { startRedis, type RedisHandle } from '../../support/redis.js';
import { startSubgraph, type SubgraphHandle } from '../../support/subgraphs.js';
import { attackerKey, hs256WithPublicKey, plausibleClaims, startIdp, tamperPayload, unsignedToken, type Idp } from '../../support/tokens.js';

// The web BFF of the repository's own config, with the demo IdP and a real Redis holding the
// revocation list. Every refused token must leave the users subgraph untouched and the gateway
// serving the next, valid request.

const QUERY = '{ user(id: "u1") { name } }';
let idp: Idp;
let users: SubgraphHandle;
let redis: RedisHandle;
let portico: TestPortico;
let web: string;

beforeAll(async () => {
  [idp, users, redis] = await Promise.all([startIdp(), startSubgraph('users'), startRedis()]);
  portico = await startTestPortico({ users }, { env: { IDP_URL: idp.url, REDIS_URL: redis.url } });
  web = portico.bff('web').url;
  // Warm the web BFF's key set once, so counts below are about the rules, not the first fetch.
  expect((await ask(await idp.issue())).status).toBe(200);
});
afterAll(async () => {
  await portico?.close(0);
  await Promise.all([idp?.stop(), users?.release(), redis?.stop()]);
});
beforeEach(() => users.reset());

function ask(token: string, query = QUERY): Promise<GraphQLResponse> {
  return gql(web, query, undefined, { authorization: `Bearer ${token}` });
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

async function expectRefused(response: GraphQLResponse, reason: string) {
  expect(response.status).toBe(401);
  expect(response.body.data).toBeUndefined();
  expect(response.body.errors).toHaveLength(1);
  expect(response.body.errors?.[0]?.extensions).toMatchObject({ code: 'UNAUTHENTICATED', reason });
  expect(response.headers.get('www-authenticate')).toMatch(/^Bearer realm="web", error="invalid_token", error_description="[^"]+"$/);
  expect((await users.stats()).requests).toBe(0);
  // Still serving: the next valid request goes through.
  const next = await ask(await idp.issue());
  expect(next.status).toBe(200);
  expect(next.body).toEqual({ data: { user: { name: 'Ada Lovelace' } } });
  await users.reset();
}

describe('JWT rules on the web BFF (real tokens, real IdP)', () => {
  it('accepts a valid RS256 token and a valid ES256 token', async () => {
    for (const alg of ['RS256', 'ES256'] as const) {
      const response = await ask(await idp.issue({ alg }));
      expect(response.status).toBe(200);
      expect(response.body).toEqual({ data: { user: { name: 'Ada Lovelace' } } });
    }
  });

  it('refuses an expired token', async () => {
    // Past the 30 s clock skew allowance.
    await expectRefused(await ask(await idp.issue({ claims: { exp: nowSeconds() - 60 } })), 'expired');
  });

  it('refuses a token that is not valid yet', async () => {
    await expectRefused(await ask(await idp.issue({ claims: { nbf: nowSeconds() + 120 } })), 'not_yet_valid');
  });

  it('refuses a token from another issuer', async () => {
    await expectRefused(await ask(await idp.issue({ claims: { iss: 'https://evil.example' } })), 'wrong_issuer');
  });

  it('refuses a token meant for another BFF', async () => {
    await expectRefused(await ask(await idp.issue({ aud: 'portico-partner' })), 'wrong_audience');
  });

  it('refuses an unsigned token (alg: none) naming a real key', async () => {
    await expectRefused(await ask(unsignedToken(plausibleClaims('portico-web'), { kid: 'rs256-1' })), 'algorithm_not_allowed');
  });

  it('refuses HS256 signed with the IdP\'s RSA public key', async () => {
    const rsa = (await idp.jwks()).find((key) => key.kid === 'rs256-1')!;
    await expectRefused(await ask(hs256WithPublicKey(rsa, plausibleClaims('portico-web'))), 'algorithm_not_allowed');
  });

  it('refuses a token signed with a key the IdP never published (unknown kid)', async () => {
    const attacker = await attackerKey('RS256');
    await expectRefused(await ask(await attacker.sign(plausibleClaims('portico-web'))), 'unknown_key');
  });

  it('refuses a real token whose payload was changed', async () => {
    const token = tamperPayload(await idp.issue({ sub: 'u2' }), { sub: 'u1', scope: 'admin' });
    await expectRefused(await ask(token), 'bad_signature');
  });

  it('refuses a token larger than maxTokenBytes before decoding it', async () => {
    const token = await idp.issue({ claims: { padding: 'x'.repeat(9_000) } });
    expect(token.length).toBeGreaterThan(8192);
    await expectRefused(await ask(token), 'too_large');
  });

  it('refuses a revoked jti on the next request, although the token is in the verified cache', async () => {
    const issued = await idp.issueFull();
    expect((await ask(issued.access_token)).status).toBe(200);
    const revocations = createRedisRevocationStore({ client: redis.client() });
    await revocations.revoke(issued.jti, nowSeconds() + 3600);
    await users.reset();
    await expectRefused(await ask(issued.access_token), 'revoked');
  });

  it('never fetches keys from a jku/x5u URL or trusts an embedded jwk', async () => {
    let attackerJwksRequests = 0;
    const attacker = await attackerKey('RS256');
    const server: Server = createServer((_req, res) => {
      attackerJwksRequests += 1;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ keys: [attacker.publicJwk] }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const jku = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`;
    try {
      const claims = plausibleClaims('portico-web');
      await expectRefused(await ask(await attacker.sign(claims, { jku })), 'unknown_key');
      await expectRefused(await ask(await attacker.sign(claims, { x5u: jku })), 'unknown_key');
      await expectRefused(await ask(await attacker.sign(claims, { jwk: attacker.publicJwk })), 'unknown_key');
      expect(attackerJwksRequests).toBe(0);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('refuses a malformed Authorization header with invalid_request', async () => {
    const response = await gql(web, QUERY, undefined, { authorization: 'Basic dXNlcjpwYXNz' });
    expect(response.status).toBe(401);
    expect(response.body.errors?.[0]?.extensions).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'malformed_header' });
    expect(response.headers.get('www-authenticate')).toBe(
      'Bearer realm="web", error="invalid_request", error_description="The Authorization header is malformed"',
    );
    expect((await users.stats()).requests).toBe(0);
  });

  it('lets a request without credentials through as anonymous', async () => {
    const response = await gql(web, QUERY);
    expect(response.status).toBe(200);
    expect((await users.requests()).at(-1)?.headers['x-portico-auth']).toBe('anonymous');
  });
});

describe('the JWKS behind the web BFF', () => {
  it('costs a bounded number of JWKS fetches for a flood of unknown-kid tokens', async () => {
    const attacker = await attackerKey('ES256');
    const tokens = await Promise.all(
      Array.from({ length: 40 }, (_, i) => attacker.sign(plausibleClaims('portico-web'), { kid: `made-up-${i}` })),
    );
    // Counted from just before the flood: earlier tests may have used up or opened a cooldown
    // window, and only the flood's own window is under test.
    const fetchesBefore = await idp.jwksFetches();
    const responses = await Promise.all(tokens.map((token) => ask(token)));
    expect(responses.map((response) => response.status)).toEqual(tokens.map(() => 401));
    // One refetch per 10 s cooldown at most: 40 unknown kids cost at most one JWKS fetch.
    expect((await idp.jwksFetches()) - fetchesBefore).toBeLessThanOrEqual(1);
    expect((await users.stats()).requests).toBe(0);
  });

  it('keeps accepting tokens signed with known keys while the JWKS endpoint is down', async () => {
    const rs = await idp.issue({ alg: 'RS256' });
    const es = await idp.issue({ alg: 'ES256' });
    await idp.process.setFaults({ down: true });
    try {
      expect((await ask(rs)).status).toBe(200);
      expect((await ask(es)).status).toBe(200);
    } finally {
      await idp.process.setFaults({ down: false });
    }
  });
});
