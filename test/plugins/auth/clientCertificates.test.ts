import { describe, expect, it } from 'vitest';
import { certificatePartnerSchema } from '../../../src/config/clientCertificatesSchema.js';
import type { ClientCertificate, VerifiedClientCertificate } from '../../../src/context/clientCertificate.js';
import { AuthFailure } from '../../../src/plugins/auth/authFailure.js';
import { createCertificateLookup } from '../../../src/plugins/auth/clientCertificates.js';

const FP = Array(32).fill('0A').join(':');
const NOW = Date.parse('2026-12-06T12:00:00Z');

function certificate(overrides: Partial<VerifiedClientCertificate> = {}): VerifiedClientCertificate {
  return {
    verified: true,
    subject: { CN: ['acme-gateway'], O: ['Acme Corp'], OU: ['batch', 'eu'] },
    subjectAltNames: ['URI:spiffe://acme.example/gateway', 'DNS:gw.acme.example'],
    fingerprint256: FP,
    validTo: NOW + 60_000,
    ...overrides,
  };
}

const partners = [
  { id: 'pinned', fingerprint256: 'ff'.repeat(32), tenant: 't0', plan: 'pro' },
  { id: 'acme-eu', subject: { CN: 'acme-gateway', OU: 'eu' }, san: 'DNS:gw.acme.example', tenant: 't1', plan: 'pro', scopes: ['orders:read'] },
  { id: 'acme-any', subject: { O: 'Acme Corp' }, tenant: 't1', plan: 'free' },
].map((partner) => certificatePartnerSchema.parse(partner));

function reasonFor(lookup: (certificate: ClientCertificate) => unknown, presented: ClientCertificate): string {
  try {
    lookup(presented);
    return 'accepted';
  } catch (error) {
    return error instanceof AuthFailure ? error.reason : String(error);
  }
}

describe('client certificate → partner', () => {
  const lookup = createCertificateLookup(partners, { now: () => NOW });

  it('is the first partner whose every given criterion the certificate meets, with that partner\'s principal', () => {
    expect(lookup(certificate())).toEqual({ kind: 'certificate', subject: 'acme-eu', tenant: 't1', plan: 'pro', scopes: ['orders:read'], roles: [] });
    // One criterion missing (the SAN) moves it to the next entry that fits.
    expect(lookup(certificate({ subjectAltNames: [] })).subject).toBe('acme-any');
    // A multi-valued attribute matches on any of its values.
    expect(lookup(certificate({ subject: { CN: ['acme-gateway'], OU: ['eu'] } })).subject).toBe('acme-eu');
    expect(lookup(certificate({ fingerprint256: 'FF:'.repeat(31) + 'FF' })).subject).toBe('pinned');
  });

  it('returns one principal object per partner, shared by its requests', () => {
    expect(lookup(certificate())).toBe(lookup(certificate()));
  });

  it('refuses a certificate on no list', () => {
    expect(reasonFor(lookup, certificate({ subject: { CN: ['acme-gateway'], O: ['Acme Inc'] }, subjectAltNames: [] }))).toBe('client_certificate_not_allowed');
  });

  it('refuses what the listener could not verify, telling expiry apart', () => {
    expect(reasonFor(lookup, { verified: false, error: 'CERT_HAS_EXPIRED' })).toBe('client_certificate_expired');
    expect(reasonFor(lookup, { verified: false, error: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' })).toBe('client_certificate_invalid');
    expect(reasonFor(lookup, { verified: false, error: 'SELF_SIGNED_CERT_IN_CHAIN' })).toBe('client_certificate_invalid');
  });

  it('refuses a certificate that expired after its connection was opened (checked per request)', () => {
    let now = NOW;
    const clocked = createCertificateLookup(partners, { now: () => now });
    const presented = certificate({ validTo: NOW + 1000 });
    expect(reasonFor(clocked, presented)).toBe('accepted');
    now = NOW + 1000;
    expect(reasonFor(clocked, presented)).toBe('client_certificate_expired');
  });
});
