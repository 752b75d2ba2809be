import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { verifyIdentityHeaders } from '../../../src/plugins/auth/identityHeaders.js';
import { gql, startTestPortico, type TestPortico } from '../../support/portico.js';
import { startAllSubgraphs, type SubgraphSet } from '../../support/subgraphs.js';
import { startIdp, type Idp } from '../../support/tokens.js';

const SECRET = 'test-identity-secret-0123456789abcdef';
const DEMO_PARTNER_KEY = 'pk_demo_acme_7Qm2xVb9Lr4Tz8Kw';
// Every header a client might use to claim an identity, the gateway's own names included.
const SPOOFED = {
  'x-user-id': 'admin',
  'x-user-roles': 'admin',
  'x-tenant-id': 't3',
  'x-forwarded-user': 'admin',
  'x-portico-auth': 'jwt',
  'x-portico-subject': 'admin',
  'x-portico-tenant': 't3',
  'x-portico-scopes': 'admin:all',
  'x-portico-identity-ts': '1',
  'x-portico-identity-signature': 'v1=forged',
};
// Touches a GraphQL source (users), the federation subgraph (orders) and both REST sources.
const FOUR_SOURCES = '{ user(id: "u1") { name orders(first: 1) { items { product { name stock { available } } } } } }';

let idp: Idp;
let subgraphs: SubgraphSet;
let portico: TestPortico;
let ordered: TestPortico;

beforeAll(async () => {
  [idp, subgraphs] = await Promise.all([startIdp(), startAllSubgraphs()]);
  const env = { IDP_URL: idp.url, PORTICO_IDENTITY_SECRET: SECRET };
  [portico, ordered] = await Promise.all([
    startTestPortico(subgraphs, { env }),
    startTestPortico(subgraphs, { env, config: path.join(import.meta.dirname, 'order', 'portico.config.ts') }),
  ]);
});
afterAll(async () => {
  await Promise.all([portico?.close(0), ordered?.close(0)]);
  await Promise.all([idp?.stop(), subgraphs?.[Symbol.asyncDispose]()]);
});
beforeEach(() => Promise.all(Object.values(subgraphs).map((subgraph) => subgraph.reset())));

const totalRequests = async () => (await Promise.all(Object.values(subgraphs).map((s) => s.stats()))).reduce((sum, s) => sum + s.requests, 0);

describe('identity sent to subgraphs', () => {
  it('never lets a spoofed x-user-id (or any client identity header) reach a subgraph', async () => {
    const token = await idp.issue({ sub: 'u1', tenant: 't1', plan: 'free', scopes: ['orders:read'], roles: ['buyer'] });
    const response = await gql(portico.bff('web').url, FOUR_SOURCES, undefined, { authorization: `Bearer ${token}`, ...SPOOFED });
    expect(response.status).toBe(200);

    const seen = (await Promise.all(Object.values(subgraphs).map((s) => s.requests()))).flat();
    expect(seen.length).toBeGreaterThanOrEqual(4);
    for (const request of seen) {
      expect(request.headers['x-user-id']).toBeUndefined();
      expect(request.headers['x-user-roles']).toBeUndefined();
      expect(request.headers['x-tenant-id']).toBeUndefined();
      expect(request.headers['x-forwarded-user']).toBeUndefined();
      expect(request.headers['authorization']).toBeUndefined();
      expect(request.headers).toMatchObject({
        'x-portico-auth': 'jwt',
        'x-portico-subject': 'u1',
        'x-portico-tenant': 't1',
        'x-portico-plan': 'free',
        'x-portico-scopes': 'orders:read',
        'x-portico-roles': 'buyer',
      });
      const check = verifyIdentityHeaders(request.headers, [SECRET]);
      expect(check).toMatchObject({ ok: true, identity: { auth: 'jwt', subject: 'u1', tenant: 't1', scopes: ['orders:read'] } });
    }
  });

  it('tells subgraphs an anonymous caller is anonymous, whatever headers it sends', async () => {
    const response = await gql(portico.bff('web').url, '{ user(id: "u1") { name } }', undefined, SPOOFED);
    expect(response.status).toBe(200);
    const [request] = await subgraphs.users.requests();
    expect(request?.headers['x-portico-auth']).toBe('anonymous');
    expect(request?.headers['x-portico-subject']).toBeUndefined();
    expect(request?.headers['x-portico-tenant']).toBeUndefined();
    expect(request?.headers['x-user-id']).toBeUndefined();
    expect(verifyIdentityHeaders(request!.headers, [SECRET])).toMatchObject({ ok: true, identity: { auth: 'anonymous', scopes: [] } });
  });
});

describe('partner API keys', () => {
  const ORDERS = '{ orders(first: 1) { id } }';

  it('maps the demo key to its tenant, plan and scopes on the partner BFF', async () => {
    const response = await gql(portico.bff('partner').url, ORDERS, undefined, { 'x-api-key': DEMO_PARTNER_KEY });
    expect(response.status).toBe(200);
    const [request] = await subgraphs.orders.requests();
    expect(request?.headers).toMatchObject({
      'x-portico-auth': 'apiKey',
      'x-portico-subject': 'acme-demo',
      'x-portico-tenant': 't1',
      'x-portico-plan': 'pro',
      'x-portico-scopes': 'orders:read products:read',
    });
    expect(request?.headers['x-api-key']).toBeUndefined();
  });

  it('refuses an unknown key with 401 and an ApiKey challenge', async () => {
    const response = await gql(portico.bff('partner').url, ORDERS, undefined, { 'x-api-key': 'pk_demo_acme_guessed' });
    expect(response.status).toBe(401);
    expect(response.body.errors?.[0]?.extensions).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'invalid_api_key' });
    expect(response.headers.get('www-authenticate')).toBe(
      'Bearer realm="partner", ApiKey realm="partner", header="x-api-key", error="invalid_token", error_description="The API key is not valid"',
    );
    expect(await totalRequests()).toBe(0);
  });

  it('refuses API keys on the web BFF, which does not accept them', async () => {
    const response = await gql(portico.bff('web').url, '{ user(id: "u1") { name } }', undefined, { 'x-api-key': DEMO_PARTNER_KEY });
    expect(response.status).toBe(401);
    expect(response.body.errors?.[0]?.extensions).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'api_keys_not_accepted' });
    expect(await totalRequests()).toBe(0);
  });

  it('refuses a request carrying both a token and an API key', async () => {
    const token = await idp.issue({ aud: 'portico-partner' });
    const response = await gql(portico.bff('partner').url, ORDERS, undefined, { 'x-api-key': DEMO_PARTNER_KEY, authorization: `Bearer ${token}` });
    expect(response.status).toBe(401);
    expect(response.body.errors?.[0]?.extensions).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'ambiguous_credentials' });
  });

  it('accepts a partner token from the IdP as well', async () => {
    // orders:read: reading orders needs it (schemas/orders.graphql, docs/authorization.md).
    const token = await idp.issue({ sub: 'partner-bot', aud: 'portico-partner', tenant: 't2', plan: 'enterprise', scopes: ['orders:read'] });
    const response = await gql(portico.bff('partner').url, ORDERS, undefined, { authorization: `Bearer ${token}` });
    expect(response.status).toBe(200);
    expect((await subgraphs.orders.requests())[0]?.headers).toMatchObject({ 'x-portico-subject': 'partner-bot', 'x-portico-tenant': 't2' });
  });
});

describe('where authentication runs', () => {
  const remaining = (header: string | null) => Number(/"global";r=(\d+)/.exec(header ?? '')?.[1]);

  it('refuses invalid credentials before the rate limiter, any cache or any subgraph sees the request', async () => {
    const web = ordered.bff('web').url;
    const valid = await idp.issue({ aud: 'portico-web', scopes: ['orders:read'] });
    const first = await gql(web, FOUR_SOURCES, undefined, { authorization: `Bearer ${valid}` });
    expect(first.status).toBe(200);
    const afterFirst = remaining(first.headers.get('ratelimit'));
    const cost = 1_000 - afterFirst;
    expect(cost).toBeGreaterThan(0);
    await Promise.all(Object.values(subgraphs).map((subgraph) => subgraph.reset()));

    const invalid: Record<string, string>[] = [
      { authorization: `Bearer ${await idp.issue({ aud: 'portico-partner' })}` },
      { authorization: `Bearer ${await idp.issue({ claims: { exp: 1 } })}` },
      { authorization: 'Bearer not.a.token' },
      { authorization: 'Basic YTpi' },
      { 'x-api-key': 'whatever' },
    ];
    for (const headers of invalid) {
      const response = await gql(web, FOUR_SOURCES, undefined, headers);
      expect(response.status).toBe(401);
      // Every answer of a rate-limited BFF shows the caller's buckets (docs/security.md); a
      // refused request's show them uncharged.
      expect(response.headers.get('ratelimit-policy')).toContain('"global"');
      expect(remaining(response.headers.get('ratelimit'))).toBeGreaterThanOrEqual(afterFirst);
    }
    expect(await totalRequests()).toBe(0);

    // The next valid request pays once more: the refused ones were never charged.
    const next = await gql(web, FOUR_SOURCES, undefined, { authorization: `Bearer ${valid}` });
    expect(next.status).toBe(200);
    expect(remaining(next.headers.get('ratelimit'))).toBe(afterFirst - cost);
    expect(await totalRequests()).toBeGreaterThanOrEqual(4);
  });
});
