/** An upstream answer kept for the fallback cache. */
export interface CachedResponse {
  status: number;
  body: string;
  /** The upstream's `content-type`, the only header the sources read. */
  contentType?: string;
  /** Epoch ms when it was stored: its age is reported to the client when it is served. */
  storedAt: number;
}

/**
 * Where the fallback cache keeps responses: process memory by default (one bounded LRU per
 * source), or Redis so a fleet of gateways shares what any of them last saw. Lookups happen
 * only when an upstream call has failed, writes after each successful read; neither may make a
 * request fail, so implementations swallow their own errors (a broken store is a cache miss).
 */
export interface FallbackStore {
  get(key: string): Promise<CachedResponse | undefined>;
  /** Stores `value` for at least `ttlMs` (the caller also checks age on read). Never rejects. */
  set(key: string, value: CachedResponse, ttlMs: number): Promise<void>;
  close(): Promise<void>;
}
