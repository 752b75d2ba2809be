/**
 * Who is calling, as verified by the auth stage (a JWT, a partner API key or client certificate). Everything after
 * authentication (rate limiting, authorization, cache scoping, identity headers to subgraphs)
 * reads this and nothing the client sent directly.
 */
export interface Principal {
  /** How the caller proved who it is: a token, a partner API key, a partner client certificate (mTLS), nothing. */
  kind: 'jwt' | 'apiKey' | 'certificate' | 'anonymous';
  /** `sub` claim, the API key's id, or the certificate partner's id. Empty for anonymous callers. */
  subject: string;
  tenant?: string;
  /** Tenant plan picking the rate-limit tier, e.g. "free", "pro". */
  plan?: string;
  scopes: readonly string[];
  roles: readonly string[];
  /** Token id, checked against the revocation list. */
  jti?: string;
  /** Seconds since epoch when the credential stops being valid. */
  expiresAt?: number;
  /**
   * The verified token's payload (JWTs only): a source's `claims` allow-list picks from it what
   * that source receives, signed (docs/identity.md). Never logged, never sent whole.
   */
  claims?: Readonly<Record<string, unknown>>;
}

export const ANONYMOUS: Principal = Object.freeze({ kind: 'anonymous', subject: '', scopes: [], roles: [] });
