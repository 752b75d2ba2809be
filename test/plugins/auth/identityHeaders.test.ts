import { describe, expect, it } from 'vitest';
import { ANONYMOUS, type Principal } from '../../../src/context/principal.js';
import { createIdentityHeaderWriter, encodeHeaderValue, verifyIdentityHeaders } from '../../../src/plugins/auth/identityHeaders.js';

const SECRET = 'a'.repeat(32);
const NOW = Date.UTC(2030, 0, 1);
const principal: Principal = Object.freeze({ kind: 'jwt', subject: 'u1', tenant: 't1', plan: 'pro', scopes: ['orders:read', 'products:read'], roles: ['buyer'] });

function write(who: Principal, { secret }: { secret?: string } = { secret: SECRET }) {
  const headers: Record<string, string> = {};
  createIdentityHeaderWriter({ secret, now: () => NOW }).write(who, headers);
  return headers;
}

describe('identity headers', () => {
  it('names the principal in x-portico-* headers, signed with the deployment secret', () => {
    const headers = write(principal);
    expect(headers).toEqual({
      'x-portico-auth': 'jwt',
      'x-portico-subject': 'u1',
      'x-portico-tenant': 't1',
      'x-portico-plan': 'pro',
      'x-portico-scopes': 'orders:read products:read',
      'x-portico-roles': 'buyer',
      'x-portico-identity-ts': String(NOW / 1000),
      'x-portico-identity-signature': expect.stringMatching(/^v1=/),
    });
    expect(verifyIdentityHeaders(headers, [SECRET], { now: () => NOW })).toEqual({
      ok: true,
      identity: { auth: 'jwt', subject: 'u1', tenant: 't1', plan: 'pro', scopes: ['orders:read', 'products:read'], roles: ['buyer'], signedAt: NOW / 1000 },
    });
  });

  it('detects any changed, added or removed identity header', () => {
    const headers = write(principal);
    for (const tampered of [
      { ...headers, 'x-portico-subject': 'u2' },
      { ...headers, 'x-portico-scopes': 'orders:read products:read admin' },
      { ...headers, 'x-portico-identity-ts': String(NOW / 1000 + 1) },
      { ...headers, 'x-portico-auth': 'apiKey' },
      Object.fromEntries(Object.entries(headers).filter(([name]) => name !== 'x-portico-tenant')),
    ]) {
      expect(verifyIdentityHeaders(tampered, [SECRET], { now: () => NOW })).toEqual({ ok: false, reason: 'bad_signature' });
    }
    expect(verifyIdentityHeaders(headers, ['b'.repeat(32)], { now: () => NOW })).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('refuses headers older than maxAgeSeconds, and accepts the previous secret during a rotation', () => {
    const headers = write(principal);
    expect(verifyIdentityHeaders(headers, [SECRET], { now: () => NOW + 301_000 })).toEqual({ ok: false, reason: 'stale' });
    expect(verifyIdentityHeaders(headers, ['n'.repeat(32), SECRET], { now: () => NOW })).toMatchObject({ ok: true });
  });

  it('percent-encodes values that are not plain printable ASCII, so no claim can break a header', () => {
    expect(encodeHeaderValue('u1')).toBe('u1');
    expect(encodeHeaderValue('Zoë\r\nx-admin: 1')).toBe('Zo%C3%AB%0D%0Ax-admin%3A%201');
    expect(encodeHeaderValue('100%')).toBe('100%25');
    const headers = write({ ...principal, subject: 'Zoë\r\nx', tenant: ' t1' });
    expect(headers['x-portico-subject']).toBe('Zo%C3%AB%0D%0Ax');
    expect(verifyIdentityHeaders(headers, [SECRET], { now: () => NOW })).toMatchObject({ ok: true, identity: { subject: 'Zoë\r\nx', tenant: ' t1' } });
  });

  it('marks anonymous callers and sends no signature without a secret', () => {
    expect(write(ANONYMOUS, {})).toEqual({ 'x-portico-auth': 'anonymous' });
    expect(verifyIdentityHeaders(write(ANONYMOUS, {}), [SECRET])).toEqual({ ok: false, reason: 'missing' });
  });
});
