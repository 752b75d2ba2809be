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
  const logOnce = (document: DocumentNode, operationName: string | null | undefined, reason: string | undefined) => {
    if (!options.logger || logged.has(document)) return;
    logged.add(document);
    options.logger.info({ bff, operationName, reason }, 'part of an operation runs by stitching: the query planner does not plan it');
  };
  /**
   * Runs one operation through `planned`, handing what it cannot plan to `original` (stitching):
   * each fallback counted by reason and logged once per document, the operation counted by
   * engine once it settles. Execute and subscribe alike.
   */
  const runCounted = <A extends { document: DocumentNode; operationName?: string | null | undefined }>(
    planned: (args: A, fallback: (args: A, reason?: string) => unknown) => unknown,
    original: (args: A) => unknown,
    args: A,
  ): unknown => {
    let stitched = false;
    const fallback = (fallbackArgs: A, reason?: string) => {
      stitched = true;
      metrics.fallbacks.inc({ bff, reason: fallbackReasonLabel(reason) });
      logOnce(args.document, args.operationName, reason);
      return original(fallbackArgs);
    };
    const count = () => metrics.operations.inc({ bff, engine: stitched ? 'stitch' : 'plan' });
    const result = planned(args, fallback);
    if (result instanceof Promise) return result.finally(count);
    count();
    return result;
  };
  return {
    // A subscription runs by plan when the planner can plan it (its root field the stream, the
    // rest of the plan per event), by stitching otherwise: counted as either, like any operation.
    onSubscribe({ args, subscribeFn, setSubscribeFn }) {
      const subscribePlanned = planner?.subscribe;
      if (!subscribePlanned) {
        metrics.operations.inc({ bff, engine: 'stitch' });
        metrics.fallbacks.inc({ bff, reason: planner ? 'subscription' : 'engine_stitch' });
        if (planner) logOnce(args.document, args.operationName, 'subscription');
        return;
      }
      setSubscribeFn(
        (subscribeArgs) => Promise.resolve(runCounted(subscribePlanned, subscribeFn, subscribeArgs)) as ReturnType<typeof subscribeFn>,
      );
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
      setExecuteFn((args) => runCounted(planner, executeFn, args) as ReturnType<typeof executeFn>);
    },
  };
}
