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
  const startedAt = new WeakMap<Request, number>();
  // Requests that reached the GraphQL endpoint (yoga calls onRequestParse for nothing else).
  const graphql = new WeakSet<Request>();
  // The executed operation's name; '' for an executed anonymous operation.
  const operationOf = new WeakMap<Request, string>();
  // The executed operation's static cost, when the cost plugin priced it.
  const costOf = new WeakMap<Request, number>();
  // Requests whose result carried at least one error.
  const errored = new WeakSet<Request>();
  const clients = metrics.clientLabels(bff, options.clients ?? { names: [], maxLearned: 20, maxVersions: 10 });
  const clientOf = new WeakMap<Request, ClientIdentity>();

  return {
    onRequest({ request }) {
      startedAt.set(request, now());
      metrics.inFlight.inc({ bff });
      clientOf.set(request, clientIdentityOf(request.headers));
    },
    onRequestParse({ request }) {
      graphql.add(request);
    },
    onExecute({ args }) {
      const request = (args.contextValue as { request?: Request }).request;
      const name = getOperationAST(args.document, args.operationName)?.name?.value ?? '';
      if (name) metrics.admit(bff, name, max);
      const client = request && clientOf.get(request);
      if (client) clients.admit(client);
      // A batch is labelled by its first operation.
      if (request && !operationOf.has(request)) {
        operationOf.set(request, name);
        const cost = operationCostOf(args.contextValue as object)?.cost;
        if (cost !== undefined) costOf.set(request, cost);
      }
    },
    onResultProcess({ request, result }) {
      for (const single of Array.isArray(result) ? result : [result]) {
        const errors = (single as { errors?: readonly { extensions?: { code?: unknown } }[] }).errors;
        if (!errors?.length) continue;
        errored.add(request);
        const name = operationOf.get(request);
        for (const error of errors) {
          const code = metrics.codeLabel(error.extensions?.code);
          metrics.errors.inc({ bff, code });
          feed.graphqlError(bff, code, name || undefined);
        }
      }
    },
    onResponse({ request, response, serverContext }) {
      const start = startedAt.get(request);
      if (start === undefined) return;
      metrics.inFlight.dec({ bff });
      if (!graphql.has(request)) return;
      // Requests refused before execution (auth, validation) have no trustworthy name: __other__.
      const name = operationOf.get(request);
      const operation = name === undefined ? OTHER_OPERATION : metrics.operationLabel(bff, name || undefined);
      const client = clients.labels(clientOf.get(request) ?? {});
      metrics.requests.inc({ bff, operation, status: String(response.status), ...client });
      const ms = now() - start;
      metrics.duration.observe({ bff, operation, client_name: client.client_name }, ms / 1000);
      const stale = (serverContext as { portico?: RequestScope } | undefined)?.portico?.stale;
      feed.request(bff, operation, ms, response.status >= 500 || errored.has(request), stale !== undefined && stale.length > 0, costOf.get(request));
    },
  };
}
