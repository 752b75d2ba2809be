import { getOperationAST, print, type DocumentNode, type GraphQLSchema } from 'graphql';
import { mapAsyncIterator, type Plugin } from 'graphql-yoga';
import type { Logger } from 'pino';
import type { BffResponseCacheConfig } from '../../config/responseCacheSchema.js';
import { ANONYMOUS } from '../../context/principal.js';
import type { RequestScope } from '../../context/requestScope.js';
import { consoleFeed, type ConsoleFeed } from '../../observability/console/consoleFeed.js';
import type { ResponseCacheStore } from '../../stores/response-cache/responseCacheStore.js';
import { cacheKey, sha256 } from './cacheKey.js';
import type { CacheHints } from './collectCacheHints.js';
import { addEntityFields, extractEntities, type EntityTracking } from './entityTracking.js';
import { planCachePolicy, type CachePolicy } from './planCachePolicy.js';
import { responseCacheMetrics } from './responseCacheMetrics.js';

/**
 * The BFF's `responseCache` config (src/config/responseCacheSchema.ts documents each key and its
 * default) plus what start-up provides.
 */
export interface ResponseCacheOptions extends BffResponseCacheConfig {
  /** Part of every key, and the metrics label. */
  bff: string;
  /** `@cacheControl` hints read from the BFF's SDL at compose time (collectCacheHints). */
  hints: CacheHints;
  /** The process's store (memory or Redis), shared by its BFFs. */
  store: ResponseCacheStore;
  logger?: Logger;
  /** Epoch ms, for entry ages and invalidation marks. @default Date.now */
  now?: () => number;
  /** The operator console's ring buffer: hits and misses of cacheable queries. @default the process's */
  feed?: ConsoleFeed;
}

/** What was decided for one operation of a request; the response headers sum them up. */
interface Decision {
  /** Undefined: not cacheable (a mutation, a field without a hint, errors in the result). */
  policy?: CachePolicy;
  /** Age of the cached answer served, in ms; undefined when it was computed now. */
  ageMs?: number;
  /** The caller presented credentials: downstream shared caches must not keep the answer. */
  credentialed?: boolean;
}

/** Decided once per schema, document and operation; each request only builds its key. */
type Plan =
  | { kind: 'mutation' | 'other' }
  | { kind: 'query'; policy?: undefined }
  | {
      kind: 'query';
      policy: CachePolicy;
      /** SHA-256 of the printed document. */
      documentHash: string;
      /** The document that also reports the entities in its result. */
      tracking: EntityTracking;
    };

/** A payload of an incremental answer (@defer/@stream): the first has `data`, later ones `incremental`. */
interface IncrementalPayload {
  data?: unknown;
  incremental?: { data?: unknown; items?: unknown[] }[];
}

interface ExecutionContext {
  request?: Request;
  portico?: RequestScope;
}

/**
 * Whole-response cache for queries whose every field allows it (`@cacheControl` in schemas/,
 * the shortest max-age wins, any field without one makes the query uncacheable), with
 * `Cache-Control` and `Age` on the response and invalidation by the entities a mutation returns.
 *
 * When it runs: the lookup happens where execution would start, inside the execute function,
 * so after every check: authentication (onRequestParse), cost and field authorization
 * (validation), the rate limiter's charge (onExecute; a hit is charged like any request) and
 * field authorization's own execute-time decision. A cached answer therefore only ever reaches a
 * caller who was allowed to ask the question. It must sit before field authorization in the
 * pipeline list (src/pipeline/buildPipeline.ts): a plugin later in the list wraps this one's
 * execute function, so when authorization prunes denied fields for a caller, the cache sees a
 * document other than the client's and neither answers nor stores.
 *
 * A PRIVATE answer is keyed by the verified principal (src/context/principal.ts), never by
 * anything the client sent, and is never cached for an anonymous caller; no option turns that off.
 *
 * Only `data` is cached: errors make a response uncacheable, and extensions (cost, stale
 * markers) are the request's own. A response holding stale fallback data is never cached.
 * Only complete results are stored: a `@defer`/`@stream` query answered part by part is not,
 * the same query answered whole is, and a hit is always answered whole.
 */
export function useResponseCache(options: ResponseCacheOptions): Plugin {
  const { bff, hints, store, logger } = options;
  const now = options.now ?? Date.now;
  const metrics = responseCacheMetrics();
  const feed = options.feed ?? consoleFeed();
  const plans = new WeakMap<GraphQLSchema, WeakMap<DocumentNode, Map<string, Plan>>>();
  const decisions = new WeakMap<Request, Decision[]>();

  const planFor = (schema: GraphQLSchema, document: DocumentNode, operationName: string | null | undefined): Plan => {
    let bySchema = plans.get(schema);
    if (!bySchema) plans.set(schema, (bySchema = new WeakMap()));
    let byOperation = bySchema.get(document);
    if (!byOperation) bySchema.set(document, (byOperation = new Map()));
    const name = operationName ?? '';
    let plan = byOperation.get(name);
    if (!plan) {
      plan = buildPlan(schema, document, operationName);
      byOperation.set(name, plan);
    }
    return plan;
  };

  const buildPlan = (schema: GraphQLSchema, document: DocumentNode, operationName: string | null | undefined): Plan => {
    const kind = getOperationAST(document, operationName)?.operation;
    if (kind === 'mutation') return { kind };
    if (kind !== 'query') return { kind: 'other' };
    const policy = planCachePolicy(schema, hints, document, operationName, { defaultMaxAge: options.defaultMaxAge });
    if (!policy) return { kind };
    // print() normalises whitespace and comments, so formatting does not split entries.
    return { kind, policy, documentHash: sha256(print(document)), tracking: addEntityFields(schema, document, options.idFields) };
  };

  const decide = (context: ExecutionContext, decision: Decision) => {
    const request = context.request;
    if (!request) return;
    const list = decisions.get(request);
    if (list) list.push(decision);
    else decisions.set(request, [decision]);
  };

  // Rewritten documents of other plugins (field authz prunes per caller) are new objects per
  // request: remembered only as long as they live.
  const trackingOf = new WeakMap<DocumentNode, EntityTracking>();
  const trackingFor = (schema: GraphQLSchema, document: DocumentNode) => {
    let tracking = trackingOf.get(document);
    if (!tracking) trackingOf.set(document, (tracking = addEntityFields(schema, document, options.idFields)));
    return tracking;
  };

  return {
    onExecute({ args, executeFn, setExecuteFn }) {
      const context = args.contextValue as ExecutionContext;
      const clientDocument = args.document;
      const plan = planFor(args.schema, clientDocument, args.operationName);

      // Everything happens in the execute function, not in this hook: it runs after every
      // onExecute hook of every plugin (the rate limiter's charge, field authz's decision), and a
      // plugin that reshapes execution for this caller (field authz's 'null' mode prunes denied
      // fields) wraps it, handing it a document other than the client's. The cache then stays
      // out of the way: it answers or stores only the client's document, executed as validated.
      if (plan.kind === 'mutation') {
        setExecuteFn(async (execArgs) => {
          decide(context, {});
          const tracking = trackingFor(execArgs.schema, execArgs.document);
          const result = await executeFn({ ...execArgs, document: tracking.document });
          if (isAsyncIterable(result)) return result;
          const entities = extractEntities(result.data, tracking);
          if (entities.length > 0) {
            // Awaited: the client's next read must not find what this mutation changed.
            const purged = await store.invalidate(entities, now());
            if (purged > 0) metrics.purged.inc({ bff }, purged);
            logger?.debug({ bff, entities, purged }, 'response cache: mutation purged entities');
          }
          return result;
        });
        return;
      }
      if (plan.kind !== 'query') {
        decide(context, {});
        return;
      }
      if (!plan.policy) {
        metrics.lookups.inc({ bff, result: 'uncacheable' });
        decide(context, {});
        return;
      }
      const { policy, tracking } = plan;
      const principal = context.portico?.principal ?? ANONYMOUS;
      const credentialed = principal.kind !== 'anonymous';
      const key = cacheKey({
        bff,
        documentHash: plan.documentHash,
        operationName: args.operationName,
        variables: args.variableValues,
        scope: policy.scope,
        principal,
        forwardedHeaders: context.portico?.forwardedHeadersKey,
      });
      if (key === undefined) {
        // Personalised data and nobody to key it by: answered fresh, never stored.
        metrics.lookups.inc({ bff, result: 'anonymous_private' });
        decide(context, { policy, credentialed });
        return;
      }

      setExecuteFn(async (execArgs) => {
        if (execArgs.document !== clientDocument) {
          metrics.lookups.inc({ bff, result: 'uncacheable' });
          decide(context, {});
          return executeFn(execArgs);
        }
        const cached = await store.get(key);
        if (cached) {
          const ageMs = Math.max(0, now() - cached.storedAt);
          if (ageMs < policy.maxAge * 1000) {
            metrics.lookups.inc({ bff, result: 'hit' });
            feed.cacheLookup(bff, true);
            decide(context, { policy, ageMs, credentialed });
            return { data: JSON.parse(cached.data) as Record<string, unknown> };
          }
        }
        metrics.lookups.inc({ bff, result: 'miss' });
        feed.cacheLookup(bff, false);
        const startedAt = now();
        const result = await executeFn({ ...execArgs, document: tracking.document });
        if (isAsyncIterable(result)) {
          // @defer/@stream answered part by part (the client asked for incremental delivery):
          // only complete results are stored, so this one is not; the same query from a client
          // that asked for one answer is, and a hit answers either kind whole (docs/defer-stream.md).
          metrics.stores.inc({ bff, result: 'incremental' });
          decide(context, {});
          // The entity fields added for tracking are taken out of every payload, as from a result.
          return mapAsyncIterator(result as AsyncIterable<IncrementalPayload>, (payload) => {
            extractEntities(payload.data, tracking);
            for (const entry of payload.incremental ?? []) extractEntities(entry.data ?? entry.items, tracking);
            return payload;
          }) as typeof result;
        }
        const entities = extractEntities(result.data, tracking);
        const cacheable = !result.errors?.length && result.data != null && !context.portico?.stale?.length;
        decide(context, cacheable ? { policy, credentialed } : {});
        if (!cacheable) {
          metrics.stores.inc({ bff, result: 'skipped' });
          return result;
        }
        // Awaited: the client's next request must find the entry (read-your-writes), and a
        // healthy store answers in a millisecond; a failing one resolves false at once.
        const stored = await store.set(
          key,
          { data: JSON.stringify(result.data), storedAt: now() },
          { ttlMs: policy.maxAge * 1000, entities, startedAt },
        );
        metrics.stores.inc({ bff, result: stored ? 'stored' : 'skipped' });
        return result;
      });
    },

    onResponse({ request, response }) {
      const list = decisions.get(request);
      if (!list || list.length === 0 || response.headers.has('cache-control')) return;
      const headers = cacheHeaders(list, response.status);
      for (const [name, value] of Object.entries(headers)) response.headers.set(name, value);
    },
  };
}

/**
 * `Cache-Control` for the whole HTTP response (a batch sums up its operations: the shortest
 * max-age, private if any is) and `Age` when an answer came from the cache. Anything not
 * cacheable is `no-store`, so no browser or CDN keeps a personalised or failed answer.
 *
 * `public` only for anonymous callers: an answer to a caller with credentials passed field
 * authorization for that caller, and a shared cache in front of the gateway (a CDN keying GET
 * queries by URL) would hand it to callers the gateway never checked. The gateway's own cache
 * still shares PUBLIC entries, because it answers after authorization.
 */
export function cacheHeaders(list: readonly Decision[], status: number): Record<string, string> {
  if (status !== 200 || list.some((decision) => !decision.policy)) return { 'cache-control': 'no-store' };
  const maxAge = Math.min(...list.map((decision) => decision.policy!.maxAge));
  const shared = list.every((decision) => decision.policy!.scope === 'PUBLIC' && !decision.credentialed);
  const headers: Record<string, string> = { 'cache-control': `${shared ? 'public' : 'private'}, max-age=${maxAge}` };
  const ages = list.map((decision) => decision.ageMs).filter((age): age is number => age !== undefined);
  if (ages.length > 0) headers.age = String(Math.floor(Math.max(...ages) / 1000));
  return headers;
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof value === 'object' && value !== null && Symbol.asyncIterator in value;
}
