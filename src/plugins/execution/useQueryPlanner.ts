import type { DocumentNode } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { QueryPlanner } from '../../sources/federation/planner/queryPlanner.js';
import { fallbackReasonLabel, planMetrics } from '../../observability/planMetrics.js';

export interface QueryPlannerPluginOptions {
  /**
   * The planner composed with the schema (src/compose/composeBffSchema.ts), never looked up.
   * @default undefined: every operation runs by stitching (`engine: 'stitch'`), and is counted so.
   */
  planner?: QueryPlanner | undefined;
  /** Names the BFF in `portico_operations_total` and `portico_plan_fallbacks_total`. */
  bff: string;
  /** Told once per document which part fell back and why. @default no log */
  logger?: Logger;
  /** @default prom-client's default registry, which the admin listener serves */
  registry?: Registry;
}

/**
 * Execution by plan: the engine's execute function becomes the planner's, which runs plans cached
 * per document and hands what it cannot plan to `executeFn` (stitching). The pipeline lists it
 * before every plugin that wraps execution (response cache, field authorization), so those wrap
 * the plan and not the other way round.
 *
 * Every executed operation is counted by engine: `plan` when the planner ran all of it,
 * `stitch` when stitching ran any part. A fallback's reason is counted by class, and logged once
 * per document (a parsed document is cached per query text, so once per query shape).
 */
export function useQueryPlanner(options: QueryPlannerPluginOptions): Plugin {
  const { planner, bff } = options;
  const metrics = planMetrics(options.registry);
  const logged = new WeakSet<DocumentNode>();
  return {
    // Subscriptions are not planned yet: the subscription root field is stitching's, which opens
    // the source's stream and resolves each event's other fields (REST, other graphs) by type
    // merging. Counted as a fallback like any other, so the share is visible.
    onSubscribe({ args }) {
      metrics.operations.inc({ bff, engine: 'stitch' });
      metrics.fallbacks.inc({ bff, reason: planner ? 'subscription' : 'engine_stitch' });
      if (planner && options.logger && !logged.has(args.document)) {
        logged.add(args.document);
        options.logger.info({ bff, operationName: args.operationName, reason: 'subscription' }, 'part of an operation runs by stitching: the query planner does not plan it');
      }
    },
    onExecute({ executeFn, setExecuteFn }) {
      if (!planner) {
        setExecuteFn((args) => {
          metrics.operations.inc({ bff, engine: 'stitch' });
          metrics.fallbacks.inc({ bff, reason: 'engine_stitch' });
          return executeFn(args);
        });
        return;
      }
      setExecuteFn((args) => {
        let stitched = false;
        const fallback = (fallbackArgs: typeof args, reason?: string) => {
          stitched = true;
          metrics.fallbacks.inc({ bff, reason: fallbackReasonLabel(reason) });
          if (options.logger && !logged.has(args.document)) {
            logged.add(args.document);
            options.logger.info({ bff, operationName: args.operationName, reason }, 'part of an operation runs by stitching: the query planner does not plan it');
          }
          return executeFn(fallbackArgs);
        };
        const count = () => metrics.operations.inc({ bff, engine: stitched ? 'stitch' : 'plan' });
        const result = planner(args, fallback);
        if (result instanceof Promise) return result.finally(count) as ReturnType<typeof executeFn>;
        count();
        return result as ReturnType<typeof executeFn>;
      });
    },
  };
}
