/**
 * The client certificate of a request's TLS connection, as the listener verified it against the
 * BFF's `tls.clientCaFile` (src/server/peerCertificate.ts). Taken from the TLS session only, never
 * from a header: a client-sent `x-client-cert` or the like is never read.
 */
export type ClientCertificate = VerifiedClientCertificate | UnverifiedClientCertificate;

export interface VerifiedClientCertificate {
  verified: true;
  /** Subject attributes (`CN`, `O`, `OU`, …), each with every value it has in the certificate. */
  subject: Readonly<Record<string, readonly string[]>>;
  /** subjectAltName entries as node prints them: `DNS:…`, `URI:…`, `email:…`, `IP Address:…`. */
  subjectAltNames: readonly string[];
  /** SHA-256 of the certificate, `AB:CD:…` upper case. */
  fingerprint256: string;
  /** Epoch ms after which the certificate is no longer valid (checked again per request: a connection outlives its handshake). */
  validTo: number;
}

export interface UnverifiedClientCertificate {
  verified: false;
  /** OpenSSL's verification error, e.g. `CERT_HAS_EXPIRED`, `UNABLE_TO_VERIFY_LEAF_SIGNATURE`. */
  error: string;
}
