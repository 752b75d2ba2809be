import { getOperationAST } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Registry } from 'prom-client';
import { operationCostOf } from '../../context/operationCost.js';
import type { RequestScope } from '../../context/requestScope.js';
import { consoleFeed, type ConsoleFeed } from '../../observability/console/consoleFeed.js';
import { OTHER_OPERATION, requestMetrics } from '../../observability/requestMetrics.js';
import { clientIdentityOf, type ClientIdentity, type ClientLabelBudget } from '../../observability/clientIdentity.js';

export interface RequestMetricsOptions {
  bff: string;
  /**
   * Operation names with their own label value, per BFF; later ones count as `__other__`.
   * @default 200 (root config `metrics.maxOperationNames`, where the reason is given)
   */
  maxOperationNames?: number;
  /**
   * Client awareness: which `graphql-client-name`s and versions get their own label value
   * (root config `metrics.clients`, where the defaults are explained).
   * @default no configured names, 20 learned, 10 versions each
   */
  clients?: ClientLabelBudget;
  /** @default prom-client's default registry, which the admin listener serves */
  registry?: Registry;
  /** Seconds-resolution clock for the latency histogram. @default performance.now */
  now?: () => number;
  /** The operator console's ring buffer (src/observability/console/). @default the process's */
  feed?: ConsoleFeed;
}

/**
 * Request counts, latency, in-flight and errors by code for one BFF
 * (src/observability/requestMetrics.ts names the series and explains the label bounds), and the
 * same events for the operator console's feed: a request failed when it answered 5xx or carried
 * errors; it was served stale when a source's cached fallback answered part of it.
 * Only GraphQL requests are counted: health probes and GraphiQL would drown the signal.
 */
export function useRequestMetrics(options: RequestMetricsOptions): Plugin {
  const { bff } = options;
  const max = options.maxOperationNames ?? 200;
  const now = options.now ?? (() => performance.now());
  const metrics = requestMetrics(options.registry);
  const feed = options.feed ?? consoleFeed();
  // One record per request, in one map: a WeakMap entry is an ephemeron the collector must
  // revisit, and each request used to leave five of them (bench/README.md, issue 17).
  const tracked = new WeakMap<Request, Tracked>();
  const clients = metrics.clientLabels(bff, options.clients ?? { names: [], maxLearned: 20, maxVersions: 10 });
  const bffLabel = { bff };

  return {
    onRequest({ request }) {
      tracked.set(request, new Tracked(now(), clientIdentityOf(request.headers)));
      metrics.inFlight.inc(bffLabel);
    },
    onRequestParse({ request }) {
      // Requests that reached the GraphQL endpoint (yoga calls onRequestParse for nothing else).
      const record = tracked.get(request);
      if (record) record.graphql = true;
    },
    onExecute({ args }) {
      const request = (args.contextValue as { request?: Request }).request;
      const name = getOperationAST(args.document, args.operationName)?.name?.value ?? '';
      if (name) metrics.admit(bff, name, max);
      const record = request && tracked.get(request);
      if (!record) return;
      clients.admit(record.client);
      // A batch is labelled by its first operation.
      if (record.operation === undefined) {
        record.operation = name;
        record.cost = operationCostOf(args.contextValue as object)?.cost;
      }
    },
    onResultProcess({ request, result }) {
      for (const single of Array.isArray(result) ? result : [result]) {
        const errors = (single as { errors?: readonly { extensions?: { code?: unknown } }[] }).errors;
        if (!errors?.length) continue;
        const record = tracked.get(request);
        if (record) record.errored = true;
        const name = record?.operation;
        for (const error of errors) {
          const code = metrics.codeLabel(error.extensions?.code);
          metrics.errors.inc({ bff, code });
          feed.graphqlError(bff, code, name || undefined);
        }
      }
    },
    onResponse({ request, response, serverContext }) {
      const record = tracked.get(request);
      if (record === undefined) return;
      metrics.inFlight.dec(bffLabel);
      if (!record.graphql) return;
      // Requests refused before execution (auth, validation) have no trustworthy name: __other__.
      const name = record.operation;
      const operation = name === undefined ? OTHER_OPERATION : metrics.operationLabel(bff, name || undefined);
      const client = clients.labels(record.client);
      metrics.requests.inc({ bff, operation, status: String(response.status), ...client });
      const ms = now() - record.start;
      metrics.duration.observe({ bff, operation, client_name: client.client_name }, ms / 1000);
      const stale = (serverContext as { portico?: RequestScope } | undefined)?.portico?.stale;
      feed.request(bff, operation, ms, response.status >= 500 || record.errored, stale !== undefined && stale.length > 0, record.cost);
    },
  };
}

/** What one request's metrics need, from onRequest to onResponse. */
class Tracked {
  graphql = false;
  /** The executed operation's name; '' for an executed anonymous operation. */
  operation: string | undefined = undefined;
  /** The executed operation's static cost, when the cost plugin priced it. */
  cost: number | undefined = undefined;
  /** The result carried at least one error. */
  errored = false;

  constructor(
    readonly start: number,
    readonly client: ClientIdentity,
  ) {}
}
