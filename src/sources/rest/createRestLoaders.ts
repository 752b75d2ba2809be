import DataLoader from 'dataloader';
import { porticoError } from '../../errors/index.js';
import type { HttpCall } from '../../transport/httpClient.js';
import { callSignalOf, scopeOf } from '../../context/requestScope.js';
import { limitConcurrency } from './limitConcurrency.js';

/** A GET that reached the upstream: the parsed body, or "no such resource" (404). */
export type RestResponse = { found: true; body: unknown } | { found: false };

export interface RestBatchEndpoint {
  /** Path without placeholders, e.g. `/products`. */
  path: string;
  /** Query parameter taking the comma-separated keys, e.g. `ids`. */
  param: string;
  /** JSON property of each item that must echo its key, e.g. `id`. */
  keyJsonName: string;
  /** Keys per call; bigger batches are split. */
  maxSize: number;
  /** Maps the whole body to the items before they are checked (a connector's `selection`). */
  select?: (body: unknown) => unknown;
  /** Match items to keys by `keyJsonName`, in any order and number, rather than by position. */
  matchByKey?: boolean;
}

/** A call other than a plain GET of the raw URL: a connector's POST, or a GET with its own headers. */
export interface RestRequestOptions {
  method?: 'GET' | 'POST';
  headers?: Readonly<Record<string, string>>;
  /** JSON-encoded and sent with `content-type: application/json`. */
  body?: unknown;
}

export interface RestLoaderOptions {
  source: string;
  baseUrl: string;
  http: HttpCall;
  maxConcurrency: number;
  /** Entity type name → its batch endpoint. */
  batches: ReadonlyMap<string, RestBatchEndpoint>;
  /** Literal headers on every call (a connector's `@source` headers); never over the identity headers. */
  headers?: Readonly<Record<string, string>>;
}

export interface RestLoaders {
  /** GET `pathAndQuery` (relative to the base URL) once per request, however often it is asked for. */
  get(pathAndQuery: string): Promise<RestResponse>;
  /**
   * A GET with headers of its own (once per request per URL and headers), or a POST (never
   * shared or retried: the transport treats it as a write).
   */
  request(pathAndQuery: string, options: RestRequestOptions): Promise<RestResponse>;
  /** Entities of `typeName` by key through the batch endpoint: the item, null if unknown, or an Error. */
  entities(typeName: string): DataLoader<unknown, unknown>;
}

/**
 * Returns `loadersFor(context)`: the DataLoaders of one request for this source. They live in a
 * WeakMap keyed by the GraphQL context object, which the stitched gateway passes unchanged to
 * local subschemas, so one request shares them and the next request starts empty (no cache
 * crosses requests, and nothing per request outlives the context).
 *
 * Every call of one request to this source, per-URL or batch, takes a slot of one concurrency
 * limit, so a list of 500 items costs the upstream at most `maxConcurrency` sockets at a time.
 */
export function createRestLoaders(options: RestLoaderOptions): (context: unknown) => RestLoaders {
  const { source, http, maxConcurrency, batches } = options;
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  const perContext = new WeakMap<object, RestLoaders>();

  function create(context: unknown): RestLoaders {
    const scope = scopeOf(context);
    const headers: Record<string, string> = { accept: 'application/json', ...options.headers, ...scope?.upstreamHeaders };
    if (scope) headers['x-request-id'] = scope.requestId;
    const limit = limitConcurrency(maxConcurrency);

    const call = (pathAndQuery: string, extra: RestRequestOptions = {}): Promise<RestResponse> =>
      limit(async () => {
        const method = extra.method ?? 'GET';
        // A connector's own headers win over the source's, never over the identity headers or the request id.
        const callHeaders =
          extra.headers || extra.body !== undefined
            ? {
                ...headers,
                ...extra.headers,
                ...scope?.upstreamHeaders,
                ...(scope ? { 'x-request-id': scope.requestId } : {}),
                ...(extra.body !== undefined ? { 'content-type': 'application/json' } : {}),
              }
            : headers;
        const response = await http({
          method,
          url: baseUrl + pathAndQuery,
          headers: callHeaders,
          signal: callSignalOf(scope),
          source,
          ...(extra.body !== undefined ? { body: JSON.stringify(extra.body) } : {}),
          ...(method === 'GET' ? { idempotent: true } : {}),
          scope,
        });
        if (response.status === 404) return { found: false };
        if (response.status < 200 || response.status >= 300) {
          throw porticoError('SUBGRAPH_ERROR', { details: { source, upstreamStatus: response.status } });
        }
        if (response.body.trim() === '') return { found: true, body: null };
        try {
          return { found: true, body: JSON.parse(response.body) as unknown };
        } catch {
          throw porticoError('SUBGRAPH_BAD_RESPONSE', { details: { source } });
        }
      });

    // No batch endpoint behind these, so no batching: each URL is called as soon as it is asked
    // for, and the cache is what folds identical URLs of one request into one call.
    const byUrl = new DataLoader<string, RestResponse>(async ([url]) => [await call(url as string)], { batch: false });
    const byUrlAndHeaders = new DataLoader<{ url: string; headers: Readonly<Record<string, string>> }, RestResponse, string>(
      async ([key]) => [await call(key!.url, { headers: key!.headers })],
      { batch: false, cacheKeyFn: (key) => JSON.stringify([key.url, key.headers]) },
    );

    const entityLoaders = new Map<string, DataLoader<unknown, unknown>>();
    function entities(typeName: string): DataLoader<unknown, unknown> {
      let loader = entityLoaders.get(typeName);
      if (loader) return loader;
      const endpoint = batches.get(typeName);
      if (!endpoint) throw new Error(`${source}: ${typeName} has no batch endpoint`);
      loader = new DataLoader<unknown, unknown, string>((keys) => loadBatch(endpoint, keys), {
        maxBatchSize: endpoint.maxSize,
        cacheKeyFn: String,
      });
      entityLoaders.set(typeName, loader);
      return loader;
    }

    async function loadBatch(endpoint: RestBatchEndpoint, keys: readonly unknown[]): Promise<unknown[]> {
      // Commas inside a key are encoded, so the upstream can split the list on literal commas.
      const list = keys.map((key) => encodeURIComponent(String(key))).join(',');
      const separator = endpoint.path.includes('?') ? '&' : '?';
      const response = await call(`${endpoint.path}${separator}${encodeURIComponent(endpoint.param)}=${list}`);
      if (!response.found) return keys.map(() => null);
      const items = endpoint.select ? endpoint.select(response.body) : response.body;
      if (endpoint.matchByKey) return matchItemsByKey(endpoint, keys, items);
      if (!Array.isArray(items) || items.length !== keys.length) {
        throw porticoError('SUBGRAPH_BAD_RESPONSE', { details: { source } });
      }
      return items.map((item: unknown, i) => {
        if (item === null) return null;
        // The contract is "in request order"; an item that does not echo its key would attach
        // one entity's data to another, so it is refused rather than trusted.
        const echoed = typeof item === 'object' ? (item as Record<string, unknown>)[endpoint.keyJsonName] : undefined;
        if (echoed === undefined || String(echoed) !== String(keys[i])) {
          return porticoError('SUBGRAPH_BAD_RESPONSE', { details: { source } });
        }
        return item;
      });
    }

    function matchItemsByKey(endpoint: RestBatchEndpoint, keys: readonly unknown[], items: unknown): unknown[] {
      if (!Array.isArray(items)) throw porticoError('SUBGRAPH_BAD_RESPONSE', { details: { source } });
      const byKey = new Map<string, unknown>();
      for (const item of items) {
        const key = typeof item === 'object' && item !== null ? (item as Record<string, unknown>)[endpoint.keyJsonName] : undefined;
        if (key !== undefined && key !== null) byKey.set(String(key), item);
      }
      return keys.map((key) => byKey.get(String(key)) ?? null);
    }

    return {
      get: (pathAndQuery) => byUrl.load(pathAndQuery),
      request: (pathAndQuery, extra) =>
        (extra.method ?? 'GET') === 'GET'
          ? extra.headers
            ? byUrlAndHeaders.load({ url: pathAndQuery, headers: extra.headers })
            : byUrl.load(pathAndQuery)
          : call(pathAndQuery, extra),
      entities,
    };
  }

  return function loadersFor(context: unknown): RestLoaders {
    // Without a context object there is no request to share with: every call stands alone.
    if (typeof context !== 'object' || context === null) return create(context);
    let loaders = perContext.get(context);
    if (!loaders) {
      loaders = create(context);
      perContext.set(context, loaders);
    }
    return loaders;
  };
}
