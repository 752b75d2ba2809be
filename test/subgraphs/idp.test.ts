import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DEMO_ISSUER, startIdp, type Idp } from '../support/tokens.js';

let idp: Idp;
beforeAll(async () => {
  idp = await startIdp();
});
afterAll(() => idp?.stop());
beforeEach(() => idp.process.reset());

describe('the demo identity provider', () => {
  it('publishes one RS256 and one ES256 key with deterministic kids', async () => {
    const keys = await idp.jwks();
    expect(keys.map((key) => [key.kid, key.alg, key.kty, key.use])).toEqual([
      ['rs256-1', 'RS256', 'RSA', 'sig'],
      ['es256-1', 'ES256', 'EC', 'sig'],
    ]);
    // Public halves only.
    expect(keys.every((key) => key.d === undefined)).toBe(true);
  });

  it('issues tokens that verify against its JWKS, with the demo claims', async () => {
    const token = await idp.issue({ sub: 'u7', scopes: ['orders:read', 'products:read'], tenant: 't2', plan: 'pro', roles: ['buyer'], alg: 'ES256' });
    const { payload, protectedHeader } = await jwtVerify(token, createLocalJWKSet({ keys: await idp.jwks() }), {
      issuer: DEMO_ISSUER,
      audience: 'portico-partner',
    });
    expect(protectedHeader).toMatchObject({ alg: 'ES256', kid: 'es256-1', typ: 'JWT' });
    expect(payload).toMatchObject({ sub: 'u7', scope: 'orders:read products:read', tenant: 't2', plan: 'pro', roles: ['buyer'] });
    expect(payload.aud).toEqual(['portico-web', 'portico-mobile', 'portico-partner']);
    expect(payload.exp! - payload.iat!).toBe(3600);
    expect(typeof payload.jti).toBe('string');
  });

  it('lets a test override claims and header parameters, but not the algorithm', async () => {
    const token = await idp.issue({ claims: { exp: 1, iss: 'someone-else' }, header: { jku: 'http://evil.invalid/jwks' } });
    expect(decodeProtectedHeader(token)).toMatchObject({ alg: 'RS256', jku: 'http://evil.invalid/jwks' });
    const response = await fetch(`${idp.url}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ sub: 'u1', header: { alg: 'none' } }),
    });
    expect(response.status).toBe(400);
  });

  it('rotates keys, keeping the previous generation published unless told to drop it', async () => {
    expect(await idp.rotate()).toEqual(['rs256-2', 'es256-2', 'rs256-1', 'es256-1']);
    expect(decodeProtectedHeader(await idp.issue()).kid).toBe('rs256-2');
    expect(await idp.rotate({ keepPrevious: false })).toEqual(['rs256-3', 'es256-3']);
    await idp.process.reset();
    expect((await idp.jwks()).map((key) => key.kid)).toEqual(['rs256-1', 'es256-1']);
  });

  it('counts JWKS fetches, faulted ones included', async () => {
    await idp.jwks();
    await idp.process.setFaults({ down: true });
    await expect(idp.jwks()).rejects.toThrow();
    expect(await idp.jwksFetches()).toBe(2);
  });
});
