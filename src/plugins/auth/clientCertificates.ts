import type { CertificatePartnerConfig } from '../../config/clientCertificatesSchema.js';
import type { ClientCertificate, VerifiedClientCertificate } from '../../context/clientCertificate.js';
import type { Principal } from '../../context/principal.js';
import { AuthFailure } from './authFailure.js';

export interface CertificateLookupOptions {
  /** Epoch milliseconds. @default Date.now */
  now?: () => number;
}

/** The partner a verified, allow-listed certificate belongs to; throws AuthFailure (401) otherwise. */
export type CertificateLookup = (certificate: ClientCertificate) => Principal;

/**
 * Partner client certificates → principals. The TLS listener has already checked the chain
 * against `tls.clientCaFile`; this decides which partner, if any, the certificate is:
 *
 * - not verified by the listener (another CA, self-signed, expired at the handshake): refused,
 *   `client_certificate_expired` or `client_certificate_invalid`;
 * - past its `notAfter` now: refused, `client_certificate_expired` (an HTTP/2 connection or a
 *   keep-alive socket can outlive the certificate it was opened with);
 * - the first partner whose every given criterion it meets (subject attributes, a SAN entry, the
 *   SHA-256 fingerprint), in config order; none: `client_certificate_not_allowed`.
 *
 * Principals are built once per partner, so every request of a partner shares one object (the
 * identity-header writer prepares its headers once per principal).
 */
export function createCertificateLookup(partners: readonly CertificatePartnerConfig[], options: CertificateLookupOptions = {}): CertificateLookup {
  const now = options.now ?? Date.now;
  const entries = partners.map((partner) => ({
    partner,
    principal: Object.freeze<Principal>({
      kind: 'certificate',
      subject: partner.id,
      tenant: partner.tenant,
      plan: partner.plan,
      scopes: Object.freeze([...partner.scopes]),
      roles: Object.freeze([...partner.roles]),
    }),
  }));
  // Matching is per connection in practice (the same certificate on every request of one), but
  // cheap enough not to cache: a handful of string comparisons per partner.
  return (certificate) => {
    if (!certificate.verified) {
      throw new AuthFailure(certificate.error === 'CERT_HAS_EXPIRED' ? 'client_certificate_expired' : 'client_certificate_invalid', 'certificate');
    }
    if (!(certificate.validTo > now())) throw new AuthFailure('client_certificate_expired', 'certificate');
    const found = entries.find(({ partner }) => matches(partner, certificate));
    if (found === undefined) throw new AuthFailure('client_certificate_not_allowed', 'certificate');
    return found.principal;
  };
}

/** Whether the certificate meets every criterion the partner entry gives. */
export function matches(partner: CertificatePartnerConfig, certificate: VerifiedClientCertificate): boolean {
  if (partner.fingerprint256 !== undefined && partner.fingerprint256 !== certificate.fingerprint256) return false;
  if (partner.san !== undefined && !certificate.subjectAltNames.includes(partner.san)) return false;
  if (partner.subject !== undefined) {
    for (const [attribute, value] of Object.entries(partner.subject)) {
      if (!certificate.subject[attribute]?.includes(value)) return false;
    }
  }
  return true;
}
