/** A URL as undici's dispatch takes it: the origin, and the path with its query. */
export interface UrlTarget {
  origin: string;
  path: string;
}

/**
 * Parses each URL once: sources call a handful of URLs over and over, and `new URL` per call is
 * measurable. At most `limit` are kept, so a source that builds URLs from data (REST paths with
 * ids) cannot grow the map without bound; past it, URLs are parsed per call.
 */
export function createUrlTargets(limit: number): (href: string) => UrlTarget {
  const targets = new Map<string, UrlTarget>();
  return (href) => {
    let target = targets.get(href);
    if (!target) {
      const url = new URL(href);
      target = { origin: url.origin, path: url.pathname + url.search };
      if (targets.size < limit) targets.set(href, target);
    }
    return target;
  };
}
