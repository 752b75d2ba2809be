import { z } from 'zod';

// TLS and HTTP/2 at a BFF's edge (src/server/createListener.ts). docs/security.md has the table.

export const tlsSchema = z.strictObject({
  /** PEM certificate chain file, relative to the BFF's config file. Re-read when it changes. */
  certFile: z.string().min(1),
  /** PEM private key file, relative to the BFF's config file. Re-read when it changes. */
  keyFile: z.string().min(1),
  /**
   * Oldest protocol accepted.
   * @default 'TLSv1.2': TLS 1.0/1.1 are deprecated (RFC 8996); 1.2 still serves older Android.
   */
  minVersion: z.enum(['TLSv1.2', 'TLSv1.3']).default('TLSv1.2'),
  /**
   * Offer HTTP/2 by ALPN, with HTTP/1.1 on the same port for clients that do not speak it.
   * @default true: browsers and mobile stacks multiplex a page's queries on one connection.
   */
  http2: z.boolean().default(true),
  /**
   * Watch the two files and load a new certificate when they change: new connections get it,
   * open ones keep theirs (no connection is dropped).
   * @default true: certificates from ACME or cert-manager rotate every few weeks.
   */
  watch: z.boolean().default(true),
  /**
   * PEM bundle of the CA(s) that issue partner client certificates, relative to the BFF's config
   * file. When set, the listener asks every client for a certificate and verifies it against this
   * bundle, but does not require one: the handshake succeeds either way, so clients without a
   * certificate (browsers, JWT callers) use the same port, and the auth stage decides
   * (`auth.clientCertificates`, `auth.partnerCredentials`; docs/security.md "Partner mTLS").
   * Re-read with the certificate pair when it changes.
   * @default none: no certificate is requested
   */
  clientCaFile: z.string().min(1).optional(),
});

export const http2Schema = z
  .strictObject({
    /**
     * Serve HTTP/2 without TLS ("h2c", prior knowledge only) on a BFF without `tls`: for use
     * behind a load balancer that terminates TLS and speaks HTTP/2 to its targets. HTTP/1.1
     * clients cannot connect to such a listener.
     * @default false
     */
    cleartext: z.boolean().default(false),
    /**
     * Streams (requests) one connection may have open at once (SETTINGS_MAX_CONCURRENT_STREAMS).
     * @default 100: what RFC 9113 recommends as the least a server should allow; nginx's default.
     */
    maxConcurrentStreams: z.number().int().min(1).max(1000).default(100),
    /**
     * Streams a client may reset within `resetWindowMs` before its connection is sent GOAWAY
     * (ENHANCE_YOUR_CALM) and closed: the bound against "rapid reset" floods (CVE-2023-44487),
     * where opening and cancelling streams costs the client nothing and the server a request.
     * @default 200: a browser cancels a handful of requests when a user navigates away.
     */
    maxResetsPerWindow: z.number().int().min(1).default(200),
    /** @default 10_000 */
    resetWindowMs: z.number().int().positive().default(10_000),
  })
  .prefault({});

export type TlsConfig = z.infer<typeof tlsSchema>;
export type Http2Config = z.infer<typeof http2Schema>;
