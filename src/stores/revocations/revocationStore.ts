/**
 * The JWT revocation list: token ids (`jti`) that must be refused although their signature and
 * claims are valid. Checked on every authenticated request, verified-token cache hits included,
 * so a revocation takes effect on the next request, not when a cached verification expires.
 *
 * `isRevoked` may answer synchronously (the memory store does), so the hot path allocates no
 * promise when it does not have to. A store that cannot answer rejects or throws; the caller
 * decides whether that denies the request (the default) or lets it through.
 */
export interface RevocationStore {
  isRevoked(jti: string): boolean | Promise<boolean>;
  /**
   * Adds `jti` to the list until `expiresAt` (epoch seconds, the token's `exp`): after that the
   * token is refused as expired anyway, so the entry can go.
   */
  revoke(jti: string, expiresAt: number): Promise<void>;
  /**
   * Calls `listener` with every `jti` revoked from now on through `revoke`, on any instance that
   * shares this store (the Redis store publishes each revocation on a channel), so what outlives
   * a request (a subscription) can end at once. Resolves once listening; the result stops it.
   */
  onRevoked(listener: (jti: string) => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}
