import { describe, expect, it } from 'vitest';
import type { JsonWebKey } from 'node:crypto';
import { IDENTITY_HEADERS, IDENTITY_JWKS_PATH, verifyIdentityHeaders } from '../../../src/plugins/auth/identityHeaders.js';
import { gql } from '../../support/portico.js';
import { IDENTITY_SECRET } from './bffHeaders.js';
import { useHeadersScenario } from './scenario.js';

// Filtered JWT claims (docs/identity.md): the users source lists `email`, `org.id` and `missing`
// (./sources.ts); the others list none. Observed at the real subgraphs, checked the way a source
// checks them: with the shared secret, or with the key each BFF publishes.

const scenario = useHeadersScenario();
const FOUR_SOURCES = '{ user(id: "u1") { name orders(first: 1) { items { product { name stock { available } } } } } }';
const decode = (value: unknown) => JSON.parse(Buffer.from(String(value), 'base64url').toString('utf8')) as unknown;

describe.each(['web', 'stitch'])('claims to sources on the %s BFF', (bff) => {
  it('sends a source only the claims it lists, signed with the identity headers; other sources get none', async () => {
    const token = await scenario.token('u1', { email: 'ada@example.com', org: { id: 'o-7', secretPlan: 'gold' }, ssn: '123-45-6789' });
    const response = await gql(scenario.portico.bff(bff).url, FOUR_SOURCES, undefined, { authorization: `Bearer ${token}` });
    expect(response.body.errors).toBeUndefined();
    const { users, orders, products, inventory } = await scenario.received();
    expect(users.length).toBeGreaterThan(0);

    for (const request of users) {
      // Listed and present: sent; `missing` is listed but not in the token; `ssn` is not listed.
      expect(decode(request.headers[IDENTITY_HEADERS.claims])).toEqual({ email: 'ada@example.com', 'org.id': 'o-7' });
      expect(request.headers[IDENTITY_HEADERS.signature]).toMatch(/^v2=/);
      const check = verifyIdentityHeaders(request.headers, [IDENTITY_SECRET]);
      expect(check).toEqual({
        ok: true,
        identity: expect.objectContaining({ auth: 'jwt', subject: 'u1', claims: { email: 'ada@example.com', 'org.id': 'o-7' } }),
      });
    }
    for (const request of [...orders, ...products, ...inventory]) {
      expect(request.headers[IDENTITY_HEADERS.claims]).toBeUndefined();
      expect(request.headers[IDENTITY_HEADERS.signature]).toMatch(/^v1=/);
      expect(verifyIdentityHeaders(request.headers, [IDENTITY_SECRET])).toMatchObject({ ok: true, identity: { subject: 'u1' } });
      expect(JSON.stringify(request.headers)).not.toContain('ada@example.com');
    }
  });

  it('lets a source detect claims that were changed or dropped, or signed with another secret', async () => {
    const token = await scenario.token('u1', { email: 'ada@example.com', org: { id: 'o-7' } });
    await gql(scenario.portico.bff(bff).url, '{ user(id: "u1") { name } }', undefined, { authorization: `Bearer ${token}` });
    const [request] = (await scenario.received()).users;
    const headers = { ...request!.headers };
    expect(verifyIdentityHeaders(headers, [IDENTITY_SECRET]).ok).toBe(true);

    const forged = Buffer.from(JSON.stringify({ email: 'admin@example.com', 'org.id': 'o-7' })).toString('base64url');
    expect(verifyIdentityHeaders({ ...headers, [IDENTITY_HEADERS.claims]: forged }, [IDENTITY_SECRET])).toEqual({ ok: false, reason: 'bad_signature' });
    const { [IDENTITY_HEADERS.claims]: _dropped, ...withoutClaims } = headers;
    expect(verifyIdentityHeaders(withoutClaims, [IDENTITY_SECRET])).toEqual({ ok: false, reason: 'bad_signature' });
    expect(verifyIdentityHeaders(headers, ['another-secret-0123456789abcdef0123456789'])).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('lets a source verify identity and claims with the published key alone, no shared secret', async () => {
    const jwksUrl = new URL(IDENTITY_JWKS_PATH, scenario.portico.bff(bff).url);
    const published = await fetch(jwksUrl);
    expect(published.status).toBe(200);
    const { keys } = (await published.json()) as { keys: JsonWebKey[] };
    expect(keys).toEqual([expect.objectContaining({ kid: 'identity-test-1', kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA' })]);
    expect(keys[0]).not.toHaveProperty('d');

    const token = await scenario.token('u1', { email: 'ada@example.com' });
    await gql(scenario.portico.bff(bff).url, FOUR_SOURCES, undefined, { authorization: `Bearer ${token}` });
    const { users, products } = await scenario.received();
    const [withClaims] = users;
    const [withoutClaims] = products;
    expect(verifyIdentityHeaders(withClaims!.headers, [], { publicKeys: keys })).toMatchObject({ ok: true, identity: { subject: 'u1', claims: { email: 'ada@example.com' } } });
    expect(verifyIdentityHeaders(withoutClaims!.headers, [], { publicKeys: keys })).toMatchObject({ ok: true, identity: { subject: 'u1' } });
    const forged = Buffer.from(JSON.stringify({ email: 'admin@example.com' })).toString('base64url');
    expect(verifyIdentityHeaders({ ...withClaims!.headers, [IDENTITY_HEADERS.claims]: forged }, [], { publicKeys: keys })).toEqual({ ok: false, reason: 'bad_signature' });
    expect(verifyIdentityHeaders({ ...withoutClaims!.headers, [IDENTITY_HEADERS.subject]: 'admin' }, [], { publicKeys: keys })).toEqual({ ok: false, reason: 'bad_signature' });
    const otherKey = { ...keys[0]!, x: Buffer.alloc(32, 7).toString('base64url') };
    expect(verifyIdentityHeaders(withClaims!.headers, [], { publicKeys: [otherKey] })).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('sends an anonymous caller an empty claim set, still signed', async () => {
    await gql(scenario.portico.bff(bff).url, '{ user(id: "u1") { name } }');
    const [request] = (await scenario.received()).users;
    expect(decode(request!.headers[IDENTITY_HEADERS.claims])).toEqual({});
    expect(verifyIdentityHeaders(request!.headers, [IDENTITY_SECRET])).toMatchObject({ ok: true, identity: { auth: 'anonymous', claims: {} } });
  });
});
