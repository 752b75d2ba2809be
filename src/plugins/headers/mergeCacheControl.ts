/**
 * `Cache-Control` of one response, reduced to what the strictest-wins merge reads. Directives it
 * does not know (`no-transform`, extensions) are dropped from the merged header: a directive one
 * source sent cannot be claimed for the answers of the others.
 */
export interface CachePolicy {
  noStore: boolean;
  noCache: boolean;
  private: boolean;
  public: boolean;
  /** Seconds; undefined when the response gave no freshness of its own. */
  maxAge?: number;
  sMaxAge?: number;
  mustRevalidate: boolean;
  staleWhileRevalidate?: number;
  staleIfError?: number;
}

export const NO_STORE: Readonly<CachePolicy> = Object.freeze({ noStore: true, noCache: false, private: false, public: false, mustRevalidate: false });

/** Parses a `Cache-Control` value (RFC 9111 §5.2; names case-insensitive, quoted values allowed). */
export function parseCacheControl(value: string): CachePolicy {
  const policy: CachePolicy = { noStore: false, noCache: false, private: false, public: false, mustRevalidate: false };
  for (const part of value.split(',')) {
    const [rawName, ...rest] = part.split('=');
    const name = rawName!.trim().toLowerCase();
    const argument = rest.join('=').trim().replace(/^"(.*)"$/, '$1');
    const seconds = /^\d+$/.test(argument) ? Math.min(Number(argument), 2 ** 31) : undefined;
    switch (name) {
      case 'no-store':
        policy.noStore = true;
        break;
      case 'no-cache':
        // `no-cache="set-cookie"` only restricts one header; strictest reading: the whole answer.
        policy.noCache = true;
        break;
      case 'private':
        policy.private = true;
        break;
      case 'public':
        policy.public = true;
        break;
      case 'max-age':
        // A malformed max-age is stale (RFC 9111 §4.2.1): 0, never "no limit".
        policy.maxAge = seconds ?? 0;
        break;
      case 's-maxage':
        policy.sMaxAge = seconds ?? 0;
        break;
      case 'must-revalidate':
      case 'proxy-revalidate':
        policy.mustRevalidate = true;
        break;
      case 'stale-while-revalidate':
        if (seconds !== undefined) policy.staleWhileRevalidate = seconds;
        break;
      case 'stale-if-error':
        if (seconds !== undefined) policy.staleIfError = seconds;
        break;
    }
  }
  return policy;
}

/**
 * Strictest wins, so the merged response is never kept longer or wider than any of its parts
 * allows (docs/headers.md works an example through):
 *
 * 1. any `no-store` → `no-store`, nothing else;
 * 2. `private` if any part is private, `public` only if every part is public (else neither);
 * 3. `no-cache` if any part is;
 * 4. `max-age` the smallest; a part without one gave no freshness, so the result is `max-age=0`;
 * 5. `s-maxage` (shared caches) the smallest of each part's `s-maxage` or else `max-age`, sent only
 *    when some part sent one and the result is not private;
 * 6. `must-revalidate` if any part has it; `stale-while-revalidate` / `stale-if-error` the
 *    smallest, only when every part allows it.
 *
 * An empty list has nothing to say: undefined.
 */
export function mergeCacheControl(parts: readonly CachePolicy[]): string | undefined {
  if (parts.length === 0) return undefined;
  if (parts.some((part) => part.noStore)) return 'no-store';
  const directives: string[] = [];
  const isPrivate = parts.some((part) => part.private);
  if (parts.some((part) => part.noCache)) directives.push('no-cache');
  if (isPrivate) directives.push('private');
  else if (parts.every((part) => part.public)) directives.push('public');
  const maxAge = Math.min(...parts.map((part) => part.maxAge ?? 0));
  directives.push(`max-age=${maxAge}`);
  if (!isPrivate && parts.some((part) => part.sMaxAge !== undefined)) {
    directives.push(`s-maxage=${Math.min(...parts.map((part) => part.sMaxAge ?? part.maxAge ?? 0))}`);
  }
  if (parts.some((part) => part.mustRevalidate)) directives.push('must-revalidate');
  const smallestIfAll = (pick: (part: CachePolicy) => number | undefined) =>
    parts.every((part) => pick(part) !== undefined) ? Math.min(...parts.map((part) => pick(part)!)) : undefined;
  const swr = smallestIfAll((part) => part.staleWhileRevalidate);
  if (swr !== undefined) directives.push(`stale-while-revalidate=${swr}`);
  const sie = smallestIfAll((part) => part.staleIfError);
  if (sie !== undefined) directives.push(`stale-if-error=${sie}`);
  return directives.join(', ');
}

/** `public` becomes `private` (and any `s-maxage` goes): the answer was personalised for a caller. */
export function restrictToPrivate(value: string): string {
  const policy = parseCacheControl(value);
  if (policy.noStore || policy.private) return value;
  return mergeCacheControl([policy, { ...policy, public: false, private: true, sMaxAge: undefined } as CachePolicy])!;
}
