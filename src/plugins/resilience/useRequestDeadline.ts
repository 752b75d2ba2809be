import type { PorticoPlugin } from '../../context/requestScope.js';

export interface RequestDeadlineOptions {
  /**
   * Time one request may take, from its arrival. Every upstream call's timeout is cut to what is
   * left, no call starts once it is spent, and upstreams are told the remainder in
   * `x-portico-deadline-ms` (docs/resilience.md).
   * @default 10000 (the BFF's `resilience.requestBudgetMs`): above any sane page load, below the
   * idle timeouts of common load balancers, so the gateway gives up before its client does.
   */
  budgetMs?: number;
  /** Clock (ms); the transport reads the deadline with the same clock. @default Date.now */
  now?: () => number;
}

/**
 * Starts the request's clock as it arrives: sets `context.portico.deadline`, which the source
 * transport (src/transport/withDeadline.ts) turns into each call's deadline. Runs in onRequest, so
 * time spent parsing, validating and waiting behind other stages counts against the budget too.
 */
export function useRequestDeadline(options: RequestDeadlineOptions = {}): PorticoPlugin {
  const budgetMs = options.budgetMs ?? 10_000;
  const now = options.now ?? Date.now;
  if (!Number.isFinite(budgetMs) || budgetMs <= 0) throw new RangeError(`budgetMs must be a positive number, got ${budgetMs}`);
  return {
    onRequest({ serverContext }) {
      const scope = serverContext.portico;
      if (scope) scope.deadline = now() + budgetMs;
    },
    // A subscription lives past any budget: the budget covers opening it, and once its stream is
    // open each event's fetches are bounded by their sources' own timeouts, not by a deadline
    // that passed long before the event arrived.
    onSubscribe({ args }) {
      const scope = args.contextValue.portico;
      return {
        onSubscribeResult() {
          // Assigned, not deleted: a delete turns the scope into a slow dictionary-mode object.
          if (scope) scope.deadline = undefined;
        },
      };
    },
  };
}
