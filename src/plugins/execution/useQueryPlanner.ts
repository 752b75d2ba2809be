import type { Plugin } from 'graphql-yoga';
import type { QueryPlanner } from '../../sources/federation/planner/queryPlanner.js';

export interface QueryPlannerPluginOptions {
  /** The planner composed with the schema (src/compose/composeBffSchema.ts), never looked up. */
  planner: QueryPlanner;
}

/**
 * Execution by plan: the engine's execute function becomes the planner's, which runs plans cached
 * per document and hands what it cannot plan to `executeFn` (stitching). The pipeline lists it
 * before every plugin that wraps execution (response cache, field authorization), so those wrap
 * the plan and not the other way round.
 */
export function useQueryPlanner(options: QueryPlannerPluginOptions): Plugin {
  const { planner } = options;
  return {
    onExecute({ executeFn, setExecuteFn }) {
      setExecuteFn((args) => planner(args, executeFn) as ReturnType<typeof executeFn>);
    },
  };
}
