import { register as defaultRegister, type Counter, type Gauge, type Histogram, type Registry } from 'prom-client';
import { counter, gauge, histogram } from './metrics.js';
import { errorCodes } from '../errors/index.js';
import { createClientLabels, type ClientLabelBudget, type ClientLabels } from './clientIdentity.js';

/**
 * Per-BFF request series (prom-client, the default registry the admin listener serves):
 *
 *   portico_requests_total{bff,operation,status,client_name,client_version}
 *                                                         GraphQL requests answered, by HTTP status
 *   portico_request_duration_seconds{bff,operation,client_name}
 *                                                         time from arrival to response
 *   portico_requests_in_flight{bff}                       requests being answered now
 *   portico_graphql_errors_total{bff,code}                errors sent to clients, by extensions.code
 *   portico_operation_names_folded_total{bff}             requests counted under `__other__`
 *
 * Every label is bounded: `status` by HTTP, `code` by the error catalogue (anything else is
 * `OTHER`), and `operation` by `maxOperationNames` per BFF: the first names seen in executed
 * (so parsed and valid) operations keep their own value, later ones are `__other__`, and a
 * request that never reached execution is `__other__` unless its name was admitted before. A
 * client inventing 10,000 names therefore adds no series once the budget is spent. Names live
 * with the series, not with a BFF's pipeline, so a hot reload does not grant a fresh budget.
 * `client_name`/`client_version` (client awareness, src/observability/clientIdentity.ts) have a
 * budget of their own per BFF, learned the same way; the histogram carries the name only, since
 * each version there would cost a dozen bucket series for a split the counter already gives.
 */
export interface RequestMetrics {
  requests: Counter<'bff' | 'operation' | 'status' | 'client_name' | 'client_version'>;
  duration: Histogram<'bff' | 'operation' | 'client_name'>;
  inFlight: Gauge<'bff'>;
  errors: Counter<'bff' | 'code'>;
  folded: Counter<'bff'>;
  /** Admits `name` for `bff` while the budget lasts (executed operations only). */
  admit(bff: string, name: string, max: number): void;
  /** The label value for a request's operation name. */
  operationLabel(bff: string, name: string | undefined): string;
  /** The label value for an error code. */
  codeLabel(code: unknown): string;
  /** The BFF's client label budget; the first call's budget stays, as the operation budget does. */
  clientLabels(bff: string, budget: ClientLabelBudget): ClientLabels;
}

export const OTHER_OPERATION = '__other__';
export const ANONYMOUS_OPERATION = '__anonymous__';

const knownCodes = new Set<string>(errorCodes);
const byRegistry = new WeakMap<Registry, RequestMetrics>();

export function requestMetrics(registry: Registry = defaultRegister): RequestMetrics {
  const cached = byRegistry.get(registry);
  if (cached) return cached;
  const admitted = new Map<string, Set<string>>();
  const clients = new Map<string, ClientLabels>();
  const metrics: RequestMetrics = {
    requests: counter({ name: 'portico_requests_total', help: 'GraphQL requests answered per BFF, operation name (bounded; __other__ past the budget) and HTTP status.', labelNames: ['bff', 'operation', 'status', 'client_name', 'client_version'] }, registry),
    duration: histogram({ name: 'portico_request_duration_seconds', help: 'Time from a GraphQL request arriving to its response, per BFF and operation name (bounded).', labelNames: ['bff', 'operation', 'client_name'], buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] }, registry),
    inFlight: gauge({ name: 'portico_requests_in_flight', help: 'GraphQL requests being answered, per BFF.', labelNames: ['bff'] }, registry),
    errors: counter({ name: 'portico_graphql_errors_total', help: 'Errors sent to clients per BFF and extensions.code (catalogue codes; anything else is OTHER).', labelNames: ['bff', 'code'] }, registry),
    folded: counter({ name: 'portico_operation_names_folded_total', help: 'Requests whose operation name was counted as __other__ because the name budget was spent.', labelNames: ['bff'] }, registry),
    admit(bff, name, max) {
      let names = admitted.get(bff);
      if (!names) admitted.set(bff, (names = new Set()));
      if (names.size < max) names.add(name);
    },
    operationLabel(bff, name) {
      if (!name) return ANONYMOUS_OPERATION;
      if (admitted.get(bff)?.has(name)) return name;
      metrics.folded.inc({ bff });
      return OTHER_OPERATION;
    },
    codeLabel(code) {
      return typeof code === 'string' && knownCodes.has(code) ? code : 'OTHER';
    },
    clientLabels(bff, budget) {
      let labels = clients.get(bff);
      if (!labels) clients.set(bff, (labels = createClientLabels(budget)));
      return labels;
    },
  };
  byRegistry.set(registry, metrics);
  return metrics;
}

/**
 * Forgets the operation names and client labels admitted so far for `registry`: the next
 * `requestMetrics()` starts with fresh budgets, as a new process does. For test files that share
 * a worker process (test/support/processState.ts); the series themselves stay registered.
 */
export function resetRequestMetrics(registry: Registry = defaultRegister): void {
  byRegistry.delete(registry);
}
