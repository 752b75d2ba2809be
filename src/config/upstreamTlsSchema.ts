import { z } from 'zod';

// TLS to one source (`tls` on a source in the sources registry): a private CA, a client
// certificate (mTLS to the source) and HTTP/2. The files are read when the config is loaded
// (src/config/loadUpstreamTls.ts), the source's connection pool is built from them
// (src/transport/sourceAgents.ts). docs/security.md, "Upstream TLS".

export const upstreamTlsSchema = z
  .strictObject({
    /**
     * PEM bundle of the CA(s) the source's certificate must chain to, relative to the sources
     * file. It replaces the public roots for this source (a private PKI's server certificates are
     * not in them, and a public CA has no business vouching for an internal host).
     * @default none: node's bundled public roots
     */
    caFile: z.string().min(1).optional(),
    /** PEM client certificate (chain) presented to the source (mTLS), relative to the sources file. Needs `keyFile`. */
    certFile: z.string().min(1).optional(),
    /** PEM private key of `certFile`, unencrypted, relative to the sources file. */
    keyFile: z.string().min(1).optional(),
    /**
     * Offer HTTP/2 by ALPN (undici `allowH2`); a source that answers with HTTP/1.1 keeps it. Over
     * `https` URLs only: a plain `http` URL stays HTTP/1.1 (no h2c to sources).
     * @default false: one HTTP/2 connection multiplexes every call to the source, which changes
     * how load spreads over its instances behind a layer-4 balancer; opt in per source.
     */
    http2: z.boolean().default(false),
  })
  .refine((tls) => (tls.certFile === undefined) === (tls.keyFile === undefined), {
    error: 'give "certFile" and "keyFile" together (a client certificate needs its key)',
    path: ['certFile'],
  });

export type UpstreamTlsConfig = z.output<typeof upstreamTlsSchema>;

/** What a source's pool is built with: the files' contents (PEM text), read once per config load. */
export interface UpstreamTlsMaterial {
  ca?: string;
  cert?: string;
  key?: string;
  http2: boolean;
}
