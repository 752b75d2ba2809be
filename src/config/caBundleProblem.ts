import { X509Certificate } from 'node:crypto';

/**
 * What is wrong with a PEM CA bundle, or undefined when every certificate in it parses. OpenSSL
 * silently skips what it cannot parse in a CA list, so a bad bundle would otherwise surface as
 * every peer being refused, long after start-up.
 */
export function caBundleProblem(pem: string): string | undefined {
  const certificates = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (certificates.length === 0) return 'holds no PEM certificate';
  for (const certificate of certificates) {
    try {
      new X509Certificate(certificate);
    } catch (error) {
      return `holds a certificate that does not parse: ${(error as Error).message}`;
    }
  }
  return undefined;
}
