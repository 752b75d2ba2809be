import type { Logger } from 'pino';
import type { LoadSheddingConfig, Priority } from '../../config/loadSheddingSchema.js';
import type { ExecutionResult } from 'graphql';
import { callSignalOf, type PorticoContext, type PorticoPlugin } from '../../context/requestScope.js';
import { porticoError } from '../../errors/index.js';
import { createAdmissionController, type Ticket } from './admissionController.js';
import { loadSheddingMetrics } from './loadSheddingMetrics.js';
import { operationNameOf } from './operationNameOf.js';

/**
 * The BFF's `loadShedding` config (src/config/loadSheddingSchema.ts documents every key and its
 * default, with the reason for it) plus what the pipeline knows.
 */
export interface LoadSheddingOptions extends LoadSheddingConfig {
  /** Labels the metrics and log lines. */
  bff: string;
  logger?: Logger;
  /** Clock for queue waits and the request deadline (epoch ms, as `context.portico.deadline`). @default Date.now */
  now?: () => number;
}

/**
 * Keeps the BFF responsive under overload: each GraphQL operation takes a slot for as long as it
 * runs, lower priorities may fill fewer slots, and what cannot get one is refused at once with
 * 503 SERVICE_OVERLOADED and `Retry-After` (best-effort) or after a bounded wait in a priority
 * queue (normal, critical). Critical operations keep flowing on the slots reserved for them.
 *
 * Why here, in onParams: it is the first hook that knows the operation (its name picks the
 * priority) and it runs before parsing, validation, cost analysis and every upstream call, so a
 * shed request costs the gateway almost nothing. The raw HTTP handler would have to read the
 * body to know the operation; later hooks would already have spent the work shedding saves.
 * (Authentication runs in onRequestParse, before this; see docs/load-shedding.md.)
 *
 * A slot is released when the operation's result is ready (onExecutionResult) or, failing that,
 * when the response leaves (onResponse), so no path can leak one. In a batch every operation
 * takes its own slot. /healthz and /readyz never reach onParams and are never shed.
 */
export function useLoadShedding(options: LoadSheddingOptions): PorticoPlugin {
  const { bff, logger } = options;
  const now = options.now ?? Date.now;
  const metrics = loadSheddingMetrics();
  const inFlightGauge = metrics.inFlight.labels(bff);
  const queuedGauge = metrics.queued.labels(bff);
  const controller = createAdmissionController({
    maxConcurrent: options.maxConcurrent,
    normalLimit: Math.floor(options.maxConcurrent * options.shares.normal),
    bestEffortLimit: Math.floor(options.maxConcurrent * options.shares.bestEffort),
    maxQueue: options.maxQueue,
    queueTimeoutMs: options.queueTimeoutMs,
    now,
    onChange(inFlight, queued) {
      inFlightGauge.set(inFlight);
      queuedGauge.set(queued);
    },
  });
  const priorities = new Map(Object.entries(options.operations));
  const retryAfter = String(options.retryAfterSeconds);
  const ticketOfOperation = new WeakMap<object, Ticket>();
  // One ticket per request, an array only for a batch's second operation on.
  const ticketsOfRequest = new WeakMap<Request, Ticket | Ticket[]>();
  const logShed = throttledShedLog(bff, logger, now);

  const priorityOf = (params: { operationName?: string | null; query?: string }): Priority => {
    if (priorities.size === 0) return options.defaultPriority;
    const name =
      typeof params.operationName === 'string'
        ? params.operationName
        : typeof params.query === 'string'
          ? operationNameOf(params.query)
          : undefined;
    return (name !== undefined && priorities.get(name)) || options.defaultPriority;
  };

  const hold = (ticket: Ticket, request: Request, context: object) => {
    ticketOfOperation.set(context, ticket);
    const held = ticketsOfRequest.get(request);
    if (held === undefined) ticketsOfRequest.set(request, ticket);
    else if (Array.isArray(held)) held.push(ticket);
    else ticketsOfRequest.set(request, [held, ticket]);
  };

  // The queue: an operation that found no free slot. Only here is the request's signal asked
  // for (src/server/serverRequestScope.ts creates it on first use) and an options object built.
  const waitForSlot = async (priority: Priority, request: Request, context: PorticoContext, setResult: (result: ExecutionResult) => void) => {
    const scope = context.portico;
    const signal = callSignalOf(scope);
    const pending = controller.acquire(priority, {
      ...(signal ? { signal } : {}),
      ...(scope?.deadline !== undefined ? { maxWaitMs: scope.deadline - now() } : {}),
    });
    const admission = pending instanceof Promise ? await pending : pending;
    if (admission.admitted) {
      const { ticket } = admission;
      if (ticket.waitedMs > 0) metrics.wait.observe({ bff, priority }, ticket.waitedMs / 1000);
      hold(ticket, request, context);
      return;
    }
    // The client is gone: nobody reads an answer, and it is not load that was shed.
    if (admission.reason === 'cancelled') {
      setResult({ errors: [porticoError('SERVICE_OVERLOADED')] });
      return;
    }
    metrics.shed.inc({ bff, priority, reason: admission.reason });
    logShed(priority, admission.reason, controller.inFlight, controller.queued);
    setResult({ errors: [porticoError('SERVICE_OVERLOADED', { headers: { 'Retry-After': retryAfter } })] });
  };

  return {
    // Not async: an operation admitted at once (nearly all of them) allocates no promise here.
    onParams({ params, request, context, setResult }) {
      if (!options.enabled) return undefined;
      const priority = priorityOf(params);
      const ticket = controller.tryAcquire(priority);
      if (ticket === undefined) return waitForSlot(priority, request, context, setResult);
      hold(ticket, request, context);
      return undefined;
    },
    onExecutionResult({ context }) {
      ticketOfOperation.get(context)?.release();
    },
    onResponse({ request }) {
      const held = ticketsOfRequest.get(request);
      if (held === undefined) return;
      if (Array.isArray(held)) for (const ticket of held) ticket.release();
      else held.release();
    },
  };
}

/**
 * One warning a second at most, counting what was shed since the last one: an overload sheds
 * thousands of requests, and one log line each would add to the overload.
 */
function throttledShedLog(bff: string, logger: Logger | undefined, now: () => number) {
  let lastAt = -Infinity;
  let suppressed = 0;
  return (priority: Priority, reason: string, inFlight: number, queued: number) => {
    if (!logger) return;
    const at = now();
    if (at - lastAt < 1000) {
      suppressed++;
      return;
    }
    logger.warn({ bff, priority, reason, inFlight, queued, shedSinceLastLine: suppressed }, 'load shed: operation refused with 503');
    lastAt = at;
    suppressed = 0;
  };
}
