import { z } from 'zod';

// Partner mTLS: which client certificates are partners, and what a partner must present
// (`auth.clientCertificates`, `auth.partnerCredentials` in a BFF config). The certificates are
// verified by the TLS listener against `tls.clientCaFile` (src/server/createListener.ts); the
// auth plugin maps a verified one to its partner (src/plugins/auth/clientCertificates.ts).
// docs/security.md, "Partner mTLS".

const nonEmpty = z.string().min(1);

/** `AB:CD:…` (what `openssl x509 -fingerprint -sha256` and node print) or 64 hex digits, either case. */
const FINGERPRINT = /^(?:[0-9A-Fa-f]{2}:){31}[0-9A-Fa-f]{2}$|^[0-9A-Fa-f]{64}$/;

/** A subjectAltName entry as node prints it; `IP:` is accepted for `IP Address:` (openssl's spelling). */
const SAN = /^(?:DNS|URI|email|IP Address|IP):\S.*$/;

/** The canonical form node reports (`getPeerX509Certificate().fingerprint256`): upper case, colons. */
export function normalizeFingerprint(value: string): string {
  const hex = value.replace(/:/g, '').toUpperCase();
  return hex.match(/../g)!.join(':');
}

export const certificatePartnerSchema = z
  .strictObject({
    /** Names the partner in logs and as the principal's subject. */
    id: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/),
    /**
     * Subject attributes the certificate must carry, each with exactly this value; attributes not
     * listed are not looked at. @example { CN: 'acme-gateway', O: 'Acme Corp' }
     */
    subject: z
      .record(z.string().regex(/^[A-Za-z][A-Za-z0-9.]*$/, { error: 'expected an attribute name such as CN, O or OU' }), nonEmpty)
      .refine((attributes) => Object.keys(attributes).length > 0, { error: 'name at least one attribute' })
      .optional(),
    /**
     * A subjectAltName entry the certificate must list, as node and openssl print it.
     * @example 'URI:spiffe://acme.example/gateway'
     * @example 'DNS:gateway.acme.example'
     */
    san: z
      .string()
      .regex(SAN, { error: 'expected "DNS:…", "URI:…", "email:…" or "IP Address:…"' })
      .transform((value) => value.replace(/^IP:/, 'IP Address:'))
      .optional(),
    /**
     * SHA-256 fingerprint of the certificate itself (pinning): only this certificate matches, not
     * a reissued one with the same subject. `openssl x509 -in partner.crt -noout -fingerprint -sha256`.
     */
    fingerprint256: z.string().regex(FINGERPRINT, { error: 'expected a SHA-256 fingerprint (AB:CD:… or 64 hex digits)' }).transform(normalizeFingerprint).optional(),
    tenant: nonEmpty,
    plan: nonEmpty,
    scopes: z.array(nonEmpty).default([]),
    roles: z.array(nonEmpty).default([]),
  })
  .refine((partner) => partner.subject !== undefined || partner.san !== undefined || partner.fingerprint256 !== undefined, {
    // An entry matching every certificate the CA ever issued would make the CA the allow-list.
    error: 'give "subject", "san" or "fingerprint256" (all that are given must match)',
  });

export const clientCertificatesSchema = z
  .strictObject({
    /**
     * The allow-list: a verified certificate is the first partner whose every given criterion it
     * meets; a certificate the CA issued that matches none is refused (401
     * `client_certificate_not_allowed`).
     */
    partners: z.array(certificatePartnerSchema).min(1),
  })
  .refine((certificates) => new Set(certificates.partners.map((partner) => partner.id)).size === certificates.partners.length, {
    error: 'two partners have the same id',
    path: ['partners'],
  });

/**
 * What a partner presents. 'apiKey': an API key (no certificates). 'certificate': an allow-listed
 * client certificate, API keys refused. 'either': one of the two, not both (moving partners from
 * keys to certificates). 'both': a certificate and an API key of the same tenant (the key alone,
 * copied off a partner's server, is not enough; neither is the certificate alone).
 */
export const PARTNER_CREDENTIALS = ['apiKey', 'certificate', 'either', 'both'] as const;
export type PartnerCredentials = (typeof PARTNER_CREDENTIALS)[number];

export const partnerCredentialsSchema = z.enum(PARTNER_CREDENTIALS).default('apiKey');

/** The cross-key rules of the auth section, added to its schema (src/config/authSchema.ts). */
export function checkPartnerCredentials(
  auth: { partnerCredentials: PartnerCredentials; clientCertificates?: unknown; apiKeys: { enabled: boolean } },
  context: z.RefinementCtx,
): void {
  const mode = auth.partnerCredentials;
  const issue = (path: string, message: string) => context.addIssue({ code: 'custom', path: [path], message });
  if (mode === 'apiKey') {
    if (auth.clientCertificates !== undefined) issue('partnerCredentials', 'is "apiKey", so "clientCertificates" would never be used: set "certificate", "either" or "both"');
    return;
  }
  if (auth.clientCertificates === undefined) issue('clientCertificates', `"partnerCredentials: ${mode}" needs the partners' certificates listed here`);
  if (mode === 'certificate' && auth.apiKeys.enabled) issue('partnerCredentials', 'is "certificate", which refuses API keys, but "apiKeys.enabled" is true: use "either" or "both"');
  if ((mode === 'either' || mode === 'both') && !auth.apiKeys.enabled) issue('apiKeys.enabled', `"partnerCredentials: ${mode}" needs API keys enabled`);
}

export type ClientCertificatesConfig = z.output<typeof clientCertificatesSchema>;
export type CertificatePartnerConfig = z.output<typeof certificatePartnerSchema>;
